"""gridgrad.gradient on dask arrays: lazy, blockwise, bitwise equal to the NumPy path."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import gridgrad
from cases import Case, cases, spacing_entries, values
from conftest import require

dask = require("dask")
da = require("dask.array")

from gridgrad._engines.dask import widen_chunks  # noqa: E402  (needs dask)

# one chunk is tested below; here every block borrows ghost cells
CHUNKINGS = ["ones", "twos", "uneven"]


def _uneven(n: int, rng: np.random.Generator) -> tuple[int, ...]:
    """Two or three chunks of different sizes, one of them a single sample."""
    if n < 3:
        return (n,)
    cut = int(rng.integers(1, n - 1))
    return (cut, 1, n - cut - 1)


def _chunks(shape: tuple[int, ...], kind: str, rng: np.random.Generator):
    if kind == "ones":
        return 1
    if kind == "twos":
        return 2
    return tuple(_uneven(n, rng) for n in shape)


def _user_spacing(case: Case, entries: list[object]):
    if case.spacing == "none":
        return None
    if case.spacing == "scalar":
        return entries[0]
    return tuple(entries)


def _no_compute(dsk, keys, **kwargs):
    msg = "computed before .compute()"
    raise AssertionError(msg)


@pytest.mark.parametrize("chunking", CHUNKINGS)
@pytest.mark.parametrize("case", cases(), ids=Case.id)
def test_matches_numpy_path(case: Case, chunking: str) -> None:
    rng = np.random.default_rng(zlib.crc32(f"dask{case.id()}{chunking}".encode()))
    f = values(case.shape, "float64", rng)
    entries = spacing_entries(case, rng)
    kw = {"spacing": _user_spacing(case, entries), "dim": case.dim, "edge_order": case.edge_order}
    x = da.from_array(f, chunks=_chunks(case.shape, chunking, rng))
    with dask.config.set(scheduler=_no_compute):
        lazy = gridgrad.gradient(x, **kw)
    ours = dask.compute(*lazy, scheduler="sync")
    ref = gridgrad.gradient(f, **kw)
    assert len(ours) == len(ref) == len(case.dims)
    for lz, o, r in zip(lazy, ours, ref):
        assert isinstance(lz, da.Array) and lz.dtype == r.dtype and lz.shape == r.shape
        assert type(o) is np.ndarray and o.dtype == r.dtype
        np.testing.assert_array_equal(o, r)  # the same arithmetic per point: bitwise
    # and numpy.gradient, the library both follow (uniform 2nd-order edges to rounding)
    np_ref = np.gradient(f, *entries, axis=case.dims, edge_order=case.edge_order)
    np_ref = np_ref if isinstance(np_ref, tuple) else (np_ref,)
    for o, r in zip(ours, np_ref):
        np.testing.assert_allclose(o, r, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(r).max()))


@pytest.mark.parametrize(
    ("dtype", "spacing", "expected"),
    [
        ("int64", None, np.float64),
        ("int8", None, np.float64),
        ("uint8", 0.5, np.float64),
        ("float32", None, np.float32),
        ("float32", np.float64(0.1), np.float32),
        ("float16", None, np.float16),
        ("float32", 1j, np.complex64),
        ("float32", (np.array([0.0, 1, 3, 4, 5, 7, 8, 10]),), np.float32),
        ("complex128", None, np.complex128),
    ],
)
def test_dtypes_follow_numpy(dtype, spacing, expected) -> None:
    f = values((8,), dtype, np.random.default_rng(1))
    (lazy,) = gridgrad.gradient(da.from_array(f, chunks=3), spacing=spacing)
    (ref,) = gridgrad.gradient(f, spacing=spacing)
    assert lazy.dtype == ref.dtype == expected
    out = lazy.compute(scheduler="sync")
    assert out.dtype == expected
    np.testing.assert_array_equal(out, ref)


def test_integers_do_not_wrap() -> None:
    f = np.array([250, 3, 0, 255, 7], dtype=np.uint8)
    (g,) = gridgrad.gradient(da.from_array(f, chunks=2))
    np.testing.assert_array_equal(g.compute(scheduler="sync"), np.gradient(f))


def test_datetimes_give_timedeltas() -> None:
    f = np.array(["2020-01-01", "2020-01-03", "2020-01-07", "2020-02-01"], dtype="M8[s]")
    (g,) = gridgrad.gradient(da.from_array(f, chunks=1), edge_order=2)
    assert g.dtype == np.dtype("m8[s]")
    np.testing.assert_array_equal(
        g.compute(scheduler="sync"), gridgrad.gradient(f, edge_order=2)[0]
    )


def test_stays_lazy_until_compute() -> None:
    f = np.random.default_rng(2).standard_normal((30, 20))
    x = np.cumsum(np.linspace(0.5, 1.5, 20))
    computes = []

    def counting(dsk, keys, **kwargs):
        computes.append(keys)
        return dask.get(dsk, keys, **kwargs)

    with dask.config.set(scheduler=counting):
        d = da.from_array(f, chunks=(7, 3)).astype(np.float32) * 2
        _, g1 = gridgrad.gradient(d, spacing=(0.5, x), edge_order=2)
        assert computes == []
        out = g1.compute()
        assert len(computes) == 1
    np.testing.assert_array_equal(
        out, gridgrad.gradient(2 * f.astype(np.float32), spacing=(0.5, x), edge_order=2)[1]
    )


def test_narrow_chunks_are_widened() -> None:
    f = np.random.default_rng(3).standard_normal((9, 7))
    x = da.from_array(f, chunks=((1, 1, 3, 1, 2, 1), (1,) * 7))
    g0, g1 = gridgrad.gradient(x, edge_order=2)  # the stencils reach 2 samples
    assert g0.chunks == g1.chunks
    assert min(g0.chunks[0]) >= 2 and min(g0.chunks[1]) >= 2
    assert sum(g0.chunks[0]) == 9 and sum(g0.chunks[1]) == 7
    (h,) = gridgrad.gradient(x, dim=0)  # reach 1: only the other dims keep their chunks
    assert h.chunks == x.chunks
    for o, r in zip(dask.compute(g0, g1, scheduler="sync"), gridgrad.gradient(f, edge_order=2)):
        np.testing.assert_array_equal(o, r)


@pytest.mark.parametrize(
    ("chunks", "minimum", "expected"),
    [
        ((3, 3, 3), 2, (3, 3, 3)),
        ((1, 1, 1, 1, 1), 2, (2, 3)),
        ((5, 1, 5), 2, (5, 6)),
        ((1, 5), 2, (6,)),
        ((5, 1), 2, (6,)),
        ((3, 0, 3), 1, (3, 3)),
        ((0, 4), 2, (4,)),
        ((2,), 2, (2,)),
    ],
)
def test_widen_chunks(chunks, minimum, expected) -> None:
    assert widen_chunks(chunks, minimum) == expected


@pytest.mark.parametrize("chunks", [1, -1], ids=["single-samples", "one-chunk"])
@pytest.mark.parametrize("edge_order", [1, 2])
def test_coordinates_per_block(chunks, edge_order) -> None:
    f = np.random.default_rng(4).standard_normal((6, 11))
    x = np.cumsum(np.random.default_rng(5).uniform(0.5, 1.5, 11))
    kw = {"spacing": (0.5, x), "edge_order": edge_order}
    lazy = gridgrad.gradient(da.from_array(f, chunks=chunks), **kw)
    for o, r in zip(dask.compute(*lazy, scheduler="sync"), gridgrad.gradient(f, **kw)):
        np.testing.assert_array_equal(o, r)


def test_dask_coordinates_are_computed_at_call_time() -> None:
    f = np.random.default_rng(6).standard_normal(9)
    x = np.cumsum(np.linspace(0.5, 1.5, 9))
    (lazy,) = gridgrad.gradient(da.from_array(f, chunks=4), spacing=(da.from_array(x, chunks=4),))
    np.testing.assert_array_equal(
        lazy.compute(scheduler="sync"), gridgrad.gradient(f, spacing=(x,))[0]
    )


def test_empty_and_zero_dim_inputs() -> None:
    (g,) = gridgrad.gradient(da.zeros((0, 4), chunks=2), dim=1)
    assert g.shape == (0, 4) and g.compute(scheduler="sync").shape == (0, 4)
    assert gridgrad.gradient(da.from_array(np.array(3.0))) == ()


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"edge_order": 3}, ValueError, "`edge_order` must be 1 or 2; got 3"),
        ({"dim": 2}, IndexError, "`dim` 2 is out of range"),
        ({"spacing": 0.0}, ValueError, "finite, nonzero step"),
        ({"spacing": (np.array([0.0, 1, 1, 2, 3]),), "dim": 1}, ValueError, "distinct"),
        ({"spacing": (1.0,)}, ValueError, "one entry per differentiated"),
    ],
)
def test_bad_arguments_raise_before_any_compute(kw, error, match) -> None:
    x = da.from_array(np.ones((4, 5)), chunks=2)
    with dask.config.set(scheduler=_no_compute), pytest.raises(error, match=match):
        gridgrad.gradient(x, **kw)


def test_bad_inputs_raise() -> None:
    with pytest.raises(TypeError, match="dtype bool"):
        gridgrad.gradient(da.ones(4, dtype=bool, chunks=2))
    with pytest.raises(ValueError, match="needs at least edge_order"):
        gridgrad.gradient(da.ones(2, chunks=1), edge_order=2)
    unknown = da.from_array(np.arange(10.0), chunks=3)
    unknown = unknown[unknown > 2]  # unknown chunk sizes
    with (
        dask.config.set(scheduler=_no_compute),
        pytest.raises(ValueError, match="compute_chunk_sizes"),
    ):
        gridgrad.gradient(unknown)


def test_distributed_local_cluster() -> None:
    distributed = require("distributed")
    f = np.random.default_rng(7).standard_normal((40, 30)).astype(np.float32)
    x = np.cumsum(np.linspace(0.5, 1.5, 30))
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        lazy = gridgrad.gradient(da.from_array(f, chunks=(7, 4)), spacing=(0.3, x), edge_order=2)
        ours = client.compute(list(lazy), sync=True)
        assert len(client.scheduler_info()["workers"]) == 2
    ref = gridgrad.gradient(f, spacing=(0.3, x), edge_order=2)
    for o, r in zip(ours, ref):
        assert o.dtype == np.float32
        np.testing.assert_array_equal(o, r)
    np.testing.assert_allclose(ours[0], np.gradient(f, 0.3, axis=0, edge_order=2), rtol=1e-5)


@pytest.mark.parametrize(
    ("args", "kw"),
    [((), {}), ((2.0,), {}), ((), {"axis": 1}), ((0.5, np.array([0, 1, 3, 4, 7.0])), {})],
)
def test_numpy_gradient_stays_lazy(args, kw) -> None:
    f = np.random.default_rng(8).standard_normal((4, 5))
    with dask.config.set(scheduler=_no_compute):
        lazy = gridgrad.numpy_gradient(da.from_array(f, chunks=2), *args, **kw)
    ref = np.gradient(f, *args, **kw)
    assert isinstance(lazy, tuple) if isinstance(ref, tuple) else isinstance(lazy, da.Array)
    lazy, ref = (lazy, ref) if isinstance(ref, tuple) else ((lazy,), (ref,))
    assert len(lazy) == len(ref)
    for o, r in zip(dask.compute(*lazy, scheduler="sync"), ref):
        np.testing.assert_array_equal(o, r)


def test_numpy_gradient_errors_name_numpy_arguments() -> None:
    x = da.from_array(np.ones((4, 5)), chunks=2)
    with pytest.raises(IndexError, match="`axis` 3"):
        gridgrad.numpy_gradient(x, axis=3)
    with pytest.raises(TypeError, match="`varargs`"):
        gridgrad.numpy_gradient(x, 1.0, 2.0, 3.0)
