"""``rlt train``: fine-tune a video ViT with any reducer on Lightning, from a YAML config plus overrides."""

from __future__ import annotations

import argparse
import os
import sys


def add_config_arguments(p: argparse.ArgumentParser) -> None:
    """``--config FILE`` and ``key=value ...`` overrides (shared with ``rlt eval``)."""
    p.add_argument("--config", metavar="FILE", help="YAML config (sections model, data, train, eval, trainer; "
                   "see configs/ and docs/train.md)")
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="dotted overrides on top of the file, e.g. data.batch_size=4 train.reducer.name=rlt "
                   "train.reducer.tau=0.05 model.depth=4; values are YAML (true, 0.1, null)")


def usage_error(command: str, message: str) -> int:
    """One line naming the problem, exit status 2."""
    print(f"rlt {command}: error: {message}", file=sys.stderr)
    return 2


def load_or_exit(command: str, args: argparse.Namespace, needed: tuple[str, ...]):
    """The checked config, or ``None`` after one line naming the bad key or missing file (the caller exits 2).

    ``needed``: ``data.*`` / ``model.*`` keys that must be set and, for list files, exist.
    """
    from rlt.train.config_io import ConfigError, load_config
    from rlt.train.reducer import build_reducer

    try:
        config = load_config(args.config, args.overrides)
    except (ConfigError, FileNotFoundError) as err:
        usage_error(command, str(err))
        return None
    for which in ("train", "eval"):
        try:
            build_reducer(getattr(config, which).reducer)
        except ValueError as err:
            usage_error(command, f"{which}.reducer: {err}")
            return None
    for key in needed:
        section, name = key.split(".")
        if getattr(getattr(config, section), name) is None:
            usage_error(command, f"{key} is not set")
            return None
    for name in ("train_list", "val_list", "labels"):
        value = getattr(config.data, name)
        if value is not None and not config.data.synthetic and not os.path.exists(value):
            usage_error(command, f"data.{name}: {value} does not exist")
            return None
    return config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="fine-tune a video ViT (any preset or checkpoint, any reducer) with Lightning",
        description="Train with Lightning: devices, DDP/FSDP (torchrun or SLURM), bf16 on GPU, checkpoints, "
        "CSV/TensorBoard/W&B logs. Writes under out_dir: config.yaml (the resolved config), checkpoints/, "
        "train/ logs, model/model.pt + config.json (loadable with rlt.models.from_pretrained) and train.json. "
        "Exit status: 0 done, 1 done but some videos failed to load (listed), 2 usage error.",
    )
    add_config_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import lightning  # noqa: F401
    except ImportError:
        return usage_error("train", "needs Lightning: pip install rlt-video[train]")
    config = load_or_exit("train", args, ("data.train_list",))
    if config is None:
        return 2
    from rlt.train.run import train

    summary = train(config)
    failed = sorted({f["path"] for epoch in summary["failed"] for f in epoch})
    if summary.get("model"):
        print(f"exported {summary['model']} (rlt.models.from_pretrained reads it)")
    if failed:
        print(f"{len(failed)} video(s) failed to load and were replaced by others: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    return 0
