"""The fused kernel's interior path (``fused_kernels.interior``): where every term is
a plain difference with one scale, each output's terms are summed in registers.
It must give the bits of the reference engine (each derivative on its own, then
added left to right), take exactly the cases it claims, and leave the others to
the generic kernel."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridgrad
from gridgrad._api import checked
from gridgrad._combination import Combination
from gridgrad._combination import gradient as all_dims
from gridgrad._options import Options
from gridgrad._request import gradient_request

pytest.importorskip("numba")
fused = pytest.importorskip("gridgrad._engines.numba.fused")
driver = pytest.importorskip("gridgrad._engines.numba.driver")
loader = pytest.importorskip("gridgrad._engines.numba.loader")


def _bits(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view({4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def _same_bits(fast: tuple[np.ndarray, ...], ref: tuple[np.ndarray, ...]) -> None:
    assert len(fast) == len(ref)
    for a, b in zip(fast, ref):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(_bits(a), _bits(b))


class _Spy:
    """Counts the interior kernel's runs (and lets them run)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        loader.load()  # the background warm-up's own runs are not counted
        self.structures: list[tuple[int, ...]] = []
        real = fused._interior_entry

        self.geoms: list[np.ndarray] = []

        def spy(xs, outs, args, shape):  # type: ignore[no-untyped-def]
            self.structures.append(tuple(shape))
            self.geoms.append(args[0])
            return real(xs, outs, args, shape)

        monkeypatch.setattr(fused, "_interior_entry", spy)


def _ops(name: str, f: np.ndarray, **kw):  # type: ignore[no-untyped-def]
    """The operator ``name`` on ``f`` (components built from ``f``) as a tuple."""
    comps = [f * (k + 1) - k for k in range(f.ndim)]
    if name == "laplacian":
        return (gridgrad.laplacian(f, **kw),)
    if name == "divergence":
        return (gridgrad.divergence(comps, **kw),)
    if name == "curl":
        out = gridgrad.curl(comps, **kw)
        return tuple(out) if isinstance(out, (tuple, list)) else (out,)
    raise AssertionError(name)


def _both(name: str, f: np.ndarray, **kw):  # type: ignore[no-untyped-def]
    with gridgrad.use_engine("numba"):
        fast = _ops(name, f, **kw)
    with gridgrad.use_engine("reference"):
        ref = _ops(name, f, **kw)
    return fast, ref


@pytest.mark.parametrize("name", ["laplacian", "divergence"])
@pytest.mark.parametrize("shape", [(50,), (9, 13), (5, 6, 7), (4, 5, 4, 6)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interior_taken_and_bitwise(monkeypatch, name, shape, dtype) -> None:  # type: ignore[no-untyped-def]
    spy = _Spy(monkeypatch)
    f = (np.random.default_rng(1).standard_normal(shape) * 3).astype(dtype)
    fast, ref = _both(name, f, spacing=0.3)
    _same_bits(fast, ref)
    kind = 2 if name == "laplacian" else 1
    assert spy.structures == [(1, len(shape), kind, 1)]  # one output, a term per dim, divided


def test_curl_three_outputs_of_two_terms(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spy = _Spy(monkeypatch)
    f = np.random.default_rng(2).standard_normal((6, 7, 8))
    fast, ref = _both("curl", f, spacing=0.5)
    _same_bits(fast, ref)
    assert spy.structures == [(3, 2, 1, 2)]  # a power-of-two step: multiplied


def test_all_dims_one_pass_four_outputs(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spy = _Spy(monkeypatch)
    f = np.random.default_rng(3).standard_normal((5, 6, 7, 9))
    call = checked(gradient_request, f, None, 0.7, Options())
    comb = all_dims(call.plan)
    with gridgrad.use_engine("numba"):
        fast = fused.combine(comb, (f,))
    with gridgrad.use_engine("reference"):
        ref = gridgrad.gradient(f, spacing=0.7)
    _same_bits(fast, tuple(ref))
    assert spy.structures == [(4, 1, 1, 3)]  # divided, then halved (torch.gradient's expression)


@pytest.mark.parametrize(
    "spacing",
    [
        pytest.param("coords", id="coordinates: per-point weights"),
        pytest.param([0.5, 0.3, 0.25], id="mixed scalings: divide and multiply"),
    ],
)
def test_not_plain_left_to_generic(monkeypatch, spacing) -> None:  # type: ignore[no-untyped-def]
    spy = _Spy(monkeypatch)
    rng = np.random.default_rng(4)
    f = rng.standard_normal((6, 7, 8))
    if spacing == "coords":
        spacing = [np.cumsum(rng.uniform(0.5, 1.5, n)) for n in f.shape]
    fast, ref = _both("laplacian", f, spacing=spacing)
    _same_bits(fast, ref)
    assert spy.structures == []


def test_higher_accuracy_left_to_generic(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spy = _Spy(monkeypatch)
    f = np.random.default_rng(5).standard_normal((12, 13))
    fast, ref = _both("laplacian", f, accuracy=4)
    _same_bits(fast, ref)
    assert spy.structures == []


def test_strided_layout_left_to_generic(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spy = _Spy(monkeypatch)
    f = np.random.default_rng(6).standard_normal((10, 12, 14))[:, ::2, 1:]
    fast, ref = _both("laplacian", f)
    _same_bits(fast, ref)
    assert spy.structures == []


def test_fortran_order_takes_the_interior(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spy = _Spy(monkeypatch)
    f = np.asfortranarray(np.random.default_rng(7).standard_normal((9, 10, 11)))
    fast, ref = _both("laplacian", f, spacing=[0.1, 0.2, 0.3])
    _same_bits(fast, ref)
    assert fast[0].flags.f_contiguous
    assert len(spy.structures) == 1


@pytest.mark.parametrize("n", [63, 64, 67, 201])
def test_rows_cut_in_blocks(monkeypatch, n) -> None:  # type: ignore[no-untyped-def]
    """Rows longer than a task's block (64 points here, as rows of over 2**18 points
    are cut): the end points only in the first and last block of a row."""
    monkeypatch.setattr(fused, "_ROW_BLOCK", 64)
    fused._PLANNED.clear()  # plans made with the usual block
    spy = _Spy(monkeypatch)
    f = np.random.default_rng(8).standard_normal((4, n))
    try:
        for eo in (1, 2):
            fast, ref = _both("laplacian", f, edge_order=eo)
            _same_bits(fast, ref)
    finally:
        fused._PLANNED.clear()
    assert len(spy.structures) == 2
    assert [int(geom[13]) for geom in spy.geoms] == [64, 64]


@pytest.mark.parametrize(
    "shape", [(256, 256, 256), (130, 130), (32, 5, 64, 64), (4, 300000), (5, 4, 9)]
)
def test_tasks_long_but_enough_of_them(monkeypatch, shape) -> None:  # type: ignore[no-untyped-def]
    """A task of the interior kernel writes up to ``_ROW_BLOCK`` points of each
    output (whole rows where they are shorter: a long stretch of memory), and there
    are at least ``_MIN_TASKS`` tasks where the box has that many rows."""
    spy = _Spy(monkeypatch)
    with gridgrad.use_engine("numba"):
        gridgrad.laplacian(np.zeros(shape))
    (geom,) = spy.geoms
    box = geom[4:12].reshape(4, 2)
    nrow = int(np.prod(box[:3, 1] - box[:3, 0]))
    width = int(box[3, 1] - box[3, 0])
    rows, block = int(geom[12]), int(geom[13])
    assert block == fused._ROW_BLOCK
    assert rows == 1 or rows * width <= block  # up to a block's points per task
    ntask = -(-nrow // rows) * -(-width // block)
    assert ntask >= min(nrow, fused._MIN_TASKS)
    # as long as that allows: one more row per task would leave too few tasks
    assert rows * width > block - width or nrow // (rows + 1) < fused._MIN_TASKS


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_signed_zeros_and_nonfinite(dtype) -> None:  # type: ignore[no-untyped-def]
    """Zeros of either sign, infinities and NaNs: the same bits (a subtracted term is
    added times -1 on the interior path, which IEEE makes exactly a subtraction)."""
    rng = np.random.default_rng(9)
    f = rng.choice(np.array([0.0, -0.0, 1.0, -1.0, 2.5], dtype), size=(7, 8, 9))
    f[3, 4, 5], f[1, 2, 3], f[5, 5, 5] = np.inf, -np.inf, np.nan
    for name in ("laplacian", "divergence", "curl"):
        for spacing in (None, 0.3):
            fast, ref = _both(name, f, spacing=spacing)
            _same_bits(fast, ref)


def test_periodic_wraps_at_the_row_ends(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spy = _Spy(monkeypatch)
    f = np.random.default_rng(10).standard_normal((6, 7, 40))
    for boundary in ("periodic", ["one-sided", "periodic", "periodic"]):
        fast, ref = _both("laplacian", f, boundary=boundary)
        _same_bits(fast, ref)
        fast, ref = _both("divergence", f, boundary=boundary, spacing=0.2)
        _same_bits(fast, ref)
    assert len(spy.structures) == 4


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_any_number_of_threads(threads, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(driver, "THREAD_WORK", 1)  # this size would run on one thread
    f = np.random.default_rng(11).standard_normal((17, 19, 23))
    with gridgrad.use_engine("reference"):
        ref = _ops("curl", f, spacing=0.3)
    before = driver.set_threads(threads)
    try:
        with gridgrad.use_engine("numba"):
            fast = _ops("curl", f, spacing=0.3)
    finally:
        driver.set_threads(before)
    _same_bits(fast, ref)


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_split_jobs_runs_every_task_once_on_one_hand_over(monkeypatch, threads) -> None:  # type: ignore[no-untyped-def]
    """Jobs of different sizes (the interior and the other rows): every task of
    each job runs once, in contiguous ranges; the pool is handed work once, not
    once per job."""
    import threading

    ran: list[tuple[str, int, int]] = []
    lock = threading.Lock()

    def job(name):  # type: ignore[no-untyped-def]
        def run(before, t0, t1, after):  # type: ignore[no-untyped-def]
            assert (before, after) == ("b", "a")
            with lock:
                ran.append((name, t0, t1))

        return run

    sizes = {"interior": 10, "rows": 3, "none": 0}
    submitted = []
    real_submit = driver.ThreadPoolExecutor.submit
    monkeypatch.setattr(driver.ThreadPoolExecutor, "submit", lambda self, *a: submitted.append(1) or real_submit(self, *a))  # fmt: skip
    before = driver.set_threads(threads)
    try:
        driver.split_jobs([(job(n), k, ("b",), ("a",)) for n, k in sizes.items()])
    finally:
        driver.set_threads(before)
    for name, size in sizes.items():
        mine = sorted((t0, t1) for n, t0, t1 in ran if n == name)
        covered = [t for t0, t1 in mine for t in range(t0, t1)]
        assert covered == list(range(size))  # each task once, ranges contiguous
    assert len(submitted) == min(threads, 10) - 1  # one hand-over for all the jobs


@pytest.mark.parametrize(("work", "threads", "expected"), [(None, 3, 3), (0, 3, 1), (2**19 - 1, 3, 1), (2**19, 3, 1), (2**20, 3, 2), (2**30, 3, 3), (2**30, 1, 1)])  # fmt: skip
def test_threads_only_for_enough_work(monkeypatch, work, threads, expected) -> None:  # type: ignore[no-untyped-def]
    """A call writing ``work`` points runs on at most one thread per
    ``THREAD_WORK`` of them (a hand-over costs more than a small call's work)."""
    submitted = []
    real_submit = driver.ThreadPoolExecutor.submit
    monkeypatch.setattr(driver.ThreadPoolExecutor, "submit", lambda self, *a: submitted.append(1) or real_submit(self, *a))  # fmt: skip
    ran = []
    before = driver.set_threads(threads)
    try:
        driver.split_jobs([(lambda t0, t1: ran.append((t0, t1)), 12, (), ())], work)
    finally:
        driver.set_threads(before)
    assert len(submitted) == expected - 1
    assert sorted(t for t0, t1 in ran for t in range(t0, t1)) == list(range(12))


def test_small_calls_hand_nothing_to_other_threads(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The fused pass and the per-axis passes pass the points they write: a small
    call runs on the calling thread alone, a large one on several."""
    seen = []
    real = driver.split_jobs

    def spy(jobs, work=None):  # type: ignore[no-untyped-def]
        seen.append(work)
        return real(jobs, work)

    monkeypatch.setattr(driver, "split_jobs", spy)
    monkeypatch.setattr(fused, "split_jobs", spy)
    f = np.random.default_rng(15).standard_normal((6, 7, 20))
    with gridgrad.use_engine("numba"):
        gridgrad.gradient(f)  # one pass: 3 outputs
        gridgrad.gradient(f, spacing=(np.arange(6.0) ** 2, 1.0, 1.0))  # per axis
    assert seen == [3 * f.size] + [f.size] * 3


def test_repeated_calls_plan_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A repeated call (the same plan, so the same tables) plans nothing again; a
    new shape or new tables plan anew, and every call gives the same bits."""
    loader.load()  # its warm-up plans too
    built = []
    real = fused._interior
    monkeypatch.setattr(fused, "_interior", lambda *a: built.append(1) or real(*a))
    f = np.random.default_rng(13).standard_normal((9, 10, 20))  # rows of 20: one pass
    with gridgrad.use_engine("reference"):
        ref = gridgrad.gradient(f, spacing=0.5)
    with gridgrad.use_engine("numba"):
        first = gridgrad.gradient(f, spacing=0.5)
        again = gridgrad.gradient(f, spacing=0.5)
        assert len(built) == 1
        gridgrad.gradient(f[:8], spacing=0.5)  # another shape: planned
        assert len(built) == 2
        gridgrad.gradient(f, spacing=0.25)  # other tables: planned
        assert len(built) == 3
    _same_bits(first, ref)
    _same_bits(again, ref)


def test_large_tables_are_rebuilt_not_kept(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A non-uniform axis' table grows with the axis (a weight per point): it is not
    kept alive between calls, nor is the fused pass's layout of it; small ones are."""
    from gridgrad._engines.numba import tables

    loader.load()
    large = []
    real_build = tables.build

    def build(ax, dtype):  # type: ignore[no-untyped-def]
        t = real_build(ax, dtype)
        if t.nbytes > tables.KEEP_BYTES:
            large.append(ax.axis)
        return t

    monkeypatch.setattr(tables, "build", build)
    rng = np.random.default_rng(14)
    x = np.cumsum(rng.random(40_000) + 0.5)
    f = rng.standard_normal((3, 40_000))
    with gridgrad.use_engine("reference"):
        ref = gridgrad.gradient(f, spacing=(1.0, x))
    with gridgrad.use_engine("numba"):
        for _ in range(2):
            got = gridgrad.gradient(f, spacing=(1.0, x))
            _same_bits(got, ref)
            kept = [t for _, t in tables._KEPT.values()]
            assert kept and all(t.nbytes <= tables.KEEP_BYTES for t in kept)
            planned = [p for _, p in fused._PLANNED.values()]
            assert all(sum(a.nbytes for a in p[0]) <= tables.KEEP_BYTES for p in planned)
    assert len(large) >= 2 and set(large) == {1}  # built on each call, never kept


def test_into_given_outputs() -> None:
    f = np.random.default_rng(12).standard_normal((8, 9, 10))
    call = checked(gradient_request, f, None, 0.25, Options())
    comb = Combination((call.plan,), (0,), (((0, 0, 1), (0, 1, -1), (0, 2, 1)),))
    out = (np.full_like(f, np.nan),)
    with gridgrad.use_engine("numba"):
        got = fused.combine(comb, (f,), out)
    assert got[0] is out[0]
    g = gridgrad.gradient(f, spacing=0.25)
    _same_bits(got, ((g[0] - g[1]) + g[2],))


# float64 and three kinds of steps only: each structure the interior path meets is a
# compiled variant (float32 and the other scalings are covered above)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.lists(st.integers(4, 12), min_size=1, max_size=4).map(tuple),
    name=st.sampled_from(["laplacian", "divergence", "curl"]),
    spacing=st.sampled_from([None, 0.5, 0.3]),
    edge_order=st.sampled_from([1, 2]),
    periodic=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_hypothesis(shape, name, spacing, edge_order, periodic, seed) -> None:  # type: ignore[no-untyped-def]
    dtype = np.float64
    if name == "curl" and len(shape) not in (2, 3):
        name = "divergence"
    f = (np.random.default_rng(seed).standard_normal(shape) * 4).astype(dtype)
    kw = {"spacing": spacing, "boundary": "periodic" if periodic else "one-sided"}
    if name == "laplacian":
        kw["edge_order"] = edge_order
    fast, ref = _both(name, f, **kw)
    _same_bits(fast, ref)


def test_one_pass_gradient_only_where_plain(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``gradient`` over all dims goes through the fused kernel (``ONE_PASS``) only
    where the interior path takes most of the array: not for coordinates, whose lone
    plain points (a one-sided end) would leave every point to the generic kernel."""
    spy = _Spy(monkeypatch)
    rng = np.random.default_rng(13)
    f = rng.standard_normal((9, 10, 20))  # rows of at least 16 points: one pass pays
    coords = [np.cumsum(rng.uniform(0.5, 1.5, n)) for n in f.shape]
    uniform = all_dims(checked(gradient_request, f, None, 0.3, Options()).plan)
    irregular = all_dims(checked(gradient_request, f, None, coords, Options()).plan)
    assert fused.combine_plain(uniform, (f,)) is not None
    assert fused.combine_plain(irregular, (f,)) is None
    assert fused.combine_plain(uniform, (f[:, ::2],)) is None  # strided: the generic kernel
    spy.structures.clear()  # the uniform call above computed
    for spacing in (0.3, coords):
        with gridgrad.use_engine("numba"):
            fast = gridgrad.gradient(f, spacing=spacing)
        with gridgrad.use_engine("reference"):
            ref = gridgrad.gradient(f, spacing=spacing)
        _same_bits(tuple(fast), tuple(ref))
    assert spy.structures == [(3, 1, 1, 3)]
