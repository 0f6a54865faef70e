"""``Segments``: how a packed token sequence splits into clips, the one layout the block loop carries."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .packing import cu_seqlens_from


@dataclass(frozen=True)
class Segments:
    """The clips of a packed sequence ``(N, ...)``: rows ``cu_seqlens[b]:cu_seqlens[b+1]`` are clip ``b``.

    Built once per packed batch; a reducer that merges or prunes tokens between
    blocks returns a new one. The host copy ``host_seqlens`` is read once here, so
    attention backends that loop over clips cause no device sync per layer.

    Example: ``Segments.from_seqlens(torch.tensor([3, 1]))`` has ``cu_seqlens [0, 3, 4]``,
    ``ids [0, 0, 0, 1]``, ``max_seqlen 3``, ``host_seqlens (3, 1)`` and ``sizes None``.
    """

    seqlens: torch.Tensor  # (B,) long: tokens per clip
    cu_seqlens: torch.Tensor  # (B+1,) int32: prefix sums, as varlen kernels want
    ids: torch.Tensor  # (N,) long: the clip of each row
    max_seqlen: int  # largest entry of seqlens
    host_seqlens: tuple[int, ...]  # seqlens on the host
    sizes: torch.Tensor | None = None  # (N,) float: input tokens each row stands for; None = all 1
    proportional: bool = True  # add log(sizes) to the attention logits of merged rows (ToMe)

    @classmethod
    def from_seqlens(cls, seqlens: torch.Tensor, sizes: torch.Tensor | None = None) -> Segments:
        """The layout of clips with ``seqlens (B,)`` tokens (one host read of ``seqlens``)."""
        return cls.from_host(tuple(int(n) for n in seqlens.tolist()), seqlens.device, sizes)

    @classmethod
    def from_host(
        cls, host_seqlens: tuple[int, ...], device: torch.device | str, sizes: torch.Tensor | None = None,
        proportional: bool = True,
    ) -> Segments:
        """The layout of clips with ``host_seqlens`` tokens each, built on ``device`` without a device sync."""
        host = tuple(int(n) for n in host_seqlens)
        seqlens = torch.tensor(host, dtype=torch.long, device=device)
        ids = torch.repeat_interleave(torch.arange(len(host), device=device), seqlens, output_size=sum(host))
        return cls(seqlens, cu_seqlens_from(seqlens), ids, max(host, default=0), host, sizes, proportional)

    @property
    def batch_size(self) -> int:
        return self.seqlens.numel()

    @property
    def num_tokens(self) -> int:
        return self.ids.numel()

    @property
    def key_bias(self) -> torch.Tensor | None:
        """``(N,)`` ``log(sizes)``: ToMe's proportional attention bias per key; ``None`` when unmerged."""
        return None if self.sizes is None or not self.proportional else self.sizes.log()
