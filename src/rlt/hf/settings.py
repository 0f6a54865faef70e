"""``RLTSettings``: what a patched Hugging Face VideoMAE does, editable after patching."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rlt.reducers import option_names


@dataclass(slots=True)
class RLTSettings:
    """The state :func:`rlt.patch` keeps on the model as ``model.rlt``.

    Every field can be changed between calls and the next forward uses it:
    ``model.rlt.tau = 0.05``, ``model.rlt.reducer = "none"``. The class has slots,
    so a misspelt field (``model.rlt.tua = 0.05``) raises instead of being ignored.
    """

    reducer: str = "rlt"  # input reducer by name (rlt.reducers): "rlt", "none", "random", "rlt+random"
    # Static threshold in ImageNet-normalised units, for the reducers that take one (rlt, rlt+random; the
    # others ignore it, so model.rlt.reducer = "none" needs no other change); None: the reducer's default, 0.1.
    tau: float | None = None
    options: dict[str, Any] = field(default_factory=dict)  # other reducer options, e.g. {"keep": 0.5}
    length_embed: bool = False  # add the run-length table (exists only if patched with length_embed=True)
    attention_backend: str = "auto"  # rlt.attention backend name, or "auto"
    # Forwards that were on the modules' instances before patching (usually none): unpatch restores them.
    saved_forwards: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # The reducer built from the fields above, reused until one of them changes (see plan.current_reducer).
    reducer_cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def reducer_options(self) -> dict[str, Any]:
        """Options for ``rlt.reducers.create(self.reducer, **options)``; ``tau`` when set and the reducer takes it."""
        if not isinstance(self.reducer, str):
            raise ValueError(f"model.rlt.reducer must be a reducer name (str), got {self.reducer!r}")
        if not isinstance(self.options, dict):
            raise ValueError(f"model.rlt.options must be a dict of reducer options, got {self.options!r}")
        if "tau" in self.options:
            raise ValueError("set tau with model.rlt.tau, not inside model.rlt.options")
        opts = dict(self.options)
        if self.tau is not None and "tau" in option_names(self.reducer):  # option_names rejects unknown names
            opts["tau"] = self.tau  # the reducer checks the value
        return opts
