"""The Numba engine against the reference engine, its guard, threads, and ``out=``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from unittest import mock

import numpy as np
import pytest
from array_api_compat import array_namespace
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gridgrad
from gridgrad._engines import reference
from gridgrad._engines.numba import ENGINE as NUMBA
from gridgrad._engines.numba import WAIT_SIZE, loader, waits
from gridgrad._layout import AxisSpec, complex_weights
from gridgrad._plan import build_plan
from gridgrad._request import Library, dtypes
from gridgrad._spacing import numpy_spacing, torch_spacing

numba = pytest.importorskip("numba")
driver = pytest.importorskip("gridgrad._engines.numba.driver")

DTYPES = ["float16", "float32", "float64", "complex64", "complex128"]


@pytest.fixture
def kernels():
    """Route every NumPy call through the kernels, however small the input."""
    assert loader.load() is driver
    with gridgrad.use_engine("numba"):
        yield


def _plan(f, dims, spacing, edge_order, numpy_style=False, form="difference"):
    """The plan of a request; ``form``: whose expressions (gridgrad's difference form,
    torch's or numpy's, with their fixed term order, subtractions and halving)."""
    if numpy_style:
        spacings = numpy_spacing(spacing, dims, f.shape)
    else:
        spacings = torch_spacing(spacing, dims, f.shape)
    value, out = dtypes(Library.NUMPY, np, f.dtype, any(s.is_complex for s in spacings))
    specs = [AxisSpec(edge=edge_order, form=form)] * len(dims)
    return build_plan(f.shape, dims, spacings, edge_order, value, out, specs=specs)


def _assert_same(ours, ref, dtype):
    """Bitwise for float32/64 and complex64/128; float16 is computed in float32 by
    the kernels (the reference computes in float16), so within float16 rounding."""
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert o.shape == r.shape and o.dtype == r.dtype
        if np.dtype(dtype).itemsize == 2:
            scale = np.abs(r).max(initial=1.0)
            np.testing.assert_allclose(o, r, rtol=0, atol=float(scale) * 2e-2)
        else:
            np.testing.assert_array_equal(o, r, strict=True)


def _values(shape, dtype, rng):
    v = rng.standard_normal(shape) * 3
    if np.dtype(dtype).kind == "c":
        v = v + 1j * rng.standard_normal(shape)
    return v.astype(dtype)


LAYOUTS = {
    "c": lambda a: a,
    "fortran": np.asfortranarray,
    "reversed": lambda a: a[(slice(None, None, -1),) * a.ndim],
    "transposed": lambda a: a.T,
    "big-endian": lambda a: a.astype(a.dtype.newbyteorder(">")),
    "read-only": lambda a: np.lib.stride_tricks.as_strided(a, a.shape, a.strides, writeable=False),
}


@st.composite
def problems(draw):
    """A random input (shape, dtype, layout: strided views included), dims, spacing."""
    ndim = draw(st.integers(1, 4))
    edge_order = draw(st.sampled_from([1, 2]))
    dims = tuple(draw(st.permutations(range(ndim)))[: draw(st.integers(1, ndim))])
    shape = [draw(st.integers(1, 5)) for _ in range(ndim)]
    for d in dims:
        shape[d] = max(shape[d], draw(st.integers(edge_order + 1, 9)))
    if draw(st.booleans()):  # runs of 16 points and more: vector loops, not point by point
        shape[dims[0]] = draw(st.integers(16, 40))
    steps = [draw(st.sampled_from([1, 1, 2, -1, -2])) for _ in range(ndim)]
    dtype = draw(st.sampled_from(DTYPES))
    layout = draw(st.sampled_from(sorted(LAYOUTS)))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    full = [n * abs(s) for n, s in zip(shape, steps)]
    if layout == "transposed":
        base = _values(full[::-1], dtype, rng)  # transposed back to ``full`` below
    else:
        base = _values(full, dtype, rng)
    f = LAYOUTS[layout](base)[tuple(slice(None, None, s) for s in steps)]
    numpy_style = draw(st.booleans())
    spacing = []
    for d in dims:
        form = draw(st.sampled_from(["scalar", "power2", "coords", "coords32", "complex"]))
        n = f.shape[d]
        if form == "scalar":
            spacing.append(np.float64(0.3) if numpy_style else 0.3)
        elif form == "power2":
            spacing.append(0.5)
        elif form == "coords":
            spacing.append(np.cumsum(rng.uniform(0.5, 1.5, n)))
        elif form == "coords32":
            spacing.append(np.cumsum(rng.uniform(0.5, 1.5, n)).astype(np.float32))
        else:
            spacing.append(0.5 + 0.25j)
    return f, dims, spacing, edge_order, numpy_style


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    problems(),
    st.sampled_from([2048, 16, 7]),
    st.sampled_from(["difference", "torch", "numpy"]),
    st.sampled_from([0, 1 << 20]),
)
def test_kernels_match_reference_engine(problem, block, form, plane) -> None:
    """Small blocks split lines into chunks and rows into blocks, as large arrays are;
    every form of the expressions (gridgrad's, torch's, numpy's); tasks across a dim
    in groups of rows (as for planes too large for cache) or in memory order."""
    f, dims, spacing, edge_order, numpy_style = problem
    plan = _plan(f, dims, spacing, edge_order, numpy_style, form)
    # complex weights on complex values stay on the NumPy engines (the guard)
    assume(f.dtype.kind != "c" or not any(complex_weights(ax.runs) for ax in plan.axes))
    ref = reference.gradient(plan, f, array_namespace(f))
    # small blocks, and every call split among the threads however small
    with mock.patch.object(driver, "_BLOCK", block), mock.patch.object(driver, "THREAD_WORK", 1):
        with mock.patch.object(driver, "_PLANE_BYTES", plane):
            ours = driver.gradient(plan, f)
    _assert_same(ours, ref, f.dtype)


@pytest.mark.parametrize(
    ("shape", "dtype", "plane", "group"),
    [
        ((6, 5, 7), "float64", 1 << 20, 1),  # planes of 35 points: memory order
        ((6, 5, 7), "float64", 279, 32),  # 280 bytes: over the limit, groups of rows
        ((6, 5, 7), "float32", 140, 1),  # 140 bytes of float32 fit
        ((6, 5, 7), "int16", 279, 32),  # the float64 output's bytes count
    ],
)
def test_rows_across_in_memory_order_where_planes_fit(shape, dtype, plane, group) -> None:  # type: ignore[no-untyped-def]
    """Across dim 0, tasks run in memory order (groups of one row) where a plane's
    bytes (input or output, the larger) fit in ``_PLANE_BYTES``, else in groups of
    ``_GROUP`` rows; the same bits either way."""
    f = _values(shape, dtype, np.random.default_rng(3))
    plan = _plan(f, (0,), None, 1)
    seen = []
    real = driver._parallel

    def spy(kernel, ntask, arrays, *args):  # type: ignore[no-untyped-def]
        seen.append(int(args[1]))
        return real(kernel, ntask, arrays, *args)

    with mock.patch.object(driver, "_PLANE_BYTES", plane), mock.patch.object(driver, "_parallel", spy):  # fmt: skip
        ours = driver.gradient(plan, f)
    assert seen == [group]
    _assert_same(ours, reference.gradient(plan, f, array_namespace(f)), dtype)


@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "float16"])  # float16: NumPy engines
@pytest.mark.parametrize("edge_order", [1, 2])
def test_public_api_uses_kernels_and_agrees(kernels, dtype, edge_order) -> None:
    rng = np.random.default_rng(1)
    f = _values((6, 5, 7), dtype, rng)
    x = np.cumsum(rng.uniform(0.5, 1.5, 7))
    for kw in ({}, {"spacing": (0.5, 2.0, x)}, {"spacing": (x,), "dim": -1}):
        ours = gridgrad.gradient(f, edge_order=edge_order, **kw)
        with gridgrad.use_engine("reference"):
            ref = gridgrad.gradient(f, edge_order=edge_order, **kw)
        _assert_same(ours, ref, dtype)


def test_numpy_gradient_through_kernels(kernels) -> None:
    rng = np.random.default_rng(2)
    f = rng.standard_normal((9, 8)).astype(np.float32)
    x = np.cumsum(rng.uniform(0.5, 1.5, 9))
    for args, kw in [((), {}), ((2.0,), {"edge_order": 2}), ((x, 0.5), {}), ((x,), {"axis": 0})]:
        ours = gridgrad.numpy_gradient(f, *args, **kw)
        with gridgrad.use_engine("reference"):
            ref = gridgrad.numpy_gradient(f, *args, **kw)
        np.testing.assert_array_equal(ours, ref, strict=True)
        np.testing.assert_allclose(ours, np.gradient(f, *args, **kw), rtol=1e-5, atol=1e-5)


def test_masked_input_keeps_mask_through_kernels(kernels) -> None:
    f = np.ma.array(np.arange(10.0) ** 2, mask=[0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    g = gridgrad.numpy_gradient(f)
    assert isinstance(g, np.ma.MaskedArray)
    np.testing.assert_array_equal(np.ma.getmaskarray(g), [0, 0, 1, 0, 1, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(g.data, np.gradient(f.data))


def test_layout_that_does_not_fold_into_three_dims() -> None:
    rng = np.random.default_rng(3)
    f = rng.standard_normal((4, 6, 5, 8, 3))[:, ::2, :, ::3, :]
    plan = _plan(f, (0, 2, 4), None, 2)
    _assert_same(driver.gradient(plan, f), reference.gradient(plan, f, np), f.dtype)
    out = tuple(np.empty(f.shape, order="F")[..., ::-1] for _ in range(3))
    _assert_same(driver.gradient(plan, f, out), reference.gradient(plan, f, np), f.dtype)


def test_inf_and_nan_stay_local_as_in_reference() -> None:
    f = np.zeros((3, 5), dtype=complex)
    f[1, 2] = complex(np.inf, 1.0)
    f[2, 4] = complex(np.nan, -0.0)
    f[0, 0] = complex(-0.0, np.inf)
    for edge_order in (1, 2):
        plan = _plan(f, (0, 1), None, edge_order)
        with np.errstate(invalid="ignore"):
            ref = reference.gradient(plan, f, np)
        ours = driver.gradient(plan, f)
        for o, r in zip(ours, ref):
            np.testing.assert_array_equal(o.view(np.float64), r.view(np.float64))


@pytest.mark.parametrize("shape", [(1, 300, 300), (300, 1, 300), (90_001,), (3, 70_000)])
def test_results_do_not_depend_on_thread_count(shape, monkeypatch) -> None:
    monkeypatch.setattr(driver, "THREAD_WORK", 1)  # these sizes would run on one thread
    rng = np.random.default_rng(4)
    f = rng.standard_normal(shape)
    dims = tuple(d for d, n in enumerate(shape) if n > 2)
    x = [np.cumsum(rng.uniform(0.5, 1.5, shape[d])) for d in dims]
    before = numba.get_num_threads()
    results = []
    try:
        for n in (1, 2, before):
            numba.set_num_threads(n)
            results.append(gridgrad.gradient(f, spacing=x, dim=dims, edge_order=2))
    finally:
        numba.set_num_threads(before)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b, strict=True)


def test_missing_numba_means_other_engines() -> None:
    """Without numba, large inputs run on the NumPy engines; forcing it is an error."""
    code = """
import sys
sys.modules["numba"] = None  # import numba raises ImportError
import numpy as np
import gridgrad
from gridgrad._engines.numba import loader
f = np.arange(float(1 << 20)) ** 2
for _ in range(3):  # the first call starts the loading, which fails
    (g,) = gridgrad.gradient(f)
    assert np.array_equal(g, np.gradient(f))
    loader.load()
assert loader.load() is None
try:
    with gridgrad.use_engine("numba"):
        gridgrad.gradient(f)
except ValueError as exc:
    assert "the 'numba' engine is forced" in str(exc), exc
else:
    raise AssertionError("no error")
print("ok")
"""
    proc = _python(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


@pytest.mark.parametrize(
    "f",
    [np.arange(100, dtype=np.int64), np.arange(100.0).astype("m8[s]"), np.arange(100.0) > 3],
    ids=["int", "timedelta", "bool"],
)
def test_guard_leaves_other_dtypes_to_reference(f) -> None:
    plan = _plan(f, (0,), None, 1) if f.dtype != bool else None
    if plan is None:
        with pytest.raises(TypeError):
            gridgrad.gradient(f)
        return
    assert not NUMBA.guard(plan, np.asarray(f))
    with gridgrad.use_engine("numba"), pytest.raises(ValueError, match="cannot run this call"):
        gridgrad.gradient(f)
    big = np.resize(f, 1 << 20)
    with gridgrad.use_engine("reference"):
        ref = gridgrad.gradient(big)
    np.testing.assert_array_equal(gridgrad.gradient(big)[0], ref[0], strict=True)


def test_periodic_dims_run_on_the_kernels() -> None:
    """Periodic axes read wrapped indices (tests/test_numba_periodic.py covers them)."""
    f = np.sin(np.arange(64.0))
    with gridgrad.use_engine("numba"):
        (g,) = gridgrad.gradient(f, boundary="periodic")
    with gridgrad.use_engine("reference"):
        (r,) = gridgrad.gradient(f, boundary="periodic")
    assert g.tobytes() == r.tobytes()


def test_which_calls_wait_for_the_kernels() -> None:
    """Calls on which the other engines would take longer than the loading wait."""
    assert not waits(np.dtype(np.float32), 10)
    assert not waits(np.dtype(np.float64), WAIT_SIZE - 1)
    assert waits(np.dtype(np.float64), WAIT_SIZE)
    assert waits(np.dtype(np.complex64), WAIT_SIZE)


# --------------------------------------------------------------------------- out=


@pytest.mark.parametrize("use_kernels", [True, False], ids=["kernels", "reference"])
@pytest.mark.parametrize("layout", ["c", "fortran", "strided", "big-endian"])
def test_out_is_written_and_returned(use_kernels, layout) -> None:
    with gridgrad.use_engine("numba" if use_kernels else "reference"):
        _out_is_written_and_returned(layout)


def _out_is_written_and_returned(layout) -> None:
    rng = np.random.default_rng(5)
    f = rng.standard_normal((5, 6))
    dtype = np.dtype(np.float64)
    if layout == "big-endian":
        f = f.astype(">f8")
        dtype = f.dtype

    def empty():
        if layout == "fortran":
            return np.empty(f.shape, dtype, order="F")
        if layout == "strided":
            return np.empty((10, 6), dtype)[::-2]
        return np.empty(f.shape, dtype)

    out = (empty(), empty())
    x = np.cumsum(rng.uniform(0.5, 1.5, 6))
    result = gridgrad.gradient(f, spacing=(0.5, x), edge_order=2, out=out)
    assert result[0] is out[0] and result[1] is out[1]
    ref = gridgrad.gradient(np.ascontiguousarray(f, "=f8"), spacing=(0.5, x), edge_order=2)
    for o, r in zip(out, ref):
        np.testing.assert_array_equal(o, r)
    (g,) = (gridgrad.numpy_gradient(f, x, axis=1, out=(out[0],)),)
    assert g is out[0]
    np.testing.assert_array_equal(g, np.gradient(np.asarray(f, "=f8"), x, axis=1))


def _out_errors():
    f = np.zeros((4, 5))
    ok = np.zeros((4, 5))
    buf = np.zeros((8, 5))
    read_only = np.zeros((4, 5))
    read_only.setflags(write=False)
    return f, [
        ([ok, ok.copy()], TypeError, "`out` must be a tuple with one array per differentiated"),
        ((ok,), ValueError, "`out` must have one array per differentiated dimension (2); got 1."),
        ((ok, [[0.0] * 5] * 4), TypeError, "`out[1]` must be a numpy.ndarray; got list."),
        ((ok, np.ma.zeros((4, 5))), TypeError, "`out[1]` must be a numpy.ndarray; got Masked"),
        ((ok, np.zeros((5, 4))), ValueError, "`out[1]` must have the input's shape (4, 5); got"),
        (
            (ok, np.zeros((4, 5), np.float32)),
            TypeError,
            "`out[1]` must have dtype float64; got float32.",
        ),
        ((read_only, ok), ValueError, "`out[0]` must be writeable; got a read-only array."),
        ((ok, f[::1]), ValueError, "`out[1]` must not share memory with the input."),
        ((buf[:4], buf[3:7]), ValueError, "`out[1]` must not share memory with `out[0]`."),
    ]


@pytest.mark.parametrize("index", range(9))
def test_out_errors(index) -> None:
    f, errors = _out_errors()
    out, error, message = errors[index]
    before = [np.array(o, copy=True) for o in out if isinstance(o, np.ndarray)]
    with pytest.raises(error) as exc:
        gridgrad.gradient(f, out=out)
    assert message in str(exc.value)
    after = [o for o in out if isinstance(o, np.ndarray)]
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a, b)  # nothing written before the check


def test_out_errors_for_other_inputs() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=re.escape("`out` is supported for NumPy input only")):
        gridgrad.gradient(torch.zeros(4), out=(np.zeros(4),))
    f = np.ma.zeros(4)
    with pytest.raises(TypeError, match=re.escape("`out` needs a plain numpy.ndarray input")):
        gridgrad.numpy_gradient(f, out=(np.zeros(4),))


def test_out_interleaved_arrays_are_not_an_overlap() -> None:
    interleaved = np.zeros((4, 3, 2))
    out = (interleaved[..., 0], interleaved[..., 1])  # bounds overlap, memory does not
    f = np.arange(12.0).reshape(4, 3) ** 2
    result = gridgrad.gradient(f, out=out)
    for o, r in zip(result, np.gradient(f)):
        np.testing.assert_array_equal(o, r)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )


def test_first_large_call_does_not_wait_for_numba() -> None:
    """A fresh process: the kernels load in a background thread while the first
    calls run on the reference engine, with the same results as the kernels'."""
    code = """
import sys
import numpy as np
import gridgrad
from gridgrad._engines.numba import loader
assert "numba" not in sys.modules
f = np.random.default_rng(0).standard_normal((64, 64, 128))
first = gridgrad.gradient(f, spacing=0.3)
assert loader.started() and loader._thread.daemon
kernels = loader.load()
assert kernels is sys.modules["gridgrad._engines.numba.driver"], kernels
later = gridgrad.gradient(f, spacing=0.3)
assert all(np.array_equal(a, b) for a, b in zip(first, later))
print("ok")
"""
    proc = _python(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_first_medium_fused_call_starts_loading_and_later_ones_fuse() -> None:
    """A fresh process: a Laplacian of 40**3 points (between FUSED_MIN_SIZE and
    MIN_SIZE) is composed on the NumPy engines while the kernels start loading; once
    they are loaded the same call runs in one pass, the same bits; a gradient of that
    size never starts them."""
    code = """
import numpy as np
import gridgrad
from gridgrad._engines.numba import FUSED_MIN_SIZE, MIN_SIZE, loader
f = np.random.default_rng(0).standard_normal((40, 40, 40))
assert FUSED_MIN_SIZE <= f.size < MIN_SIZE
gridgrad.gradient(f)
assert not loader.started()
first = gridgrad.laplacian(f)
assert loader.started()
loader.load()
from gridgrad._engines.numba import fused
calls = []
real = fused.apply
fused.apply = lambda *a, **k: calls.append(a[3]) or real(*a, **k)
later = gridgrad.laplacian(f)
assert calls == [1], calls
assert np.array_equal(first, later)
print("ok")
"""
    proc = _python(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_float16_stays_off_the_kernels() -> None:
    """A fresh process: float16 never loads the kernels (the NumPy engines round after
    each operation, as numpy and torch do: the same bits at every size), and the numba
    engine forced on it says it cannot serve it."""
    code = """
import numpy as np
import gridgrad
from gridgrad._engines.numba import loader
f = np.random.default_rng(0).standard_normal((64, 64, 128)).astype(np.float16)
first = gridgrad.gradient(f)
assert not loader.started(), "float16 loaded the kernels"
try:
    with gridgrad.use_engine("numba"):
        gridgrad.gradient(f)
except ValueError:
    pass
else:
    raise AssertionError("the numba engine took float16")
with gridgrad.use_engine("reference"):
    again = gridgrad.gradient(f)
assert all(np.array_equal(a, b) for a, b in zip(first, again))
print("ok")
"""
    proc = _python(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_fork_waits_for_the_loading_kernels() -> None:
    """A fork while the kernels load waits for them: the child has them, whole."""
    code = """
import os
import numpy as np
import gridgrad
from gridgrad._engines.numba import loader
f = np.random.default_rng(0).standard_normal((64, 64, 128))
ref = gridgrad.gradient(f)
pid = os.fork()
if pid == 0:
    ok = loader.loaded() and all(
        np.array_equal(a, b) for a, b in zip(gridgrad.gradient(f), ref)
    )
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""
    proc = _python(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "0", proc.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_forked_child_runs_kernels_with_its_own_threads() -> None:
    """The parent's worker threads are not in a forked child: it starts its own."""
    code = """
import os
import numpy as np
import gridgrad
from gridgrad._engines.numba import driver, loader
loader.load()
f = np.random.default_rng(0).standard_normal((64, 64, 128))
ref = gridgrad.gradient(f)
assert driver._POOL is not None or driver.numba.get_num_threads() == 1
pid = os.fork()
if pid == 0:
    ok = all(np.array_equal(a, b) for a, b in zip(gridgrad.gradient(f), ref))
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""
    proc = _python(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "0", proc.stderr
