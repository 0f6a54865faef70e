"""What the fidelity experiment runs: trainings x intervals x seeds, and the evaluations of each.

Pure data: :func:`plan_runs` lists every ``rlt train`` and ``rlt eval`` call with
its config overrides; :mod:`rlt.experiments.fidelity` executes them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Training variants of the paper's training table: name -> (train reducer, its options, length embedding,
# reducer used at evaluation). Random masking is a training-time drop only, so its models are
# evaluated dense; models trained with RLT are evaluated with RLT at the same tau.
TRAININGS: dict[str, tuple[str, dict, bool, str]] = {
    "none": ("none", {}, False, "none"),
    "rlt": ("rlt", {"tau": 0.1}, False, "rlt"),
    "rlt+len": ("rlt", {"tau": 0.1}, True, "rlt"),
    "random": ("random", {"keep": 0.5}, False, "none"),
    "rlt+random": ("rlt+random", {"tau": 0.1, "keep": 0.5}, False, "rlt"),
    "rlt+random+len": ("rlt+random", {"tau": 0.1, "keep": 0.5}, True, "rlt"),
    "tome": ("tome", {"r": 4}, False, "tome"),
}
TAU = 0.1  # tau of every RLT training and of their evaluation


@dataclass(frozen=True)
class FidelityPlan:
    """The experiment's grid and the (shared) training recipe."""

    trainings: tuple[str, ...] = tuple(TRAININGS)  # training variants (keys of TRAININGS)
    intervals: tuple[int, ...] = (4, 1)  # frame intervals: 4 = standard sampling, 1 = every frame (30 fps)
    seeds: tuple[int, ...] = (0, 1, 2)  # training seeds; rows report mean and spread over them
    taus: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3)  # RLT thresholds applied at inference to the dense model
    epochs: int = 6  # training epochs per run
    num_frames: int = 8  # frames per clip fed to the model
    size: int = 64  # crop side fed to the model (the dataset's frames are resized to it)
    patch_size: int = 8  # ViT patch side (8 px on 64 px frames: objects span 2-3 patches, as at 224 px with 16)
    width: int = 96  # ViT width
    depth: int = 4  # ViT blocks
    heads: int = 3  # attention heads
    batch_size: int = 16  # clips per step
    lr: float = 2e-3  # peak learning rate
    num_workers: int = 1  # DataLoader decoding processes per run
    eval_views: int = 1  # temporal views at evaluation (one centre crop)
    extra: tuple[str, ...] = field(default=())  # more key=value overrides for every rlt train / eval call

    def __post_init__(self) -> None:
        unknown = [t for t in self.trainings if t not in TRAININGS]
        if unknown:
            raise ValueError(f"unknown trainings {unknown}; expected some of {', '.join(TRAININGS)}")
        for name in ("trainings", "intervals", "seeds"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
        if any(i < 1 for i in self.intervals):
            raise ValueError(f"intervals must be >= 1, got {self.intervals}")
        if any(not t >= 0 for t in self.taus):
            raise ValueError(f"taus must be >= 0, got {self.taus}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.size % self.patch_size:
            raise ValueError(f"size={self.size} must be a multiple of patch_size={self.patch_size}")

    def to_dict(self) -> dict:
        return asdict(self)


# --tiny: a two-epoch run of the smallest grid on a handful of clips, for tests and smoke checks.
TINY = dict(trainings=("none", "rlt"), intervals=(2,), seeds=(0,), taus=(0.1,), epochs=2, num_frames=4, size=32,
            patch_size=8, width=32, depth=1, heads=2, batch_size=4, num_workers=0)


@dataclass(frozen=True)
class Run:
    """One ``rlt train`` or ``rlt eval`` call."""

    kind: str  # "train" or "eval"
    key: str  # folder under runs/, unique: interval4/rlt+len/seed0[/eval-rlt-0.1]
    training: str  # training variant (TRAININGS key)
    interval: int
    seed: int
    eval_reducer: str | None = None  # eval runs: reducer name
    eval_tau: float | None = None  # eval runs with rlt: tau

    @property
    def train_key(self) -> str:
        return f"interval{self.interval}/{self.training}/seed{self.seed}"


def _reducer_overrides(prefix: str, name: str, options: dict) -> list[str]:
    return [f"{prefix}.name={name}"] + [f"{prefix}.{k}={v}" for k, v in options.items()]


def plan_runs(plan: FidelityPlan) -> list[Run]:
    """Every run in execution order: each training followed by its evaluations."""
    runs = []
    for interval in plan.intervals:
        for training in plan.trainings:
            for seed in plan.seeds:
                train = Run("train", f"interval{interval}/{training}/seed{seed}", training, interval, seed)
                runs.append(train)
                evals = [(TRAININGS[training][3], TAU if TRAININGS[training][3] == "rlt" else None)]
                if training == "none":  # the inference table: the dense model under RLT at every tau
                    evals += [("rlt", tau) for tau in plan.taus]
                for reducer, tau in dict.fromkeys(evals):
                    suffix = reducer if tau is None else f"{reducer}-{tau:g}"
                    runs.append(Run("eval", f"{train.key}/eval-{suffix}", training, interval, seed, reducer, tau))
    return runs


def overrides(plan: FidelityPlan, run: Run, data_dir: str, runs_dir: str, classes: int) -> list[str]:
    """``key=value`` overrides for ``rlt train`` / ``rlt eval`` (see rlt.train.config)."""
    reducer, options, length_embed, _ = TRAININGS[run.training]
    train_dir = f"{runs_dir}/{run.train_key}"
    common = [
        "model.name=vit-tiny-test", f"model.num_classes={classes}", f"model.width={plan.width}",
        f"model.depth={plan.depth}", f"model.heads={plan.heads}", f"model.patch_size={plan.patch_size}",
        f"model.img_size={plan.size}", f"model.num_frames={plan.num_frames}",
        f"model.length_embed={'true' if length_embed else 'false'}",
        f"data.root={data_dir}", f"data.train_list={data_dir}/train.csv", f"data.val_list={data_dir}/test.csv",
        f"data.num_frames={plan.num_frames}", f"data.interval={run.interval}", f"data.size={plan.size}",
        f"data.short_side={plan.size}", "data.hflip=0.0",  # left/right and (counter)clockwise are the labels
        "data.crop_scale=[0.7,1.0]", f"data.batch_size={plan.batch_size}", f"data.num_workers={plan.num_workers}",
        f"train.seed={run.seed}", "train.val_every=0", f"train.optim.lr={plan.lr}", "train.optim.warmup_epochs=1",
        "train.optim.layer_decay=1.0", "train.augment.mixup=0.0", "train.augment.cutmix=0.0",
        "train.augment.erase=0.0", "train.augment.label_smoothing=0.0",
        f"eval.temporal_views={plan.eval_views}", "eval.spatial_crops=1",
        "trainer.accelerator=auto", "trainer.devices=1", f"trainer.max_epochs={plan.epochs}",
        "trainer.logger=none", "trainer.progress_bar=false", f"out_dir={train_dir}",
    ]
    if run.kind == "train":
        # the run's own reducer also validates during training; eval runs choose theirs
        return common + _reducer_overrides("train.reducer", reducer, {**options, **_seeded(reducer, run.seed)}) \
            + list(plan.extra)
    eval_options = {"tau": run.eval_tau} if run.eval_reducer == "rlt" else (
        options if run.eval_reducer == reducer else {})
    return common + _reducer_overrides("eval.reducer", run.eval_reducer or "none", eval_options) + [
        f"model.checkpoint={train_dir}"] + list(plan.extra)


def _seeded(reducer: str, seed: int) -> dict:
    return {"seed": seed} if reducer in ("random", "rlt+random") else {}
