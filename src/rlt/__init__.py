"""rlt: Run-Length Tokenization for faster video transformers.

``rlt.tokenize`` drops tubelets that repeat their predecessor and returns a
packed batch; ``rlt.models``, ``rlt.data`` and the ``rlt`` command build on it.
``rlt.patch(model)`` / ``rlt.unpatch(model)`` turn RLT on and off in a Hugging Face
VideoMAE model (``rlt.hf``; imported on first use, so ``import rlt`` needs no transformers).
"""

from .ops import PackedBatch, tokenize

__version__ = "0.1.0"

__all__ = ["PackedBatch", "patch", "tokenize", "unpatch", "__version__"]


def __getattr__(name: str):
    # rlt.patch / rlt.unpatch live in rlt.hf, which imports transformers: only load it when asked.
    if name in ("hf", "patch", "unpatch"):
        import importlib

        hf = importlib.import_module(".hf", __name__)
        return hf if name == "hf" else getattr(hf, name)
    raise AttributeError(f"module 'rlt' has no attribute {name!r}")
