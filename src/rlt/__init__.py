"""rlt: Run-Length Tokenization for faster video transformers.

``rlt.tokenize`` drops tubelets that repeat their predecessor and returns a
packed batch; ``rlt.models``, ``rlt.data`` and the ``rlt`` command build on it.
"""

from .ops import PackedBatch, tokenize

__version__ = "0.1.0"

__all__ = ["PackedBatch", "tokenize", "__version__"]
