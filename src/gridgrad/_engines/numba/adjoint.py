"""The transpose of one axis' stencil operator, as a table the same kernels run
(NumPy only, no numba).

Along one axis a plan is a linear map ``y = D f``: output point ``i`` reads the
samples ``i + o`` with the weights of its run. Its transpose (the adjoint, what
autograd's backward applies to the upstream gradient) is again a banded map:
``(D^T g)[j] = sum over i of D[i, j] g[i]``. :func:`transpose` lists every weight of
``D`` (each term ``c * (f[i+p] - f[i+m])`` gives ``c / scale`` at ``p`` and its
negative at ``m``; torch's halving folded in), swaps rows and columns, adds the
weights that meet on one sample, and cuts the output points into runs of the same
offsets: one run for the interior (its weights shared when the grid is uniform, one
per point otherwise) and short runs at the edges and, on periodic axes, where the
stencils wrap around. The result is a :class:`~gridgrad._engines.numba.tables.Table`
of single-sample terms, so the backward pass is the forward kernels' loop.

Weights are folded (``c / scale`` rounded once), so ``D^T`` is the exact transpose
of ``D`` up to one rounding per weight: ``<D x, y> == <x, D^T y>`` to round-off.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridgrad._engines.numba.tables import Table, unwrapped
from gridgrad._plan import AxisPlan

__all__ = ["entries", "transpose"]


def _per_point(c: Any, count: int) -> np.ndarray:
    """A coefficient or scale as one complex128/float64 value per point."""
    a = np.asarray(c)
    dtype = np.complex128 if a.dtype.kind == "c" else np.float64
    return np.broadcast_to(a.astype(dtype, copy=False), (count,))


def entries(ax: AxisPlan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, weights)`` of the matrix ``D`` of ``ax`` (one entry per term
    sample; an index may repeat). Columns are sample indices in ``0..size``: periodic
    axes read wrapped indices (:func:`~gridgrad._engines.numba.tables.unwrapped`)."""
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for run in unwrapped(ax):
        count = run.stop - run.start
        idx = np.arange(run.start, run.stop, dtype=np.int64)
        scale = _per_point(run.scale if run.divides else 1.0, count)
        for how, c, p, m in run.program:
            coef = _per_point(1.0 if how in (1, -1) else c, count)
            w = coef / scale
            if how in (-1, -2):
                w = -w
            if run.halve:
                w = w / 2
            rows.append(idx)
            cols.append(idx + p)
            vals.append(w)
            if m is not None:
                rows.append(idx)
                cols.append(idx + m)
                vals.append(-w)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def transpose(ax: AxisPlan, dtype: np.dtype) -> Table:
    """The table of ``D^T`` for ``ax``, its weights in ``dtype`` (the forward table's
    weight dtype)."""
    n = ax.size
    rows, cols, vals = entries(ax)
    # D^T: output point j = col, reading sample i = row at offset i - j
    out, off = cols, rows - cols
    order = np.lexsort((off, out))
    out, off, vals = out[order], off[order], vals[order]
    first = np.ones(out.shape[0], dtype=bool)
    first[1:] = (out[1:] != out[:-1]) | (off[1:] != off[:-1])
    starts = np.flatnonzero(first)
    out, off = out[starts], off[starts]
    vals = np.add.reduceat(vals, starts)  # weights meeting on one sample
    # one row of offsets per output point (every point reads at least one sample)
    count = np.bincount(out, minlength=n)
    width = int(count.max())
    where = np.arange(out.shape[0]) - np.repeat(np.cumsum(count) - count, count)
    offsets = np.full((n, width), np.iinfo(np.int64).min, dtype=np.int64)
    weights = np.zeros((n, width), dtype=vals.dtype)
    offsets[out, where] = off
    weights[out, where] = vals
    cut = np.flatnonzero((offsets[1:] != offsets[:-1]).any(axis=1)) + 1
    bounds = [0, *cut.tolist(), n]
    dtype = np.dtype(dtype)
    runs: list[list[int]] = []
    terms: list[list[int]] = []
    coef: list[np.ndarray] = []
    ncoef = 0
    for a, b in zip(bounds[:-1], bounds[1:]):
        k = int(count[a])
        runs.append([a, b, len(terms), k, 0, 0, 0])
        for t in range(k):
            w = weights[a:b, t].astype(dtype)
            shared = bool((w == w[0]).all())
            part = w[:1] if shared else w
            terms.append([int(offsets[a, t]), int(offsets[a, t]), 1, 0, ncoef, int(not shared)])
            coef.append(part)
            ncoef += part.shape[0]
    return Table(
        np.asarray(runs, dtype=np.int64),
        np.asarray(terms, dtype=np.int64),
        np.concatenate(coef),
        np.ones(1, dtype=dtype),
    )
