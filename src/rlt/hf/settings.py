"""``RLTSettings``: what a patched Hugging Face VideoMAE does, editable after patching."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RLTSettings:
    """The state :func:`rlt.patch` keeps on the model as ``model.rlt``.

    Every field can be changed between calls and the next forward uses it:
    ``model.rlt.tau = 0.05``, ``model.rlt.reducer = "none"``. The class has slots,
    so a misspelt field (``model.rlt.tua = 0.05``) raises instead of being ignored.
    """

    reducer: str = "rlt"  # input reducer by name (rlt.reducers): "rlt", "none", "random", "rlt+random"
    tau: float | None = None  # static threshold, ImageNet-normalised units; None: the reducer's default (0.1)
    options: dict[str, Any] = field(default_factory=dict)  # other reducer options, e.g. {"keep": 0.5}
    length_embed: bool = False  # add the run-length table (exists only if patched with length_embed=True)
    attention_backend: str = "auto"  # rlt.attention backend name, or "auto"
    # Forwards that were on the modules' instances before patching (usually none): unpatch restores them.
    saved_forwards: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def reducer_options(self) -> dict[str, Any]:
        """Options for ``rlt.reducers.create(self.reducer, **options)``; ``tau`` only when set."""
        if not isinstance(self.reducer, str):
            raise ValueError(f"model.rlt.reducer must be a reducer name (str), got {self.reducer!r}")
        if not isinstance(self.options, dict):
            raise ValueError(f"model.rlt.options must be a dict of reducer options, got {self.options!r}")
        if "tau" in self.options:
            raise ValueError("set tau with model.rlt.tau, not inside model.rlt.options")
        opts = dict(self.options)
        if self.tau is not None:
            tau = self.tau
            if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not math.isfinite(tau) or tau < 0:
                raise ValueError(f"model.rlt.tau must be a finite number >= 0 (or None), got {tau!r}")
            opts["tau"] = float(tau)
        return opts
