"""YAML files and ``key=value`` overrides onto :class:`RunConfig`; the resolved config back to YAML.

Keys are dotted paths into the dataclasses (``data.batch_size=16``). Two sections
take free keys beside their fields: ``model`` (any ``ViTConfig`` field) and a
reducer (its options beside ``name``). Any other unknown key is a
:class:`ConfigError` naming it. Values are YAML scalars (``true``, ``0.1``, ``null``,
``[1, 2]``).
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from pathlib import Path
from typing import Any

from .config import FORMATS, PLAN_ON, ModelSection, ReducerSpec, RunConfig


class ConfigError(ValueError):
    """A config key or value that does not fit the recipe; the message names the key."""


def _yaml():
    try:
        import yaml
    except ImportError as err:  # pragma: no cover - pyyaml ships with the train extra
        raise ImportError("configs need PyYAML: pip install rlt-video[train]") from err
    return yaml


def parse_value(text: str) -> Any:
    """A command-line value as YAML: ``"0.1" -> 0.1``, ``"true" -> True``, ``"null" -> None``, ``"a" -> "a"``."""
    return _yaml().safe_load(text) if text.strip() else ""


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["data.batch_size=4", "model.depth=2"]`` -> nested dict ``{"data": {"batch_size": 4}, ...}``."""
    nested: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r} is not key=value (e.g. data.batch_size=4)")
        parts = key.strip().split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {key!r}: {part!r} was already given a value")
        node[parts[-1]] = parse_value(value)
    return nested


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge; ``extra`` wins."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def read_yaml(path: str | os.PathLike) -> dict[str, Any]:
    """A config file as a nested dict (an empty file is ``{}``)."""
    with open(path, encoding="utf-8") as f:
        data = _yaml().safe_load(f)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections, got {type(data).__name__}")
    return data


def load_config(path: str | os.PathLike | None = None, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """The file (if any) with ``overrides`` on top, checked: unknown keys and bad values raise :class:`ConfigError`."""
    data = read_yaml(path) if path is not None else {}
    return from_dict(merge(data, parse_overrides(list(overrides))))


def from_dict(data: dict[str, Any]) -> RunConfig:
    """Nested dict -> :class:`RunConfig`, checking every key and value type."""
    config = _build(RunConfig, data, "")
    check(config)
    return config


def _vit_fields() -> set[str]:
    from rlt.models import ViTConfig

    return {f.name for f in dataclasses.fields(ViTConfig)}


def _build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    free: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{prefix}{key}"
        if cls is ModelSection and key == "vit":
            raise ConfigError(f"{where}: set ViTConfig fields directly (model.depth=4), not under model.vit")
        if cls is ReducerSpec and key == "options":
            raise ConfigError(f"{where}: put reducer options beside the name ({prefix}tau=0.1)")
        if key in names:
            values[key] = _coerce(hints[key], value, where)
        elif cls is ModelSection and key in _vit_fields():
            free[key] = value
        elif cls is ReducerSpec:
            free[key] = value
        else:
            known = sorted(names - {"vit", "options"})
            extra = " or any ViTConfig field" if cls is ModelSection else ""
            section = prefix.rstrip(".") or "the top level"
            raise ConfigError(f"unknown config key {where!r}; {section} has {known}{extra}")
    if cls is ModelSection:
        values["vit"] = free
    elif cls is ReducerSpec:
        values["options"] = free
    return cls(**values)


def _coerce(hint: Any, value: Any, where: str) -> Any:
    """Check ``value`` against a field's type hint (ints pass as floats, lists as tuples)."""
    if dataclasses.is_dataclass(hint):
        return _build(hint, value if value is not None else {}, where + ".")
    if hint is Any:
        return value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(arg, value, where)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if errors else f"{where} got {value!r}")
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            raise ConfigError(f"{where} must be a list of {len(args)} values, got {value!r}")
        return tuple(_coerce(a, v, where) for a, v in zip(args, value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a mapping, got {value!r}")
        return dict(value)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):  # YAML 1.1 reads 1e-3 (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint in (str, bool) and isinstance(value, hint):
        return value
    raise ConfigError(f"{where} must be {getattr(hint, '__name__', hint)}, got {value!r}")


def check(config: RunConfig) -> None:
    """Value checks that do not need the data or a model (ranges, names)."""
    from rlt.models import PRESETS

    d, m, tr, ev = config.data, config.model, config.train, config.eval
    if m.name not in PRESETS:
        raise ConfigError(f"model.name {m.name!r} is not a preset; expected one of {sorted(PRESETS)}")
    if m.num_classes < 1:
        raise ConfigError(f"model.num_classes must be >= 1, got {m.num_classes}")
    if d.format not in FORMATS:
        raise ConfigError(f"data.format must be one of {FORMATS}, got {d.format!r}")
    if tr.augment.plan_on not in PLAN_ON:
        raise ConfigError(f"train.augment.plan_on must be one of {PLAN_ON}, got {tr.augment.plan_on!r}")
    for key in ("num_frames", "interval", "size", "batch_size"):
        if getattr(d, key) < 1:
            raise ConfigError(f"data.{key} must be >= 1, got {getattr(d, key)}")
    if d.num_workers < 0:
        raise ConfigError(f"data.num_workers must be >= 0, got {d.num_workers}")
    if d.max_tokens is not None and d.max_tokens < 1:
        raise ConfigError(f"data.max_tokens must be >= 1 or null, got {d.max_tokens}")
    if ev.spatial_crops not in (1, 3):
        raise ConfigError(f"eval.spatial_crops must be 1 or 3, got {ev.spatial_crops}")
    if ev.temporal_views < 1:
        raise ConfigError(f"eval.temporal_views must be >= 1, got {ev.temporal_views}")
    if tr.optim.accumulate < 1:
        raise ConfigError(f"train.optim.accumulate must be >= 1, got {tr.optim.accumulate}")
    if not 0 < tr.optim.layer_decay <= 1:
        raise ConfigError(f"train.optim.layer_decay must be in (0, 1], got {tr.optim.layer_decay}")
    if config.trainer.max_epochs < 1:
        raise ConfigError(f"trainer.max_epochs must be >= 1, got {config.trainer.max_epochs}")
    if config.trainer.logger not in ("csv", "tensorboard", "wandb", "none"):
        raise ConfigError(f"trainer.logger must be csv, tensorboard, wandb or none, got {config.trainer.logger!r}")


def to_dict(config: RunConfig) -> dict[str, Any]:
    """The config as the nested dict a YAML file would hold (ViT fields and reducer options flattened back)."""

    def flat(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj):
            out = {}
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                if isinstance(obj, ModelSection) and f.name == "vit":
                    out.update(value)
                elif isinstance(obj, ReducerSpec) and f.name == "options":
                    out.update(value)
                else:
                    out[f.name] = flat(value)
            return out
        if isinstance(obj, tuple):
            return list(obj)
        return obj

    return flat(config)


def save_config(config: RunConfig, path: str | os.PathLike) -> Path:
    """Write the resolved config as YAML (``rlt train --config`` reads it back unchanged)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_yaml().safe_dump(to_dict(config), sort_keys=False), encoding="utf-8")
    return path
