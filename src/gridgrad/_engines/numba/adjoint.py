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

import itertools
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
    weights = weights.astype(dtype)
    builder = _Builder(np.dtype(dtype))
    for a, b in itertools.pairwise(bounds):
        k = int(count[a])
        for lo, hi, shared in _pieces(weights[:, :k], a, b):
            if shared:
                builder.shared(lo, hi, offsets[lo, :k], weights[lo, :k])
            else:
                builder.per_point(lo, hi, offsets[lo, :k], weights[lo:hi, :k])
    return builder.table()


_LONG = 16  # points: a stretch of equal weights this long gets a run of its own


def _pieces(weights: np.ndarray, a: int, b: int) -> list[tuple[int, int, bool]]:
    """Points ``a:b`` (the same offsets) cut where their weights are all equal over a
    long stretch (the interior of a uniform grid, whose edge points read the same
    offsets with other weights): ``(lo, hi, shared)``."""
    if b - a < 2:
        return [(a, b, True)]
    same = (weights[a + 1 : b] == weights[a : b - 1]).all(axis=1)
    if same.all():
        return [(a, b, True)]
    # the longest stretch of rows equal to their predecessor
    edges = np.flatnonzero(np.diff(np.concatenate([[0], same.astype(np.int8), [0]])))
    lengths = edges[1::2] - edges[::2]
    if not lengths.size or lengths.max() + 1 < _LONG:
        return [(a, b, False)]
    k = int(np.argmax(lengths))
    lo, hi = a + int(edges[2 * k]), a + int(edges[2 * k + 1]) + 1
    return [p for p in ((a, lo, False), (lo, hi, True), (hi, b, False)) if p[0] < p[1]]


class _Builder:
    """A :class:`Table` of single-sample and difference terms, run by run."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.runs: list[list[int]] = []
        self.terms: list[list[int]] = []
        self.coef: list[np.ndarray] = []
        self.scale: list[np.ndarray] = []
        self.ncoef = self.nscale = 0

    def _coef(self, values: np.ndarray) -> int:
        at = self.ncoef
        self.coef.append(np.asarray(values, dtype=self.dtype).reshape(-1))
        self.ncoef += self.coef[-1].shape[0]
        return at

    def _run(self, lo: int, hi: int, nterms: int, scale: Any, how: int) -> None:
        self.runs.append([lo, hi, len(self.terms) - nterms, nterms, self.nscale, 0, how])
        self.scale.append(np.asarray([scale], dtype=self.dtype))
        self.nscale += 1

    def shared(self, lo: int, hi: int, offsets: np.ndarray, weights: np.ndarray) -> None:
        """Points ``lo:hi`` with one weight per offset: opposite weights on opposite
        offsets become one difference ``w * (g[j+p] - g[j+m])``; a single such pair
        (the interior of every uniform first derivative) is the kernels' fastest
        form, ``(g[j+p] - g[j+m]) * w``, the forward's one-term loop."""
        left = dict(zip(offsets.tolist(), weights.tolist()))
        pairs, singles = [], []
        for o in sorted(left, key=lambda o: (abs(o), o)):
            if o not in left:
                continue
            w = left.pop(o)
            if -o in left and o != 0 and left[-o] == -w:
                left.pop(-o)
                pairs.append((w, o, -o))
            else:
                singles.append((w, o))
        if len(pairs) == 1 and not singles:
            w, p, m = pairs[0]
            self.terms.append([p, m, 0, 1, self._coef(np.ones(1)), 0])
            self._run(lo, hi, 1, w, 2)
            return
        for w, p, m in pairs:
            self.terms.append([p, m, 0, 0, self._coef(np.asarray([w])), 0])
        for w, o in singles:
            self.terms.append([o, o, 1, 0, self._coef(np.asarray([w])), 0])
        self._run(lo, hi, len(pairs) + len(singles), 1, 0)

    def per_point(self, lo: int, hi: int, offsets: np.ndarray, weights: np.ndarray) -> None:
        """Points ``lo:hi`` with one weight per point and offset (single samples)."""
        for t, o in enumerate(offsets.tolist()):
            column = weights[:, t]
            shared = bool((column == column[0]).all())
            at = self._coef(column[:1] if shared else column)
            self.terms.append([o, o, 1, 0, at, int(not shared)])
        self._run(lo, hi, offsets.shape[0], 1, 0)

    def table(self) -> Table:
        return Table(
            np.asarray(self.runs, dtype=np.int64),
            np.asarray(self.terms, dtype=np.int64),
            np.concatenate(self.coef),
            np.concatenate(self.scale),
        )
