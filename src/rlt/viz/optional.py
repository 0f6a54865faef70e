"""Re-export of :func:`rlt.optional.import_optional` for code written before it moved there."""

from rlt.optional import import_optional

__all__ = ["import_optional"]
