"""How a backend says whether it can run: ``(ok, reason)`` built from its unmet requirements."""

from __future__ import annotations

import torch

from rlt.optional import installed  # re-exported: the backends' availability test

Capability = tuple[bool, str]  # (can run, why not: empty when it can)


def requirements(name: str, unmet: list[tuple[str, str]]) -> Capability:
    """Fold ``(needed, got)`` pairs of unmet requirements into one ``(ok, reason)``.

    Example: ``requirements("flex", [("a CUDA device", "cpu")])`` ->
    ``(False, "flex needs a CUDA device; got cpu")``; an empty list -> ``(True, "")``.
    """
    if not unmet:
        return True, ""
    needs = [need for need, _ in unmet]
    needs = ", ".join(needs[:-1]) + " and " + needs[-1] if len(needs) > 1 else needs[0]
    gots = ", ".join(got for _, got in unmet)
    return False, f"{name} needs {needs}; got {gots}"


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.float32 -> "float32"``, for error messages."""
    return str(dtype).removeprefix("torch.")
