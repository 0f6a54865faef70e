"""Per-video evaluation results: collected on each rank, gathered once, summarised.

Every video index is evaluated by exactly one rank (``ShardBatchSampler``), so
after the gather each video appears once; :func:`summarize` checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.distributed as dist

from rlt.data.failures import FailureReport, ItemFailure

from .multiview import topk_correct, video_loss


@dataclass
class EvalRecords:
    """What one rank saw: one row per video (scores already averaged over its views)."""

    indices: list[int] = field(default_factory=list)  # dataset index of each video
    labels: list[int] = field(default_factory=list)  # its class
    scores: list[torch.Tensor] = field(default_factory=list)  # (K,) mean softmax over its views, on CPU
    tokens: list[float] = field(default_factory=list)  # mean tokens per clip entering the encoder, over its views
    block_tokens: list[float] = field(default_factory=list)  # the same, averaged over the blocks (in-model reducers)
    clips: int = 0  # clips (views) run through the model
    forward_s: float = 0.0  # seconds spent in reducer + model on this rank
    failures: list[ItemFailure] = field(default_factory=list)  # videos that could not be loaded

    def add(self, indices: torch.Tensor, labels: torch.Tensor, scores: torch.Tensor, tokens: torch.Tensor) -> None:
        """Rows for a batch: ``indices, labels (B,)``, ``scores (B, K)``, ``tokens (B,)``."""
        self.indices += indices.tolist()
        self.labels += labels.tolist()
        self.scores += list(scores.detach().float().cpu())
        self.tokens += tokens.float().tolist()


def gather(records: EvalRecords) -> list[EvalRecords]:
    """Every rank's records on every rank (one ``all_gather_object``); just ``[records]`` without DDP."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return [records]
    out: list[EvalRecords | None] = [None] * dist.get_world_size()
    dist.all_gather_object(out, records)
    return out  # type: ignore[return-value]


def summarize(parts: list[EvalRecords], views: int) -> dict:
    """Metrics over all ranks' records: top-1/top-5 (%), loss, counts, tokens per clip, clips/s, failures.

    ``clips_per_s`` is model throughput: the ranks run in parallel, so their rates add up.
    Raises if a video was evaluated twice (a sharding bug, never expected).
    """
    indices = [i for p in parts for i in p.indices]
    if len(set(indices)) != len(indices):
        raise RuntimeError(f"{len(indices) - len(set(indices))} videos were evaluated more than once")
    report = FailureReport()
    for p in parts:
        report.update(p.failures)
    videos = len(indices)
    out = {"videos": videos, "views": views, "clips": sum(p.clips for p in parts)}
    if videos:
        labels = torch.tensor([lab for p in parts for lab in p.labels])
        scores = torch.stack([s for p in parts for s in p.scores])  # (V, K)
        hits = topk_correct(scores, labels, (1, 5))
        out.update(top1=100.0 * hits[1].float().mean().item(), top5=100.0 * hits[5].float().mean().item(),
                   loss=video_loss(scores, labels).mean().item(),
                   tokens_per_clip=sum(t for p in parts for t in p.tokens) / videos)
        blocks = [t for p in parts for t in p.block_tokens]
        out["block_tokens_per_clip"] = sum(blocks) / len(blocks) if blocks else out["tokens_per_clip"]
    else:
        out.update(top1=None, top5=None, loss=None, tokens_per_clip=None, block_tokens_per_clip=None)
    rates = [p.clips / p.forward_s for p in parts if p.forward_s > 0]
    out["clips_per_s"] = sum(rates) if rates else None
    out["failed"] = report.as_json()
    return out
