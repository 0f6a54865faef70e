"""Output objects of a patched model: HF's, plus the plan that places the packed tokens on the grid.

A patched model never pads: the kept tokens of all clips travel as one packed
sequence. So ``last_hidden_state`` and every entry of ``hidden_states`` have shape
``(1, N, D)``, ``N`` the kept tokens of the whole batch, clip after clip, each clip
in ``(t, i, j)`` order. ``packed`` (an :class:`rlt.PackedBatch` whose ``tokens`` are
``last_hidden_state[0]``) says where each row belongs:

- ``out.packed.cu_seqlens`` / ``seqlens``: which rows are which clip;
- ``out.packed.positions``: each row's flat index ``t*H'*W' + i*W' + j`` in its clip;
- ``out.packed.keep``: ``(B, T', H', W')`` bool, the tokens that were kept;
- ``out.packed.unpack()``: ``(B, T'*H'*W', D)``, zeros at dropped tokens
  (``out.packed.unpack(out.hidden_states[k][0])`` for another layer);
- ``out.packed.expand_runs()``: the same, each dropped token filled with its run's kept token.

``logits (B, labels)`` and ``loss`` keep their shapes and meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

from transformers.modeling_outputs import BaseModelOutput, ImageClassifierOutput

from rlt.ops import PackedBatch


@dataclass
class PackedModelOutput(BaseModelOutput):
    """``VideoMAEModel`` output under ``rlt.patch``: packed ``(1, N, D)`` states plus the plan ``packed``."""

    packed: PackedBatch | None = None


@dataclass
class PackedClassifierOutput(ImageClassifierOutput):
    """``VideoMAEForVideoClassification`` output under ``rlt.patch``: ``logits (B, labels)`` as usual,
    packed ``(1, N, D)`` hidden states, and the plan ``packed`` (tokens = the encoder's last hidden state)."""

    packed: PackedBatch | None = None
