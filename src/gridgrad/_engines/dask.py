"""Dask arrays: each block is differentiated by another engine, with ghost cells.

For every differentiated axis the input gets ``depth`` ghost cells from its
neighbours along that axis only (``depth``: the widest reach of the plan's
stencils), no padding at the array's own edges (wrapped samples there on a
periodic axis), and one task per block runs the
inner engine on a plan restricted to that block's points
(:func:`gridgrad._plan.restrict`): the one-sided edge formulas run where the
block touches the array's edges, per-point coefficients (non-uniform
coordinates) travel split per block, one small piece with each task. Each task
returns exactly its block's points, so nothing is trimmed afterwards, and the
arithmetic per point is the same as on the whole array: results are bitwise
equal to the inner engine's on the computed input.

A :class:`~gridgrad._combination.Combination` (a Laplacian, a divergence, a curl)
is one graph (:func:`combine`): every input gets the ghost cells of all the
differentiated dims at once, one task per block runs the whole combination on the
blocks of all inputs (the fused NumPy path: one pass where the Numba kernels take
it), and trims the ghost cells off its results. Its block plans cover the whole
block: the restricted runs, and a run reading each ghost cell's own sample (its
results are dropped) before and after them.

Chunks narrower than ``depth`` along a differentiated axis are merged with a
neighbour first (dask can only borrow ghost cells from the adjacent block).
Everything here builds a graph; nothing is computed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from array_api_compat import array_namespace, is_dask_array

from gridgrad._combination import Combination, Term
from gridgrad._engines import reference
from gridgrad._layout import Run
from gridgrad._plan import AxisPlan, GradientPlan, restrict

if TYPE_CHECKING:
    import dask.array as da

__all__ = [
    "ENGINE",
    "DaskEngine",
    "FusedDaskEngine",
    "combine",
    "depth",
    "gradient",
    "widen_chunks",
]

Engine = Callable[[GradientPlan, Any, Any], tuple[Any, ...]]
#: runs a combination on plain ndarrays (the blocks), one result per output
Combine = Callable[[Combination, tuple[np.ndarray, ...]], tuple[np.ndarray, ...]]


def depth(ax: AxisPlan) -> int:
    """How far any output point's stencil reaches along the axis."""
    return max(abs(o) for run in ax.runs for o in run.offsets)


def widen_chunks(chunks: tuple[int, ...], minimum: int) -> tuple[int, ...]:
    """Merge chunks narrower than ``minimum`` into a neighbour, keeping all others."""
    out: list[int] = []
    for c in chunks:
        if out and out[-1] < minimum:
            out[-1] += c
        else:
            out.append(c)
    if len(out) > 1 and out[-1] < minimum:
        last = out.pop()
        out[-1] += last
    return tuple(out)


def _spans(core: tuple[int, ...], reach: int, periodic: bool) -> list[tuple[int, int, int, int]]:
    """Per chunk along an axis: its points ``lo:hi`` and the ghost cells it gets before
    and after them from :func:`_ghosted` (none at the array's edges, unless periodic)."""
    bounds = np.cumsum((0, *core)).tolist()
    last = len(core) - 1
    return [
        (bounds[k], bounds[k + 1], reach if (k or periodic) else 0,
         reach if (k < last or periodic) else 0)
        for k in range(len(core))
    ]  # fmt: skip


def _ghosted(x: da.Array, reach: dict[int, int], periodic: set[int]) -> da.Array:
    """``x`` with ``reach[d]`` ghost cells along each dim ``d`` (wrapped ones at the
    edges of the ``periodic`` dims)."""
    import dask.array as da

    boundary = {d: "periodic" if d in periodic else "none" for d in range(x.ndim)}
    return da.overlap.overlap(x, depth=reach, boundary=boundary)


def _per_chunk(entries: list[Any], name: str) -> da.Array:
    """The entries as a dask array of objects, one per chunk (each task gets its own)."""
    import dask.array as da

    held = np.empty(len(entries), dtype=object)
    for k, entry in enumerate(entries):
        held[k] = entry
    return da.from_array(held, chunks=1, name=name)


def _block(block: Any, plans: np.ndarray, inner: Engine, dtypes: tuple[Any, Any]) -> Any:
    """One task: the block (ghost cells included) through the inner engine."""
    plan = GradientPlan(tuple(block.shape), (plans[0],), *dtypes)
    (g,) = inner(plan, block, array_namespace(block))
    return g


def _axis_gradient(x: da.Array, ax: AxisPlan, plan: GradientPlan, inner: Engine) -> da.Array:
    import dask.array as da
    from dask.base import tokenize

    axis, reach = ax.axis, depth(ax)
    core = x.chunks[axis]
    # a periodic axis gets wrapped ghost cells at the array's edges too
    plans = [restrict(ax, lo, hi, lo - before) for lo, hi, before, _ in _spans(core, reach, bool(ax.halo))]  # fmt: skip
    token = tokenize(x.name, plan.value_dtype, plan.out_dtype, inner, plans)
    plans_da = _per_chunk(plans, f"gridgrad-plans-{token}")
    ghosted = _ghosted(x, {axis: reach}, {axis} if ax.halo else set())
    index = tuple(range(x.ndim))
    meta = np.empty((0,) * x.ndim, dtype=plan.out_dtype)
    return da.blockwise(
        _block,
        index,
        ghosted,
        index,
        plans_da,
        (axis,),
        name=f"gridgrad-d{axis}-{token}",
        dtype=plan.out_dtype,
        meta=meta,
        align_arrays=False,
        adjust_chunks={axis: core},
        concatenate=False,
        inner=inner,
        dtypes=(plan.value_dtype, plan.out_dtype),
    )


def _widened(x: da.Array, reach: dict[int, int]) -> tuple[tuple[int, ...], ...]:
    """The chunks of ``x`` with those narrower than ``reach[d]`` merged (:func:`widen_chunks`)."""
    return tuple(widen_chunks(c, reach[d]) if d in reach else c for d, c in enumerate(x.chunks))


def gradient(plan: GradientPlan, x: da.Array, inner: Engine) -> tuple[da.Array, ...]:
    """Execute ``plan`` lazily on the dask array ``x``; ``inner`` runs on each block.

    ``inner`` has the signature of :func:`gridgrad._engines.reference.gradient`.
    All differentiated axes are widened together, so every result has the same
    chunks.
    """
    chunks = _widened(x, {ax.axis: depth(ax) for ax in plan.axes})
    if chunks != x.chunks:
        x = x.rechunk(chunks)
    return tuple(_axis_gradient(x, ax, plan, inner) for ax in plan.axes)


class DaskEngine:
    """Dask arrays, lazily: each block runs on the reference engine, with ghost cells."""

    name = "dask"
    serves = "dask arrays"

    def supports(self, plan: GradientPlan, x: Any) -> bool:
        return is_dask_array(x)

    def prepare(self, plan: GradientPlan) -> None:
        """Nothing to precompute."""

    def run(self, plan: GradientPlan, x: Any, out: tuple[Any, ...] | None) -> tuple[Any, ...]:
        return gradient(plan, x, reference.gradient)


ENGINE = DaskEngine()


# --------------------------------------------------------------------------- combinations


def _filled(ax: AxisPlan, span: tuple[int, int, int, int]) -> AxisPlan:
    """``ax`` on a block whose points ``lo:hi`` have ``before`` and ``after`` ghost
    cells: the restricted runs, and between them and the block's ends one run that
    reads each ghost cell's own sample (``1 * f[i]``, no division: no new dtype)."""
    lo, hi, before, after = span
    size = before + (hi - lo) + after
    part = restrict(ax, lo, hi, lo - before)
    runs = list(part.runs)
    if before:
        runs.insert(0, Run(0, before, ((1, 0, None),)))
    if after:
        runs.append(Run(size - after, size, ((1, 0, None),)))
    return AxisPlan(ax.axis, size, tuple(runs), ax.dtype)


def _fused_block(
    *args: Any,
    ninput: int,
    dims: tuple[int, ...],
    layout: tuple[tuple[Any, Any, tuple[int, ...]], ...],
    sources: tuple[int, ...],
    outputs: tuple[tuple[Term, ...], ...],
    inner: Combine,
) -> Any:
    """One task: the combination on the blocks of all inputs (ghost cells included),
    each result trimmed to the block's own points.

    ``args``: the input blocks, then per ghosted dim of ``dims`` a one-element object
    array holding the block's points along it (a slice) and its axis plans (by
    ``(plan, axis)`` position); ``layout``: per plan its dtypes and the dim of each
    axis."""
    xs = args[:ninput]
    entries = {d: held[0] for d, held in zip(dims, args[ninput:])}
    shape = tuple(xs[0].shape)
    plans = tuple(
        GradientPlan(shape, tuple(entries[d][1][p, a] for a, d in enumerate(axes)), *dtypes)
        for p, (*dtypes, axes) in enumerate(layout)
    )
    results = inner(Combination(plans, sources, outputs), xs)
    keep = tuple(entries[d][0] if d in entries else slice(None) for d in range(len(shape)))
    trimmed = tuple(r[keep] for r in results)
    return trimmed[0] if len(trimmed) == 1 else trimmed


def _dtype(comb: Combination, terms: Sequence[Term]) -> np.dtype:
    """The dtype of an output: its terms' dtypes, promoted as their sum is."""
    kinds = []
    for p, a, _ in terms:
        plan = comb.plans[p]
        ax = plan.axes[a]
        kinds.append(ax.dtype if ax.dtype is not None else plan.out_dtype)
    return np.result_type(*kinds)


def combine(comb: Combination, xs: tuple[da.Array, ...], inner: Combine) -> tuple[da.Array, ...]:
    """The outputs of ``comb`` on the dask arrays ``xs``, lazily: one task per block
    runs ``inner`` on the blocks of every input (ghost cells included).

    Every input is rechunked to the chunks of the first (chunks narrower than the
    stencils' reach along a differentiated dim merged with a neighbour) and gets the
    ghost cells of every differentiated dim in one overlap; the results have those
    chunks.
    """
    import dask.array as da
    from dask.base import tokenize

    reach: dict[int, int] = {}
    periodic: set[int] = set()
    for plan in comb.plans:
        for ax in plan.axes:
            reach[ax.axis] = max(reach.get(ax.axis, 0), depth(ax))
            if ax.halo:
                periodic.add(ax.axis)
    chunks = _widened(xs[0], reach)
    xs = tuple(x if x.chunks == chunks else x.rechunk(chunks) for x in xs)
    dims = tuple(sorted(reach))
    spans = {d: _spans(chunks[d], reach[d], d in periodic) for d in dims}
    per_dim: dict[int, list[Any]] = {d: [] for d in dims}
    for d in dims:
        for span in spans[d]:
            lo, hi, before, _ = span
            axes = {
                (p, a): _filled(ax, span)
                for p, plan in enumerate(comb.plans)
                for a, ax in enumerate(plan.axes)
                if ax.axis == d
            }
            per_dim[d].append((slice(before, before + hi - lo), axes))
    layout = tuple(
        (plan.value_dtype, plan.out_dtype, tuple(ax.axis for ax in plan.axes))
        for plan in comb.plans
    )
    token = tokenize([x.name for x in xs], layout, comb.sources, comb.outputs, inner, per_dim)
    args: list[Any] = []
    index = tuple(range(xs[0].ndim))
    ghost = {d: reach[d] for d in dims}
    for x in xs:
        args += [_ghosted(x, ghost, periodic), index]
    for d in dims:
        args += [_per_chunk(per_dim[d], f"gridgrad-plans{d}-{token}"), (d,)]
    dtypes = [_dtype(comb, terms) for terms in comb.outputs]
    meta = np.empty((0,) * len(index), dtype=dtypes[0])
    blocks = da.blockwise(
        _fused_block,
        index,
        *args,
        name=f"gridgrad-fused-{token}",
        dtype=dtypes[0],
        meta=meta,
        align_arrays=False,
        adjust_chunks={d: chunks[d] for d in dims},
        concatenate=False,
        ninput=len(xs),
        dims=dims,
        layout=layout,
        sources=comb.sources,
        outputs=comb.outputs,
        inner=inner,
    )
    if len(comb.outputs) == 1:
        return (blocks,)
    # each task returned a tuple: one array per output picks its part
    return tuple(
        blocks.map_blocks(
            operator.getitem,
            k,
            dtype=dt,
            meta=np.empty((0,) * len(index), dtype=dt),
            name=f"gridgrad-fused{k}-{token}",
        )
        for k, dt in enumerate(dtypes)
    )


class FusedDaskEngine:
    """Combinations on dask arrays of one shape (not datetimes), lazily: one task per
    block runs ``inner`` (the fused NumPy path) on the blocks of all inputs."""

    name = "dask"

    def __init__(self, inner: Combine) -> None:
        self.inner = inner

    def guard(self, comb: Combination, xs: tuple[Any, ...]) -> bool:
        """Whether every input is a dask array, all of one shape, none of datetimes."""
        if not xs or len(xs) != comb.inputs or not all(is_dask_array(x) for x in xs):
            return False
        return all(x.shape == xs[0].shape and x.dtype.kind != "M" for x in xs)

    def run(self, comb: Combination, xs: tuple[Any, ...]) -> tuple[Any, ...]:
        return combine(comb, xs, self.inner)
