"""rlt.attention: every backend against the math reference, isolation, dispatch and forcing."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.attention import SDPBackend, sdpa_kernel

from rlt.attention import (
    AUTO_ORDER,
    BACKENDS,
    Backend,
    BackendUnavailableError,
    available_backends,
    math_attention,
    packed_attention,
    select_backend,
)
from rlt.attention import flash_varlen, flex, xformers_fmha
from rlt.attention.sdpa_loop import sdpa_loop_attention
from rlt.ops import cu_seqlens_from, sequence_ids

CPU_BACKENDS = available_backends("cpu", torch.float32, requires_grad=True)
DROPOUT_BACKENDS = available_backends("cpu", torch.float32, requires_grad=False, dropout=True)
CUDA_BACKENDS = ("flash_varlen", "xformers", "sdpa_nested", "flex", "sdpa_loop")
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def packed_qkv(
    seqlens: list[int],
    *,
    heads: int = 2,
    head_dim: int = 8,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
    seed: int = 0,
) -> tuple[list[torch.Tensor], torch.Tensor, int]:
    """Random ``q, k, v (N, heads, head_dim)`` leaves, ``cu_seqlens (B+1,)``, ``max_seqlen``."""
    g = torch.Generator().manual_seed(seed)
    n = sum(seqlens)
    qkv = [torch.randn(n, heads, head_dim, generator=g).to(device, dtype).requires_grad_() for _ in range(3)]
    cu = cu_seqlens_from(torch.tensor(seqlens, dtype=torch.long)).to(device)
    return qkv, cu, max(seqlens, default=0)


def block_diagonal_dense(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, seqlens: list[int]) -> torch.Tensor:
    """Independent reference: one dense ``(H, N, N)`` softmax with cross-sequence scores set to -inf."""
    doc = sequence_ids(torch.tensor(seqlens))  # (N,)
    scores = q.transpose(0, 1) @ k.transpose(0, 1).transpose(-2, -1) / math.sqrt(q.shape[-1])  # (H, N, N)
    scores = scores.masked_fill(doc[:, None] != doc[None, :], float("-inf"))
    return (scores.softmax(-1) @ v.transpose(0, 1)).transpose(0, 1)  # (N, H, D)


def assert_matches_math(name: str, seqlens: list[int], *, seed: int = 0, atol: float = 1e-5) -> None:
    """Forward and q/k/v gradients of backend ``name`` equal the math reference's."""
    qkv, cu, max_len = packed_qkv(seqlens, seed=seed)
    grad_out = torch.randn(sum(seqlens), 2, 8, generator=torch.Generator().manual_seed(seed + 1))
    ref = math_attention(*qkv, cu, max_len)
    ref_grads = torch.autograd.grad((ref * grad_out).sum(), qkv) if ref.numel() else [torch.zeros_like(x) for x in qkv]
    out = packed_attention(*qkv, cu, max_len, backend=name)
    torch.testing.assert_close(out, ref, atol=atol, rtol=atol)
    if out.numel():
        grads = torch.autograd.grad((out * grad_out).sum(), qkv)
        for grad, ref_grad, what in zip(grads, ref_grads, "qkv"):
            torch.testing.assert_close(grad, ref_grad, atol=atol, rtol=atol, msg=lambda m, w=what: f"grad {w}: {m}")


# --- every CPU backend agrees with math -------------------------------------------------------


@pytest.mark.parametrize("name", CPU_BACKENDS)
@pytest.mark.parametrize("seqlens", [[1], [1, 1, 1], [5, 1, 7], [0, 3, 0, 4], [17, 1, 32, 2]])
def test_backend_matches_math_fixed_cases(name: str, seqlens: list[int]) -> None:
    assert_matches_math(name, seqlens)


@pytest.mark.parametrize("name", CPU_BACKENDS)
@settings(max_examples=15, deadline=None)
@given(seqlens=st.lists(st.integers(0, 24), min_size=1, max_size=5), seed=st.integers(0, 2**16))
def test_backend_matches_math_random_batches(name: str, seqlens: list[int], seed: int) -> None:
    assert_matches_math(name, seqlens, seed=seed)


@pytest.mark.parametrize("name", CPU_BACKENDS)
def test_backend_bfloat16_close_to_math(name: str) -> None:
    qkv, cu, max_len = packed_qkv([9, 1, 14], dtype=torch.bfloat16)
    with torch.no_grad():
        out = packed_attention(*qkv, cu, max_len, backend=name)
        ref = math_attention(*qkv, cu, max_len)  # float32 softmax, rounded once at the end
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), ref.float(), atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize("name", CPU_BACKENDS)
def test_custom_scale_matches_math(name: str) -> None:
    qkv, cu, max_len = packed_qkv([6, 3])
    with torch.no_grad():
        out = packed_attention(*qkv, cu, max_len, backend=name, scale=0.7)
        torch.testing.assert_close(out, math_attention(*qkv, cu, max_len, scale=0.7), atol=1e-5, rtol=1e-5)
        assert not torch.allclose(out, math_attention(*qkv, cu, max_len), atol=1e-3)


# --- exact small cases and isolation ----------------------------------------------------------


@pytest.mark.parametrize("name", CPU_BACKENDS)
def test_hand_checked_two_sequences(name: str) -> None:
    # One head, head_dim 1, scale 1. Clip 0 = rows 0-1, clip 1 = row 2.
    # Row 0: scores q*k = [0, ln 3] -> weights [1/4, 3/4] -> 4/4 + 3*8/4 = 7.
    # Row 1: scores [0, 0] -> weights [1/2, 1/2] -> 6. Row 2 sees only itself -> its v, 5.
    q = torch.tensor([[[1.0]], [[0.0]], [[2.0]]])  # (3, 1, 1)
    k = torch.tensor([[[0.0]], [[math.log(3.0)]], [[1.0]]])
    v = torch.tensor([[[4.0]], [[8.0]], [[5.0]]])
    cu = torch.tensor([0, 2, 3], dtype=torch.int32)
    out = packed_attention(q, k, v, cu, 2, backend=name, scale=1.0)
    torch.testing.assert_close(out, torch.tensor([[[7.0]], [[6.0]], [[5.0]]]))


@pytest.mark.parametrize("name", CPU_BACKENDS)
def test_matches_dense_block_diagonal_softmax(name: str) -> None:
    seqlens = [4, 1, 6]
    qkv, cu, max_len = packed_qkv(seqlens, heads=3, head_dim=4)
    with torch.no_grad():
        out = packed_attention(*qkv, cu, max_len, backend=name)
        torch.testing.assert_close(out, block_diagonal_dense(*qkv, seqlens), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", CPU_BACKENDS)
def test_clips_do_not_attend_to_each_other(name: str) -> None:
    (q, k, v), cu, max_len = packed_qkv([5, 4, 3])
    with torch.no_grad():
        before = packed_attention(q, k, v, cu, max_len, backend=name)
        k2, v2 = k.clone(), v.clone()
        k2[5:9] += 3.0 * torch.randn(4, 2, 8)  # perturb clip 1 only
        v2[5:9] += 3.0 * torch.randn(4, 2, 8)
        after = packed_attention(q, k2, v2, cu, max_len, backend=name)
    torch.testing.assert_close(after[:5], before[:5], atol=0, rtol=0)  # clip 0 untouched
    torch.testing.assert_close(after[9:], before[9:], atol=0, rtol=0)  # clip 2 untouched
    assert not torch.allclose(after[5:9], before[5:9])  # clip 1 did see its own change


def test_empty_batch_returns_empty_output() -> None:
    (q, k, v), cu, _ = packed_qkv([0, 0])
    out = packed_attention(q, k, v, cu, 0)
    assert out.shape == (0, 2, 8)


# --- dropout ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DROPOUT_BACKENDS)
def test_dropout_drops_and_rescales(name: str) -> None:
    # Length-1 clips put all weight on one key, so with p = 0.5 each (row, head)
    # output is either 0 (dropped) or 2 * v (kept and rescaled by 1 / (1 - p)).
    (q, k, v), cu, _ = packed_qkv([1] * 64)
    torch.manual_seed(0)
    with torch.no_grad():
        out = packed_attention(q, k, v, cu, 1, backend=name, dropout_p=0.5)
    dropped = (out == 0).all(-1)  # (N, H)
    kept = torch.isclose(out, 2 * v).all(-1)
    assert bool((dropped | kept).all())
    assert 0 < int(dropped.sum()) < dropped.numel()


# --- sdpa_loop gets the fused CPU kernel ------------------------------------------------------


def test_sdpa_loop_uses_fused_cpu_kernel_forward_and_backward() -> None:
    qkv, cu, max_len = packed_qkv([7, 1, 12], heads=4, head_dim=16)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):  # raises if any call needs the math kernel
        sdpa_loop_attention(*qkv, cu, max_len).sum().backward()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        sdpa_loop_attention(*qkv, cu, max_len).sum().backward()
    ops = {event.key for event in prof.key_averages()}
    assert "aten::_scaled_dot_product_flash_attention_for_cpu" in ops
    assert "aten::_scaled_dot_product_flash_attention_for_cpu_backward" in ops
    assert "aten::_scaled_dot_product_attention_math" not in ops


@pytest.mark.filterwarnings("ignore:.*(kernel not used|4 dimensional).*:UserWarning")
def test_three_d_views_would_miss_the_fused_kernel() -> None:
    # The reason sdpa_loop builds 4-D views: the same call on 3-D views cannot use the fused kernel.
    (q, k, v), _, _ = packed_qkv([6])
    q3, k3, v3 = (x.detach().transpose(0, 1) for x in (q, k, v))  # (H, L, D)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION]), pytest.raises(RuntimeError, match="No available kernel"):
        F.scaled_dot_product_attention(q3, k3, v3)


# --- flex's document mask, run eagerly on CPU -------------------------------------------------


def test_flex_document_ids_and_padding() -> None:
    cu = torch.tensor([0, 2, 2, 3], dtype=torch.int32)
    assert flex.document_ids(cu, 5).tolist() == [0, 0, 2, 3, 3]  # clip 1 is empty; padding is id B = 3
    assert [flex.padded_length(n, 1024) for n in (0, 1000, 1024, 1025)] == [1024, 1024, 1024, 2048]


@pytest.mark.filterwarnings("ignore:.*flex_attention called without torch.compile.*:UserWarning")
def test_flex_path_matches_math_eagerly_on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    # flex is CUDA-only (compiled); its padding and document mask are checked here with the
    # eager kernel, forward only (FlexAttention has no CPU backward).
    from torch.nn.attention.flex_attention import flex_attention

    monkeypatch.setattr(flex, "_compiled_flex", lambda: flex_attention)
    monkeypatch.setattr(flex, "BUCKET", 128)
    (q, k, v), cu, max_len = packed_qkv([40, 1, 0, 57])
    with torch.no_grad():
        out = flex.flex_packed_attention(q, k, v, cu, max_len)
        again = flex.flex_packed_attention(q, k, v, cu, max_len)
        torch.testing.assert_close(out, math_attention(q, k, v, cu, max_len), atol=1e-5, rtol=1e-5)
    assert again.shape == out.shape == q.shape


def test_flex_block_mask_is_reused_per_cu_seqlens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flex, "_mask_cache", {})
    cu = torch.tensor([0, 3, 5], dtype=torch.int32)
    first = flex.document_block_mask(cu, 128)
    assert flex.document_block_mask(cu, 128) is first  # same tensor, once per layer -> built once
    assert flex.document_block_mask(cu.clone(), 128) is not first
    cu[1] = 4  # edited in place: the cached mask is stale
    assert flex.document_block_mask(cu, 128) is not first


def test_flex_rejects_dropout() -> None:
    (q, k, v), cu, max_len = packed_qkv([3])
    with pytest.raises(ValueError, match="dropout_p=0.1"):
        flex.flex_packed_attention(q, k, v, cu, max_len, dropout_p=0.1)


# --- dispatch: auto, forcing, errors ----------------------------------------------------------


@pytest.mark.parametrize("requires_grad", [False, True])
def test_auto_on_cpu_picks_measured_fastest(requires_grad: bool) -> None:
    # benchmarks/attention_cpu.md: sdpa_loop is fastest on CPU forward and forward+backward.
    assert select_backend("cpu", torch.float32, requires_grad) == "sdpa_loop"
    assert AUTO_ORDER["cpu"][0] == "sdpa_loop"


def test_available_backends_on_cpu() -> None:
    assert available_backends("cpu", torch.float32, True)[:2] == ["sdpa_loop", "math"]
    assert "flex" not in available_backends("cpu", torch.float32, False)
    assert "flash_varlen" not in available_backends("cpu", torch.bfloat16, False)


def spy_on(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Replace backend ``name`` by a recording wrapper; returns the list it appends ``name`` to."""
    calls: list[str] = []
    real = BACKENDS[name]

    def fn(*args, **kwargs) -> torch.Tensor:
        calls.append(name)
        return real.fn(*args, **kwargs)

    monkeypatch.setitem(BACKENDS, name, Backend(name, fn, real.check))
    return calls


def test_env_var_forces_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy_on(monkeypatch, "math")
    (q, k, v), cu, max_len = packed_qkv([3, 2])
    monkeypatch.setenv("RLT_ATTENTION", "math")
    assert select_backend("cpu", torch.float32, True) == "math"
    packed_attention(q, k, v, cu, max_len)
    assert calls == ["math"]
    packed_attention(q, k, v, cu, max_len, backend="sdpa_loop")  # an explicit argument beats the env
    assert calls == ["math"]


def test_env_var_empty_or_auto_means_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("", "auto"):
        monkeypatch.setenv("RLT_ATTENTION", value)
        assert select_backend("cpu", torch.float32, False) == "sdpa_loop"


def test_unknown_backend_lists_names(monkeypatch: pytest.MonkeyPatch) -> None:
    (q, k, v), cu, max_len = packed_qkv([2])
    with pytest.raises(ValueError, match="'fast'.*sdpa_loop.*flash_varlen"):
        packed_attention(q, k, v, cu, max_len, backend="fast")
    monkeypatch.setenv("RLT_ATTENTION", "flash")
    with pytest.raises(ValueError, match="'flash' \\(from RLT_ATTENTION\\).*math"):
        select_backend("cpu", torch.float32, False)


def test_forced_unavailable_backend_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flash_varlen, "_flash_attn_installed", lambda: False)
    (q, k, v), cu, max_len = packed_qkv([2])
    with pytest.raises(BackendUnavailableError, match=r"pip install flash-attn.*CUDA device.*got .*cpu"):
        packed_attention(q, k, v, cu, max_len, backend="flash_varlen")
    monkeypatch.setenv("RLT_ATTENTION", "flex")
    with pytest.raises(BackendUnavailableError, match=r"RLT_ATTENTION.*flex needs a CUDA device.*got cpu"):
        packed_attention(q, k, v, cu, max_len)
    monkeypatch.setattr(flash_varlen, "_flash_attn_installed", lambda: True)
    with pytest.raises(BackendUnavailableError, match="float16 or bfloat16") as err:
        select_backend("cuda", torch.float32, False, backend="flash_varlen")
    assert "pip install" not in str(err.value)  # only the unmet requirement is named


@pytest.mark.parametrize(
    ("flash", "xformers", "dtype", "dropout", "expected"),
    [
        (True, True, torch.bfloat16, False, "flash_varlen"),
        (True, True, torch.float32, False, "xformers"),  # flash-attn has no fp32
        (True, False, torch.float32, False, "sdpa_nested"),
        (False, False, torch.float16, True, "sdpa_nested"),
    ],
)
def test_auto_cuda_order_with_patched_capabilities(
    monkeypatch: pytest.MonkeyPatch, flash: bool, xformers: bool, dtype: torch.dtype, dropout: bool, expected: str
) -> None:
    # No GPU needed: the choice depends only on the device type and the capability flags.
    monkeypatch.setattr(flash_varlen, "_flash_attn_installed", lambda: flash)
    monkeypatch.setattr(xformers_fmha, "_xformers_installed", lambda: xformers)
    monkeypatch.setattr(flex, "_triton_installed", lambda: True)
    assert select_backend("cuda", dtype, True, dropout=dropout) == expected
    assert select_backend("cpu", dtype, True, dropout=dropout) == "sdpa_loop"  # flags never leak to CPU


def switch_off(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make backend ``name`` report itself unavailable."""
    monkeypatch.setitem(BACKENDS, name, Backend(name, BACKENDS[name].fn, lambda *args: (False, f"{name} off")))


def test_auto_falls_back_when_fused_backends_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flash_varlen, "_flash_attn_installed", lambda: False)
    monkeypatch.setattr(xformers_fmha, "_xformers_installed", lambda: False)
    monkeypatch.setattr(flex, "_triton_installed", lambda: True)
    switch_off(monkeypatch, "sdpa_nested")
    assert select_backend("cuda", torch.bfloat16, True) == "flex"
    assert select_backend("cuda", torch.bfloat16, True, dropout=True) == "sdpa_loop"  # flex has no dropout
    switch_off(monkeypatch, "sdpa_loop")
    assert select_backend("cpu", torch.float32, True) == "math"
    with pytest.raises(BackendUnavailableError, match="sdpa_loop off"):
        select_backend("cpu", torch.float32, True, backend="sdpa_loop")


@pytest.mark.parametrize(
    ("seqlens", "n", "max_seqlen", "dropout_p", "match"),
    [
        ([3, 2], 4, 3, 0.0, "rise from 0 to N=4"),
        ([3, 2], 5, 2, 0.0, "max_seqlen=2 is below the longest sequence \\(3\\)"),
        ([3, 2], 5, 3, 1.0, "dropout_p must be in \\[0, 1\\), got 1.0"),
    ],
)
def test_bad_inputs_are_named(seqlens: list[int], n: int, max_seqlen: int, dropout_p: float, match: str) -> None:
    (q, k, v), cu, _ = packed_qkv(seqlens)
    with pytest.raises(ValueError, match=match):
        packed_attention(q[:n], k[:n], v[:n], cu, max_seqlen, dropout_p=dropout_p)


def test_mismatched_shapes_are_named() -> None:
    (q, k, v), cu, max_len = packed_qkv([3])
    with pytest.raises(ValueError, match=r"\(N, heads, head_dim\); got \(3, 2, 8\), \(3, 16\)"):
        packed_attention(q, k.flatten(1), v, cu, max_len)
    with pytest.raises(ValueError, match="cu_seqlens must be a 1-D int32/int64"):
        packed_attention(q, k, v, cu.float(), max_len)


# --- CUDA (skipped without a GPU) -------------------------------------------------------------


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize("name", CUDA_BACKENDS)
@pytest.mark.parametrize(("dtype", "atol"), [(torch.float32, 2e-5), (torch.bfloat16, 2e-2)])
def test_cuda_backend_matches_math(name: str, dtype: torch.dtype, atol: float) -> None:
    device = torch.device("cuda")
    ok, reason = BACKENDS[name].check(device, dtype, True, False)
    if not ok:
        pytest.skip(reason)
    seqlens = [37, 1, 130, 0, 64]
    qkv, cu, max_len = packed_qkv(seqlens, heads=4, head_dim=64, dtype=dtype, device=device)
    ref = math_attention(*qkv, cu, max_len)
    out = packed_attention(*qkv, cu, max_len, backend=name)
    torch.testing.assert_close(out.float(), ref.float(), atol=atol, rtol=atol)
    grad_out = torch.randn_like(ref)
    ref_grads = torch.autograd.grad((ref * grad_out).sum(), qkv)
    grads = torch.autograd.grad((out * grad_out).sum(), qkv)
    for grad, ref_grad in zip(grads, ref_grads):
        torch.testing.assert_close(grad.float(), ref_grad.float(), atol=10 * atol, rtol=10 * atol)


@pytest.mark.cuda
@needs_cuda
def test_cuda_auto_runs_and_matches_math() -> None:
    qkv, cu, max_len = packed_qkv([50, 1, 77], heads=4, head_dim=64, device="cuda")
    with torch.no_grad():
        out = packed_attention(*qkv, cu, max_len)
        torch.testing.assert_close(out, math_attention(*qkv, cu, max_len), atol=2e-5, rtol=2e-5)
