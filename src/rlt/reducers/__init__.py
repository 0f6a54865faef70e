"""What decides which tokens the model sees, chosen by name.

``create(name, **options)`` gives a :class:`Reducer`; ``model(video, reducer=r)``
runs a :class:`rlt.models.VideoViT` with it, and ``r.layer_tokens`` then holds
``(depth + 1, B)`` tokens per clip entering each block and leaving the last.

- Input reducers plan before the encoder: ``none``, ``rlt`` (Run-Length
  Tokenization), ``random`` (random masking), ``rlt+random``.
- In-model reducers act between a block's attention and its MLP: ``tome``
  (Token Merging, per clip of a packed batch), ``sta`` (STA pruning, a
  documented variant), and the chains ``rlt+tome``, ``rlt+sta``.
"""

from .base import Reducer
from .chain import Chain
from .input import RandomReducer, RLTRandomReducer, RLTReducer
from .registry import REDUCERS, available, create, option_names
from .sta import STAReducer
from .tome import ToMeReducer

__all__ = [
    "Reducer", "Chain", "RandomReducer", "RLTRandomReducer", "RLTReducer", "REDUCERS", "available", "create",
    "option_names", "STAReducer", "ToMeReducer",
]
