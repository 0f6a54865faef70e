"""Import an optional dependency, or fail with a message naming the extra that installs it."""

from __future__ import annotations

import importlib
from types import ModuleType


def import_optional(module: str, extra: str, *, purpose: str = "") -> ModuleType:
    """``import_optional("matplotlib", "viz")`` returns the module or raises ``ImportError``.

    The message reads e.g. "matplotlib is needed to draw plots; install it with
    `pip install rlt-video[viz]`".
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split(".")[0]
        why = f" to {purpose}" if purpose else ""
        raise ImportError(f"{top} is needed{why}; install it with `pip install rlt-video[{extra}]`") from err
