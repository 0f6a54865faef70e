"""Time every CPU-available packed-attention backend against a padded SDPA, forward and forward+backward.

    python benchmarks/attention_cpu.py [--rounds 5] [--out benchmarks/attention_cpu.md]

8 clips of about 800 tokens each (fixed seed), ViT-B widths (12 heads, head_dim 64),
float32, 2 CPU threads. Each round times every method once, forward and then
forward+backward, round-robin so machine noise hits all methods alike (a slow
method only in the first round). The report gives, per method, the median and
the minimum over rounds and their ratios to ``sdpa_loop``: on a machine shared
with other jobs the minimum is the least disturbed measurement. The padded
baseline includes scattering to ``(B, H, L_max, D)`` and gathering back, as a
padded model would have to.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from rlt.attention import BACKENDS, available_backends, math_attention, select_backend
from rlt.ops import cu_seqlens_from, sequence_ids

HEADS, HEAD_DIM, CLIPS, MEAN_TOKENS, SEED, THREADS = 12, 64, 8, 800, 0, 2
SLOW_FACTOR = 4.0  # a method this many times slower than the fastest forward is timed once, to stay under 2 minutes
PASSES = ("forward", "forward+backward")

Attention = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]  # (N, H, D) x3 -> (N, H, D)


def make_batch(seed: int = SEED) -> tuple[torch.Tensor, int, torch.Tensor]:
    """Random sequence lengths around ``MEAN_TOKENS``: ``(seqlens (B,), N, cu_seqlens (B+1,))``."""
    g = torch.Generator().manual_seed(seed)
    seqlens = torch.randint(MEAN_TOKENS - 200, MEAN_TOKENS + 201, (CLIPS,), generator=g)
    return seqlens, int(seqlens.sum()), cu_seqlens_from(seqlens)


def padded_sdpa(seqlens: torch.Tensor) -> Attention:
    """Padded-batch SDPA with a key-padding mask, including the pad and unpad copies."""
    b, l_max = seqlens.numel(), int(seqlens.max())
    seq = sequence_ids(seqlens)  # (N,)
    pos = torch.arange(seqlens.sum()) - cu_seqlens_from(seqlens)[:-1].long()[seq]  # (N,) index within its clip
    key_valid = torch.arange(l_max)[None, :] < seqlens[:, None]  # (B, L_max)
    mask = key_valid[:, None, None, :]  # (B, 1, 1, L_max): every query may see its clip's real keys

    def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        def pad(x: torch.Tensor) -> torch.Tensor:
            out = x.new_zeros(b, l_max, *x.shape[1:])  # (B, L_max, H, D)
            out = out.index_put((seq, pos), x)
            return out.transpose(1, 2)  # (B, H, L_max, D)

        o = F.scaled_dot_product_attention(pad(q), pad(k), pad(v), attn_mask=mask)  # (B, H, L_max, D)
        return o.transpose(1, 2)[seq, pos]  # (N, H, D)

    return attend


def methods(seqlens: torch.Tensor, cu: torch.Tensor) -> dict[str, Attention]:
    """Every backend available on CPU in float32 with grad, plus the padded baseline."""
    max_seqlen = int(seqlens.max())
    out: dict[str, Attention] = {}
    for name in available_backends("cpu", torch.float32, requires_grad=True):
        out[name] = lambda q, k, v, fn=BACKENDS[name]: fn(q, k, v, cu, max_seqlen)
    out["padded SDPA + key mask"] = padded_sdpa(seqlens)
    return out


Samples = dict[str, tuple[list[float], list[float]]]  # method -> (forward seconds, forward+backward seconds)


def time_once(fn: Attention, qkv: list[torch.Tensor], backward: bool) -> float:
    """Wall-clock seconds of one forward (no grad), or one forward + backward of ``out.sum()``."""
    for x in qkv:
        x.grad = None
    start = time.perf_counter()
    if backward:
        fn(*qkv).sum().backward()
    else:
        with torch.no_grad():
            fn(*qkv)
    return time.perf_counter() - start


def warm_up(
    fns: dict[str, Attention], qkv: list[torch.Tensor], cu: torch.Tensor, max_seqlen: int
) -> tuple[dict[str, float], set[str]]:
    """One forward of each method: its largest absolute difference from math, and which methods are slow.

    A method is slow when its forward takes over ``SLOW_FACTOR`` times the fastest;
    the others also get one untimed forward+backward.
    """
    errors, seconds = {}, {}
    with torch.no_grad():
        ref = math_attention(*qkv, cu, max_seqlen)
        for name, fn in fns.items():
            start = time.perf_counter()
            out = fn(*qkv)
            seconds[name] = time.perf_counter() - start
            errors[name] = float((out - ref).abs().max())
    slow = {name for name in fns if seconds[name] > SLOW_FACTOR * min(seconds.values())}
    for name, fn in fns.items():
        if name not in slow:
            time_once(fn, qkv, backward=True)
    return errors, slow


def measure(fns: dict[str, Attention], qkv: list[torch.Tensor], rounds: int, slow: set[str]) -> Samples:
    """Round-robin timings: every method once per round (slow ones in the first round only)."""
    samples: Samples = {name: ([], []) for name in fns}
    for i in range(rounds):
        for name, fn in fns.items():
            if i == 0 or name not in slow:
                samples[name][0].append(time_once(fn, qkv, backward=False))
                samples[name][1].append(time_once(fn, qkv, backward=True))
        timed = [name for name in fns if i == 0 or name not in slow]
        latest = ", ".join(f"{name} {samples[name][0][-1]:.3f} / {samples[name][1][-1]:.3f} s" for name in timed)
        print(f"round {i + 1}/{rounds} (forward / forward+backward): {latest}", flush=True)
    return samples


def cpu_model() -> str:
    """``lscpu``'s model name, or the platform's processor string without lscpu."""
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Model name")]
    return names[0] if names else "unknown"


def report(samples: Samples, errors: dict[str, float], seqlens: torch.Tensor, command: str) -> str:
    """The markdown page: median and minimum seconds, ratios to sdpa_loop, machine and command."""
    base = "sdpa_loop"
    rounds = len(samples[base][0])

    def cells(name: str, pass_: int) -> str:
        mine, ref = samples[name][pass_], samples[base][pass_]
        med, low = statistics.median(mine), min(mine)
        return f"{med:.3f} | {low:.3f} | **{med / statistics.median(ref):.2f}x** / **{low / min(ref):.2f}x**"

    header = " | ".join(f"{p} median s | {p} min s | {p} ratio, median / min" for p in PASSES)
    lines = [
        "# Packed attention on CPU",
        "",
        f"{CLIPS} clips, sequence lengths {seqlens.tolist()} (N = {int(seqlens.sum())}, seed {SEED}), "
        f"{HEADS} heads x head_dim {HEAD_DIM} (ViT-B), float32, `torch.set_num_threads({THREADS})`.",
        "",
        f"Wall-clock seconds over {rounds} round-robin rounds (a method whose forward takes over "
        f"{SLOW_FACTOR:.0f}x the fastest is timed in round 1 only). Ratios are over `{base}` "
        "(lower is faster), of the medians and of the minima. The padded baseline counts its pad and "
        "unpad copies and, like `sdpa_loop`, runs SDPA's fused CPU flash kernel.",
        "",
        f"| method | {header} | max abs diff vs math |",
        "|---" * 8 + "|",
    ]
    for name in samples:
        lines.append(f"| `{name}` | {cells(name, 0)} | {cells(name, 1)} | {errors[name]:.1e} |")
    lines += [
        "",
        f"`auto` on this machine picks `{select_backend('cpu', torch.float32, False)}` for inference and "
        f"`{select_backend('cpu', torch.float32, True)}` for training (`rlt.attention.AUTO_ORDER['cpu']`).",
        "",
        "Not timed here: `flex` (CUDA only: FlexAttention has no CPU backward and compiling it on CPU "
        "takes about 35 s), `flash_varlen` and `xformers` (CUDA only). There is no GPU in the session that "
        "wrote this file, so the CUDA order in `AUTO_ORDER['cuda']` (flash_varlen, xformers, sdpa_nested, "
        "flex, sdpa_loop, math) follows the facts stated in issue 3, not a measurement here.",
        "",
        "The machine is shared with other jobs, so absolute times are noisy; compare the ratios.",
        "",
        f"- CPU: {cpu_model()}, {THREADS} threads",
        f"- torch {torch.__version__}, Python {platform.python_version()}",
        f"- command: `{command}`",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="round-robin timing rounds")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".md"), help="markdown report")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    seqlens, n, cu = make_batch()
    qkv = [torch.randn(n, HEADS, HEAD_DIM, requires_grad=True) for _ in range(3)]  # (N, H, D) each
    fns = methods(seqlens, cu)
    errors, slow = warm_up(fns, qkv, cu, int(seqlens.max()))
    samples = measure(fns, qkv, args.rounds, slow)
    command = "python " + " ".join(sys.argv)
    args.out.write_text(report(samples, errors, seqlens, command))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
