"""``rlt train``: fine-tune a video ViT with any reducer on Lightning, from a YAML config plus overrides."""

from __future__ import annotations

import argparse
import sys


def add_config_arguments(p: argparse.ArgumentParser) -> None:
    """``--config FILE`` and ``key=value ...`` overrides (shared with ``rlt eval``)."""
    p.add_argument("--config", metavar="FILE", help="YAML config (sections model, data, train, eval, trainer; "
                   "see configs/ and docs/train.md)")
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="dotted overrides on top of the file, e.g. data.batch_size=4 train.reducer.name=rlt "
                   "train.reducer.tau=0.05 model.depth=4; values are YAML (true, 0.1, null)")


def load_or_exit(command: str, args: argparse.Namespace):
    """The config, or ``None`` after printing one line naming the bad key (the caller exits 2)."""
    from rlt.train.config_io import ConfigError, load_config

    try:
        return load_config(args.config, args.overrides)
    except (ConfigError, FileNotFoundError) as err:
        print(f"rlt {command}: {err}", file=sys.stderr)
        return None


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
    config = load_or_exit("train", args)
    if config is None:
        return 2
    try:
        import lightning  # noqa: F401
    except ImportError:
        print("rlt train: needs Lightning: pip install rlt-video[train]", file=sys.stderr)
        return 2
    from rlt.train.reducer import build_reducer

    try:
        build_reducer(config.train.reducer)
        build_reducer(config.eval.reducer)
    except ValueError as err:
        print(f"rlt train: train/eval.reducer: {err}", file=sys.stderr)
        return 2
    for key in ("train_list",):
        if getattr(config.data, key) is None:
            print(f"rlt train: data.{key} is not set", file=sys.stderr)
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
