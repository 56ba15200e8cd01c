"""laplacian, divergence and curl on dask arrays: one graph per operator (each input
overlapped once, one task per block on the fused NumPy path), lazy, and bitwise equal
to the same call on the NumPy arrays."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridgrad
from conftest import require

dask = require("dask")
da = require("dask.array")

from gridgrad._engines.dask import widen_chunks  # noqa: E402  (needs dask)

OPS = {"laplacian": gridgrad.laplacian, "divergence": gridgrad.divergence, "curl": gridgrad.curl}


def _no_compute(dsk, keys, **kwargs):  # type: ignore[no-untyped-def]
    msg = "computed before .compute()"
    raise AssertionError(msg)


def _chunks(n: int, kind: str, rng: np.random.Generator) -> Any:
    """One dim's chunks: single samples, pairs, one chunk, or uneven (one of them a
    single sample)."""
    if kind == "ones":
        return 1
    if kind == "twos":
        return 2
    if kind == "one":
        return n
    if n < 3:
        return (n,)
    cut = int(rng.integers(1, n - 1))
    return (cut, 1, n - cut - 1)


def _inputs(op: str, shape: tuple[int, ...], dtype: str, rng: np.random.Generator) -> Any:
    """The NumPy argument of ``op``: one array, or one component per dim."""

    def one() -> np.ndarray:
        a = rng.standard_normal(shape) * 3
        if np.dtype(dtype).kind == "c":
            a = a + 1j * rng.standard_normal(shape)
        return a.astype(dtype)

    if op == "laplacian":
        return one()
    return [one() for _ in shape]


def _lazy(f: Any, chunks: tuple[Any, ...]) -> Any:
    """The dask argument: the first component chunked as given, the others otherwise
    (so that they are unified first)."""
    if isinstance(f, np.ndarray):
        return da.from_array(f, chunks=chunks)
    other = [chunks, 3, -1, 2]
    return [da.from_array(c, chunks=other[k]) for k, c in enumerate(f)]


def _spacing(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> Any:
    if kind == "none":
        return None
    if kind == "scalar":
        return 0.37
    if kind == "per-dim":
        return [0.5 + 0.25 * k for k in range(len(shape))]
    return [np.cumsum(rng.uniform(0.5, 1.5, n)) for n in shape]  # coordinates


def _outputs(r: Any) -> tuple[Any, ...]:
    return r if isinstance(r, tuple) else (r,)


def _check(op: str, f: Any, x: Any, **kw: Any) -> tuple[Any, ...]:
    """The dask call is lazy and gives the NumPy call's results, bitwise, with the
    first input's chunks (or the NumPy call's error)."""
    try:
        ref = _outputs(OPS[op](f, **kw))
    except (ValueError, TypeError, IndexError) as e:
        with dask.config.set(scheduler=_no_compute), pytest.raises(type(e)) as got:
            OPS[op](x, **kw)
        assert str(got.value) == str(e)
        return ()
    with dask.config.set(scheduler=_no_compute):
        lazy = _outputs(OPS[op](x, **kw))
    ours = dask.compute(*lazy, scheduler="sync")
    first = x if isinstance(x, da.Array) else x[0]
    assert len(ours) == len(ref)
    for lz, o, r in zip(lazy, ours, ref):
        assert isinstance(lz, da.Array)
        assert lz.dtype == r.dtype and lz.shape == r.shape
        assert lz.chunks == lazy[0].chunks
        assert type(o) is np.ndarray and o.dtype == r.dtype
        np.testing.assert_array_equal(o, r)
    # the first input's chunks, those narrower than the stencils' reach merged
    for out, before in zip(lazy[0].chunks, first.chunks):
        assert set(np.cumsum(out).tolist()) <= set(np.cumsum(before).tolist())
    return lazy


# --------------------------------------------------------------------------- bitwise


@pytest.mark.parametrize("chunking", ["ones", "twos", "uneven", "one"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize(
    ("op", "shape"),
    [
        ("laplacian", (17,)),
        ("laplacian", (9, 11)),
        ("laplacian", (7, 6, 8)),
        ("divergence", (13,)),
        ("divergence", (9, 11)),
        ("divergence", (7, 6, 8)),
        ("curl", (9, 11)),
        ("curl", (7, 6, 8)),
    ],
)
def test_matches_numpy(op: str, shape: tuple[int, ...], dtype: str, chunking: str) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{op}{shape}{dtype}{chunking}".encode()))
    f = _inputs(op, shape, dtype, rng)
    x = _lazy(f, tuple(_chunks(n, chunking, rng) for n in shape))
    _check(op, f, x)


@pytest.mark.parametrize("accuracy", [2, 4, 6])
@pytest.mark.parametrize("edge_order", [1, 2, None])
@pytest.mark.parametrize("spacing", ["none", "scalar", "per-dim", "coordinates"])
@pytest.mark.parametrize("op", list(OPS))
def test_spacing_edges_accuracy(op: str, spacing: str, edge_order: Any, accuracy: int) -> None:
    shape = (13, 11, 12)
    rng = np.random.default_rng(zlib.crc32(f"{op}{spacing}{edge_order}{accuracy}".encode()))
    f = _inputs(op, shape, "float64", rng)
    x = _lazy(f, (4, (3, 1, 7), 5))
    kw = {"spacing": _spacing(spacing, shape, rng), "edge_order": edge_order, "accuracy": accuracy}
    _check(op, f, x, **kw)


@pytest.mark.parametrize("chunks", [1, 2, 3, 5, -1, ((4, 1, 3, 4),)])
@pytest.mark.parametrize("accuracy", [2, 4, 6])
@pytest.mark.parametrize("spacing", ["none", "coordinates"])
def test_periodic(spacing: str, accuracy: int, chunks: Any) -> None:
    rng = np.random.default_rng(zlib.crc32(f"periodic{spacing}{accuracy}{chunks}".encode()))
    shape = (12, 12)
    sp = _spacing(spacing, shape, rng)
    period = None if sp is None else [float(c[-1] - c[0]) + 1.0 for c in sp]
    kw = {"spacing": sp, "accuracy": accuracy, "boundary": "periodic", "period": period}
    for op in OPS:
        f = _inputs(op, shape, "float64", rng)
        ch = chunks if not isinstance(chunks, tuple) else (chunks[0], chunks[0])
        _check(op, f, _lazy(f, ch), **kw)
    # one periodic dim, one with edges
    f = _inputs("laplacian", shape, "float32", rng)
    kw["boundary"] = ["periodic", "one-sided"]
    kw["period"] = None if period is None else [period[0], None]
    _check("laplacian", f, da.from_array(f, chunks=ch), **kw)


def test_some_dims() -> None:
    rng = np.random.default_rng(11)
    f = rng.standard_normal((6, 9, 10))
    _check("laplacian", f, da.from_array(f, chunks=(2, 3, 4)), dim=(2, 0), accuracy=4)
    comps = [rng.standard_normal((6, 9, 10)) for _ in range(2)]
    lazy = [da.from_array(c, chunks=(2, 3, 4)) for c in comps]
    _check("divergence", comps, lazy, dim=(0, 2), spacing=[0.5, np.cumsum(np.linspace(1, 2, 10))])  # fmt: skip
    (out,) = _check("curl", comps, lazy, dim=(1, 2), edge_order=1)
    assert out.chunks[0] == (2, 2, 2)  # a dim not differentiated keeps its chunks


@pytest.mark.parametrize(
    ("dtype", "spacing"),
    [("int16", None), ("uint8", 0.5), ("float16", None), ("float32", np.float64(0.1)),
     ("float32", 1j), ("complex64", None)],
)  # fmt: skip
def test_dtypes_follow_numpy(dtype: str, spacing: Any) -> None:
    rng = np.random.default_rng(12)
    f = (rng.standard_normal((9, 8)) * 20).astype(dtype)
    _check("laplacian", f, da.from_array(f, chunks=3), spacing=spacing)
    comps = [f, f[::-1].copy()]
    _check("divergence", comps, [da.from_array(c, chunks=(2, 5)) for c in comps], spacing=spacing)
    _check("curl", comps, [da.from_array(c, chunks=(4, 3)) for c in comps], spacing=spacing)


def test_large_blocks_on_the_fused_kernels() -> None:
    """Blocks big enough for the Numba kernels' one pass (loaded first), against the
    reference engine on the NumPy arrays."""
    pytest.importorskip("numba")
    from gridgrad._engines.numba import loader

    assert loader.load(wait=True) is not None
    rng = np.random.default_rng(13)
    shape = (2400, 512)
    x = np.cumsum(rng.uniform(0.5, 1.5, 512))
    kw = {"spacing": [0.25, x], "accuracy": 4}
    f = rng.standard_normal(shape)
    comps = [f, rng.standard_normal(shape)]
    for op, arg, lazy in [
        ("laplacian", f, da.from_array(f, chunks=((1100, 1300), 512))),
        ("divergence", comps, [da.from_array(c, chunks=((1100, 1300), 512)) for c in comps]),
        ("curl", comps, [da.from_array(c, chunks=((1100, 1300), 512)) for c in comps]),
    ]:
        (out,) = _check(op, arg, lazy, **kw)
        with gridgrad.use_engine("reference"):
            ref = OPS[op](arg, **kw)
        np.testing.assert_array_equal(out.compute(), ref)


# --------------------------------------------------------------------------- hypothesis


@st.composite
def _problems(draw: st.DrawFn) -> tuple[Any, ...]:
    op = draw(st.sampled_from(list(OPS)))
    ndim = draw(st.integers(2 if op == "curl" else 1, 3))
    shape = tuple(draw(st.lists(st.integers(4, 13), min_size=ndim, max_size=ndim)))
    kinds = draw(st.lists(st.sampled_from(["ones", "twos", "uneven", "one"]), min_size=ndim, max_size=ndim))  # fmt: skip
    kw: dict[str, Any] = {
        "accuracy": draw(st.sampled_from([2, 4, 6])),
        "edge_order": draw(st.sampled_from([None, 1, 2])),
    }
    spacing = draw(st.sampled_from(["none", "scalar", "per-dim", "coordinates"]))
    periodic = draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim))
    kw["boundary"] = ["periodic" if p else "one-sided" for p in periodic]
    dtype = draw(st.sampled_from(["float32", "float64", "complex64", "complex128"]))
    seed = draw(st.integers(0, 2**32 - 1))
    return op, shape, kinds, spacing, periodic, dtype, seed, kw


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(_problems())
def test_hypothesis(problem: tuple[Any, ...]) -> None:
    op, shape, kinds, spacing, periodic, dtype, seed, kw = problem
    rng = np.random.default_rng(seed)
    sp = _spacing(spacing, shape, rng)
    if spacing == "coordinates":
        kw["period"] = [float(c[-1] - c[0]) + 1.0 if p else None for c, p in zip(sp, periodic)]
    f = _inputs(op, shape, dtype, rng)
    x = _lazy(f, tuple(_chunks(n, k, rng) for n, k in zip(shape, kinds)))
    _check(op, f, x, spacing=sp, **kw)


# --------------------------------------------------------------------------- the graph


def _readers(result: Any, name: str) -> list[str]:
    """The layers of ``result``'s graph that read the layer ``name`` directly."""
    deps = result.__dask_graph__().dependencies
    return [layer for layer, on in deps.items() if name in on]


@pytest.mark.parametrize("op", list(OPS))
def test_each_input_is_read_by_one_layer(op: str) -> None:
    rng = np.random.default_rng(14)
    f = _inputs(op, (12, 12, 8), "float64", rng)
    x = [da.from_array(c, chunks=4) for c in f] if op != "laplacian" else da.from_array(f, chunks=4)
    out = _outputs(OPS[op](x))  # every stencil reaches at most 3 < 4 samples
    inputs = x if isinstance(x, list) else [x]
    for result in out:
        for a in inputs:
            (reader,) = _readers(result, a.name)  # its one overlap, whatever the terms
            assert reader.startswith("overlap")
    fused = [k for k in out[0].__dask_graph__().layers if k.startswith("gridgrad-fused-")]
    assert len(fused) == 1  # one task per block computes every output
    blocks = out[0].__dask_graph__().layers[fused[0]]
    assert len(blocks) == out[0].npartitions
    # the composed path overlaps the input once per derivative
    composed = sum(gridgrad.derivative(inputs[0], d, order=2) for d in range(3))
    assert len(_readers(composed, inputs[0].name)) == 3


def test_lazy_until_compute() -> None:
    made = []

    def source(block: np.ndarray) -> np.ndarray:
        made.append(block.shape)
        return block * 2

    rng = np.random.default_rng(15)
    f = rng.standard_normal((10, 9, 8))
    x = da.from_array(f, chunks=(3, 4, 8)).map_blocks(source, meta=np.empty((0, 0, 0)))
    comps = [x, x + 1, x * 3]
    with dask.config.set(scheduler=_no_compute):
        lap = gridgrad.laplacian(x, spacing=0.5)
        div = gridgrad.divergence(comps, accuracy=4)
        cur = gridgrad.curl(comps, edge_order=1)
    assert made == []
    lap_o, div_o, *cur_o = dask.compute(lap, div, *cur, scheduler="sync")
    assert len(made) == x.npartitions  # every block of the input made once, for all
    g = 2 * f
    np.testing.assert_array_equal(lap_o, gridgrad.laplacian(g, spacing=0.5))
    gs = [g, g + 1, g * 3]
    np.testing.assert_array_equal(div_o, gridgrad.divergence(gs, accuracy=4))
    for o, r in zip(cur_o, gridgrad.curl(gs, edge_order=1)):
        np.testing.assert_array_equal(o, r)


def test_components_of_different_chunks_are_unified() -> None:
    rng = np.random.default_rng(16)
    comps = [rng.standard_normal((12, 10)) for _ in range(2)]
    lazy = [da.from_array(comps[0], chunks=(5, 4)), da.from_array(comps[1], chunks=(3, 10))]
    (div,) = _check("divergence", comps, lazy)
    assert div.chunks == lazy[0].chunks


def test_narrow_chunks_are_widened_as_for_gradient() -> None:
    f = np.random.default_rng(17).standard_normal((9, 7))
    x = da.from_array(f, chunks=((1, 1, 3, 1, 2, 1), (1,) * 7))
    (lap,) = _check("laplacian", f, x)  # its edges' stencils reach 3 samples
    assert lap.chunks == tuple(widen_chunks(c, 3) for c in x.chunks) == ((5, 4), (3, 4))
    comps = [f, f + 1]
    (div,) = _check("divergence", comps, [x, x + 1], edge_order=1)  # reach 1: kept
    assert div.chunks == x.chunks


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("op", "make", "kw"),
    [
        ("divergence", lambda: [np.ones((4, 5)), np.ones((4, 6))], {}),
        ("curl", lambda: [np.ones((4, 5)), np.ones((5, 4))], {}),
        ("curl", lambda: [np.ones((4, 5, 6))] * 4, {}),
        ("divergence", lambda: [np.ones((4, 5))] * 3, {}),
        ("laplacian", lambda: np.ones((4, 5)), {"edge_order": 3}),
        ("laplacian", lambda: np.ones((4, 5)), {"accuracy": 3}),
        ("laplacian", lambda: np.ones((2, 5)), {}),
        ("laplacian", lambda: np.ones((4, 5)), {"dim": 2}),
        ("divergence", lambda: [np.ones((4, 5))] * 2, {"spacing": [1.0]}),
        (
            "curl",
            lambda: [np.ones((6, 5))] * 2,
            {"boundary": "periodic", "spacing": [np.arange(6.0), 1.0]},
        ),
    ],
)
def test_errors_match_numpy(op: str, make: Any, kw: dict[str, Any]) -> None:
    f = make()
    x = da.from_array(f, chunks=2) if isinstance(f, np.ndarray) else [da.from_array(c, chunks=2) for c in f]  # fmt: skip
    with pytest.raises((ValueError, TypeError, IndexError)) as expected:
        OPS[op](f, **kw)
    with dask.config.set(scheduler=_no_compute), pytest.raises(type(expected.value)) as got:
        OPS[op](x, **kw)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize(
    ("shape", "kw"),
    [((0, 4), {"dim": 1}), ((0, 4), {"dim": 1, "boundary": "periodic"}), ((1, 5), {"dim": 1}),
     ((5, 1), {"dim": 0, "accuracy": 4}), ((3, 0), {"dim": 0}), ((0, 4), {})],
)  # fmt: skip
def test_empty_and_thin_inputs(shape: tuple[int, ...], kw: dict[str, Any]) -> None:
    f = np.random.default_rng(18).standard_normal(shape)
    _check("laplacian", f, da.from_array(f, chunks=2), **kw)
    comps = [f, f]
    lazy = [da.from_array(f, chunks=2)] * 2
    dims = {"dim": (kw.get("dim", 0), 1 - kw.get("dim", 0))}
    _check("divergence", comps, lazy, **{**kw, **dims})
    _check("curl", comps, lazy, **{**kw, **dims})


def _fused_layers(result: Any) -> list[str]:
    return [k for k in result.__dask_graph__().layers if k.startswith("gridgrad-fused-")]


def test_forced_engines() -> None:
    """The dask engine forced runs the fused graph; the reference engine forced runs
    on the dask arrays as on any library (composed); the Numba engine forced cannot
    run dask arrays."""
    f = np.random.default_rng(19).standard_normal((8, 9))
    x = da.from_array(f, chunks=4)
    ref = gridgrad.laplacian(f)
    with gridgrad.use_engine("dask"):
        lap = gridgrad.laplacian(x)
    assert len(_fused_layers(lap)) == 1
    with gridgrad.use_engine("reference"):
        composed = gridgrad.laplacian(x)
    assert _fused_layers(composed) == []
    for out in (lap, composed):
        np.testing.assert_array_equal(out.compute(scheduler="sync"), ref)
    with gridgrad.use_engine("numba"), pytest.raises(ValueError, match="'numba' engine is forced"):
        gridgrad.laplacian(x)


def test_dask_and_numpy_components_are_composed() -> None:
    rng = np.random.default_rng(20)
    comps = [rng.standard_normal((8, 9)) for _ in range(2)]
    out = gridgrad.divergence([da.from_array(comps[0], chunks=4), comps[1]])
    assert _fused_layers(out) == []
    np.testing.assert_array_equal(np.asarray(out), gridgrad.divergence(comps))


def test_five_dims() -> None:
    f = np.random.default_rng(21).standard_normal((4, 5, 4, 5, 6))
    _check("laplacian", f, da.from_array(f, chunks=(2, 5, 4, 3, 6)), accuracy=2, edge_order=1)
    comps = [f, f * 2, f + 1]
    lazy = [da.from_array(c, chunks=(2, 3, 4, 5, 3)) for c in comps]
    _check("curl", comps, lazy, boundary="periodic")
