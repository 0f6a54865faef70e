"""``rlt.patch`` for Hugging Face VideoMAE: one line turns RLT on in a model users already have.

>>> model = VideoMAEForVideoClassification.from_pretrained(path)   # doctest: +SKIP
>>> rlt.patch(model, tau=0.1)                                      # doctest: +SKIP
>>> logits = model(pixel_values).logits                            # doctest: +SKIP
"""

from .embed import LENGTH_TABLE
from .outputs import PackedClassifierOutput, PackedModelOutput
from .patch import is_patched, patch, unpatch
from .pretrained import from_pretrained
from .settings import RLTSettings

__all__ = [
    "LENGTH_TABLE", "PackedClassifierOutput", "PackedModelOutput", "RLTSettings", "from_pretrained",
    "is_patched", "patch", "unpatch",
]
