"""Write the generated labelled dataset to disk: encoded clips, Kinetics-style lists, classes and metadata.

Layout of ``OUT_DIR``::

    videos/{split}/{split}_{index:05d}.mp4   the clips (no label in the path)
    {split}.csv                             "path,label,class": path relative to OUT_DIR, integer label
    classes.json                            class names in label order
    synth.json                              settings, versions, codec, per-split counts, every clip's choices
    README.md                               what the dataset is and how it was made

The lists read with :func:`rlt.data.read_video_list` (and ``rlt stats OUT_DIR/train.csv``).
Running again with the same settings into the same folder resumes: clips whose
file exists are kept (files are renamed into place only once complete).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .clip import CAMERAS, ClipSpec, clip_spec, labels_of, render
from .encode import import_av, pick_codec, write_video
from .motion import CLASS_NAMES
from .synth_config import SPLITS, SynthConfig

METADATA = "synth.json"
FORMAT_VERSION = 1


@dataclass
class SynthResult:
    """What a generation run did."""

    out_dir: str  # the dataset folder
    codec: str  # libx264, or mpeg4 where this PyAV has no H.264 encoder
    written: int = 0  # clips encoded by this run
    reused: int = 0  # clips already on disk from an earlier run with the same settings
    failed: list[dict] = field(default_factory=list)  # [{"path", "error"}] clips that could not be made


def clip_path(split: str, index: int) -> str:
    """Path of a clip relative to the dataset folder."""
    return f"videos/{split}/{split}_{index:05d}.mp4"


def plan(config: SynthConfig, codec: str) -> list[ClipSpec]:
    """Every clip of every split, in list order."""
    return [clip_spec(config, split, i, int(label), codec)
            for split in SPLITS for i, label in enumerate(labels_of(config, split))]


def _make(job: tuple[dict, dict, str, str]) -> tuple[int, str | None]:
    """Render and encode one clip (runs in a worker). Returns ``(index, error or None)``."""
    config_dict, spec_dict, codec, path = job
    config, spec = SynthConfig(**config_dict), ClipSpec(**spec_dict)
    try:
        write_video(render(config, spec), path, fps=config.fps, codec=codec, quality=spec.quality)
    except Exception as err:  # noqa: BLE001 - one bad clip is reported, never fatal to the run
        return spec.index, f"{type(err).__name__}: {err}"
    return spec.index, None


def _check_folder(out: Path, config: SynthConfig, codec: str) -> None:
    meta = out / METADATA
    if meta.is_file():
        with open(meta, encoding="utf-8") as f:
            stored = json.load(f)
        previous = stored.get("config")
        if stored.get("codec") != codec:
            raise ValueError(f"{out} holds a dataset encoded with {stored.get('codec')}, not {codec}; "
                             "pick another folder or delete it")
        if previous != config.to_dict():
            changed = sorted(k for k in config.to_dict() if (previous or {}).get(k) != config.to_dict()[k])
            raise ValueError(f"{out} holds a dataset made with other settings (differs in {changed}); "
                             "pick another folder or delete it")
    elif out.is_dir() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty and holds no {METADATA}; pick an empty or new folder")


def _write_json(path: Path, value) -> None:
    tmp = path.with_suffix(path.suffix + ".partial")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def _metadata(config: SynthConfig, codec: str, specs: list[ClipSpec], failed: list[dict], complete: bool) -> dict:
    import rlt

    av = import_av()
    try:
        import skimage

        skimage_version = skimage.__version__
    except ImportError:  # pragma: no cover - rendering already needed it
        skimage_version = None
    splits = {}
    for split in SPLITS:
        labels = [s.label for s in specs if s.split == split]
        cameras = [s.camera for s in specs if s.split == split]
        splits[split] = {"clips": len(labels), "list": f"{split}.csv",
                         "per_class": np.bincount(labels, minlength=config.classes).tolist(),
                         "cameras": {c: cameras.count(c) for c in CAMERAS}}
    return {
        "format": FORMAT_VERSION, "generator": "rlt.experiments.synth", "complete": complete,
        "config": config.to_dict(), "classes": list(config.class_names), "codec": codec,
        "versions": {"rlt": rlt.__version__, "av": av.__version__, "scikit-image": skimage_version},
        "splits": splits, "failed": failed,
        "clips": [{"path": clip_path(s.split, s.index), **s.to_dict()} for s in specs],
    }


def _readme(config: SynthConfig, codec: str) -> str:
    names = ", ".join(config.class_names)
    return f"""# Generated motion-classification dataset

Made by `rlt data synth` (rlt.experiments.synth); see docs/experiments.md in the rlt repository.

- {config.classes} classes, defined only by how the main object moves: {names}.
- Splits: train {config.train}, val {config.val}, test {config.test} clips (lists `train.csv`, `val.csv`,
  `test.csv`: `path,label,class`, paths relative to this folder; `classes.json` gives names by label).
- Clips: {config.frames} frames of {config.size}x{config.size} at {config.fps:g} fps, encoded with {codec}.
- Content: a real photograph from scikit-image as background (static camera, or {100 * config.moving_camera:g}%
  of clips shaking or panning), the class object (a photo texture cut to a shape) and up to
  {config.distractors} smaller distractors wandering at random, Gaussian sensor noise, lossy compression.
- Seed {config.seed}: clip i of a split depends only on (seed, split, i). Every clip's random
  choices are in `synth.json`.
"""


def generate(
    out_dir: str | os.PathLike, config: SynthConfig, *, workers: int = 1, codec: str | None = None,
    on_clip: Callable[[ClipSpec, str | None], None] | None = None,
) -> SynthResult:
    """Generate the dataset described by ``config`` into ``out_dir`` and return what was done.

    ``workers`` processes render and encode clips (the output does not depend on it);
    ``codec`` defaults to :func:`pick_codec`. ``on_clip(spec, error)`` is called once per clip.
    A clip that fails is listed in the result and in ``synth.json`` and left out of the lists;
    the others are still written. Raises ``ValueError`` if ``out_dir`` holds something else.
    """
    from rlt.stats.parallel import ordered_map

    out = Path(out_dir)
    codec = codec or pick_codec()
    _check_folder(out, config, codec)
    specs = plan(config, codec)
    for split in SPLITS:
        (out / "videos" / split).mkdir(parents=True, exist_ok=True)
    _write_json(out / METADATA, _metadata(config, codec, specs, [], complete=False))
    result = SynthResult(str(out), codec)
    todo = []
    for spec in specs:
        path = out / clip_path(spec.split, spec.index)
        if path.is_file():
            result.reused += 1
            if on_clip:
                on_clip(spec, None)
        else:
            todo.append(spec)
    jobs = ((config.to_dict(), s.to_dict(), codec, str(out / clip_path(s.split, s.index))) for s in todo)
    bad: set[tuple[str, int]] = set()
    for spec, (_, error) in zip(todo, ordered_map(_make, jobs, workers=workers)):  # results come back in order
        if error is None:
            result.written += 1
        else:
            bad.add((spec.split, spec.index))
            result.failed.append({"path": clip_path(spec.split, spec.index), "error": error})
        if on_clip:
            on_clip(spec, error)
    for split in SPLITS:
        with open(out / f"{split}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["path", "label", "class"])
            for s in specs:
                if s.split == split and (s.split, s.index) not in bad:
                    writer.writerow([clip_path(s.split, s.index), s.label, s.name])
    _write_json(out / "classes.json", list(config.class_names))
    (out / "README.md").write_text(_readme(config, codec), encoding="utf-8")
    _write_json(out / METADATA, _metadata(config, codec, specs, result.failed, complete=True))
    return result


def read_classes(out_dir: str | os.PathLike) -> list[str]:
    """Class names of a generated dataset, in label order."""
    with open(Path(out_dir) / "classes.json", encoding="utf-8") as f:
        names = json.load(f)
    unknown = [n for n in names if n not in CLASS_NAMES]
    if unknown:
        raise ValueError(f"{out_dir}/classes.json names unknown classes {unknown}")
    return names
