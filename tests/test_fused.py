"""Fused operators on the Numba kernels: laplacian, divergence, curl and the gradient
over all dims in one pass, bitwise equal to the reference engine (the composed path:
each derivative on its own, then added left to right)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridgrad
from gridgrad import _engines
from gridgrad._api import checked
from gridgrad._combination import Combination
from gridgrad._combination import gradient as all_dims
from gridgrad._engines.numba import FUSED
from gridgrad._options import Options
from gridgrad._request import gradient_request

pytest.importorskip("numba")
fused = pytest.importorskip("gridgrad._engines.numba.fused")

LAYOUTS = {
    "c": lambda a: a,
    "fortran": np.asfortranarray,
    "transposed": lambda a: np.ascontiguousarray(a.T).T,
    "reversed": lambda a: a[(slice(None, None, -1),) * a.ndim],
    "sliced": lambda a: np.pad(a, [(1, 2)] * a.ndim)[(slice(1, -2),) * a.ndim],
}


def _bits(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view({4: np.uint32, 8: np.uint64, 16: np.uint64}[a.dtype.itemsize])


def _assert_bitwise(fast: object, ref: object) -> None:
    if isinstance(ref, tuple):
        assert isinstance(fast, tuple) and len(fast) == len(ref)
        for a, b in zip(fast, ref):
            _assert_bitwise(a, b)
        return
    assert isinstance(fast, np.ndarray) and isinstance(ref, np.ndarray)
    assert fast.dtype == ref.dtype and fast.shape == ref.shape
    np.testing.assert_array_equal(_bits(fast), _bits(ref))


def _both(fn):  # type: ignore[no-untyped-def]
    """``fn()`` on the forced Numba engine (fused) and on the reference engine."""
    with gridgrad.use_engine("numba"):
        fast = fn()
    with gridgrad.use_engine("reference"):
        ref = fn()
    return fast, ref


def _values(shape, dtype, rng, layout="c"):  # type: ignore[no-untyped-def]
    return LAYOUTS[layout]((rng.standard_normal(shape) * 3).astype(dtype))


def _spacing(kind, shape, dims, rng):  # type: ignore[no-untyped-def]
    if kind == "default":
        return None
    if kind == "scalar":
        return 0.37
    if kind == "per-dim":
        return [0.5 + 0.25 * k for k in range(len(dims))]
    # coordinates: irregular, increasing
    return [np.cumsum(rng.uniform(0.5, 1.5, shape[d])) for d in dims]


# --------------------------------------------------------------------------- the engine is used


def test_forced_numba_runs_the_fused_kernel() -> None:
    f = np.random.default_rng(0).standard_normal((6, 7, 20))
    call = checked(gradient_request, f, None, None, Options())
    comb = Combination((call.plan,), (0,), (((0, 0, 1), (0, 1, 1), (0, 2, -1)),))
    with gridgrad.use_engine("numba"):
        assert _engines.fused(comb, (f,)) is FUSED
    with gridgrad.use_engine("reference"):
        assert _engines.fused(comb, (f,)) is None
    with gridgrad.use_engine("small"):
        assert _engines.fused(comb, (f,)) is None
    # small arrays stay on the composed path in the automatic choice
    assert _engines.fused(comb, (f,)) is None


def test_automatic_choice_fuses_from_its_own_size() -> None:
    """A fused operator pays from far smaller arrays than a gradient does (the
    composed path makes several NumPy passes per term): from ``FUSED_MIN_SIZE``."""
    from gridgrad._engines.numba import FUSED_MIN_SIZE, MIN_SIZE, loader

    assert FUSED_MIN_SIZE < MIN_SIZE
    loader.load(wait=True)
    for n, fused in [(31, False), (32, True), (64, True)]:  # 32**3 == FUSED_MIN_SIZE
        f = np.random.default_rng(0).standard_normal((n, n, n))
        call = checked(gradient_request, f, None, None, Options())
        comb = Combination((call.plan,), (0,), (((0, 0, 1), (0, 1, 1), (0, 2, 1)),))
        assert (_engines.fused(comb, (f,)) is FUSED) is fused


@pytest.mark.parametrize(
    "make",
    [
        lambda f: f.astype(np.float16),
        lambda f: f.astype(">f8"),
        lambda f: np.ma.masked_array(f),
        lambda f: np.stack([np.stack([f, f]), np.stack([f, f])]),  # 5 dims
    ],
    ids=["float16", "big-endian", "masked", "5-d"],
)
def test_guard_falls_back(make) -> None:  # type: ignore[no-untyped-def]
    f = make(np.random.default_rng(1).standard_normal((5, 6, 17)))
    comb = all_dims(checked(gradient_request, np.asarray(f), None, None, Options()).plan)
    assert not FUSED.guard(comb, (f,))
    with gridgrad.use_engine("auto"):
        fast = gridgrad.laplacian(f, dim=(-3, -2, -1))
    with gridgrad.use_engine("reference"):
        ref = gridgrad.laplacian(f, dim=(-3, -2, -1))
    assert type(fast) is type(ref)
    assert np.array_equal(np.asarray(fast), np.asarray(ref), equal_nan=True)


# --------------------------------------------------------------------------- laplacian


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(40,), (9, 23), (7, 8, 19), (5, 6, 7, 18)])
def test_laplacian_layouts(shape, dtype, layout) -> None:  # type: ignore[no-untyped-def]
    f = _values(shape, dtype, np.random.default_rng(2), layout)
    _assert_bitwise(*_both(lambda: gridgrad.laplacian(f)))


@pytest.mark.parametrize("boundary", ["one-sided", "periodic"])
@pytest.mark.parametrize("accuracy", [2, 4, 6])
@pytest.mark.parametrize("spacing", ["default", "scalar", "per-dim", "coordinates"])
def test_laplacian_options(spacing, accuracy, boundary) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    shape = (13, 11, 24)
    f = _values(shape, "float64", rng)
    sp = _spacing(spacing, shape, (0, 1, 2), rng)
    kw = {"period": [float(c[-1] - c[0]) * 1.1 for c in sp]} if spacing == "coordinates" and boundary == "periodic" else {}  # fmt: skip
    _assert_bitwise(*_both(lambda: gridgrad.laplacian(f, spacing=sp, accuracy=accuracy, boundary=boundary, **kw)))  # fmt: skip


@pytest.mark.parametrize("dim", [(0,), (2,), (0, 2), (2, 0), (1, 2), (3, 1, 0)])
def test_laplacian_dims(dim) -> None:  # type: ignore[no-untyped-def]
    f = _values((6, 7, 8, 20), "float32", np.random.default_rng(4), "fortran")
    _assert_bitwise(*_both(lambda: gridgrad.laplacian(f, dim=dim, accuracy=4)))


def test_laplacian_mixed_boundaries_and_float32_coordinates() -> None:
    rng = np.random.default_rng(5)
    f = _values((12, 10, 30), "float32", rng)
    x = np.cumsum(rng.uniform(0.5, 1.5, 12))
    _assert_bitwise(*_both(lambda: gridgrad.laplacian(f, boundary=["periodic", "one-sided", "periodic"])))  # fmt: skip
    # float32 values with float64 coordinates: the axes differ in dtype, composed path
    _assert_bitwise(*_both(lambda: gridgrad.laplacian(f, dim=(0, 2), spacing=[x, 0.5])))


def test_laplacian_nonfinite() -> None:
    f = _values((9, 10, 21), "float64", np.random.default_rng(6))
    f[3, 4, 5], f[0, 0, 0], f[8, 9, 20] = np.nan, np.inf, -np.inf
    _assert_bitwise(*_both(lambda: gridgrad.laplacian(f, accuracy=4)))


# --------------------------------------------------------------------------- divergence, curl


@pytest.mark.parametrize("layout", ["c", "fortran", "reversed", "sliced"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("ndim", [2, 3, 4])
def test_divergence(ndim, dtype, layout) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    shape = (6, 7, 8, 17)[-ndim:]
    comps = [_values(shape, dtype, rng, layout) for _ in range(ndim)]
    _assert_bitwise(*_both(lambda: gridgrad.divergence(comps)))
    _assert_bitwise(*_both(lambda: gridgrad.divergence(comps[:2], accuracy=4, spacing=[0.3, 0.7])))  # fmt: skip


def test_divergence_mixed_layouts_and_coordinates() -> None:
    rng = np.random.default_rng(8)
    shape = (9, 10, 18)
    comps = [_values(shape, "float64", rng, layout) for layout in ("c", "fortran", "reversed")]
    sp = _spacing("coordinates", shape, (0, 1, 2), rng)
    _assert_bitwise(*_both(lambda: gridgrad.divergence(comps, spacing=sp, accuracy=4)))
    _assert_bitwise(*_both(lambda: gridgrad.divergence(comps, boundary="periodic", accuracy=6)))


@pytest.mark.parametrize("boundary", ["one-sided", "periodic"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [2, 3])
def test_curl(n, dtype, boundary) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(9)
    shape = (8, 9, 10, 19)[-n:]
    comps = [_values(shape, dtype, rng, "fortran" if k == 1 else "c") for k in range(n)]
    _assert_bitwise(*_both(lambda: gridgrad.curl(comps, boundary=boundary)))
    _assert_bitwise(*_both(lambda: gridgrad.curl(comps, accuracy=4, spacing=[0.5 + k for k in range(n)])))  # fmt: skip


def test_curl_on_other_dims() -> None:
    rng = np.random.default_rng(10)
    comps = [_values((5, 9, 7, 18), "float64", rng) for _ in range(3)]
    _assert_bitwise(*_both(lambda: gridgrad.curl(comps, dim=(3, 0, 2))))


# --------------------------------------------------------------------------- all dims


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(9, 23), (7, 8, 19), (5, 6, 7, 18)])
def test_all_dims_one_pass(shape, dtype, layout) -> None:  # type: ignore[no-untyped-def]
    """The kernel behind ``gradient`` over all dims in one pass (``ONE_PASS``), run
    directly: the same arrays as the per-axis kernels and the reference engine."""
    f = _values(shape, dtype, np.random.default_rng(11), layout)
    for kw in ({}, {"accuracy": 4, "boundary": "periodic"}, {"edge_order": 2, "spacing": 0.3}):
        call = checked(
            gradient_request,
            f,
            None,
            kw.get("spacing"),
            Options(kw.get("accuracy", 2), kw.get("edge_order"), kw.get("boundary", "one-sided")),
        )
        assert FUSED.guard(all_dims(call.plan), (f,))
        fast = FUSED.run(all_dims(call.plan), (f,))
        with gridgrad.use_engine("reference"):
            ref = gridgrad.gradient(f, **kw)
        _assert_bitwise(tuple(fast), tuple(ref))


def test_all_dims_into_out() -> None:
    rng = np.random.default_rng(12)
    f = _values((8, 9, 20), "float64", rng)
    x = np.cumsum(rng.uniform(0.5, 1.5, 9))
    call = checked(gradient_request, f, (2, 1), [0.5, x], Options())
    out = (np.empty_like(f), np.asfortranarray(np.empty_like(f)))
    got = FUSED.run(all_dims(call.plan), (f,), out)
    assert got[0] is out[0] and got[1] is out[1]
    with gridgrad.use_engine("reference"):
        ref = gridgrad.gradient(f, dim=(2, 1), spacing=[0.5, x])
    _assert_bitwise(tuple(out), tuple(ref))


# --------------------------------------------------------------------------- hypothesis


@st.composite
def _problems(draw):  # type: ignore[no-untyped-def]
    ndim = draw(st.integers(1, 4))
    accuracy = draw(st.sampled_from([2, 4, 6]))
    boundary = draw(st.sampled_from(["one-sided", "periodic"]))
    need = accuracy + 2
    shape = tuple(draw(st.integers(need, need + 6)) for _ in range(ndim))
    dims = tuple(draw(st.permutations(range(ndim)))[: draw(st.integers(1, ndim))])
    dtype = draw(st.sampled_from(["float32", "float64"]))
    layout = draw(st.sampled_from(list(LAYOUTS)))
    spacing = draw(st.sampled_from(["default", "scalar", "per-dim", "coordinates"]))
    seed = draw(st.integers(0, 2**16))
    return shape, dims, dtype, layout, spacing, accuracy, boundary, seed


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(_problems())
def test_laplacian_and_divergence_hypothesis(problem) -> None:  # type: ignore[no-untyped-def]
    shape, dims, dtype, layout, spacing, accuracy, boundary, seed = problem
    rng = np.random.default_rng(seed)
    f = _values(shape, dtype, rng, layout)
    sp = _spacing(spacing, shape, dims, rng)
    kw = {"accuracy": accuracy, "boundary": boundary, "dim": dims, "spacing": sp}
    if spacing == "coordinates" and boundary == "periodic":
        kw["period"] = [float(c[-1] - c[0]) * 1.2 for c in sp]
    _assert_bitwise(*_both(lambda: gridgrad.laplacian(f, **kw)))
    comps = [_values(shape, dtype, rng, layout) for _ in dims]
    _assert_bitwise(*_both(lambda: gridgrad.divergence(comps, **kw)))
    comb = all_dims(checked(gradient_request, f, dims, sp, Options(accuracy=2)).plan)
    if FUSED.guard(comb, (f,)):  # float32 values on float64 coordinates: per axis
        with gridgrad.use_engine("reference"):
            ref = gridgrad.gradient(f, dim=dims, spacing=sp)
        _assert_bitwise(tuple(FUSED.run(comb, (f,))), tuple(ref))


# --------------------------------------------------------------------------- hessian, jacobian


def test_hessian_and_jacobian_unchanged() -> None:
    rng = np.random.default_rng(13)
    f = _values((7, 8, 18), "float64", rng)
    _assert_bitwise(*_both(lambda: gridgrad.hessian(f, accuracy=4)))
    comps = [_values((7, 8, 18), "float64", rng) for _ in range(3)]
    _assert_bitwise(*_both(lambda: gridgrad.jacobian(comps)))
    # the mixed partials are the sequential derivatives
    h = gridgrad.hessian(f, spacing=0.5)
    _assert_bitwise(h[0][2], gridgrad.derivative(f, (0, 2), spacing=0.5))
    _assert_bitwise(h[2][1], gridgrad.derivative(f, (1, 2), spacing=0.5))


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_values_real_weights(dtype) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(14)
    shape = (9, 10, 20)
    comps = [(rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype) for _ in range(3)]  # fmt: skip
    f = comps[0]
    comb = all_dims(checked(gradient_request, f, None, None, Options()).plan)
    assert FUSED.guard(comb, (f,))
    _assert_bitwise(*_both(lambda: gridgrad.laplacian(f, accuracy=4, spacing=0.3)))
    _assert_bitwise(*_both(lambda: gridgrad.curl(comps)))
