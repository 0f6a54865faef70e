"""The item-failure policy and the end-of-epoch report: nothing disappears silently."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

POLICIES = ("raise", "skip")


@dataclass(frozen=True)
class ItemFailure:
    """One item that could not be loaded."""

    index: int  # dataset index that failed
    path: str  # its video file
    reason: str  # the decoder's (or sampler's) reason


class TooManyFailures(RuntimeError):
    """Every retry of an item failed; carries the failures so the report stays complete."""

    def __init__(self, failures: list[ItemFailure]) -> None:
        self.failures = failures
        listed = "; ".join(f"{f.path}: {f.reason}" for f in failures)
        super().__init__(f"{len(failures)} attempts to load an item all failed: {listed}")

    def __reduce__(self):  # keep the failures when raised in a DataLoader worker
        return (type(self), (self.failures,))


def check_policy(on_error: str) -> str:
    """Validate an ``on_error`` value."""
    if on_error not in POLICIES:
        raise ValueError(f"on_error must be one of {POLICIES}, got {on_error!r}")
    return on_error


@dataclass
class FailureReport:
    """Collects :class:`ItemFailure` records from batches (they travel inside them, across workers).

    Use: ``report.update(batch)`` for every batch, then ``print(report)`` or
    ``report.as_json()`` at the end of the epoch or command.
    """

    failures: list[ItemFailure] = field(default_factory=list)  # every failure, in arrival order

    def update(self, batch_or_failures: dict[str, Any] | Iterable[ItemFailure]) -> None:
        """Add the ``"failures"`` of a collated batch (or a list of failures)."""
        items = batch_or_failures.get("failures", []) if isinstance(batch_or_failures, dict) else batch_or_failures
        self.failures.extend(items)

    def __len__(self) -> int:
        return len(self.failures)

    def by_path(self) -> dict[str, str]:
        """``path -> reason`` of every file that failed (the last reason seen for each)."""
        return {f.path: f.reason for f in self.failures}

    def as_json(self) -> list[dict[str, str]]:
        """``[{"path", "error"}]`` per failed file, the ``failed`` list of ``rlt stats`` JSON."""
        return [{"path": p, "error": r} for p, r in sorted(self.by_path().items())]

    def __str__(self) -> str:
        if not self.failures:
            return "no failed items"
        counts = Counter(f.path for f in self.failures)
        lines = [f"{len(counts)} file(s) failed ({len(self.failures)} attempts):"]
        lines += [f"  {path} (x{counts[path]}): {reason}" for path, reason in sorted(self.by_path().items())]
        return "\n".join(lines)
