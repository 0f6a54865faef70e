"""rlt.tokenize on CUDA gives the CPU plan exactly and keeps everything on the device (skipped without a GPU)."""

import pytest
import torch

import rlt

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("mode", ["previous", "anchor"])
def test_cuda_matches_cpu_and_stays_on_device(dtype, mode):
    g = torch.Generator().manual_seed(0)
    video = torch.randn(3, 3, 16, 64, 64, generator=g)
    video[:, :, 6:12] = video[:, :, 4:5]  # static stretch so some tokens drop
    video = video.to(dtype)
    cpu = rlt.tokenize(video, tau=0.1, mode=mode)
    gpu = rlt.tokenize(video.cuda(), tau=0.1, mode=mode)
    for field in ("keep", "positions", "lengths", "seqlens", "cu_seqlens", "tokens"):
        value = getattr(gpu, field)
        assert value.device.type == "cuda", field
        assert torch.equal(value.cpu(), getattr(cpu, field)), field
    assert gpu.tokens.dtype == dtype
    assert gpu.max_seqlen == cpu.max_seqlen
