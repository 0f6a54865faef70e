"""The JSON schemas of ``rlt stats --json`` and ``rlt sweep --json``, shipped as package data."""

from __future__ import annotations

import json
from importlib import resources


def stats_schema() -> dict:
    """JSON Schema (draft 2020-12) of ``rlt stats --json`` output, as DESIGN section 4 states it."""
    return json.loads(resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8"))


def sweep_schema() -> dict:
    """JSON Schema (draft 2020-12) of ``rlt sweep --json`` output."""
    return json.loads(resources.files(__package__).joinpath("sweep_schema.json").read_text(encoding="utf-8"))
