"""Every attention backend THROUGH the model: what ``VideoViT`` hands a backend is what it must run on.

``tests/test_attention.py`` calls the backends on fresh contiguous q/k/v; the model
passes strided views of one fused projection (``qkv.unbind(1)``), on which
``sdpa_nested`` used to fail (issue 13, defect 2). These tests use only the public
API (``model(video)``, ``model(rlt.tokenize(video))``, ``model(video, reducer=...)``)
so they survive changes to the block signatures.
"""

from __future__ import annotations

import functools

import pytest
import torch

import rlt
from rlt.attention import BACKENDS, available_backends, math_attention, packed_attention
from rlt.models import create_model
from rlt.ops import cu_seqlens_from
from rlt.reducers import create

# Torch's own CPU fallback for jagged SDPA builds a prototype nested tensor internally and warns.
pytestmark = pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors:UserWarning")

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def video(device: str) -> torch.Tensor:
    """Two ``(3, 4, 32, 32)`` clips with some patches frozen over all four frames,
    so ``rlt.tokenize`` gives clips of different lengths (a real ragged batch)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 4, 32, 32, generator=g)
    x[0, :, 1:, :16] = x[0, :, :1, :16]  # clip 0: the top row of patches is static
    x[1, :, 1:, :16, :16] = x[1, :, :1, :16, :16]  # clip 1: only the top-left patch is static
    return x.to(device)


def model_input(how: str, x: torch.Tensor) -> tuple[object, dict]:
    """What the model is called with: ``model(video)``, ``model(rlt.tokenize(video))`` or a reducer."""
    if how == "dense":
        return x, {}
    if how == "tokenized":
        return rlt.tokenize(x), {}
    return x, {"reducer": create(how, **({"r": 2} if how == "tome" else {}))}


def forward_backward(name: str, device: str, how: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Logits and every parameter's gradient of a fixed-seed vit-tiny-test forced onto backend ``name``."""
    torch.manual_seed(0)
    model = create_model("vit-tiny-test", attention_backend=name).to(device)
    inputs, kwargs = model_input(how, video(device))
    logits = model(inputs, **kwargs)
    weights = torch.linspace(-1, 1, logits.numel(), device=device).view_as(logits)
    (logits * weights).sum().backward()
    return logits.detach(), {n: p.grad.detach() for n, p in model.named_parameters() if p.grad is not None}


@functools.lru_cache(maxsize=None)
def math_reference(device: str, how: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """:func:`forward_backward` on the math backend, computed once per input kind."""
    return forward_backward("math", device, how)


def backends_on(device: str) -> list[pytest.param]:
    """Every registered backend; the ones that cannot run here are skipped with the reason."""
    runnable = available_backends(device, torch.float32, requires_grad=True)
    params = []
    for name in BACKENDS:
        marks = [] if name in runnable else [pytest.mark.skip(reason=f"{name} cannot run on {device} here")]
        params.append(pytest.param(device, name, id=f"{device}-{name}", marks=marks))
    return params


# tome merges inside the model: its proportional attention needs a per-key bias, which some
# backends lack; those hand the merged blocks to a bias-capable backend (with a warning).
@pytest.mark.filterwarnings("ignore:.*per-key bias:UserWarning")
@pytest.mark.parametrize("how", ["dense", "tokenized", "rlt", "tome"])
@pytest.mark.parametrize("device, name", [p for d in DEVICES for p in backends_on(d)])
def test_backend_through_model_matches_math(device: str, name: str, how: str) -> None:
    ref_logits, ref_grads = math_reference(device, how)
    logits, grads = forward_backward(name, device, how)
    torch.testing.assert_close(logits, ref_logits, atol=1e-5, rtol=1e-5)
    assert grads.keys() == ref_grads.keys() and len(grads) > 0
    for key, grad in grads.items():
        torch.testing.assert_close(grad, ref_grads[key], atol=1e-5, rtol=1e-5, msg=lambda m, k=key: f"grad {k}: {m}")


def test_tokenized_batch_is_ragged() -> None:
    # The comparison above must cover clips of different lengths, not two full grids.
    seqlens = rlt.tokenize(video("cpu")).seqlens.tolist()
    assert seqlens == [6, 7]  # of 2x2x2 = 8 tokens per clip


@pytest.mark.parametrize("name", available_backends("cpu", torch.float32, requires_grad=True))
def test_backend_accepts_unbound_views_of_a_fused_projection(name: str) -> None:
    # Exactly what Attention.forward builds: (N, 3, H, hd) -> three non-contiguous (N, H, hd) views.
    g = torch.Generator().manual_seed(3)
    qkv = torch.randn(7, 3, 2, 8, generator=g, requires_grad=True)
    q, k, v = qkv.unbind(1)
    assert not q.is_contiguous()
    cu = cu_seqlens_from(torch.tensor([4, 3]))
    out = packed_attention(q, k, v, cu, 4, backend=name)
    ref = math_attention(q, k, v, cu, 4)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    (grad,) = torch.autograd.grad(out.square().sum(), qkv)
    (ref_grad,) = torch.autograd.grad(ref.square().sum(), qkv)
    torch.testing.assert_close(grad, ref_grad, atol=1e-5, rtol=1e-5)
