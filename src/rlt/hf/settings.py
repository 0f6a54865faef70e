"""``RLTSettings``: what a patched Hugging Face VideoMAE does, editable after patching."""

from __future__ import annotations

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
    # The reducer built from the fields above, reused until one of them changes (see plan.current_reducer).
    reducer_cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

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
            opts["tau"] = self.tau  # the reducer checks the value (and that it takes a tau at all)
        return opts
