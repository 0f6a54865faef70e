"""Optional dependencies: import one lazily, or fail with a message naming the extra that installs it.

``rlt`` is installed from its checkout (it is not on PyPI), so every hint reads
``pip install -e ".[EXTRA]"``, run in the checkout's folder.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from types import ModuleType


class MissingExtraError(ImportError):
    """An optional package is missing; ``extra`` names the pyproject extra that installs it."""

    def __init__(self, message: str, *, extra: str) -> None:
        super().__init__(message)
        self.extra = extra


def install_hint(extra: str) -> str:
    """The command that installs ``extra`` from the checkout, e.g. ``pip install -e ".[video]"``."""
    return f'pip install -e ".[{extra}]"'


def import_optional(module: str, extra: str, *, purpose: str = "") -> ModuleType:
    """``import_optional("matplotlib", "viz", purpose="draw plots")`` returns the module.

    A missing package raises :class:`MissingExtraError`, e.g. "matplotlib is needed
    to draw plots; install it from the rlt checkout with `pip install -e ".[viz]"`".
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split(".")[0]
        why = f" to {purpose}" if purpose else ""
        raise MissingExtraError(
            f"{top} is needed{why}; install it from the rlt checkout with `{install_hint(extra)}`", extra=extra
        ) from err


@functools.cache
def installed(module: str) -> bool:
    """Whether ``module`` could be imported, without importing it; looked up once per module.

    The one availability test for optional packages: attention backends call it on
    their first use, decoding backends when one is chosen, never at import.
    """
    return importlib.util.find_spec(module) is not None
