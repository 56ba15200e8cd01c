"""gridgrad.numpy_gradient against numpy.gradient: a drop-in, bitwise where the formulas agree."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import gridgrad
from cases import Case, cases, spacing_entries, values

DTYPES = ["float16", "float32", "float64", "complex128", "int64", "int8", "uint8", "uint64"]


def _varargs(case: Case, entries: list[object]) -> tuple[object, ...]:
    if case.spacing == "none":
        return ()
    if case.spacing == "scalar":
        return (entries[0],)
    return tuple(entries)


def _axis(case: Case):
    return tuple(case.dim) if isinstance(case.dim, list) else case.dim


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", cases(), ids=Case.id)
def test_matches_numpy(case: Case, dtype: str) -> None:
    rng = np.random.default_rng(zlib.crc32(f"np{case.id()}{dtype}".encode()))
    f = values(case.shape, dtype, rng)
    f_before = f.copy()
    args = _varargs(case, spacing_entries(case, rng))
    kw = {"axis": _axis(case), "edge_order": case.edge_order}

    ours = gridgrad.numpy_gradient(f, *args, **kw)
    ref = np.gradient(f, *args, **kw)

    assert type(ours) is type(ref)
    ours_t, ref_t = (ours, ref) if isinstance(ref, tuple) else ((ours,), (ref,))
    assert len(ours_t) == len(ref_t)
    # the same expressions in the same order (numpy's own uniform second-order edges
    # a*f0 + b*f1 + c*f2 included): bitwise equal, the bytes compared (signed zeros)
    for o, r in zip(ours_t, ref_t):
        assert o.dtype == r.dtype and o.shape == r.shape
        np.testing.assert_array_equal(o, r)
        assert o.tobytes() == r.tobytes()
    np.testing.assert_array_equal(f, f_before)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32", "uint64"])
def test_unsigned_integers_do_not_wrap(dtype: str) -> None:
    f = np.array([5, 3, 0, 9], dtype=dtype)
    ours = gridgrad.numpy_gradient(f)
    np.testing.assert_array_equal(ours, [-2.0, -2.5, 3.0, 9.0])
    np.testing.assert_array_equal(ours, np.gradient(f))
    assert ours.dtype == np.float64


DATES = np.array(
    [
        "1910-08-16",
        "1910-08-11",
        "1910-08-10",
        "1910-08-12",
        "1910-10-12",
        "1910-12-12",
        "1912-12-12",
    ],
    dtype="datetime64[D]",
)


@pytest.mark.parametrize("unit", ["D", "s", "ns"])
def test_datetime_values(unit: str) -> None:
    f = DATES.astype(f"datetime64[{unit}]")
    ours = gridgrad.numpy_gradient(f)
    assert ours.dtype == np.dtype(f"timedelta64[{unit}]")
    np.testing.assert_array_equal(ours, np.gradient(f))
    np.testing.assert_array_equal(gridgrad.numpy_gradient(f, 2.0), np.gradient(f, 2.0))
    x = np.array([0, 1, 3, 4, 7, 9, 12.0])
    np.testing.assert_array_equal(gridgrad.numpy_gradient(f, x), np.gradient(f, x))
    np.testing.assert_array_equal(
        gridgrad.numpy_gradient(f, x, edge_order=2), np.gradient(f, x, edge_order=2)
    )


@pytest.mark.parametrize("spacing", [(), (2.0,), (np.float32(3.0),)])
def test_datetime_second_order_edges_as_numpy(spacing) -> None:
    # numpy truncates each of the three products (-1.5/h) * f0 ... to whole units (its
    # edge values depend on the absolute dates): a drop-in gives the same numbers
    ours = gridgrad.numpy_gradient(DATES, *spacing, edge_order=2)
    ref = np.gradient(DATES, *spacing, edge_order=2)
    assert ours.dtype == ref.dtype
    np.testing.assert_array_equal(ours, ref)


def test_timedelta_values() -> None:
    f = np.array([-5, -1, 10, 12, 61, 1461, 1461], dtype="timedelta64[D]")
    ours = gridgrad.numpy_gradient(f)
    assert ours.dtype == f.dtype
    np.testing.assert_array_equal(ours, np.gradient(f))
    np.testing.assert_array_equal(ours, np.array([4, 7, 6, 25, 724, 700, 0], dtype="m8[D]"))


def test_timedelta_coordinates_count_in_their_unit() -> None:
    f = np.array([0.0, 1, 3, 6, 10, 15, 21])
    x = np.array([0, 1, 3, 4, 7, 9, 12], dtype="timedelta64[s]")
    np.testing.assert_array_equal(gridgrad.numpy_gradient(f, x), np.gradient(f, x))
    np.testing.assert_array_equal(
        gridgrad.numpy_gradient(f, np.timedelta64(2, "s")), np.gradient(f, 2.0)
    )


def test_datetime_coordinates_where_numpy_fails() -> None:
    f = np.array([0.0, 1, 3, 6, 10, 15, 21])
    days = np.array([0, 1, 3, 4, 7, 9, 12])
    x = np.datetime64("2020-01-01") + days.astype("timedelta64[D]")
    with pytest.raises(TypeError):
        np.gradient(f, x)  # numpy cannot multiply its timedelta steps
    np.testing.assert_array_equal(gridgrad.numpy_gradient(f, x), np.gradient(f, days))
    uniform = np.datetime64("2020-01-01") + np.arange(7).astype("timedelta64[D]")
    np.testing.assert_array_equal(gridgrad.numpy_gradient(f, uniform), np.gradient(f))


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("coords", [False, True])
def test_masked_arrays(edge_order: int, coords: bool) -> None:
    x = np.ma.array(
        [[1.0, 2, 4, 8, 16, 32], [1, 3, 2, 5, 4, 7]], mask=[[0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1]]
    )
    mask_before = x.mask.copy()
    args = (np.array([0, 1, 2.5, 3, 5, 6]),) if coords else ()
    ours = gridgrad.numpy_gradient(x, *args, axis=1, edge_order=edge_order)
    ref = np.gradient(x, *args, axis=1, edge_order=edge_order)
    assert type(ours) is np.ma.MaskedArray
    np.testing.assert_array_equal(np.ma.getmaskarray(ours), np.ma.getmaskarray(ref))
    np.testing.assert_allclose(ours.compressed(), ref.compressed(), rtol=1e-14)
    assert ours._mask is not x._mask
    np.testing.assert_array_equal(x.mask, mask_before)


def test_masked_array_without_mask() -> None:
    x = np.ma.array([[1, 1], [3, 4]], mask=[[False, False], [False, False]])
    out = gridgrad.numpy_gradient(x)[0]
    assert type(out) is type(x)
    assert x._mask is not out._mask
    np.testing.assert_array_equal(out, np.gradient(x)[0])


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_matrix_subclass_kept() -> None:
    m = np.matrix([[1.0, 2, 4], [3, 5, 9]])
    ours = gridgrad.numpy_gradient(m)
    ref = np.gradient(m)
    for o, r in zip(ours, ref):
        assert type(o) is np.matrix
        np.testing.assert_array_equal(o, r)


def test_custom_subclass_finalized_from_input() -> None:
    class Tagged(np.ndarray):
        def __array_finalize__(self, obj):
            self.tag = getattr(obj, "tag", None)

    a = np.arange(10.0).reshape(2, 5).view(Tagged)
    a.tag = "temperature"
    ours = gridgrad.numpy_gradient(a, axis=1)
    assert type(ours) is Tagged and ours.tag == "temperature"
    np.testing.assert_array_equal(ours, np.gradient(a, axis=1))


@pytest.mark.parametrize(
    ("args", "kw"),
    [
        ((), {}),
        ((2.0,), {}),
        ((np.float32(0.5),), {}),
        ((), {"axis": 0}),
        ((), {"axis": (0,)}),
        ((0.5, 2.0), {}),
        ((), {"axis": -1, "edge_order": 2}),
    ],
)
def test_return_convention(args, kw) -> None:
    f = np.arange(12.0).reshape(3, 4) ** 2
    ours = gridgrad.numpy_gradient(f, *args, **kw)
    ref = np.gradient(f, *args, **kw)
    assert type(ours) is type(ref)
    if isinstance(ref, tuple):
        assert len(ours) == len(ref)
        for o, r in zip(ours, ref):
            np.testing.assert_allclose(o, r, rtol=1e-14)
    else:
        np.testing.assert_allclose(ours, ref, rtol=1e-14)


def test_0d_and_lists() -> None:
    assert gridgrad.numpy_gradient(np.array(3.0)) == ()
    assert np.gradient(np.array(3.0)) == ()
    np.testing.assert_array_equal(gridgrad.numpy_gradient([1, 2, 4, 8]), np.gradient([1, 2, 4, 8]))


def test_float32_with_numpy_scalar_spacing_promotes_like_numpy() -> None:
    f = np.random.default_rng(3).standard_normal(50).astype(np.float32)
    for h in (np.float64(0.1), 0.1, np.float32(0.1)):
        np.testing.assert_array_equal(gridgrad.numpy_gradient(f, h), np.gradient(f, h))


@pytest.mark.parametrize("edge_order", [1, 2])
def test_float16_same_bits_at_every_size(edge_order: int) -> None:
    """float16 stays on the NumPy engines, which round after each operation as numpy
    does: large inputs (where float32/64 would run on the kernels) give numpy's bits."""
    rng = np.random.default_rng(5)
    for shape in [(7,), (64, 64, 130)]:  # the second is above the kernels' threshold
        f = (rng.standard_normal(shape) * 50).astype(np.float16)
        for args in [(), (0.1,), (np.float16(0.3),)]:
            ours = gridgrad.numpy_gradient(f, *args, axis=-1, edge_order=edge_order)
            assert ours.tobytes() == np.gradient(f, *args, axis=-1, edge_order=edge_order).tobytes()
