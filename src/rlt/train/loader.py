"""``ResumableLoader``: a DataLoader whose position in the epoch is saved in Lightning checkpoints.

Lightning stores ``state_dict()`` of any train loader that has one, and hands it
back through ``load_state_dict`` before the first batch of a resumed run. The
position is the number of batches the training loop has *consumed* (read from
the trainer, because workers and Lightning's fetcher prefetch ahead of it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch.utils.data import DataLoader

from .sampler import TrainBatchSampler


class ResumableLoader(DataLoader):
    """DataLoader over a :class:`TrainBatchSampler`; ``consumed()`` says how far the loop got."""

    def __init__(self, dataset, batch_sampler: TrainBatchSampler, consumed: Callable[[], tuple[int, int]],
                 **kwargs: Any) -> None:
        super().__init__(dataset, batch_sampler=batch_sampler, **kwargs)
        self.consumed = consumed  # () -> (epoch, batches consumed in it)

    def state_dict(self) -> dict[str, int]:
        epoch, batches = self.consumed()
        return {"epoch": int(epoch), "batches": int(batches)}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.batch_sampler.resume(state["epoch"], state["batches"])
