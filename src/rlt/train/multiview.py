"""Multi-view testing: softmax averaged over each video's views, then top-k; pure functions."""

from __future__ import annotations

import torch


def average_views(logits: torch.Tensor, views: int) -> torch.Tensor:
    """``(B*V, K)`` logits, views of a video adjacent -> ``(B, K)`` mean of the softmax over its ``V`` views.

    Example: one video, two views with logits ``[0, 0]`` and ``[ln 3, 0]``: softmaxes
    ``[.5, .5]`` and ``[.75, .25]`` -> ``[.625, .375]``.
    """
    if logits.dim() != 2 or views < 1 or logits.shape[0] % views:
        raise ValueError(f"logits must be (B*V, K) with V={views} dividing the rows, got {tuple(logits.shape)}")
    probs = logits.float().softmax(-1)  # (B*V, K)
    return probs.reshape(-1, views, logits.shape[1]).mean(1)  # (B, K)


def topk_correct(scores: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> dict[int, torch.Tensor]:
    """``{k: (B,) bool}``: whether the label is among the ``k`` highest scores (``k`` capped at K).

    Ties are broken by ``torch.topk`` (lowest index first on CPU).
    """
    if scores.dim() != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(f"scores (B, K) and labels (B,) expected, got {tuple(scores.shape)}, {tuple(labels.shape)}")
    top = scores.topk(min(max(ks), scores.shape[1]), dim=1).indices  # (B, k)
    hits = top == labels[:, None]  # (B, k)
    return {k: hits[:, :k].any(1) for k in ks}


def video_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``(B,)`` negative log of the averaged probability of the true class (the eval ``loss``)."""
    return -scores.gather(1, labels[:, None]).squeeze(1).clamp_min(1e-12).log()
