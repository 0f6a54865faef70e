"""Reducers by name: ``create("random", keep=0.5, seed=0)``."""

from __future__ import annotations

import inspect
from typing import Any, Callable

from .base import Reducer
from .chain import Chain
from .input import RandomReducer, RLTRandomReducer, RLTReducer
from .sta import STAReducer
from .tome import ToMeReducer

REDUCERS: dict[str, type[Reducer]] = {
    "none": Reducer,
    "rlt": RLTReducer,
    "random": RandomReducer,
    "rlt+random": RLTRandomReducer,
    "tome": ToMeReducer,
    "sta": STAReducer,
}
CHAINS: dict[str, tuple[str, str]] = {"rlt+tome": ("rlt", "tome"), "rlt+sta": ("rlt", "sta")}


def available() -> list[str]:
    """Every reducer name :func:`create` accepts."""
    return [*REDUCERS, *CHAINS]


def option_names(name: str) -> list[str]:
    """The options reducer ``name`` takes, in order."""
    if name in CHAINS:
        return [o for part in CHAINS[name] for o in option_names(part)]
    if name not in REDUCERS:
        raise ValueError(f"unknown reducer {name!r}; expected one of {', '.join(available())}")
    return [p for p in inspect.signature(REDUCERS[name].__init__).parameters if p != "self"]


def _build(cls: Callable[..., Reducer], name: str, options: dict[str, Any]) -> Reducer:
    accepted = option_names(name)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        expected = ", ".join(accepted) if accepted else "no options"
        raise ValueError(f"unknown option {unknown[0]!r} for reducer {name!r}; expected {expected}")
    return cls(**options)


def create(name: str, **options: Any) -> Reducer:
    """The reducer called ``name`` with ``options``.

    Names: ``none``, ``rlt`` (``tau``, ``mode``, ``norm``), ``random`` (``keep``,
    ``seed``), ``rlt+random`` (``tau``, ``keep``, ``seed``, ``mode``, ``norm``),
    ``tome`` (``r``, ``proportional``), ``sta`` (``keep``, ``layers``), and the
    chains ``rlt+tome`` / ``rlt+sta`` (the options of both parts). Raises
    ``ValueError`` naming an unknown reducer, an unknown option or a bad value.
    """
    if not isinstance(name, str):
        raise ValueError(f"reducer name must be a string, got {name!r}")
    if name in CHAINS:
        first, then = CHAINS[name]
        ours = set(option_names(first))
        return Chain(
            _build(REDUCERS[first], first, {k: v for k, v in options.items() if k in ours}),
            _build(REDUCERS[then], then, {k: v for k, v in options.items() if k not in ours}),
        )
    if name not in REDUCERS:
        raise ValueError(f"unknown reducer {name!r}; expected one of {', '.join(available())}")
    return _build(REDUCERS[name], name, options)
