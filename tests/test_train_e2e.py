"""End to end on real video files: training with RLT, bad rows, exact mid-epoch resume, 2-process DDP on CPU.

The dataset is written by ``rlt.train.toy_data`` (h264 files: a square or a disc moving
up or down over a static texture; 4 classes), plus a missing file and a file that is
not a video in both lists.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip("lightning")
pytest.importorskip("av")

from rlt.train import load_config  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    from rlt.train.toy_data import write_toy_dataset

    root = write_toy_dataset(tmp_path_factory.mktemp("toy"), 24, seed=1)  # 20 train, 4 val
    (root / "videos" / "broken.mp4").write_text("not a video\n")
    for split in ("train", "val"):
        with open(root / f"{split}.txt", "a") as f:
            f.write("videos/broken.mp4 1\n" + ("videos/missing.mp4 0\n" if split == "train" else ""))
    return root


def overrides(root: Path, out: Path, *extra: str) -> list[str]:
    return [
        "model.name=vit-tiny-test", "model.num_classes=4", "model.patch_size=8",
        f"data.root={root}", f"data.train_list={root / 'train.txt'}", f"data.val_list={root / 'val.txt'}",
        "data.num_frames=8", "data.interval=2", "data.size=32", "data.crop_scale=[0.5,1.0]", "data.batch_size=4",
        "data.num_workers=0", "train.reducer.name=rlt", "train.reducer.tau=0.1", "eval.reducer.name=rlt",
        "eval.temporal_views=2", "eval.spatial_crops=3", "train.optim.lr=0.003", "train.optim.warmup_epochs=0.5",
        "trainer.accelerator=cpu", "trainer.devices=1", "trainer.progress_bar=false", "trainer.log_every_steps=1",
        f"out_dir={out}", *extra,
    ]


def losses_by_epoch(out: Path) -> dict[int, list[float]]:
    rows = list(csv.DictReader(open(next(out.glob("train/version_*/metrics.csv")))))
    by_epoch: dict[int, list[float]] = {}
    for row in rows:
        if row.get("train/loss"):
            by_epoch.setdefault(int(row["epoch"]), []).append(float(row["train/loss"]))
    return by_epoch


@pytest.mark.slow
def test_training_with_rlt_learns_and_counts_bad_rows(toy, tmp_path, capsys):
    from rlt.cli.main import main
    from rlt.models import from_pretrained

    out = tmp_path / "run"
    config = load_config(None, overrides(toy, out, "trainer.max_epochs=6", "train.augment.mixup=0",
                                         "train.augment.cutmix=0", "train.augment.erase=0", "train.val_every=0"))
    from rlt.train import train

    summary = train(config)
    losses = losses_by_epoch(out)
    first, last = sum(losses[0]) / len(losses[0]), sum(losses[5]) / len(losses[5])
    assert last < first - 0.1, losses
    # RLT dropped tokens in training: 8/2 * 4 * 4 = 64 tokens per dense clip.
    assert all(0 < e["tokens_per_clip"] < 64 for e in summary["epochs"])
    # The two bad rows are reported every epoch and did not stop the run.
    failed = {Path(f["path"]).name for f in summary["failed"][0]}
    assert failed == {"broken.mp4", "missing.mp4"}
    assert (out / "config.yaml").is_file() and load_config(out / "config.yaml") == config
    model = from_pretrained(out / "model" / "model.pt")
    assert model.config.num_classes == 4 and model.config.patch_size == 8

    # rlt eval on the run: every good video once, the broken one listed, exit status 1.
    code = main(["eval", *overrides(toy, out), f"model.checkpoint={out}", "--json", str(tmp_path / "e.json")])
    assert code == 1
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["videos"] == 4 and result["views"] == 6 and result["clips"] == 24
    assert [Path(f["path"]).name for f in result["failed"]] == ["broken.mp4"]
    assert 0 < result["tokens_per_clip"] < 64 and result["clips_per_s"] > 0
    assert result["reducer"] == {"name": "rlt", "options": {"tau": 0.1, "mode": "previous", "norm": "l1"}}
    assert set(result) >= {"top1", "top5", "loss"} and (tmp_path / "e.json.config.yaml").is_file()


@pytest.mark.slow
def test_mid_epoch_resume_ends_with_the_same_weights(toy, tmp_path):
    from rlt.train import train

    # Augmentation, drop path and a worker process on: every random draw must repeat after the resume.
    common = ["trainer.max_epochs=2", "data.num_workers=1", "model.drop_path_rate=0.1", "train.val_every=0"]
    full = load_config(None, overrides(toy, tmp_path / "full", *common))
    train(full)
    # 22 rows, batches of 4: 6 steps per epoch; stop at step 8 (epoch 1, after its 2nd batch), then resume.
    stopped = load_config(None, overrides(toy, tmp_path / "cut", *common, "trainer.max_steps=8",
                                          "train.checkpoint_every_steps=8"))
    train(stopped)
    ckpt = tmp_path / "cut" / "checkpoints" / "step8.ckpt"
    assert ckpt.is_file()
    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    assert state["loops"]["fit_loop"]["state_dict"]["combined_loader"] == [{"epoch": 1, "batches": 2}]
    resumed = load_config(None, overrides(toy, tmp_path / "cut", *common, f"train.resume={ckpt}"))
    summary = train(resumed)
    assert summary["global_step"] == 12
    # Resuming from the end-of-epoch checkpoint must start epoch 1 with epoch 1's order, too.
    again = load_config(None, overrides(toy, tmp_path / "again", *common,
                                        f"train.resume={tmp_path / 'full' / 'checkpoints' / 'epoch0.ckpt'}"))
    train(again)
    a = torch.load(tmp_path / "full" / "model" / "model.pt")["model"]
    for run in ("cut", "again"):
        b = torch.load(tmp_path / run / "model" / "model.pt")["model"]
        assert a.keys() == b.keys()
        for key in a:
            torch.testing.assert_close(b[key], a[key], rtol=0, atol=1e-6, msg=f"{run}: {key}")


def _torchrun(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               OMP_NUM_THREADS="1", PL_DISABLE_FORK="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "rlt.cli.main", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_ddp_two_processes_train_and_evaluate_like_one(toy, tmp_path):
    from rlt.cli.main import main

    out = tmp_path / "ddp"
    ddp = ["trainer.devices=2", "trainer.strategy=ddp", "trainer.max_epochs=1"]
    # Token-budget batches (at most 96 RLT tokens, about 3 clips), counted once by rank 0.
    run = _torchrun(["train", *overrides(toy, out, *ddp, "data.max_tokens=96")], tmp_path)
    assert run.returncode == 1, run.stderr[-3000:]  # trained; 1 because two training rows are broken
    assert "broken.mp4" in run.stderr and (out / "model" / "model.pt").is_file()
    summary = json.loads((out / "train.json").read_text())
    assert summary["global_step"] == summary["epochs"][0]["batches"] >= 4
    assert summary["epochs"][0]["tokens_per_step"] <= 96 * 1.3  # counts are of the centre view; crops vary
    assert len(list((out / "cache").glob("token_counts-*.json"))) == 1

    ev = _torchrun(["eval", *overrides(toy, out, *ddp), f"model.checkpoint={out}", "--json",
                    str(tmp_path / "ddp.json")], tmp_path)
    assert ev.returncode == 1, ev.stderr[-3000:]
    assert main(["eval", *overrides(toy, out), f"model.checkpoint={out}", "--json", str(tmp_path / "one.json")]) == 1
    two, one = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("ddp", "one"))
    assert two["videos"] == one["videos"] == 4 and two["clips"] == one["clips"] == 24
    assert two["failed"] == one["failed"] and len(one["failed"]) == 1
    for key in ("top1", "top5", "loss", "tokens_per_clip"):
        assert two[key] == pytest.approx(one[key], rel=1e-6, abs=1e-9), key
