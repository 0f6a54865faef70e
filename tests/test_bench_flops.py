"""rlt.bench.flops: FLOPs of one clip per block, exact against hand counts and PyTorch's counter."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import rlt
from rlt.bench import clip_flops, flops, ideal_speedup, layer_flops
from rlt.models import create_model, preset_config

# vit-tiny-test: D=64, MLP 256, K=3*2*16*16=1536, depth 2, 10 classes.
D, M, K, CLASSES = 64, 256, 1536, 10


def _attention(n: int) -> int:  # qkv, the two quadratic matmuls, output projection
    return 2 * n * D * 3 * D + 2 * n * n * D * 2 + 2 * n * D * D


def _mlp(n: int) -> int:
    return 2 * n * D * M * 2


def test_dense_clip_by_hand():
    c = preset_config("vit-tiny-test")
    n = 8  # every token of a 4x32x32 clip
    embed = 2 * n * K * D  # 1_572_864
    block = 2 * n * 64 * 192 + 2 * n * n * 64 * 2 + 2 * n * 64 * 64 + 2 * n * 64 * 256 * 2  # 802_816
    assert layer_flops(c, [8, 8, 8]) == embed + 2 * block + 2 * D * CLASSES == 3_179_776
    assert flops(c, 8) == 3_179_776


def test_packed_clip_by_hand():
    # An input reducer (RLT, random) keeps 5 of 8 tokens: every block runs on 5.
    c = preset_config("vit-tiny-test")
    hand = 2 * 5 * K * D + 2 * (_attention(5) + _mlp(5)) + 2 * D * CLASSES
    # embed 983_040; per block: attention 122_880 + 6_400 + 40_960, MLP 327_680; head 1_280
    assert hand == 983_040 + 2 * (170_240 + 327_680) + 1_280 == 1_980_160
    assert layer_flops(c, [5, 5, 5]) == flops(c, 5) == 1_980_160


def test_merged_clip_by_hand():
    # ToMe-style: 8 tokens enter block 0, 6 leave it (merged before its MLP), 4 leave block 1.
    c = preset_config("vit-tiny-test")
    hand = 2 * 8 * K * D + _attention(8) + _mlp(6) + _attention(6) + _mlp(4) + 2 * D * CLASSES
    # embed 1_572_864; attention(8) 278_528, MLP(6) 393_216; attention(6) 205_824, MLP(4) 262_144; head 1_280
    assert hand == 1_572_864 + 278_528 + 393_216 + 205_824 + 262_144 + 1_280 == 2_713_856
    assert layer_flops(c, [8, 6, 4]) == hand
    assert layer_flops(c, torch.tensor([8, 6, 4])) == hand
    assert flops(c, 4) < layer_flops(c, [8, 6, 4]) < flops(c, 8)


def test_clip_flops_reads_layer_tokens_columns():
    c = preset_config("vit-tiny-test")
    counts = torch.tensor([[8, 5], [6, 5], [4, 5]])  # (depth+1, B): a merged clip and a packed one
    assert clip_flops(c, counts) == [layer_flops(c, [8, 6, 4]), flops(c, 5)]


def test_layer_flops_rejects_bad_counts():
    c = preset_config("vit-tiny-test")
    with pytest.raises(ValueError, match="depth \\+ 1 = 3"):
        layer_flops(c, [8, 8])
    with pytest.raises(ValueError, match=">= 0"):
        layer_flops(c, [8, -1, 4])


def test_flops_match_pytorchs_counter_on_the_math_backend():
    model = create_model("vit-tiny-test", attention_backend="math").eval()
    x = torch.randn(3, 3, 4, 32, 32)
    x[1, :, 2:] = x[1, :, :1].expand(-1, 2, -1, -1)  # clip 1: every tubelet after the first repeats
    packed = rlt.tokenize(x, tau=0.1)
    assert len(set(packed.seqlens.tolist())) > 1
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(packed)
    assert counter.get_total_flops() == sum(flops(model.config, n) for n in packed.seqlens.tolist())


def test_ideal_speedup():
    c = preset_config("vit-s")
    assert ideal_speedup(c, 1568, 1568) == 1.0
    assert ideal_speedup(c, 1568, 784) > 2.0  # attention is quadratic, so halving tokens more than halves FLOPs
    assert ideal_speedup(c, [1568, 1568], [1568, 784]) == pytest.approx(
        2 * flops(c, 1568) / (flops(c, 1568) + flops(c, 784))
    )
    with pytest.raises(ValueError, match="zero FLOPs"):
        ideal_speedup(preset_config("vit-tiny-test", num_classes=0), 8, 0)
