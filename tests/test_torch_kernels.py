"""torch CPU tensors on the Numba kernels (``gridgrad._engines.numba.tensors``).

Every result bitwise equal to the reference engine (torch's own operations, which
match torch.gradient) and to the NumPy path; the backward the exact transpose of the
forward (``<D x, y> == <x, D^T y>`` to round-off, gradcheck, gradgradcheck,
forward mode); vmap and torch.compile without a graph break; the inputs the kernels
cannot serve stay on the reference engine."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

import gridgrad  # noqa: E402
from gridgrad import _api, _engines  # noqa: E402
from gridgrad._engines.numba import ENGINE as NUMBA  # noqa: E402
from gridgrad._engines.numba import MIN_TENSOR_SIZE, loader  # noqa: E402
from gridgrad._engines.numba.adjoint import transpose  # noqa: E402
from gridgrad._engines.numba.tables import table  # noqa: E402
from gridgrad._request import derivative_request, gradient_request  # noqa: E402

driver = loader.load()
# torch's gradcheck and compile import modules that warn about torch.jit on import
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)
DTYPES = [torch.float32, torch.float64, torch.complex64, torch.complex128]
REAL = {torch.float32: torch.float32, torch.complex64: torch.float32,
        torch.float64: torch.float64, torch.complex128: torch.float64}  # fmt: skip


def _same(a, b):
    """Bitwise equality, NaNs in the same places counting as equal."""
    assert a.dtype == b.dtype and a.shape == b.shape
    torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)


def _values(shape, dtype, gen):
    v = torch.randn(shape, generator=gen, dtype=torch.float64) * 3
    if dtype.is_complex:
        v = torch.complex(v, torch.randn(shape, generator=gen, dtype=torch.float64))
    return v.to(dtype)


def _layout(x, how):
    if how == "transposed":
        return x.permute(*reversed(range(x.ndim))).contiguous().permute(*reversed(range(x.ndim)))
    if how == "sliced":
        big = torch.zeros(tuple(2 * n + 1 for n in x.shape), dtype=x.dtype)
        view = big[tuple(slice(1, None, 2) for _ in x.shape)]
        view.copy_(x)
        return view
    if how == "expanded" and x.ndim > 1:
        return x[:1].expand(x.shape)
    return x


@st.composite
def calls(draw):
    ndim = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from(DTYPES))
    edge = draw(st.sampled_from([1, 2]))
    accuracy = draw(st.sampled_from([2, 2, 4]))
    periodic = draw(st.booleans())
    need = (accuracy + 1) if periodic else max(edge, accuracy) + 1
    shape = tuple(draw(st.integers(need, need + 6)) for _ in range(ndim))
    dims = tuple(draw(st.permutations(range(ndim)))[: draw(st.integers(1, ndim))])
    form = draw(st.sampled_from(["none", "scalar", "steps", "coordinates", "numpy"]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    real = REAL[dtype]
    if form == "none":
        spacing = None
    elif form == "scalar":
        spacing = draw(st.sampled_from([0.5, 2.0, 0.1, 3]))
    elif form == "steps":
        spacing = tuple(draw(st.sampled_from([0.25, 1.5, 7.0])) for _ in dims)
    else:
        spacing = []
        for d in dims:
            x = torch.cumsum(torch.rand(shape[d], generator=gen, dtype=torch.float64) + 0.2, 0)
            spacing.append(x.to(real) if form == "coordinates" else x.to(real).numpy())
        spacing = tuple(spacing)
    kwargs = {"spacing": spacing, "dim": dims, "edge_order": edge if accuracy == 2 else None,
              "accuracy": accuracy}  # fmt: skip
    if periodic:
        kwargs["edge_order"] = None
        kwargs["boundary"] = "periodic"
        if form in ("coordinates", "numpy"):
            kwargs["period"] = tuple(float(s[-1] - s[0]) + 0.7 for s in spacing)
    layout = draw(st.sampled_from(["contiguous", "transposed", "sliced", "expanded"]))
    x = _layout(_values(shape, dtype, gen), layout)
    return x, kwargs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls())
def test_bitwise_equal_to_reference_and_numpy(call):
    x, kwargs = call
    before = x.clone()
    with gridgrad.use_engine("reference"):
        ref = gridgrad.gradient(x, **kwargs)
    numpy_coordinates = isinstance(kwargs["spacing"], tuple) and isinstance(kwargs["spacing"][0], np.ndarray)  # fmt: skip
    try:
        with gridgrad.use_engine("numba"):
            got = gridgrad.gradient(x, **kwargs)
    except ValueError:
        # NumPy coordinates may give weights of another dtype (periodic steps in
        # float64), which torch would promote: those stay on the reference engine
        assert numpy_coordinates
        return
    for r, g in zip(ref, got, strict=True):
        _same(g, r)
        assert g.data_ptr() != x.data_ptr()
    _same(x, before)  # the input is not modified
    if isinstance(kwargs["spacing"], tuple) and not isinstance(kwargs["spacing"][0], float):
        return  # coordinates: torch's weights are computed by torch's operations
    on_numpy = gridgrad.gradient(x.numpy(), **kwargs)
    for g, n in zip(got, on_numpy, strict=True):
        np.testing.assert_array_equal(g.numpy(), n)


def test_nan_and_inf_propagate_as_on_the_reference_engine():
    x = torch.randn(40, 30, dtype=torch.float64)
    x[3, 4] = float("nan")
    x[10, :] = float("inf")
    x[20, 5] = -float("inf")
    with gridgrad.use_engine("reference"):
        ref = gridgrad.gradient(x, spacing=0.5)
    with gridgrad.use_engine("numba"):
        got = gridgrad.gradient(x, spacing=0.5)
    for r, g in zip(ref, got):
        _same(g, r)


# --------------------------------------------------------------------------- the adjoint


def _axis_plans():
    rng = np.random.default_rng(1)
    for n in (3, 4, 7, 16, 33):
        x = np.cumsum(rng.uniform(0.3, 1.7, n))
        yield gradient_request, None, (2, 1, "one-sided", None), 1, n
        yield gradient_request, 0.7, (2, 2, "one-sided", None), 1, n
        yield gradient_request, [x], (2, 2, "one-sided", None), 1, n
        yield gradient_request, [x], (2, 1, "one-sided", None), 1, n
        if n >= 5:
            yield derivative_request, 0.3, (4, None, "one-sided", None), 1, n
            yield derivative_request, 0.3, (4, None, "periodic", None), 2, n
            yield derivative_request, [x], (4, None, "one-sided", None), 2, n
        yield derivative_request, 0.3, (2, None, "periodic", None), 1, n
        yield derivative_request, [x], (2, None, "periodic", float(x[-1] - x[0]) + 0.9), 1, n


@pytest.mark.parametrize(
    "case", list(_axis_plans()), ids=lambda c: f"{c[0].__name__}-{c[2]}-{c[4]}"
)
def test_transpose_is_the_exact_adjoint(case):
    """``<D x, y> == <x, D^T y>`` on random vectors, and D^T's dense matrix is D's
    transposed, for every stencil kind (edges, coordinates, periodic wraps)."""
    request, spacing, options, order, n = case
    call = _api.checked(request, np.zeros((n, 3)), 0, spacing, options, order)
    ax = call.plan.axes[0]
    fwd = table(ax, np.dtype(np.float64))
    bwd = transpose(ax, fwd.coef.dtype)

    def apply(tab, v):
        out = np.empty_like(v)
        driver._run_axis(v, out, 0, tab)
        return out

    eye = np.eye(n)[:, :, None]  # columns of the identity, each a (n, 1) series
    dense = np.stack([apply(fwd, np.ascontiguousarray(eye[:, j : j + 1].transpose(0, 2, 1).reshape(n, 1, 1)))[:, 0, 0] for j in range(n)], axis=1)  # fmt: skip
    dense_t = np.stack([apply(bwd, np.ascontiguousarray(eye[:, j : j + 1].transpose(0, 2, 1).reshape(n, 1, 1)))[:, 0, 0] for j in range(n)], axis=1)  # fmt: skip
    np.testing.assert_allclose(dense_t, dense.T, rtol=1e-14, atol=1e-14 * np.abs(dense).max())
    rng = np.random.default_rng(n)
    x, y = rng.standard_normal((2, n, 1, 5))
    lhs = np.sum(apply(fwd, x) * y)
    rhs = np.sum(x * apply(bwd, y))
    assert abs(lhs - rhs) <= 1e-12 * (np.abs(apply(fwd, x)).sum() * np.abs(y).max() + 1)


def test_backward_is_the_transpose_through_autograd():
    x = torch.randn(9, 11, dtype=torch.float64, requires_grad=True)
    coords = torch.cumsum(torch.rand(11, dtype=torch.float64) + 0.3, 0)
    y = [torch.randn(9, 11, dtype=torch.float64) for _ in range(2)]
    with gridgrad.use_engine("numba"):
        g = gridgrad.gradient(x, spacing=(0.5, coords), edge_order=2)
        (gx,) = torch.autograd.grad(sum((gi * yi).sum() for gi, yi in zip(g, y)), x)
    with gridgrad.use_engine("reference"):
        xr = x.detach().clone().requires_grad_(True)
        gr = gridgrad.gradient(xr, spacing=(0.5, coords), edge_order=2)
        (gxr,) = torch.autograd.grad(sum((gi * yi).sum() for gi, yi in zip(gr, y)), xr)
    torch.testing.assert_close(gx, gxr, rtol=1e-13, atol=1e-13)
    assert type(g[0].grad_fn).__name__ == "GradientBackward"  # the kernels, backward fused


def _gradcheck_cases():
    coords = torch.cumsum(torch.rand(5, dtype=torch.float64, generator=torch.Generator().manual_seed(3)) + 0.5, 0)  # fmt: skip
    period = float(coords[-1] - coords[0]) + 0.7
    return [
        {},
        {"edge_order": 2},
        {"spacing": (coords, 0.5)},
        {"spacing": (coords, 2.0), "edge_order": 2},
        {"accuracy": 4, "boundary": "periodic"},
        {"spacing": (coords, 1.0), "boundary": ("periodic", "one-sided"), "period": (period, None)},
    ]


@pytest.mark.parametrize(
    ("dtype", "kwargs"),
    [(torch.float64, k) for k in _gradcheck_cases()]
    + [(torch.complex128, k) for k in _gradcheck_cases()[::2]],
    ids=str,
)
def test_gradcheck_gradgradcheck_forward_mode(dtype, kwargs):
    x = torch.randn(5, 6, dtype=dtype, requires_grad=True)

    def f(x):
        return gridgrad.gradient(x, **kwargs)

    with gridgrad.use_engine("numba"):
        assert torch.autograd.gradcheck(f, (x,), check_forward_ad=True, check_batched_grad=True, check_batched_forward_grad=True)  # fmt: skip
        assert torch.autograd.gradgradcheck(f, (x,), check_fwd_over_rev=True, check_rev_over_rev=True)  # fmt: skip


def test_vmap_jacrev_jacfwd():
    x = torch.randn(5, 7, 9, dtype=torch.float64)
    with gridgrad.use_engine("numba"):
        v = torch.func.vmap(lambda t: gridgrad.gradient(t, dim=1, spacing=0.3)[0])(x)
        v_inner = torch.func.vmap(lambda t: gridgrad.gradient(t, dim=0)[0], in_dims=2, out_dims=2)(x)  # fmt: skip
        jr = torch.func.jacrev(lambda t: gridgrad.gradient(t)[1])(x[0])
        jf = torch.func.jacfwd(lambda t: gridgrad.gradient(t)[1])(x[0])
    with gridgrad.use_engine("reference"):
        r = torch.stack([gridgrad.gradient(t, dim=1, spacing=0.3)[0] for t in x])
        r_inner = torch.stack([gridgrad.gradient(x[:, :, k], dim=0)[0] for k in range(9)], dim=2)
        jref = torch.func.jacrev(lambda t: gridgrad.gradient(t)[1])(x[0])
    _same(v, r)
    _same(v_inner, r_inner)
    torch.testing.assert_close(jr, jref, rtol=0, atol=1e-15)
    torch.testing.assert_close(jf, jref, rtol=0, atol=1e-15)


@pytest.mark.parametrize("backend", ["eager", "aot_eager"])
def test_torch_compile_fullgraph(backend):
    """No graph break (fullgraph=True raises on one); the forward and the backward of
    the compiled function equal eager's."""
    torch._dynamo.reset()

    def f(x):
        gy, gx = gridgrad.gradient(x, spacing=(0.5, 2.0), edge_order=2)
        (p,) = gridgrad.gradient(x, dim=1, boundary="periodic", accuracy=4)
        return (gy * gx).sum() + p.square().sum()

    x = torch.randn(8, 16, dtype=torch.float64, requires_grad=True)
    with gridgrad.use_engine("numba"):
        compiled = torch.compile(f, fullgraph=True, backend=backend)
        y = compiled(x)
        (g,) = torch.autograd.grad(y, x)
        ye = f(x)
        (ge,) = torch.autograd.grad(ye, x)
    torch.testing.assert_close(y, ye, rtol=1e-14, atol=0)
    torch.testing.assert_close(g, ge, rtol=1e-14, atol=1e-14)


def test_torch_compile_with_coordinate_tensors():
    """Coordinate tensors while torch.compile traces (their values hidden): the
    reference engine's torch operations, traced into the graph."""
    torch._dynamo.reset()
    coords = torch.cumsum(torch.rand(16, dtype=torch.float64) + 0.5, 0)

    def f(x):
        (g,) = gridgrad.gradient(x, spacing=(coords,), dim=1, edge_order=2)
        return g

    x = torch.randn(8, 16, dtype=torch.float64)
    compiled = torch.compile(f, fullgraph=True, backend="eager")
    torch.testing.assert_close(compiled(x), f(x), rtol=1e-15, atol=1e-15)


# --------------------------------------------------------------------------- the choice


def _engine_of(x, **kwargs):
    call = _api.checked(gradient_request, x, kwargs.get("dim"), kwargs.get("spacing"),
                        (2, None, "one-sided", None))  # fmt: skip
    return _engines.select(call.plan, call.f)


@pytest.mark.parametrize(
    "make",
    [
        lambda: (torch.zeros(64, 64, dtype=torch.float16), {}),
        lambda: (torch.zeros(64, 64, dtype=torch.bfloat16), {}),
        lambda: (torch.zeros(64, 64, dtype=torch.int32), {}),
        lambda: (
            torch.zeros(64, 64),
            {"spacing": (torch.linspace(0, 1, 64, dtype=torch.float64) ** 2, 1.0)},
        ),
        lambda: (
            torch.zeros(64, 64, dtype=torch.float64),
            {
                "spacing": (
                    torch.linspace(0, 1, 64, dtype=torch.float64).requires_grad_(True) ** 2,
                    1.0,
                )
            },
        ),
        lambda: (torch.zeros(64, 64, dtype=torch.float64), {"spacing": 1j}),
    ],
    ids=[
        "float16",
        "bfloat16",
        "int32",
        "float32-with-float64-coordinates",
        "coordinates-require-grad",
        "complex-step",
    ],
)
def test_what_the_kernels_do_not_serve_stays_on_the_reference_engine(make):
    x, kwargs = make()
    assert _engine_of(x, **kwargs).name == "reference"
    with gridgrad.use_engine("numba"), pytest.raises(ValueError, match="numba"):
        gridgrad.gradient(x, **kwargs)


def test_coordinates_requiring_grad_get_their_gradient():
    """The reference engine keeps autograd through the coordinates."""
    c = torch.linspace(0.0, 1.0, 64, dtype=torch.float64).square().requires_grad_(True)
    f = torch.randn(64, 64, dtype=torch.float64)
    (g,) = gridgrad.gradient(f, spacing=(c,), dim=0)
    g.sum().backward()
    assert c.grad is not None and torch.isfinite(c.grad).all()


def test_large_tensors_choose_the_kernels_small_ones_the_reference():
    """With autograd to record: the kernels' operators from MIN_TENSOR_SIZE elements,
    the reference engine's torch operations below."""
    big = torch.zeros(64, MIN_TENSOR_SIZE // 64, dtype=torch.float32, requires_grad=True)
    small = torch.zeros(4, 8, dtype=torch.float32, requires_grad=True)
    assert _engine_of(big) is NUMBA
    assert _engine_of(small).name == "reference"


def test_eager_tensors_take_the_numpy_path():
    """Nothing to record: the tensor's memory on the NumPy path's engine for its size
    (the small-array engine, then the kernels from MIN_SIZE elements)."""
    from gridgrad._engines.numba import MIN_SIZE

    loader.load()  # the kernels loaded (else a first call runs without them)
    small = torch.zeros(64, MIN_TENSOR_SIZE // 64, dtype=torch.float32)
    big = torch.zeros(64, MIN_SIZE // 64, dtype=torch.float32)
    for x, name in ((small, "small"), (big, "numba")):
        engine = _engine_of(x)
        assert type(engine).__name__ == "_AsTensors" and engine.name == name
        assert engine.view.ctypes.data == x.data_ptr()  # the tensor's memory, no copy


def test_no_grad_and_requires_grad():
    x = torch.randn(64, 80, dtype=torch.float32)
    with gridgrad.use_engine("numba"):
        (g,) = gridgrad.gradient(x, dim=0)
        assert g.grad_fn is None and not g.requires_grad
        xg = x.clone().requires_grad_(True)
        with torch.no_grad():
            (g,) = gridgrad.gradient(xg, dim=0)
        assert g.grad_fn is None
        (g,) = gridgrad.gradient(xg, dim=0)
        assert g.requires_grad


def test_threads_racing_on_first_use():
    """Many threads, one new stencil each pair: same results as one thread."""
    xs = [torch.randn(50, 40 + k % 4, dtype=torch.float64) for k in range(16)]
    with gridgrad.use_engine("reference"):
        expected = [gridgrad.gradient(x, spacing=0.1 * (1 + k % 4), edge_order=2) for k, x in enumerate(xs)]  # fmt: skip
    results = [None] * len(xs)
    barrier = threading.Barrier(len(xs))

    def work(k):
        barrier.wait()
        with gridgrad.use_engine("numba"):
            x = xs[k].clone().requires_grad_(True)
            g = gridgrad.gradient(x, spacing=0.1 * (1 + k % 4), edge_order=2)
            sum(gi.sum() for gi in g).backward()
            results[k] = tuple(gi.detach() for gi in g)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r, e in zip(results, expected):
        for a, b in zip(r, e):
            _same(a, b)


@pytest.mark.parametrize(
    ("shape", "kernels", "engine"),
    [((50, 6), "driver", "numba"), ((50, 60), "fused", "numba"), ((1024, 512), "fused", "auto")],
)
def test_runs_on_torch_get_num_threads(monkeypatch, shape, kernels, engine):
    """Per-dim passes (rows of 6) and the one pass (rows of 60) alike; an eager call
    on the NumPy path too (automatic choice, a tensor of MIN_SIZE elements)."""
    from gridgrad._engines.numba import fused

    loader.load()

    seen = []
    real = driver.split_jobs

    def spy(jobs, work=None):
        seen.append((driver._THREADS.count, len(jobs)))
        return real(jobs, work)

    monkeypatch.setattr(driver, "split_jobs", spy)
    monkeypatch.setattr(fused, "split_jobs", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with gridgrad.use_engine(engine):
            gridgrad.gradient(torch.randn(*shape, dtype=torch.float64))
    finally:
        torch.set_num_threads(before)
    # two dims: two passes, or one hand-over of the interior and the other rows
    assert seen == ([(1, 1), (1, 1)] if kernels == "driver" else [(1, 2)])
    assert driver._THREADS.count is None  # restored after the call


@pytest.mark.parametrize(
    "op",
    [
        lambda f: gridgrad.laplacian(f, spacing=0.3, accuracy=4),
        lambda f: gridgrad.laplacian(f, boundary="periodic"),
        lambda f: gridgrad.derivative(f, (0, 1), order=(2, 1), accuracy=4, spacing=0.2),
        lambda f: gridgrad.divergence([f, 2 * f], spacing=(0.5, 0.25)),
        lambda f: gridgrad.curl([f, f.flip(0)], boundary="periodic", accuracy=6),
        lambda f: gridgrad.hessian(f, edge_order=1)[0][1],
    ],
    ids=["laplacian", "laplacian-periodic", "mixed-derivative", "divergence", "curl", "hessian"],
)
def test_calculus_on_the_kernels(op):
    """The vector-calculus functions on tensors: bitwise the reference engine's, and
    their autograd the transposes' (gradcheck through the kernels)."""
    f = torch.randn(12, 13, dtype=torch.float64)
    with gridgrad.use_engine("reference"):
        ref = op(f)
    with gridgrad.use_engine("numba"):
        got = op(f)
        x = torch.randn(8, 9, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(op, (x,))
    _same(got, ref)


def test_inference_mode_parameters_and_conjugate_views():
    x = torch.randn(64, 80)
    with torch.inference_mode():
        with gridgrad.use_engine("numba"):
            got = gridgrad.gradient(x)
        with gridgrad.use_engine("reference"):
            ref = gridgrad.gradient(x)
    for g, r in zip(got, ref):
        _same(g, r)
    p = torch.nn.Parameter(torch.randn(16, 20, dtype=torch.float64))
    with gridgrad.use_engine("numba"):
        (g,) = gridgrad.gradient(p, dim=1)
    g.sum().backward()
    assert p.grad is not None
    c = torch.randn(40, 30, dtype=torch.complex128).conj()  # a lazy conjugate view
    with gridgrad.use_engine("numba"):
        got = gridgrad.gradient(c, spacing=0.5)
    with gridgrad.use_engine("reference"):
        ref = gridgrad.gradient(c, spacing=0.5)
    for g, r in zip(got, ref):
        _same(g, r)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: gridgrad.laplacian(x, spacing=0.5, accuracy=4),
        lambda x: gridgrad.derivative(x, (0, 1), order=(2, 1)),
        lambda x: gridgrad.divergence([x, x * 2], boundary="periodic"),
        lambda x: gridgrad.curl([x, x.flip(0)]),
        lambda x: sum(sum(r) for r in gridgrad.hessian(x)),
        lambda x: sum(sum(r) for r in gridgrad.jacobian([x, x.square()])),
    ],
    ids=["laplacian", "derivative", "divergence", "curl", "hessian", "jacobian"],
)
def test_torch_compile_fullgraph_calculus(fn):
    """The vector-calculus functions are one opaque call each for Dynamo too: no
    graph break, the kernels inside (forced), the same values and gradients."""
    torch._dynamo.reset()
    x = torch.randn(12, 14, dtype=torch.float64, requires_grad=True)
    with gridgrad.use_engine("numba"):
        compiled = torch.compile(lambda x: fn(x).sum(), fullgraph=True, backend="aot_eager")
        y = compiled(x)
        (g,) = torch.autograd.grad(y, x)
        ye = fn(x).sum()
        (ge,) = torch.autograd.grad(ye, x)
    torch.testing.assert_close(y, ye, rtol=1e-14, atol=1e-12)
    torch.testing.assert_close(g, ge, rtol=1e-14, atol=1e-12)


FUSED_OPS = {
    "laplacian": lambda f: gridgrad.laplacian(f, spacing=0.3, accuracy=4),
    "laplacian-periodic": lambda f: gridgrad.laplacian(f, boundary="periodic"),
    "divergence": lambda f: gridgrad.divergence([f, 2 * f], spacing=(0.5, 0.25)),
    "curl-2d": lambda f: gridgrad.curl([f, f.flip(0)], boundary="periodic", accuracy=6),
    "curl-3d": lambda f: sum(gridgrad.curl([f, f.flip(0), f.flip(-1)])),
}


@pytest.mark.parametrize("name", list(FUSED_OPS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.complex128])
def test_fused_operators_on_tensors(name, dtype):
    """laplacian, divergence and curl of tensors in one pass (gridgrad::combine):
    bitwise the reference engine's composed sums, with autograd (the backward is the
    transposed program, the curl's subtracted-only inputs negated after it)."""
    op = FUSED_OPS[name]
    shape = (9, 10, 11) if name == "curl-3d" else (13, 17)
    f = _values(shape, dtype, torch.Generator().manual_seed(5))
    f = f.transpose(0, 1).contiguous().transpose(0, 1)  # not C-contiguous
    with gridgrad.use_engine("reference"):
        ref = op(f)
    with gridgrad.use_engine("numba"):
        got = op(f)
        x = f.clone().to(torch.complex128 if dtype.is_complex else torch.float64).requires_grad_(True)  # fmt: skip
        assert "Combine" in type(op(x).grad_fn).__name__ or name == "curl-3d"
        if dtype == torch.float64:
            small = x.detach()[tuple(slice(0, 7) for _ in shape)].clone().requires_grad_(True)
            assert torch.autograd.gradcheck(op, (small,), check_forward_ad=True)
            assert torch.autograd.gradgradcheck(op, (small,))
    _same(got, ref)


def test_fused_operators_vmap_and_five_dims():
    x = torch.randn(3, 4, 20, 30, dtype=torch.float64)
    with gridgrad.use_engine("numba"):
        v = torch.func.vmap(lambda t: gridgrad.laplacian(t, dim=(1, 2)))(x)  # 4-D + batch
        r = torch.stack([gridgrad.laplacian(t, dim=(1, 2)) for t in x])
    _same(v, r)


# (shape, dtype, kwargs, layout, one pass?): where the NumPy path reads the input once
# for all dims (rows of 16+ points along the innermost dim, plain differences in the
# interior, contiguous in memory order), the tensor's forward does too
ONE_PASS_CASES = [
    ((6, 7, 20), torch.float64, {}, None, True),
    ((6, 7, 20), torch.float32, {"spacing": (0.3, 0.7, 3.0), "edge_order": 2}, None, True),
    ((6, 7, 20), torch.float32, {"spacing": (0.5, 2.0, 3.0)}, None, False),  # scaled two ways
    ((6, 7, 20), torch.complex128, {"spacing": 0.3}, None, False),  # real weights, complex values
    ((6, 7, 20), torch.float64, {"boundary": "periodic"}, None, True),
    ((2, 3, 24, 20), torch.float32, {"dim": (2, 3)}, None, True),  # an image batch
    ((5, 6, 17), torch.float64, {"dim": (2, 0)}, None, True),
    ((20, 7, 6), torch.float64, {}, "transposed", True),  # rows along dim 0
    ((20, 7, 6), torch.float64, {}, None, False),  # rows of 6 points
    ((6, 7, 20), torch.float64, {"accuracy": 4}, None, False),  # not a plain difference
    ((6, 7, 20), torch.float64, {}, "strided", False),  # rows 40 apart in memory
    (
        (6, 7, 20),
        torch.float64,
        {"spacing": (torch.arange(6.0, dtype=torch.float64) ** 1.5, 1.0, 2.0)},
        None,
        False,
    ),
]


def _spy(real, calls):
    """``real`` (fused.apply, behind the NumPy path and the torch operator alike),
    recording the number of outputs of each call that computed them."""

    def spy(*args, **kwargs):
        results = real(*args, **kwargs)
        if results is not None:
            calls.append(args[3])
        return results

    return spy


@pytest.mark.parametrize(("shape", "dtype", "kwargs", "layout", "one"), ONE_PASS_CASES, ids=str)
def test_gradient_forward_in_one_pass_where_the_numpy_path_takes_one(monkeypatch, shape, dtype, kwargs, layout, one):  # fmt: skip
    """The forward of ``gradient`` over several dims: one fused pass (the operator
    ``gridgrad::combine``, one call writing every output) exactly where the NumPy path
    takes one, else a stencil per dim; bitwise the reference engine and the NumPy
    path either way, with autograd and forward mode through it."""
    from gridgrad._engines.numba import fused

    x = _values(shape, dtype, torch.Generator().manual_seed(11))
    if layout == "transposed":
        x = _layout(x, "transposed")
    elif layout == "strided":
        x = x.repeat(1, 1, 2)[:, :, :20]
    with gridgrad.use_engine("reference"):
        ref = gridgrad.gradient(x, **kwargs)
    nout = len(ref)
    calls = []
    monkeypatch.setattr(fused, "apply", _spy(fused.apply, calls))
    with gridgrad.use_engine("numba"):
        got = gridgrad.gradient(x, **kwargs)
        assert calls == ([nout] if one else [])
        calls.clear()
        on_numpy = gridgrad.gradient(x.numpy(), **kwargs)
        if not isinstance(kwargs.get("spacing"), tuple) or not any(isinstance(s, torch.Tensor) for s in kwargs["spacing"]):  # fmt: skip
            assert calls == ([nout] if one else [])  # the NumPy path decides alike
        y = x.clone().requires_grad_(True)
        g = gridgrad.gradient(y, **kwargs)
        assert type(g[0].grad_fn).__name__ == "GradientBackward"
        ups = [_values(shape, dtype, torch.Generator().manual_seed(12 + k)) for k in range(nout)]
        torch.autograd.backward(g, ups)
    for a, r in zip(got, ref, strict=True):
        _same(a, r)
    if not isinstance(kwargs.get("spacing"), tuple) or not any(isinstance(s, torch.Tensor) for s in kwargs["spacing"]):  # fmt: skip
        for a, n in zip(got, on_numpy, strict=True):
            np.testing.assert_array_equal(a.numpy(), n)
    for a, r in zip(g, ref, strict=True):
        _same(a.detach(), r)
    # the backward is the transpose: <D x, u> summed over outputs == <x, sum D^T u>
    lhs = sum((a.detach().to(torch.complex128) * u.to(torch.complex128).conj()).sum() for a, u in zip(got, ups))  # fmt: skip
    rhs = (x.to(torch.complex128) * y.grad.to(torch.complex128).conj()).sum()
    tol = 1e-4 if dtype in (torch.float32, torch.complex64) else 1e-10
    torch.testing.assert_close(lhs, rhs, rtol=tol, atol=tol * float(lhs.abs()))


@pytest.mark.parametrize("dtype", [torch.float64])
def test_gradcheck_through_the_one_pass_forward(monkeypatch, dtype):
    """gradcheck, gradgradcheck, forward mode, batched gradients and vmap on a shape
    whose forward is one pass (rows of 17 points)."""
    from gridgrad._engines.numba import fused

    calls = []
    monkeypatch.setattr(fused, "apply", _spy(fused.apply, calls))
    x = torch.randn(4, 5, 17, dtype=dtype, requires_grad=True)

    def f(x):
        return gridgrad.gradient(x, spacing=(0.3, 0.7, 1.1), edge_order=2)

    with gridgrad.use_engine("numba"):
        f(x.detach())
        assert calls == [3]
        assert torch.autograd.gradcheck(f, (x,), check_forward_ad=True, check_batched_grad=True, check_batched_forward_grad=True)  # fmt: skip
        assert torch.autograd.gradgradcheck(f, (x,), check_fwd_over_rev=True, check_rev_over_rev=True)  # fmt: skip
        b = torch.randn(3, 4, 5, 17, dtype=dtype)
        v = torch.func.vmap(f)(b)
        jr = torch.func.jacrev(lambda t: f(t)[2])(x.detach())
        jf = torch.func.jacfwd(lambda t: f(t)[2])(x.detach())
    with gridgrad.use_engine("reference"):
        r = [torch.stack(t) for t in zip(*(f(t) for t in b))]
        jref = torch.func.jacrev(lambda t: f(t)[2])(x.detach())
    for a, e in zip(v, r, strict=True):
        _same(a, e)
    torch.testing.assert_close(jr, jref, rtol=0, atol=1e-15)
    torch.testing.assert_close(jf, jref, rtol=0, atol=1e-15)
