"""Periodic axes on the Numba kernels: wrapped sample indices, no padded copy; every
result bitwise equal to the reference engine (which pads the axis)."""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pytest
from array_api_compat import array_namespace
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gridgrad
from gridgrad import _api, _engines
from gridgrad._engines import reference
from gridgrad._engines.numba import ENGINE as NUMBA
from gridgrad._engines.numba import MIN_SIZE, loader
from gridgrad._layout import AxisSpec, central_half, complex_weights
from gridgrad._options import Options
from gridgrad._plan import build_plan
from gridgrad._request import Library, dtypes, gradient_request
from gridgrad._spacing import torch_spacing

pytest.importorskip("numba")
driver = pytest.importorskip("gridgrad._engines.numba.driver")
tables = pytest.importorskip("gridgrad._engines.numba.tables")

DTYPES = ["float32", "float64", "complex64", "complex128"]
LAYOUTS = {
    "c": lambda a: a,
    "fortran": np.asfortranarray,
    "reversed": lambda a: a[(slice(None, None, -1),) * a.ndim],
    "big-endian": lambda a: a.astype(a.dtype.newbyteorder(">")),
}


def _values(shape, dtype, rng):
    v = rng.standard_normal(shape) * 3
    if np.dtype(dtype).kind == "c":
        v = v + 1j * rng.standard_normal(shape)
    return v.astype(dtype)


def _min_samples(order, accuracy):
    return AxisSpec(order=order, accuracy=accuracy, periodic=True).min_samples()


@st.composite
def problems(draw):
    """An input with some periodic dims (uniform steps, evenly spaced or irregular
    coordinates with ``period``), any order and accuracy, maybe one-sided dims too."""
    ndim = draw(st.integers(1, 4))
    dims = tuple(draw(st.permutations(range(ndim)))[: draw(st.integers(1, ndim))])
    dtype = draw(st.sampled_from(DTYPES))
    shape = [draw(st.integers(1, 4)) for _ in range(ndim)]
    specs = []
    for k, d in enumerate(dims):
        order = draw(st.sampled_from([1, 1, 2, 3]))
        accuracy = draw(st.sampled_from([2, 4, 6]))
        periodic = k == 0 or draw(st.booleans())
        if periodic:
            need = _min_samples(order, accuracy)
        else:
            need = AxisSpec(order=order, accuracy=accuracy, edge=accuracy).min_samples()
        shape[d] = draw(st.integers(need, need + 6))
        specs.append((order, accuracy, periodic))
    if draw(st.booleans()):  # runs of 16 points and more: vector loops, not point by point
        shape[dims[0]] = max(shape[dims[0]], draw(st.integers(16, 40)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    f = LAYOUTS[draw(st.sampled_from(sorted(LAYOUTS)))](_values(shape, dtype, rng))
    spacing, axis_specs = [], []
    for d, (order, accuracy, periodic) in zip(dims, specs):
        n = f.shape[d]
        forms = ["scalar", "power2", "complex", "period", "even", "coords", "coords32"]
        form = draw(st.sampled_from(forms))
        period = None
        if form == "scalar":
            spacing.append(0.3)
        elif form == "power2":
            spacing.append(0.5)
        elif form == "complex":
            spacing.append(0.5 + 0.25j)
        elif form == "period":  # a scalar step and its period
            spacing.append(0.3)
            period = n * 0.3
        elif form == "even":  # evenly spaced coordinates: planned as a step
            spacing.append(np.arange(n) * 0.25)
            period = n * 0.25
        else:
            x = np.cumsum(rng.uniform(0.5, 1.5, n))
            spacing.append(x.astype(np.float32) if form == "coords32" else x)
            period = float(x[-1] - x[0]) + 1.0
        if periodic:
            axis_specs.append(AxisSpec(order, accuracy, accuracy, True, period))
        else:
            axis_specs.append(AxisSpec(order, accuracy, accuracy))
    return f, dims, spacing, axis_specs


def _plan(f, dims, spacing, specs):
    spacings = torch_spacing(spacing, dims, f.shape)
    value, out = dtypes(Library.NUMPY, np, f.dtype, any(s.is_complex for s in spacings))
    return build_plan(f.shape, dims, spacings, 1, value, out, specs=specs)


def _same(ours, ref):
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert o.shape == r.shape and o.dtype == r.dtype
        assert o.tobytes() == r.tobytes(), np.max(np.abs(o - r))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from([2048, 16, 7]))
def test_periodic_kernels_match_reference_engine(problem, block) -> None:
    """Small blocks split lines into chunks and rows into blocks, as large arrays are."""
    f, dims, spacing, specs = problem
    plan = _plan(f, dims, spacing, specs)
    assert any(ax.halo for ax in plan.axes)
    # complex weights on complex values, and real values with a complex step, stay on
    # the NumPy engines (the guard)
    assume(f.dtype.kind != "c" or not any(complex_weights(ax.runs) for ax in plan.axes))
    assume(plan.value_dtype == f.dtype)
    assert NUMBA.guard(plan, np.asarray(f))
    with np.errstate(all="ignore"):
        ref = reference.gradient(plan, f, array_namespace(f))
    with mock.patch.object(driver, "_BLOCK", block), mock.patch.object(driver, "THREAD_WORK", 1):
        ours = driver.gradient(plan, f)  # small blocks, split among the threads
    _same(ours, ref)


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("accuracy", [2, 4, 6])
@pytest.mark.parametrize("coords", [False, True])
def test_unwrapped_runs_read_the_padded_samples(order, accuracy, coords) -> None:
    """Each point of the unwrapped table reads ``(i + o) mod n`` for every offset ``o``
    of the plan, with the plan's weights; the interior keeps its offsets."""
    n = _min_samples(order, accuracy) + 3
    rng = np.random.default_rng(order * 10 + accuracy)
    x = np.cumsum(rng.uniform(0.5, 1.5, n)) if coords else 0.5
    spec = AxisSpec(order, accuracy, accuracy, True, (x[-1] - x[0] + 1.0) if coords else None)
    (ax,) = _plan(np.zeros(n), (0,), [x], [spec]).axes
    (run,) = ax.runs
    runs = tables.unwrapped(ax)
    assert runs[0].start == 0 and runs[-1].stop == n
    assert all(a.stop == b.start for a, b in itertools.pairwise(runs))
    for r in runs:
        for i in range(r.start, r.stop):
            for (c, p, m), (c0, p0, m0) in zip(r.terms, run.terms):
                assert (i + p) % n == (i + p0) % n and 0 <= i + p < n
                if m0 is not None:
                    assert (i + m) % n == (i + m0) % n and 0 <= i + m < n
                if isinstance(c0, np.ndarray):
                    assert c[i - r.start] == c0[i]
                else:
                    assert c == c0
    middle = max(runs, key=lambda r: r.stop - r.start)
    assert len(runs) == n - (middle.stop - middle.start) + 1
    if not coords:
        assert len(runs) == 2 * central_half(order, accuracy) + 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_public_api_periodic_through_kernels(dtype) -> None:
    """gradient, derivative (orders 1 to 3) and laplacian, forced through the kernels
    and through the reference engine, compared bitwise."""
    assert loader.load() is driver
    rng = np.random.default_rng(5)
    f = _values((9, 8, 11), dtype, rng)
    x = np.cumsum(rng.uniform(0.5, 1.5, 11))
    calls = [
        lambda: gridgrad.gradient(f, boundary="periodic"),
        lambda: gridgrad.gradient(f, boundary="periodic", accuracy=4, spacing=0.5),
        lambda: gridgrad.gradient(
            f,
            spacing=(0.5, 2.0, x),
            boundary=("periodic", "one-sided", "periodic"),
            period=(4.5, None, x[-1] - x[0] + 0.75),
            accuracy=6,
        ),
        lambda: gridgrad.derivative(f, 2, order=2, accuracy=4, boundary="periodic"),
        lambda: gridgrad.derivative(
            f, 2, order=3, accuracy=6, spacing=(x,), boundary="periodic", period=x[-1] - x[0] + 1
        ),
        lambda: gridgrad.derivative(f, (0, 2), order=(2, 1), boundary="periodic"),
        lambda: gridgrad.laplacian(f, accuracy=6, boundary="periodic"),
    ]
    for call in calls:
        with gridgrad.use_engine("reference"):
            ref = call()
        with gridgrad.use_engine("numba"):
            ours = call()
        ref, ours = (r if isinstance(r, tuple) else (r,) for r in (ref, ours))
        _same(ours, ref)


def _engine(f, **kw) -> str:
    call = _api.checked(gradient_request, f, None, kw.pop("spacing", None), Options(**kw))
    return _engines.select(call.plan, np.asarray(call.f)).name


def test_large_periodic_arrays_go_to_the_kernels() -> None:
    assert loader.load() is driver
    f = np.random.default_rng(6).standard_normal((MIN_SIZE // 64, 64))
    assert _engine(f, boundary="periodic") == "numba"
    assert _engine(f, boundary="periodic", accuracy=4) == "numba"
    x = np.cumsum(np.random.default_rng(7).uniform(0.5, 1.5, 64))
    assert _engine(f, boundary="periodic", spacing=(1.0, x), period=(f.shape[0], 70.0)) == "numba"
    assert _engine(f[:100], boundary="periodic") != "numba"  # small: the NumPy engines
    with gridgrad.use_engine("reference"):
        ref = gridgrad.gradient(f, boundary="periodic", accuracy=4)
    _same(gridgrad.gradient(f, boundary="periodic", accuracy=4), ref)
    out = (np.empty_like(f), np.empty(f.shape[::-1]).T)
    got = gridgrad.gradient(f, boundary="periodic", accuracy=4, out=out)
    assert all(g is o for g, o in zip(got, out, strict=True))
    _same(out, ref)
