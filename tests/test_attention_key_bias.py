"""Per-key bias (ToMe's proportional attention) and host sequence lengths in packed_attention."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch.testing import assert_close

from rlt.attention import packed_attention, select_backend
from rlt.attention import dispatch


def qkv(n: int, heads: int = 2, dim: int = 8, seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(n, heads, dim, generator=g) for _ in range(3))


@pytest.mark.parametrize("backend", ["math", "sdpa_loop"])
def test_log_size_bias_equals_attending_to_duplicated_keys(backend) -> None:
    # Clip 0 has rows [a, b] where a stands for 2 tokens; clip 1 has one row c.
    q, k, v = qkv(3)
    sizes = torch.tensor([2.0, 1.0, 1.0])
    out = packed_attention(q, k, v, torch.tensor([0, 2, 3], dtype=torch.int32), 2, backend=backend,
                           key_bias=sizes.log())
    # The same clip with row a written twice (as keys and values), no bias.
    dup = [0, 0, 1, 2]
    ref = packed_attention(q[dup], k[dup], v[dup], torch.tensor([0, 3, 4], dtype=torch.int32), 3, backend="math")
    assert_close(out, ref[[0, 2, 3]], atol=1e-6, rtol=1e-5)


def test_sdpa_loop_bias_matches_math_forward_and_backward() -> None:
    cu = torch.tensor([0, 5, 5, 12, 13], dtype=torch.int32)
    q, k, v = (t.requires_grad_() for t in qkv(13))
    bias = torch.rand(13).add(0.5).log()
    grads = []
    outs = []
    for backend in ("math", "sdpa_loop"):
        out = packed_attention(q, k, v, cu, 7, backend=backend, key_bias=bias, host_seqlens=(5, 0, 7, 1))
        out.square().sum().backward()
        outs.append(out.detach())
        grads.append([t.grad.clone() for t in (q, k, v)])
        for t in (q, k, v):
            t.grad = None
    assert_close(outs[1], outs[0], atol=1e-5, rtol=1e-5)
    for a, b in zip(grads[1], grads[0]):
        assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_host_seqlens_give_the_same_result() -> None:
    q, k, v = qkv(9)
    cu = torch.tensor([0, 4, 9], dtype=torch.int32)
    for backend in ("math", "sdpa_loop"):
        assert_close(packed_attention(q, k, v, cu, 5, backend=backend, host_seqlens=(4, 5)),
                     packed_attention(q, k, v, cu, 5, backend=backend))


def test_auto_picks_a_backend_that_takes_a_bias() -> None:
    assert select_backend("cpu", torch.float32, False, key_bias=True) == "sdpa_loop"


def test_forced_backend_without_bias_falls_back_with_one_warning(monkeypatch) -> None:
    monkeypatch.setattr(dispatch, "_warned_fallbacks", set())
    q, k, v = qkv(6)
    cu = torch.tensor([0, 2, 6], dtype=torch.int32)
    bias = torch.tensor([0.0, 0.7, 0.0, 0.0, 1.1, 0.0])
    with pytest.warns(UserWarning, match="'sdpa_nested' .* takes no per-key bias.*running 'sdpa_loop'"):
        out = packed_attention(q, k, v, cu, 4, backend="sdpa_nested", key_bias=bias)
    assert_close(out, packed_attention(q, k, v, cu, 4, backend="math", key_bias=bias), atol=1e-6, rtol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        packed_attention(q, k, v, cu, 4, backend="sdpa_nested", key_bias=bias)  # warned once per pair
    # without a bias the forced backend runs as asked
    assert select_backend("cpu", torch.float32, False, backend="sdpa_nested") == "sdpa_nested"


def test_key_bias_shape_is_checked() -> None:
    q, k, v = qkv(4)
    with pytest.raises(ValueError, match=r"key_bias must have shape \(4,\)"):
        packed_attention(q, k, v, torch.tensor([0, 4], dtype=torch.int32), 4, key_bias=torch.zeros(3))
