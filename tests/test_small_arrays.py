"""The small-array engine (cached plans compiled to ufunc calls) against the reference
engine, bitwise; and the plan cache in front of it: keys that tell arguments apart,
no stale results, errors still raised, inputs untouched."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import gridgrad
from gridgrad import _api
from gridgrad._engines import array_api, numpy_inplace
from gridgrad._plan import AxisSpec, Step, build_plan

GRADIENT_SPECS = {"accuracy": 2, "boundary": "one-sided", "period": None, "form": "torch"}


def _values(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    """Random values of ``dtype`` with signed zeros, infinities and NaNs among them."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-50 if dtype[0] == "i" else 0, 50, n).astype(dtype).reshape(shape)
    x = rng.standard_normal(n) * 10
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(n)
    x = x.astype(dtype)
    if n >= 12:
        x[[3, 7, 11]] = [-0.0, np.inf, np.nan]
    return x.reshape(shape)


def _reference(f: np.ndarray, dim, spacing, specs, **kw) -> tuple[np.ndarray, ...]:
    """What the reference engine gives for the same request (as execute runs it)."""
    req = _api.prepare(f, dim, spacing, specs, **kw)
    x = np.asarray(f)
    outs = tuple(np.empty(x.shape, req.plan.out_dtype) for _ in req.plan.axes)
    return array_api.gradient(req.plan, x, np, outs)


def _program(f: np.ndarray, dim, spacing, specs, **kw):
    return _api.prepare(f, dim, spacing, specs, **kw).program


def _assert_bitwise(ours, ref) -> None:
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert type(o) is np.ndarray
        assert o.dtype == r.dtype and o.shape == r.shape
        assert o.tobytes() == r.tobytes(), (o, r)


SHAPES_DIMS = [
    ((2,), None),
    ((3,), 0),
    ((7,), -1),
    ((100,), None),
    ((10, 10), None),
    ((10, 10), 1),
    ((10, 10), (1, 0)),
    ((5, 5, 5), None),
    ((5, 5, 5), [2, 0]),
    ((3, 1, 4), (0, 2)),
    ((0, 5), 1),
    ((4, 3, 2, 3), None),
]
DTYPES = ["float16", "float32", "float64", "complex64", "complex128", "int64", "uint8"]


@pytest.mark.parametrize("edge_order", [None, 1, 2])
@pytest.mark.parametrize("spacing", [None, 1, 0.5, 3, (0.25,)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "dim"), SHAPES_DIMS)
def test_gradient_matches_reference_engine(shape, dim, dtype, spacing, edge_order) -> None:
    f = _values(shape, dtype)
    if isinstance(spacing, tuple):
        ndims = len(shape) if dim is None else len(dim) if isinstance(dim, (list, tuple)) else 1
        spacing = spacing * ndims
    if (
        edge_order == 2
        and min(shape[d] for d in ([dim] if isinstance(dim, int) else dim or range(len(shape)))) < 3
    ):
        return  # too few samples: an error, tested elsewhere
    specs = {**GRADIENT_SPECS, "edge_order": edge_order}
    assert _program(f, dim, spacing, specs) is not None  # the small-array engine runs
    before = f.copy()
    with np.errstate(all="ignore"):
        ref = _reference(f, dim, spacing, specs)
        for _ in range(2):  # the plan's first call and a cached one
            ours = gridgrad.gradient(f, spacing=spacing, dim=dim, edge_order=edge_order)
            _assert_bitwise(ours, ref)
            for o in ours:
                assert not np.shares_memory(o, f)
    assert f.tobytes() == before.tobytes()


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("varargs", [(), (0.5,), (2,), (np.float64(0.1),)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128", "int32"])
@pytest.mark.parametrize("shape", [(100,), (10, 10), (5, 5, 5)])
def test_numpy_gradient_matches_reference_and_numpy(shape, dtype, varargs, edge_order) -> None:
    f = _values(shape, dtype, seed=1)
    specs = {"edge_order": edge_order, "form": "numpy"}
    kw = {"names": ("f", "axis"), "numpy_varargs": True}
    with np.errstate(all="ignore"):
        ref = _reference(f, None, varargs, specs, **kw)
        for _ in range(2):
            ours = gridgrad.numpy_gradient(f, *varargs, edge_order=edge_order)
            ours_t = ours if isinstance(ours, tuple) else (ours,)
            _assert_bitwise(ours_t, ref)
        if edge_order == 1:  # numpy's own expressions (its edge-order-2 edge differs)
            theirs = np.gradient(f, *varargs, edge_order=edge_order)
            _assert_bitwise(ours_t, theirs if isinstance(theirs, tuple) else (theirs,))


def test_axis_subsets_of_numpy_gradient() -> None:
    f = _values((5, 4, 6), "float64")
    with np.errstate(all="ignore"):
        for axis in [0, -1, (2, 0), (0, 1, 2), [1]]:
            ours = gridgrad.numpy_gradient(f, axis=axis)
            theirs = np.gradient(f, axis=axis)
            if not isinstance(theirs, tuple):
                ours, theirs = (ours,), (theirs,)
            _assert_bitwise(ours, theirs)


def test_same_key_new_data_gives_new_results() -> None:
    rng = np.random.default_rng(2)
    first = None
    for _ in range(4):
        f = rng.standard_normal((6, 5))
        (a, b) = gridgrad.gradient(f)
        _assert_bitwise((a, b), tuple(np.gradient(f)))
        if first is not None:
            assert not np.shares_memory(a, first)  # fresh outputs every call
        first = a
    # the same array, changed in place between calls
    f = rng.standard_normal(9)
    (g1,) = gridgrad.gradient(f)
    f[4] += 1.0
    (g2,) = gridgrad.gradient(f)
    _assert_bitwise((g2,), (np.gradient(f),))
    assert not np.array_equal(g1, g2)


def test_cache_key_tells_arguments_apart() -> None:
    f = _values((8,), "float64", seed=3)
    g32 = np.gradient(f, np.float32(0.1))
    g64 = np.gradient(f, 0.1)
    assert g32.tobytes() != g64.tobytes()
    for _ in range(2):
        _assert_bitwise((gridgrad.numpy_gradient(f, np.float32(0.1)),), (g32,))
        _assert_bitwise((gridgrad.numpy_gradient(f, 0.1),), (g64,))
        _assert_bitwise((gridgrad.numpy_gradient(f, np.float64(0.1)),), (g64,))
        _assert_bitwise(
            (gridgrad.numpy_gradient(f.astype(np.float32)),), (np.gradient(f.astype(np.float32)),)
        )
        _assert_bitwise(
            (gridgrad.numpy_gradient(f.astype(np.float16)),), (np.gradient(f.astype(np.float16)),)
        )
    # 1, 1.0 and np.int64(1) give the same numbers; True is an error every time
    for spacing in [1, 1.0, np.int64(1), 1.0, 1]:
        _assert_bitwise(gridgrad.gradient(f, spacing=spacing), (np.gradient(f),))
    for _ in range(2):
        with pytest.raises(TypeError, match="got the bool True"):
            gridgrad.gradient(f, spacing=True)
        with pytest.raises(TypeError, match="must be an int or a sequence of ints; got True"):
            gridgrad.gradient(f, dim=True)
        with pytest.raises(ValueError, match="`edge_order` must be 1 or 2; got True"):
            gridgrad.gradient(f, edge_order=True)
        with pytest.raises(ValueError, match="`edge_order` must be 1 or 2; got 3"):
            gridgrad.numpy_gradient(f, edge_order=3)
        _assert_bitwise((gridgrad.numpy_gradient(f, edge_order=1.0),), (np.gradient(f),))
    # signed zeros of a complex step: equal keys would mix them up
    z = np.array([complex(1.5, 0.0), complex(-2.0, -0.0)] * 4)
    plus, minus = complex(1.0, 0.0), complex(1.0, -0.0)
    expected = []
    for step in (plus, minus):  # plans built outside the cache
        plan = build_plan(z.shape, (0,), [Step(step, True)], 1, z.dtype, z.dtype)
        expected.append(array_api.gradient(plan, z, np, (np.empty_like(z),)))
    assert expected[0][0].tobytes() != expected[1][0].tobytes()
    for _ in range(2):
        _assert_bitwise(gridgrad.gradient(z, spacing=plus), expected[0])
        _assert_bitwise(gridgrad.gradient(z, spacing=minus), expected[1])


def test_errors_after_a_cached_call() -> None:
    f = _values((5, 4), "float64")
    gridgrad.gradient(f)
    gridgrad.gradient(f, dim=1)
    with pytest.raises(IndexError, match="`dim` 2 is out of range"):
        gridgrad.gradient(f, dim=2)
    with pytest.raises(ValueError, match="must not repeat a dimension"):
        gridgrad.gradient(f, dim=(1, 1))
    with pytest.raises(ValueError, match="needs at least edge_order \\+ 1 = 2 samples"):
        gridgrad.gradient(f[:1])
    with pytest.raises(ValueError, match="one entry per differentiated"):
        gridgrad.gradient(f, spacing=(1.0,))
    with pytest.raises(TypeError, match="give `dim` or its alias `axis`"):
        gridgrad.gradient(f, dim=0, axis=0)


@pytest.mark.parametrize(
    "make",
    [
        lambda f: f[::2],
        lambda f: f.T,
        lambda f: np.asfortranarray(f),
        lambda f: f.astype(f.dtype.newbyteorder()),
        lambda f: f[1:, 2:],
    ],
    ids=["strided", "transposed", "fortran", "byteswapped", "offset"],
)
def test_memory_layouts(make) -> None:
    f = make(_values((8, 6), "float64", seed=5))
    f.flags.writeable = False  # read-only input: never written
    specs = {**GRADIENT_SPECS, "edge_order": 2}
    with np.errstate(all="ignore"):
        ref = _reference(f, None, 0.5, specs)
        for _ in range(2):
            _assert_bitwise(gridgrad.gradient(f, spacing=0.5, edge_order=2), ref)
            _assert_bitwise(gridgrad.numpy_gradient(f), tuple(np.gradient(f)))


def test_out_arrays_with_the_small_array_engine() -> None:
    f = _values((6, 7), "float32", seed=6)
    out = (np.full(f.shape, 7.0, np.float32), np.full(f.shape, 7.0, np.float32))
    with np.errstate(all="ignore"):
        for _ in range(2):
            res = gridgrad.gradient(f, spacing=2.0, edge_order=2, out=out)
            assert res[0] is out[0] and res[1] is out[1]
            ref = _reference(f, None, 2.0, {**GRADIENT_SPECS, "edge_order": 2})
            _assert_bitwise(res, ref)
    with pytest.raises(TypeError, match=r"`out\[0\]` must have dtype float32; got float64"):
        gridgrad.gradient(f, out=(np.empty(f.shape), np.empty(f.shape, np.float32)))


def test_other_plans_stay_on_the_reference_engine() -> None:
    f = _values((9,), "float64", seed=7)
    x = np.cumsum(np.arange(1.0, 10.0))
    specs = {**GRADIENT_SPECS, "edge_order": 1}
    assert _program(f, None, (x,), specs) is None  # coordinates: per-point weights
    assert _program(f, None, 2j, specs) is None  # complex result from real values
    periodic = {**specs, "boundary": "periodic"}
    assert _program(f, None, None, periodic) is None
    assert (
        _program(
            f.astype("datetime64[s]"),
            None,
            (),
            {"edge_order": 1, "form": "numpy"},
            numpy_varargs=True,
        )
        is None
    )
    for _ in range(2):
        _assert_bitwise(gridgrad.gradient(f, spacing=(x,)), (np.gradient(f, x),))
        _assert_bitwise(
            (gridgrad.numpy_gradient(f, x, edge_order=2),), (np.gradient(f, x, edge_order=2),)
        )
        _assert_bitwise(gridgrad.gradient(f, spacing=2j), _reference(f, None, 2j, specs))
        _assert_bitwise(
            gridgrad.gradient(f, boundary="periodic"), _reference(f, None, None, periodic)
        )
    masked = np.ma.array(f, mask=np.arange(9) == 4)
    g = gridgrad.numpy_gradient(masked)
    assert type(g) is np.ma.MaskedArray
    assert g.mask.tolist() == [False, False, False, True, False, True, False, False, False]


def test_compiled_program_runs_the_plans_expressions() -> None:
    """compile_plan on its own: every eligible plan of every stencil shape."""
    f = _values((7, 6), "float64", seed=8)
    for accuracy, edge, order in itertools.product([2, 4], [1, 2, 3, 4], [1, 2]):
        if edge > accuracy:
            continue
        spec = AxisSpec(order, accuracy, edge)
        plan = build_plan(
            f.shape, (1, 0), [Step(0.5), Step(2)], 1, f.dtype, f.dtype, specs=[spec] * 2
        )
        program = numpy_inplace.compile_plan(plan)
        assert program is not None
        outs = tuple(np.empty(f.shape) for _ in plan.axes)
        with np.errstate(all="ignore"):
            _assert_bitwise(program(f), array_api.gradient(plan, f, np, outs))
