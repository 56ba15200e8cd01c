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

Chunks narrower than ``depth`` along a differentiated axis are merged with a
neighbour first (dask can only borrow ghost cells from the adjacent block).
Everything here builds a graph; nothing is computed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from array_api_compat import array_namespace, is_dask_array

from gridgrad._engines import reference
from gridgrad._plan import AxisPlan, GradientPlan, restrict

if TYPE_CHECKING:
    import dask.array as da

__all__ = ["ENGINE", "DaskEngine", "depth", "gradient", "widen_chunks"]

Engine = Callable[[GradientPlan, Any, Any], tuple[Any, ...]]


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
    bounds = np.cumsum((0, *core)).tolist()
    plans = np.empty(len(core), dtype=object)
    for k in range(len(core)):
        lo, hi = bounds[k], bounds[k + 1]
        # a periodic axis gets wrapped ghost cells at the array's edges too
        plans[k] = restrict(ax, lo, hi, lo - reach if (k or ax.halo) else 0)
    token = tokenize(x.name, plan.value_dtype, plan.out_dtype, inner, plans.tolist())
    plans_da = da.from_array(plans, chunks=1, name=f"gridgrad-plans-{token}")
    boundary = {d: "periodic" if (d == axis and ax.halo) else "none" for d in range(x.ndim)}
    ghosted = da.overlap.overlap(x, depth={axis: reach}, boundary=boundary)
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


def gradient(plan: GradientPlan, x: da.Array, inner: Engine) -> tuple[da.Array, ...]:
    """Execute ``plan`` lazily on the dask array ``x``; ``inner`` runs on each block.

    ``inner`` has the signature of :func:`gridgrad._engines.reference.gradient`.
    All differentiated axes are widened together, so every result has the same
    chunks.
    """
    reach = {ax.axis: depth(ax) for ax in plan.axes}
    chunks = tuple(widen_chunks(c, reach[d]) if d in reach else c for d, c in enumerate(x.chunks))
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
