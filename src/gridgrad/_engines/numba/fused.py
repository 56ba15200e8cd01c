"""Runs a :class:`gridgrad._combination.Combination` on the fused kernel
(:mod:`.fused_kernels`): memory layout, tables, tasks, threads.

The inputs and outputs are viewed with their dims in the first input's memory order
(the innermost last), padded to 4 dims in front; a task is a few consecutive rows of
the innermost dim (up to ``_BLOCK`` points; a block of one row where rows are
longer), and each thread runs one contiguous range of tasks, so it walks the rows in
order and the planes its stencils read stay in cache. Each input is read once and
each output written once; memory beyond them is two blocks per thread.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import types

from gridgrad._combination import Combination
from gridgrad._engines.numba import combination_tables
from gridgrad._engines.numba.driver import split
from gridgrad._engines.numba.fused_kernels import combine as _kernel
from gridgrad._engines.numba.tables import Table

__all__ = ["apply", "combine"]

_KERNEL: Any = _kernel
_BLOCK = 2048  # points per task: whole rows up to this many points, else blocks of a row
_SLOTS = 4  # the input and output tuples are padded to this many arrays: one
# compiled variant per layout and dtypes, whatever the number of inputs and outputs
_NDIM = 4

_ENTRY: dict[tuple[Any, ...], Any] = {}


def _memory_order(x: np.ndarray) -> tuple[int, ...]:
    """Dims from the largest to the smallest stride: the order memory is laid out in."""
    return tuple(sorted(range(x.ndim), key=lambda d: -abs(x.strides[d])))


def _entry(xs: tuple[np.ndarray, ...], outs: tuple[np.ndarray, ...], args: tuple[Any, ...]) -> Any:
    """The compiled kernel for these arrays: typed 'C' when all are C-contiguous and
    'A' otherwise, the inputs read-only."""
    layout: Any = "C" if all(a.flags.c_contiguous for a in (*xs, *outs)) else "A"
    key = (layout, xs[0].dtype, outs[0].dtype, *(np.asarray(a).dtype for a in args))
    entry = _ENTRY.get(key)
    if entry is None:
        xt = types.Array(numba.from_dtype(xs[0].dtype), _NDIM, layout, readonly=True)
        ot = types.Array(numba.from_dtype(outs[0].dtype), _NDIM, layout)
        sig = (types.UniTuple(xt, _SLOTS), types.UniTuple(ot, _SLOTS), types.int64,
               types.int64, *(numba.typeof(a) for a in args))  # fmt: skip
        _KERNEL.compile(sig)
        entry = _ENTRY[key] = _KERNEL.overloads[sig].entry_point
    return entry


def _parallel(run: Any, ntask: int, xs: Any, outs: Any, *rest: Any) -> None:
    """Tasks ``0:ntask`` split among threads (the driver's :func:`~.driver.split`)."""
    split(run, ntask, (xs, outs), rest)


def _flatten(found: dict[tuple[int, int], Table]) -> tuple[dict[tuple[int, int], int], tuple[np.ndarray, ...]]:  # fmt: skip
    """The tables as one set of arrays, offsets made global; the index of each."""
    index: dict[tuple[int, int], int] = {}
    tabs: list[list[int]] = []
    runs: list[np.ndarray] = []
    terms: list[np.ndarray] = []
    coefs: list[np.ndarray] = []
    scales: list[np.ndarray] = []
    nrun = nterm = ncoef = nscale = 0
    for key, t in found.items():
        index[key] = len(tabs)
        tabs.append([nrun, nrun + t.runs.shape[0]])
        r = t.runs.copy()
        r[:, 2] += nterm
        r[:, 4] += nscale
        u = t.terms.copy()
        u[:, 4] += ncoef
        runs.append(r)
        terms.append(u)
        coefs.append(t.coef)
        scales.append(t.scale)
        nrun, nterm = nrun + r.shape[0], nterm + u.shape[0]
        ncoef, nscale = ncoef + t.coef.shape[0], nscale + t.scale.shape[0]
    init = next(iter(found.values())).arrays[-1]
    arrays = (np.asarray(tabs, np.int64), np.concatenate(runs), np.concatenate(terms),
              np.concatenate(coefs), np.concatenate(scales), init)  # fmt: skip
    return index, arrays


def combine(
    comb: Combination, xs: tuple[np.ndarray, ...], out: tuple[np.ndarray, ...] | None = None
) -> tuple[np.ndarray, ...]:
    """The outputs of ``comb`` on the inputs ``xs`` (written into ``out`` if given).

    The engine's guard holds: plain native ndarrays of one shape and dtype, at most
    4 dims, 4 inputs and 4 outputs, every table in the result's dtype.
    """
    found = combination_tables(comb, xs[0].dtype)
    program = [
        (k, comb.sources[p], comb.plans[p].axes[a].axis, (p, a), sign)
        for k, terms in enumerate(comb.outputs)
        for p, a, sign in terms
    ]
    return apply(found, program, xs, len(comb.outputs), out)


def apply(
    found: dict[Any, Table],
    program: list[tuple[int, int, int, Any, int]],
    xs: tuple[np.ndarray, ...],
    nout: int,
    out: tuple[np.ndarray, ...] | None = None,
) -> tuple[np.ndarray, ...]:
    """``nout`` outputs, each the signed sum of the ``program`` entries ``(output,
    input, dim, table, sign)`` naming it, left to right: the table ``found[table]``
    applied along ``dim`` of ``xs[input]``. Arrays as :func:`combine`'s."""
    x0 = xs[0]
    index, arrays = _flatten(found)
    dtype = arrays[3].dtype
    order = _memory_order(x0)
    lead = (None,) * (_NDIM - x0.ndim)
    if out is None:  # laid out like the first input: every row is written contiguously
        back = tuple(np.argsort(order))
        out = tuple(np.empty([x0.shape[d] for d in order], dtype).transpose(back)
                    for _ in range(nout))  # fmt: skip
    x4 = tuple(x.transpose(order)[lead] for x in xs)
    o4 = tuple(o.transpose(order)[lead] for o in out)
    prog = [[k, src, order.index(axis) + len(lead), index[key], sign]
            for k, src, axis, key, sign in program]  # fmt: skip
    x4 = x4 + (x4[0],) * (_SLOTS - len(x4))
    o4 = o4 + (o4[0],) * (_SLOTS - len(o4))
    n0, n1, n2, n3 = o4[0].shape
    rows = max(1, _BLOCK // max(1, n3)) if n3 <= _BLOCK else 1
    args = (np.int64(_BLOCK), np.int64(rows), np.asarray(prog, np.int64), *arrays)
    run = _entry(x4, o4, args)
    ntask = n0 * n1 * -(-n2 // rows) * -(-n3 // _BLOCK)
    _parallel(run, ntask, x4, o4, *args)
    return out
