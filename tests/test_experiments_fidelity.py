"""The fidelity runner: the plan, the table arithmetic, and a real two-epoch tiny run (slow)."""

from __future__ import annotations

import json

import pytest

from rlt.cli.main import main
from rlt.experiments.fidelity_plan import TINY, TRAININGS, FidelityPlan, overrides, plan_runs
from rlt.experiments.fidelity_table import Stat, build_rows, markdown


def test_the_default_plan_covers_every_row_of_the_issue():
    plan = FidelityPlan()
    runs = plan_runs(plan)
    trains = [r for r in runs if r.kind == "train"]
    assert len(trains) == len(TRAININGS) * 2 * 3  # 7 trainings x intervals 4, 1 x seeds 0, 1, 2
    assert set(TRAININGS) == {"none", "rlt", "rlt+len", "random", "rlt+random", "rlt+random+len", "tome"}
    dense_evals = sorted(r.key.rsplit("/", 1)[1] for r in runs if r.kind == "eval" and r.train_key ==
                         "interval4/none/seed0")
    assert dense_evals == ["eval-none", "eval-rlt-0.05", "eval-rlt-0.1", "eval-rlt-0.2", "eval-rlt-0.3"]
    assert len({r.key for r in runs}) == len(runs)
    # every evaluation comes after its training
    seen = set()
    for r in runs:
        if r.kind == "train":
            seen.add(r.key)
        else:
            assert r.train_key in seen


def test_overrides_match_the_recipe_and_differ_only_where_they_should():
    plan = FidelityPlan()
    runs = {r.key: r for r in plan_runs(plan)}
    rlt = overrides(plan, runs["interval1/rlt+random+len/seed2"], "/d", "/o", 10)
    assert "train.reducer.name=rlt+random" in rlt and "train.reducer.tau=0.1" in rlt
    assert "train.reducer.keep=0.5" in rlt and "train.reducer.seed=2" in rlt
    assert "model.length_embed=true" in rlt and "data.interval=1" in rlt and "data.hflip=0.0" in rlt
    dense = overrides(plan, runs["interval1/none/seed2"], "/d", "/o", 10)
    differ = sorted(set(rlt) ^ set(dense))
    assert all(o.split("=")[0].startswith(("train.reducer", "model.length_embed", "out_dir")) for o in differ)
    ev = overrides(plan, runs["interval4/none/seed0/eval-rlt-0.2"], "/d", "/o", 10)
    assert "eval.reducer.name=rlt" in ev and "eval.reducer.tau=0.2" in ev
    assert "model.checkpoint=/o/interval4/none/seed0" in ev


def test_bad_plans_are_refused():
    with pytest.raises(ValueError, match="unknown trainings"):
        FidelityPlan(trainings=("rlt", "magic"))
    with pytest.raises(ValueError, match="size=60 must be a multiple of patch_size=16"):
        FidelityPlan(size=60, patch_size=16)


def test_stat_is_mean_and_sample_std():
    s = Stat.of([70.0, 72.0, 74.0, None])
    assert (s.mean, s.std, s.n) == (72.0, 2.0, 3)
    assert s.text() == "72.0 ± 2.0"
    assert Stat.of([None]).text() == "-"


def test_rows_count_only_finished_seeds():
    plan = FidelityPlan(trainings=("none",), intervals=(4,), seeds=(0, 1), taus=(0.1,))
    ok = {"status": "ok", "top1": 80.0, "tokens_per_clip": 100.0, "infer_ms_per_clip": 1.0, "train_s": 10.0,
          "train_tokens_per_clip": 256.0}
    results = {"interval4/none/seed0": ok, "interval4/none/seed1": ok,
               "interval4/none/seed0/eval-none": ok, "interval4/none/seed1/eval-none": {**ok, "top1": 90.0},
               "interval4/none/seed0/eval-rlt-0.1": ok,
               "interval4/none/seed1/eval-rlt-0.1": {"status": "failed", "error": "boom"}}
    rows = build_rows(plan, results)
    dense, rlt, trained = rows
    assert (dense.name, dense.seeds, dense.top1.mean) == ("dense", "2/2", 85.0)
    assert (rlt.name, rlt.seeds, rlt.top1.n) == ("RLT tau=0.1", "1/2", 1)
    assert trained.table == "training" and trained.train_tokens.mean == 256.0
    assert "| 4 | RLT tau=0.1 | 1/2 | 80.0 ± 0.0 |" in markdown(rows)


def test_usage_errors(tmp_path, capsys):
    assert main(["experiment", "fidelity", str(tmp_path), "--trainings", "rlt,magic"]) == 2
    assert "unknown trainings ['magic']" in capsys.readouterr().err
    assert main(["experiment", "fidelity", str(tmp_path), "--data", str(tmp_path / "nothing")]) == 2
    assert "not a dataset from `rlt data synth`" in capsys.readouterr().err


@pytest.mark.slow
def test_tiny_run_completes_resumes_and_accounts_for_every_run(tmp_path, capsys):
    pytest.importorskip("lightning")
    pytest.importorskip("skimage")
    out = tmp_path / "fid"
    assert main(["experiment", "fidelity", str(out), "--tiny", "--workers", "1"]) == 0
    report = json.loads((out / "fidelity.json").read_text())
    expected = {r.key for r in plan_runs(FidelityPlan(**TINY))}
    assert set(report["runs"]) == expected and report["failed"] == []
    assert all(r["status"] == "ok" for r in report["runs"].values())
    for key, r in report["runs"].items():
        if r["kind"] == "eval":
            assert 0 <= r["top1"] <= 100 and r["tokens_per_clip"] > 0
        else:
            assert r["epochs"] == 2 and r["train_s"] > 0
    dense = report["runs"]["interval2/none/seed0/eval-none"]["tokens_per_clip"]
    assert dense == (32 // 8) ** 2 * (4 // 2)  # every token of a 4-frame 32 px clip: 16 patches x 2 tubelets
    assert report["runs"]["interval2/none/seed0/eval-rlt-0.1"]["tokens_per_clip"] <= dense
    assert "### Dense-trained model" in (out / "fidelity.md").read_text()
    capsys.readouterr()
    # second call: everything cached
    assert main(["experiment", "fidelity", str(out), "--tiny", "--workers", "1"]) == 0
    assert f"0 run(s) executed, {len(expected)} reused, 0 failed" in capsys.readouterr().out
    # other settings invalidate the cache; a run that fails is listed, the table is still written, exit 1
    assert main(["experiment", "fidelity", str(out), "--tiny", "--workers", "1", "--set", "model.depth=-3"]) == 1
    report = json.loads((out / "fidelity.json").read_text())
    failed = {f["run"] for f in report["failed"]}
    assert "interval2/rlt/seed0" in failed and "interval2/rlt/seed0/eval-rlt-0.1" in failed
    assert "## Failed runs" in (out / "fidelity.md").read_text()
