"""A plan's axis as the flat arrays the Numba kernels read (NumPy only, no numba)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gridgrad._cache import Bounded
from gridgrad._plan import AxisPlan, Run

__all__ = ["KEEP_BYTES", "Table", "build", "table", "unwrapped"]


@dataclass(frozen=True)
class Table:
    """One axis plan as flat arrays.

    ``runs`` (one row per run): start, stop, first term, number of terms, scale
    offset, scale step (0: one scale for the run, 1: one per point), how to apply
    the scale (0: it is 1, 1: divide, 2: multiply by the stored exact reciprocal; 3
    and 4: 1 and 2, then divide by 2).
    ``terms`` (one row per term): p, m, single sample, kind, weight offset, weight
    step. ``coef`` and ``scale`` hold the weights and scales the offsets point into.
    """

    runs: np.ndarray
    terms: np.ndarray
    coef: np.ndarray
    scale: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.runs.nbytes + self.terms.nbytes + self.coef.nbytes + self.scale.nbytes

    @property
    def flat(self) -> int:
        """The longest run with one weight per term and one scale (it can be
        evaluated across many short lines at once), or -1."""
        best, size = -1, 0
        for r, (start, stop, first, count, _, sstep, _) in enumerate(self.runs.tolist()):
            steps = self.terms[first : first + count, 5]
            if not sstep and not steps.any() and stop - start > size:
                best, size = r, stop - start
        return best

    @property
    def arrays(self) -> tuple[Any, ...]:
        init = self.coef.dtype.type(complex(-0.0, -0.0) if self.coef.dtype.kind == "c" else -0.0)
        return self.runs, self.terms, self.coef, self.scale, init


def _power_of_two(s: np.floating) -> bool:
    """Whether dividing by ``s`` and multiplying by ``1 / s`` give the same numbers."""
    with np.errstate(all="ignore"):
        inv = 1 / s
        return bool(
            np.isfinite(s)
            and np.frexp(s)[0] in (0.5, -0.5)
            and inv * s == 1
            and abs(inv) >= np.finfo(s.dtype).tiny
        )


def _cut(c: Any, a: int, b: int) -> Any:
    """Per-point values ``a:b`` of a coefficient or scale; a shared value as it is."""
    return c[a:b] if isinstance(c, np.ndarray) and c.ndim == 1 else c


def _wrap(run: Run, i: int, n: int) -> Run:
    """Output point ``i`` of ``run`` alone, its offsets wrapped around an axis of ``n``
    samples: it reads ``(i + o) mod n`` where the plan reads ``i + o`` of the padded axis."""
    a = i - run.start
    terms = tuple(
        (_cut(c, a, a + 1), (i + p) % n - i, None if m is None else (i + m) % n - i)
        for c, p, m in run.terms
    )
    return replace(run, start=i, stop=i + 1, terms=terms, scale=_cut(run.scale, a, a + 1))


def unwrapped(ax: AxisPlan) -> tuple[Run, ...]:
    """The runs of ``ax`` as the kernels read them: on a periodic axis (``halo``), each
    point whose stencil reaches past either end becomes a one-point run with wrapped
    offsets (the wrap is an index rule, not a padded copy); the points in between keep
    the run's offsets. Coefficients, scales and term order are the plan's, so the
    arithmetic is the reference engine's on its padded axis."""
    if not ax.halo:
        return ax.runs
    n = ax.size
    runs: list[Run] = []
    for run in ax.runs:
        offsets = run.offsets
        lo = max(run.start, min(run.stop, -offsets[0]))  # first point reading no wrap
        hi = min(run.stop, max(lo, n - offsets[-1]))  # first point reading past n - 1
        runs.extend(_wrap(run, i, n) for i in range(run.start, lo))
        if lo < hi:
            a, b = lo - run.start, hi - run.start
            terms = tuple((_cut(c, a, b), p, m) for c, p, m in run.terms)
            runs.append(replace(run, start=lo, stop=hi, terms=terms, scale=_cut(run.scale, a, b)))
        runs.extend(_wrap(run, i, n) for i in range(hi, run.stop))
    return tuple(runs)


#: tables up to this size are remembered (a uniform axis' is under a kilobyte; one
#: with a weight per point grows with the axis and is rebuilt instead of kept alive)
KEEP_BYTES = 1 << 16
_KEPT: Bounded[tuple[int, np.dtype], tuple[AxisPlan, Table]] = Bounded(64)


def table(ax: AxisPlan, value_dtype: np.dtype) -> Table:
    """:func:`build`, remembered for recent (axis plan, dtype) pairs where the table
    is small (:data:`KEEP_BYTES`): an axis plan is immutable and known by identity,
    and the plan cache hands out the same plans to repeated calls, so a repeated call
    does not rebuild (and torch tensors do not re-register) its tables. At most 64
    are kept (the oldest dropped first). The arrays are shared: read them only."""
    key = (id(ax), np.dtype(value_dtype))
    kept = _KEPT.get(key)
    if kept is not None and kept[0] is ax:
        return kept[1]
    t = build(ax, value_dtype)
    if t.nbytes <= KEEP_BYTES:
        _KEPT.put(key, (ax, t))  # holds ax: its id is not reused while it is here
    return t


def build(ax: AxisPlan, value_dtype: np.dtype) -> Table:
    """Runs of ``ax`` as flat arrays, in the dtypes the reference engine computes in.

    The weights are stored in ``result_type(values, weights)`` (Python numbers are
    weak, as in NumPy) and the scales in ``result_type(that, scales)``; terms come in
    the order and with the +1/-1 kinds of :attr:`Run.program`, the reference's.
    """
    plan_runs = unwrapped(ax)
    coefs = [c for run in plan_runs for c, _, _ in run.terms]
    acc = np.result_type(value_dtype, *coefs)
    scales = [run.scale for run in plan_runs if run.divides]
    div = np.result_type(acc, *scales)
    runs: list[list[int]] = []
    terms: list[list[int]] = []
    coef_parts: list[np.ndarray] = []
    scale_parts: list[np.ndarray] = []
    ncoef = nscale = 0
    for run in plan_runs:
        ordered = run.program
        has = run.divides
        step = int(np.ndim(run.scale) != 0)
        part = np.asarray(run.scale if has else 1, dtype=div).reshape(-1)
        how = int(has)
        if has and not step and div.kind == "f" and _power_of_two(part[0]):
            part, how = 1 / part, 2
        if run.halve:  # after a division by the scale (torch's h), never alone
            how += 2
        runs.append([run.start, run.stop, len(terms), len(ordered), nscale, step, how])
        scale_parts.append(part)
        nscale += part.shape[0]
        for kind, c, p, m in ordered:
            step = int(np.ndim(c) != 0)
            terms.append([p, p if m is None else m, int(m is None), kind, ncoef, step])
            part = np.asarray(c, dtype=acc).reshape(-1)
            coef_parts.append(part)
            ncoef += part.shape[0]
    return Table(
        np.asarray(runs, dtype=np.int64),
        np.asarray(terms, dtype=np.int64),
        np.concatenate(coef_parts),
        np.concatenate(scale_parts),
    )
