"""The training / evaluation recipe as dataclasses: one section per concept, one commented field per knob.

YAML files and ``key=value`` overrides map onto these (see :mod:`rlt.train.config_io`).
Defaults follow the public VideoMAE / RLT fine-tuning recipe for ViT-B on Kinetics-400.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FORMATS = ("list", "ssv2", "folders")
PLAN_ON = ("augmented", "clean")


@dataclass
class ModelSection:
    """Which network, and where its weights come from.

    Besides these fields, any :class:`rlt.models.ViTConfig` field may be set here
    (``model.depth=4``, ``model.length_embed=true``); they land in ``vit``.
    """

    name: str = "vit-b"  # preset from rlt.models.PRESETS (architecture when checkpoint is None)
    num_classes: int = 400  # classes of the new head (the checkpoint's head is dropped if it differs)
    checkpoint: str | None = None  # train: initial weights; eval: weights to evaluate (file, HF folder or run dir)
    vit: dict[str, Any] = field(default_factory=dict)  # ViTConfig fields set on top of the preset / checkpoint


@dataclass
class DataSection:
    """Where the videos are and how clips are cut (see docs/data.md)."""

    root: str | None = None  # folder the list paths are relative to (SSv2: the video folder)
    format: str = "list"  # "list" (Kinetics-style list/CSV), "ssv2" (JSON + labels), "folders" (root/<class>/*)
    train_list: str | None = None  # training list (format "folders": a folder of class folders)
    val_list: str | None = None  # evaluation list (format "folders": a folder of class folders)
    labels: str | None = None  # SSv2 labels.json (format "ssv2")
    num_frames: int = 16  # frames per clip (segments when sampling="segments")
    interval: int = 4  # step between sampled frames
    fps: float | None = None  # resample by timestamp to this rate first (high-FPS runs: 30 with interval 1)
    sampling: str = "kinetics"  # "kinetics" (frames every `interval`) or "segments" (SSv2: one frame per segment)
    size: int = 224  # crop side fed to the model
    short_side: int | None = None  # eval: shorter side resized to this before cropping (None: = size)
    hflip: float = 0.5  # train flip probability; 0 for SSv2 (left/right is the label)
    crop_scale: tuple[float, float] = (0.08, 1.0)  # train random-resized-crop area range (fraction of the frame)
    batch_size: int = 8  # clips per device per step (ignored when max_tokens is set)
    max_tokens: int | None = None  # token budget per device batch instead of a fixed clip count
    num_workers: int = 4  # DataLoader worker processes (decoding runs there)
    backend: str | None = None  # decoding backend (None: $RLT_VIDEO_BACKEND, else auto)
    synthetic: int = 0  # >0: if train_list does not exist, write this many generated videos there first


@dataclass
class ReducerSpec:
    """A reducer by name with its options beside it (``train.reducer.tau=0.05``)."""

    name: str = "none"  # none, rlt, random, rlt+random, tome, sta (see rlt.reducers)
    options: dict[str, Any] = field(default_factory=dict)  # passed to rlt.reducers.create(name, **options)


@dataclass
class OptimSection:
    """AdamW with layer-wise lr decay and a cosine schedule with warm-up."""

    lr: float = 1.5e-3  # peak learning rate for the total batch (no automatic scaling)
    min_lr: float = 1e-6  # learning rate at the end of the cosine
    warmup_epochs: float = 5.0  # linear warm-up from 0, in epochs
    weight_decay: float = 0.05  # AdamW decoupled weight decay (not on biases, norms, embeddings tables)
    betas: tuple[float, float] = (0.9, 0.999)  # AdamW betas
    layer_decay: float = 0.75  # lr of block i is lr * layer_decay**(depth - i); 1.0 turns it off
    clip_grad: float | None = None  # clip the gradient norm to this (None: off)
    accumulate: int = 1  # batches per optimizer step


@dataclass
class AugmentSection:
    """Batch augmentation on normalised float clips, on the device."""

    mixup: float = 0.8  # mixup Beta alpha; 0 turns mixup off
    cutmix: float = 1.0  # CutMix Beta alpha; 0 turns CutMix off
    mix_prob: float = 1.0  # chance a batch is mixed at all
    switch_prob: float = 0.5  # chance of CutMix instead of mixup when both are on
    label_smoothing: float = 0.1  # label smoothing of the (mixed) targets
    erase: float = 0.25  # random-erasing probability per clip (VideoMAE: 0.25)
    # Where the reducer's plan is computed: "augmented" (on the clip the model sees; default,
    # see docs/train.md) or "clean" (before mixing/erasing, then applied to the augmented pixels).
    plan_on: str = "augmented"


@dataclass
class TrainSection:
    """What changes the model during training."""

    reducer: ReducerSpec = field(default_factory=ReducerSpec)  # reducer used in training steps
    optim: OptimSection = field(default_factory=OptimSection)
    augment: AugmentSection = field(default_factory=AugmentSection)
    seed: int = 0  # data order, clips, augmentation and dropout all derive from it
    val_every: int = 1  # epochs between single-view validations (0: never)
    checkpoint_every_steps: int = 0  # also save a mid-epoch checkpoint every N optimizer steps (0: epochs only)
    resume: str | None = None  # Lightning checkpoint to resume, or "last" for out_dir/checkpoints/last.ckpt


@dataclass
class EvalSection:
    """Multi-view testing."""

    reducer: ReducerSpec = field(default_factory=ReducerSpec)  # reducer used at evaluation
    temporal_views: int = 5  # clips per video, starts spread evenly (deterministic)
    spatial_crops: int = 3  # 3 (start/centre/end of the longer side) or 1 (centre)
    batch_size: int | None = None  # videos per device per step (None: data.batch_size)


@dataclass
class TrainerSection:
    """Passed to ``lightning.Trainer``: devices, precision, length, logging."""

    accelerator: str = "auto"  # "cpu", "gpu", "auto"
    devices: Any = "auto"  # number of devices, a list of ids, or "auto"
    num_nodes: int = 1  # nodes (torchrun / SLURM set ranks)
    strategy: str = "auto"  # "auto", "ddp", "fsdp", ...
    precision: str | None = None  # None: "bf16-mixed" on GPU, "32-true" on CPU
    max_epochs: int = 30  # epochs of the cosine schedule (K400 recipe: 30 for ViT-B)
    max_steps: int = -1  # stop after this many optimizer steps (-1: run every epoch); the schedule keeps max_epochs
    grad_checkpointing: bool = False  # recompute block activations in backward
    logger: str = "csv"  # "csv", "tensorboard", "wandb", or "none"
    log_every_steps: int = 10  # how often metrics are logged
    progress_bar: bool = True  # Lightning's progress bar on a terminal
    deterministic: bool = False  # torch deterministic algorithms (slower on GPU)


@dataclass
class RunConfig:
    """Everything ``rlt train`` and ``rlt eval`` need."""

    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    train: TrainSection = field(default_factory=TrainSection)
    eval: EvalSection = field(default_factory=EvalSection)
    trainer: TrainerSection = field(default_factory=TrainerSection)
    out_dir: str = "runs/rlt"  # checkpoints, logs, exported model, resolved config, eval JSON
