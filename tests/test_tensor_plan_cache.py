"""The plan cache for torch tensors (gridgrad._cache): a repeated ``gradient`` on a
plain float or complex tensor reuses its plan; everything whose checks read more than
shape, dtype and device builds its plan every call."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require

torch = require("torch")

import gridgrad  # noqa: E402
from gridgrad import _api, _cache  # noqa: E402


@pytest.fixture
def builds(monkeypatch):
    """The plans built (the cache missed), as (input type name, dtype) pairs."""
    seen = []
    real = _api._build

    def spy(validate, f, *rest):  # type: ignore[no-untyped-def]
        seen.append((type(f).__name__, getattr(f, "dtype", None)))
        return real(validate, f, *rest)

    monkeypatch.setattr(_api, "_build", spy)
    _cache.PLANS.clear()
    return seen


def _same(got, expected) -> None:  # type: ignore[no-untyped-def]
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
        assert torch.equal(a, b)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.complex64])
def test_repeated_tensor_calls_build_one_plan(builds, dtype) -> None:
    x = torch.randn(6, 7, dtype=dtype)
    for k in range(3):
        y = x * (k + 1)  # new values, the same shape and dtype
        got = gridgrad.gradient(y, spacing=0.5, dim=(0, 1))
        with gridgrad.use_engine("reference"):  # the same plan, run on torch's operations
            expected = gridgrad.gradient(y, spacing=0.5, dim=(0, 1))
        _same(got, expected)
        _same(got, torch.gradient(y, spacing=0.5, dim=(0, 1)))
    assert builds == [("Tensor", dtype)]
    # autograd through a cached plan
    xg = x.clone().requires_grad_(True)
    sum(g.abs().sum() for g in gridgrad.gradient(xg, spacing=0.5, dim=(0, 1))).backward()
    assert xg.grad is not None and len(builds) == 1


def test_shape_dtype_device_and_arguments_key_apart(builds) -> None:
    x = torch.randn(5, 4, dtype=torch.float64)
    calls = [
        lambda: gridgrad.gradient(x),
        lambda: gridgrad.gradient(x[:4]),  # another shape
        lambda: gridgrad.gradient(x.float()),  # another dtype
        lambda: gridgrad.gradient(x.to("meta")),  # another device
        lambda: gridgrad.gradient(x, dim=1),
        lambda: gridgrad.gradient(x, spacing=2.0),
        lambda: gridgrad.gradient(x, edge_order=2),
    ]
    for call in calls + calls:
        call()
    assert len(builds) == len(calls)
    meta = gridgrad.gradient(x.to("meta"))
    assert all(g.device.type == "meta" for g in meta)


def test_what_stays_uncached(builds) -> None:
    """Integer tensors (their values are checked for overflow every call), tensor
    subclasses (parameters, torch's own wrappers), sparse tensors and tensor
    spacing build their plan every time."""
    ints = torch.arange(12).reshape(3, 4)
    param = torch.nn.Parameter(torch.randn(3, 4, dtype=torch.float64))
    coords = torch.tensor([0.0, 1.0, 3.0], dtype=torch.float64)
    for _ in range(2):
        gridgrad.gradient(ints)
        gridgrad.gradient(param)
        gridgrad.gradient(param.detach(), spacing=(coords,), dim=0)
    assert len(builds) == 6
    huge = torch.tensor([0, 2**62, -(2**62)], dtype=torch.int64)
    gridgrad.gradient(torch.tensor([0, 1, 2], dtype=torch.int64))
    with pytest.raises(ValueError, match=r"int64"):
        gridgrad.gradient(huge)  # the same shape and dtype: still checked
    sparse = torch.eye(3, dtype=torch.float64).to_sparse()
    for _ in range(2):
        with pytest.raises((TypeError, ValueError, RuntimeError, NotImplementedError)):
            gridgrad.gradient(sparse)


def test_errors_after_a_cached_tensor_call(builds) -> None:
    x = torch.randn(5, 4, dtype=torch.float64)
    gridgrad.gradient(x)
    gridgrad.gradient(x)
    with pytest.raises(TypeError, match="`out` is supported for NumPy input only"):
        gridgrad.gradient(x, out=(np.empty((5, 4)), np.empty((5, 4))))
    with pytest.raises(IndexError, match="`dim` 2 is out of range"):
        gridgrad.gradient(x, dim=2)
    assert len(builds) == 1 + 2  # the two refused calls checked their arguments


def test_calculus_helpers_get_tensor_calls_right(builds) -> None:
    """``checked`` (behind the calculus functions) hands a cached tensor plan on with
    the tensor's library: results stay tensors."""
    x = torch.randn(6, 5, dtype=torch.float64)
    for _ in range(2):
        call = _api.checked(_api.gradient_request, x, None, None, (2, None, "one-sided", None))
        assert call.library is _api.Library.ARRAY_API and call.f is x
    got = _api.run(call.plan, call.f, call.library)
    _same(got, gridgrad.gradient(x))


def test_calculus_functions_reuse_tensor_plans(builds) -> None:
    x = torch.randn(7, 6, dtype=torch.float64, requires_grad=True)
    results = [gridgrad.laplacian(x, spacing=0.5)]
    first = len(builds)
    assert first >= 1
    for _ in range(3):
        results.append(gridgrad.laplacian(x, spacing=0.5))
    assert len(builds) == first  # nothing built again
    with gridgrad.use_engine("reference"):
        expected = gridgrad.laplacian(x, spacing=0.5)
    assert all(torch.equal(r, expected) for r in results)
    results[-1].sum().backward()
    assert x.grad is not None
