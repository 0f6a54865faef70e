"""``BenchConfig``: what one ``rlt bench`` run times, one field per concept."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MODES = ("infer", "train")
DEFAULT_REDUCERS = ("none", "rlt", "random", "rlt+random", "tome", "sta")  # the methods the paper compares


@dataclass
class BenchConfig:
    """Settings of a benchmark run; the CLI fills it, ``run_bench`` reads it."""

    reducers: tuple[str, ...] = DEFAULT_REDUCERS  # reducer names; "none" is the baseline and is always timed
    reducer_options: dict[str, dict] = field(default_factory=dict)  # {"tome": {"r": 8}}: options per reducer
    match: bool = True  # random.keep = RLT's kept fraction and tome.r at RLT's GFLOPs, unless given
    modes: tuple[str, ...] = ("infer",)  # "infer" (inference_mode) and/or "train" (forward, backward, AdamW step)
    batch_sizes: tuple[int, ...] = (4,)  # clips per step; each size is its own interleaved group
    attentions: tuple[str, ...] = ("auto",)  # rlt.attention backends requested; each is its own group
    repeats: int = 5  # timed steps of every reducer; ratios are paired per repeat
    warmup: int = 1  # untimed steps of every reducer first (the first one includes compilation)
    device: str = "cpu"  # torch device, e.g. "cpu" or "cuda:0"
    dtype: str | None = None  # autocast dtype; None: bfloat16 on CUDA, float32 (no autocast) elsewhere
    compile: bool = False  # torch.compile the model; the first step's time is reported as compile_s
    with_loader: bool = False  # decode and resize the clips inside every step (data pipeline included)
    memory: bool = True  # one extra untimed step per reducer to measure peak memory
    seed: int = 0  # model init, labels, reducer draws and the interleaving order

    def __post_init__(self) -> None:
        if not self.reducers:
            raise ValueError("reducers must name at least one reducer")
        if "none" not in self.reducers:  # every ratio is against the dense model in the same repeat
            self.reducers = ("none", *self.reducers)
        self.reducers = tuple(dict.fromkeys(self.reducers))
        unknown = [m for m in self.modes if m not in MODES]
        if unknown or not self.modes:
            raise ValueError(f"modes must be among {', '.join(MODES)}, got {list(self.modes)}")
        for name in ("repeats",):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.warmup < 0:
            raise ValueError(f"warmup must be >= 0, got {self.warmup}")
        if not self.batch_sizes or any(b < 1 for b in self.batch_sizes):
            raise ValueError(f"batch sizes must be >= 1, got {list(self.batch_sizes)}")
        if not self.attentions:
            raise ValueError("attentions must name at least one backend (or auto)")
        extra = set(self.reducer_options) - set(self.reducers)
        if extra:
            raise ValueError(f"options given for reducers not run: {', '.join(sorted(extra))}")

    def resolved_dtype(self) -> str:
        """The autocast dtype name, with the device default filled in."""
        if self.dtype is not None:
            return self.dtype
        return "bfloat16" if self.device.startswith("cuda") else "float32"

    def to_dict(self) -> dict:
        return {**asdict(self), "dtype": self.resolved_dtype()}
