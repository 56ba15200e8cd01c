"""Eager calls on torch tensors: without autograd to record, a CPU tensor's call runs
on the NumPy path over the tensor's memory (the small-array engine or the kernels,
by size); with it, the kernels' operators run as plain calls inside the autograd
Function. Wherever a transform, mode or tracer could see the call, the operators go
through torch's dispatcher as before. Same bits either way."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

import gridgrad  # noqa: E402
from gridgrad import _api, _engines  # noqa: E402
from gridgrad._engines.numba import MIN_SIZE, loader, tensors  # noqa: E402
from gridgrad._request import gradient_request  # noqa: E402


@pytest.fixture(autouse=True)
def _kernels_loaded() -> None:
    loader.load()  # else a first large call runs without the kernels (by design)


def _engine_of(x, **kwargs):  # type: ignore[no-untyped-def]
    call = _api.checked(gradient_request, x, kwargs.get("dim"), kwargs.get("spacing"),
                        (2, kwargs.get("edge_order"), "one-sided", None))  # fmt: skip
    return _engines.select(call.plan, call.f)


def _bits(t):  # type: ignore[no-untyped-def]
    a = t.detach().numpy()
    return a.view(np.uint8 if a.dtype.itemsize == 1 else f"u{min(a.dtype.itemsize, 8)}")


def _same(ours, theirs) -> None:  # type: ignore[no-untyped-def]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert type(a) is torch.Tensor and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(_bits(a), _bits(b))


def _values(shape, dtype, seed=0):  # type: ignore[no-untyped-def]
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, dtype=torch.float64, generator=g)
    if dtype.is_complex:
        x = torch.complex(x, torch.randn(*shape, dtype=torch.float64, generator=g))
    return x.to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.complex64, torch.complex128])  # fmt: skip
@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((64, 64), {}),
        ((5, 6, 7), {"spacing": 0.3, "edge_order": 2}),
        ((5, 6, 7), {"spacing": (2.0, 0.5), "dim": (0, 2)}),
        ((1, 3, 32, 40), {"dim": (2, 3), "edge_order": 2}),
        ((MIN_SIZE // 512, 512), {"spacing": 0.25}),  # the kernels' size
        ((40,), {"dim": -1}),
    ],
)
def test_bitwise_torch_gradient_on_the_numpy_path(dtype, shape, kwargs) -> None:
    x = _values(shape, dtype)
    before = x.clone()
    engine = _engine_of(x, **kwargs)
    assert type(engine).__name__ == "_AsTensors"
    assert engine.name == ("numba" if x.numel() >= MIN_SIZE else "small")
    ours = gridgrad.gradient(x, **kwargs)
    _same(ours, torch.gradient(x, **kwargs))
    with gridgrad.use_engine("numba"):  # the kernels' tensor path (operators)
        _same(ours, gridgrad.gradient(x, **kwargs))
    assert all(not g.requires_grad for g in ours)
    assert torch.equal(x, before)


@pytest.mark.parametrize("dtype", [torch.float32, torch.complex64])
def test_what_the_small_engine_does_not_compile_keeps_the_tensor_path(dtype) -> None:
    """Periodic axes on a small tensor: the NumPy path would take its reference
    engine, whose NumPy type promotion is not torch's (a float32 tensor came back
    float64 from the sphere's functions), so the tensor keeps its own path."""
    x = _values((12, 10), dtype)
    engine = _engine_of(x, dim=1)
    assert type(engine).__name__ == "_AsTensors"
    call = _api.checked(gradient_request, x, None, None, (2, None, "periodic", None))
    assert _engines.select(call.plan, call.f).name == "reference"  # torch's operations
    ours = gridgrad.gradient(x, boundary="periodic", spacing=0.1)
    with gridgrad.use_engine("reference"):
        _same(ours, gridgrad.gradient(x, boundary="periodic", spacing=0.1))
    assert all(g.dtype == dtype for g in ours)


def test_lazy_conjugate_and_negative_views() -> None:
    x = _values((30, 20), torch.complex128)
    for view in (x.conj(), torch._neg_view(x)):
        assert view.is_conj() or view.is_neg()
        _same(gridgrad.gradient(view), torch.gradient(view.resolve_conj().resolve_neg()))


def test_no_grad_on_a_tensor_that_requires_grad() -> None:
    x = _values((64, 64), torch.float32).requires_grad_(True)
    with torch.no_grad():
        assert type(_engine_of(x)).__name__ == "_AsTensors"
        ours = gridgrad.gradient(x)
    _same(ours, torch.gradient(x.detach()))
    assert all(g.grad_fn is None for g in ours)


def _eager_inside(fn, *args):  # type: ignore[no-untyped-def]
    """Whether the operators would run as plain calls on the tensor ``fn`` gets."""
    seen = []

    def probe(t):  # type: ignore[no-untyped-def]
        seen.append(tensors._eager((t,)))
        return t.sum()

    fn(probe, *args)
    return seen


def test_nothing_that_records_or_intercepts_takes_the_plain_call() -> None:
    from torch._subclasses.fake_tensor import FakeTensorMode

    x = _values((4, 5), torch.float32)
    assert tensors._eager((x,))
    assert not tensors._eager((x.clone().requires_grad_(True),))
    assert not tensors._eager((torch.nn.Parameter(x.clone()),))  # a subclass
    assert _eager_inside(lambda f, v: torch.func.vmap(f)(v), x) == [False]
    assert _eager_inside(lambda f, v: torch.func.grad(f)(v), x) == [False]
    with warnings.catch_warnings():  # torch.func.jvp scripts a helper on first use
        warnings.simplefilter("ignore", DeprecationWarning)
        assert _eager_inside(lambda f, v: torch.func.jvp(f, (v,), (v,)), x) == [False]
    with torch.autograd.forward_ad.dual_level():
        assert not tensors._eager((x,))
    with torch.device("cpu"):  # a TorchFunctionMode
        assert not tensors._eager((x,))
    with FakeTensorMode():  # a TorchDispatchMode
        assert not tensors._eager((x,))
    traced = []
    with warnings.catch_warnings():  # torch.jit is deprecated, still used
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.trace(
            lambda v: (traced.append(tensors._eager((v,))), v * 2)[1], (x,), check_trace=False
        )
    assert traced == [False]


@pytest.mark.parametrize("dims", [(0,), (0, 1)])
def test_autograd_forward_calls_the_operator_plainly(monkeypatch, dims) -> None:
    """With autograd to record, the Function's forward (run without grad) calls the
    operator's implementation directly; under vmap it goes through the operator (a
    spy on the implementation sees only plain calls); results and gradients the
    same as torch.gradient's."""
    calls = []
    for name in ("_combine_call", "_stencil_call"):
        real = getattr(tensors, name)
        monkeypatch.setattr(tensors, name, lambda *a, _r=real, _n=name: calls.append(_n) or _r(*a))
    x = _values((64, 70), torch.float64).requires_grad_(True)
    with gridgrad.use_engine("numba"):
        ours = gridgrad.gradient(x, dim=dims)
    assert calls and all(g.requires_grad for g in ours)
    theirs = torch.gradient(x, dim=dims)
    _same(ours, theirs)
    ups = [torch.randn_like(g) for g in ours]
    (ga,) = torch.autograd.grad(ours, x, ups)
    (gb,) = torch.autograd.grad(theirs, x, ups)
    torch.testing.assert_close(ga, gb, rtol=1e-12, atol=1e-12)
    calls.clear()
    with gridgrad.use_engine("numba"):
        batched = torch.func.vmap(lambda v: gridgrad.gradient(v, dim=tuple(d for d in dims)))(x.detach()[None].expand(2, 64, 70))  # fmt: skip
    assert calls == []  # vmap: through torch's dispatcher
    _same([b[0] for b in batched], [t.detach() for t in theirs])


def test_batched_grads_still_go_through_the_operators() -> None:
    """``autograd.grad(is_grads_batched=True)`` (torch's legacy vmap over the
    backward): the same gradients as one backward per upstream gradient."""
    x = _values((64, 70), torch.float64).requires_grad_(True)
    with gridgrad.use_engine("numba"):
        gs = gridgrad.gradient(x)
    ups = [torch.randn(3, *x.shape, dtype=x.dtype) for _ in gs]
    (batched,) = torch.autograd.grad(gs, x, ups, is_grads_batched=True, retain_graph=True)
    for k in range(3):
        (one,) = torch.autograd.grad(gs, x, [u[k] for u in ups], retain_graph=True)
        torch.testing.assert_close(batched[k], one, rtol=0, atol=0)
