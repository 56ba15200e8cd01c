"""Runs a :class:`gridgrad._combination.Combination` on the fused kernel
(:mod:`.fused_kernels`): memory layout, tables, tasks, threads.

The inputs and outputs are viewed with their dims in the first input's memory order
(the innermost last), padded to 4 dims in front; a task is a few consecutive rows of
the innermost dim (up to ``_BLOCK`` points; a block of one row where rows are
longer), and each thread runs one contiguous range of tasks, so it walks the rows in
order and the planes its stencils read stay in cache. Each input is read once and
each output written once; memory beyond them is two blocks per thread.

Where every term is a plain difference in the interior (a uniform grid's central
difference or compact second difference, one scale per term) and the arrays are
contiguous, the interior box is computed first by :func:`.fused_kernels.interior`:
each output's terms summed in registers, one vector loop per row and output, the
rows' end points from the tables; the generic kernel then computes only the rows
outside the box. Both give the same bits.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import types

from gridgrad._cache import Bounded
from gridgrad._combination import Combination
from gridgrad._engines.numba import combination_tables
from gridgrad._engines.numba.driver import _memory_order, split_jobs
from gridgrad._engines.numba.fused_kernels import combine as _kernel
from gridgrad._engines.numba.fused_kernels import interior as _interior_kernel
from gridgrad._engines.numba.tables import KEEP_BYTES, Table

__all__ = ["apply", "combine", "combine_plain"]

_KERNEL: Any = _kernel
_INTERIOR: Any = _interior_kernel
# points per task of the interior kernel (whole rows, or a block of a longer row):
# a task writes a long stretch of each output (2 MiB of float64: a huge page), so
# a fresh output's page is written right after the OS zeroed it, while the zeros are
# still in cache (with 8192 points, 256**3 float64 over all dims took 50 ms into
# fresh arrays, 23 ms into ``out=``; with 2**18, 37-40 and 20-21 ms)
_ROW_BLOCK = 1 << 18
_MIN_TASKS = 64  # tasks are smaller where there would be fewer (threads to share them)
_BLOCK = 2048  # points per task: whole rows up to this many points, else blocks of a row
_SLOTS = 4  # the input and output tuples are padded to this many arrays: one
# compiled variant per layout and dtypes, whatever the number of inputs and outputs
_NDIM = 4

_ENTRY: dict[tuple[Any, ...], Any] = {}


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


def _interior_entry(xs: tuple[np.ndarray, ...], outs: tuple[np.ndarray, ...], args: tuple[Any, ...], shape: tuple[int, int, int, int]) -> Any:  # fmt: skip
    """The interior kernel compiled for this dtype and this sum's structure
    (``shape``: outputs, then terms per output, kind and how, compiled in as literals)."""
    key = ("interior", xs[0].dtype, *shape[1:])
    entry = _ENTRY.get(key)
    if entry is None:
        value = numba.from_dtype(xs[0].dtype)
        xt = types.Array(value, 1, "C", readonly=True)
        ot = types.Array(value, 1, "C")
        sig = (types.UniTuple(xt, _SLOTS), types.UniTuple(ot, _SLOTS), types.int64,
               types.int64, *(numba.typeof(a) for a in args),
               types.int64, *(types.IntegerLiteral(v) for v in shape[1:]))  # fmt: skip
        _INTERIOR.compile(sig)
        entry = _ENTRY[key] = _INTERIOR.overloads[sig].entry_point
    return entry


def _plain_run(table: Any, first: int, stop: int) -> tuple[int, int, int, int, int, tuple[int, ...]] | None:  # fmt: skip
    """The longest run of rows ``first:stop`` of the flattened tables that is a plain
    difference (kind 1) or a difference of two (kind 2) with one scale: (start,
    stop, kind, how, its scale's row, the samples' offsets), or None."""
    runs, terms = table[1], table[2]
    best = None
    for r in range(first, stop):
        start, end, t, count, sbase, sstep, how = runs[r].tolist()
        if sstep or terms[t : t + count, 2].any():
            continue
        kinds = terms[t : t + count, 3].tolist()
        if kinds == [1]:
            found = (start, end, 1, how, sbase, (*terms[t, :2].tolist(), 0, 0))
        elif kinds == [1, -1]:
            found = (start, end, 2, how, sbase, (*terms[t, :2].tolist(), *terms[t + 1, :2].tolist()))  # fmt: skip
        else:
            continue
        if best is None or end - start > best[1] - best[0]:
            best = found
    return best


def _interior(prog: list[list[int]], arrays: tuple[Any, ...], shape: tuple[int, ...], nout: int) -> Any:  # fmt: skip
    """The interior box of the 4-D ``shape`` where every term of ``prog`` is plain
    (:func:`_plain_run`) with one kind and one way of scaling, and each output has
    as many terms: ``(geom, src, offs, scales, signs, structure)`` for
    :func:`.fused_kernels.interior`, or None where there is no such box holding at
    least half the points along each dim."""
    tabs, runs, terms, coef, scale, _ = arrays
    if coef.dtype.kind != "f" or not 1 <= len(prog) <= _SLOTS * _SLOTS:
        return None
    counts = [sum(1 for row in prog if row[0] == k) for k in range(nout)]
    if len(set(counts)) != 1 or counts[0] > _SLOTS:
        return None
    box = [[0, n] for n in shape]
    strides = [int(np.prod(shape[d + 1 :], dtype=np.int64)) for d in range(_NDIM)]
    src = np.zeros((_SLOTS, _SLOTS, 3), np.int64)
    offs = np.zeros((_SLOTS, _SLOTS, 4), np.int64)
    scales = np.ones((_SLOTS, _SLOTS), coef.dtype)
    signs = np.ones((_SLOTS, _SLOTS), coef.dtype)
    kinds: set[int] = set()
    hows: set[int] = set()
    seen = [0] * nout
    for k, xi, dim, tab, sign in prog:
        found = _plain_run((tabs, runs, terms), tabs[tab, 0], tabs[tab, 1])
        if found is None:
            return None
        start, end, kind, how, sbase, samples = found
        kinds.add(kind)
        hows.add(how)
        box[dim] = [max(box[dim][0], start), min(box[dim][1], end)]
        t = seen[k]
        seen[k] += 1
        src[k, t] = xi, dim, tabs[tab, 0]
        offs[k, t] = [v * strides[dim] for v in samples]
        scales[k, t] = scale[sbase]
        signs[k, t] = -1 if t and sign == -1 else 1
    if len(kinds) != 1 or len(hows) != 1:
        return None
    if any(2 * (b - a) < n for (a, b), n in zip(box, shape)):  # mostly edges (or a lone
        return None  # plain point: a one-sided end of a non-uniform axis): not worth it
    width = box[3][1] - box[3][0]
    nrow = int(np.prod([b - a for a, b in box[:3]]))
    rows = max(1, min(_ROW_BLOCK // width, nrow // _MIN_TASKS))  # rows per task;
    # rows longer than _ROW_BLOCK are cut in blocks
    geom = np.array([*shape, *(v for ab in box for v in ab), rows, _ROW_BLOCK], np.int64)
    return geom, src, offs, scales, signs, (nout, counts[0], kinds.pop(), hows.pop())


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


def _program(comb: Combination, dtype: np.dtype) -> tuple[dict[Any, Table], list[tuple[int, int, int, Any, int]]]:  # fmt: skip
    """The tables of ``comb`` and its program (as :func:`apply` takes them)."""
    found = combination_tables(comb, dtype)
    program = [
        (k, comb.sources[p], comb.plans[p].axes[a].axis, (p, a), sign)
        for k, terms in enumerate(comb.outputs)
        for p, a, sign in terms
    ]
    return found, program


def _planned(
    found: dict[Any, Table],
    program: list[tuple[int, int, int, Any, int]],
    order: tuple[int, ...],
    shape: tuple[int, ...],
    nout: int,
    contiguous: bool,
) -> tuple[tuple[np.ndarray, ...], list[list[int]], Any]:
    """The flattened tables, the program on the 4-D shape in memory ``order``, and
    the interior path's plan (:func:`_interior`; None where the arrays are not all
    ``contiguous`` in that order or no term is plain enough). Remembered for recent
    calls on the same tables (the same objects: tables are remembered per axis plan
    and the plan cache reuses plans), so a repeated call plans nothing; the arrays
    are shared and only read."""
    tables = tuple(found.values())
    memo = (tuple(found), tuple(map(id, tables)), tuple(program), order, tuple(shape), nout, contiguous)  # fmt: skip
    known = _PLANNED.get(memo)
    if known is not None and all(a is b for a, b in zip(known[0], tables)):
        return known[1]
    index, arrays = _flatten(found)
    lead = _NDIM - len(shape)
    prog = [[k, src, order.index(axis) + lead, index[key], sign]
            for k, src, axis, key, sign in program]  # fmt: skip
    shape4 = (1,) * lead + tuple(shape[d] for d in order)
    planned = arrays, prog, _interior(prog, arrays, shape4, nout) if contiguous else None
    if sum(a.nbytes for a in arrays) <= KEEP_BYTES:  # small: kept (as tables are)
        _PLANNED.put(memo, (tables, planned))  # holds the tables: their ids are not reused
    return planned


_PLANNED: Bounded[tuple[Any, ...], tuple[tuple[Table, ...], Any]] = Bounded(
    128
)  # :func:`_planned`'s


def _contiguous(order: tuple[int, ...], arrays: tuple[np.ndarray, ...]) -> bool:
    return all(a.transpose(order).flags.c_contiguous for a in arrays)


def combine(
    comb: Combination, xs: tuple[np.ndarray, ...], out: tuple[np.ndarray, ...] | None = None
) -> tuple[np.ndarray, ...]:
    """The outputs of ``comb`` on the inputs ``xs`` (written into ``out`` if given).

    The engine's guard holds: plain native ndarrays of one shape and dtype, at most
    4 dims, 4 inputs and 4 outputs, every table in the result's dtype.
    """
    found, program = _program(comb, xs[0].dtype)
    results = apply(found, program, xs, len(comb.outputs), out)
    assert results is not None  # computed whatever the interior
    return results


def combine_plain(
    comb: Combination, xs: tuple[np.ndarray, ...], out: tuple[np.ndarray, ...] | None = None
) -> tuple[np.ndarray, ...] | None:
    """:func:`combine` where its interior path takes the interior (every term plain
    there, the arrays contiguous in memory order), else None, nothing computed."""
    found, program = _program(comb, xs[0].dtype)
    return apply(found, program, xs, len(comb.outputs), out, plain_only=True)


def apply(
    found: dict[Any, Table],
    program: list[tuple[int, int, int, Any, int]],
    xs: tuple[np.ndarray, ...],
    nout: int,
    out: tuple[np.ndarray, ...] | None = None,
    *,
    plain_only: bool = False,
) -> tuple[np.ndarray, ...] | None:
    """``nout`` outputs, each the signed sum of the ``program`` entries ``(output,
    input, dim, table, sign)`` naming it, left to right: the table ``found[table]``
    applied along ``dim`` of ``xs[input]``. Arrays as :func:`combine`'s. With
    ``plain_only`` (the NumPy path's one-pass rule), None where the interior path does
    not take the interior, before any output is allocated; else never None."""
    x0 = xs[0]
    order = _memory_order(x0)
    # outputs made here are laid out like the first input: contiguous in its order
    contiguous = _contiguous(order, (*xs, *(out or ())))
    arrays, prog, inner = _planned(found, program, order, x0.shape, nout, contiguous)
    if inner is None and plain_only:
        return None
    dtype = arrays[3].dtype
    lead = (None,) * (_NDIM - x0.ndim)
    if out is None:  # laid out like the first input: every row is written contiguously
        back = tuple(np.argsort(order))
        out = tuple(np.empty([x0.shape[d] for d in order], dtype).transpose(back)
                    for _ in range(nout))  # fmt: skip
    x4 = tuple(x.transpose(order)[lead] for x in xs)
    o4 = tuple(o.transpose(order)[lead] for o in out)
    x4 = x4 + (x4[0],) * (_SLOTS - len(x4))
    o4 = o4 + (o4[0],) * (_SLOTS - len(o4))
    n0, n1, n2, n3 = o4[0].shape
    entries = np.asarray(prog, np.int64)
    skip = np.zeros(6, np.int64)  # no rows skipped
    jobs = []
    if inner is not None:  # the interior box on its own kernel (the other rows: below)
        geom, *rest, structure = inner
        iargs = (geom, *rest, *arrays[1:])
        xf = tuple(a.reshape(-1) for a in x4)
        of = tuple(a.reshape(-1) for a in o4)
        box = geom[4:12]
        nrow = int(np.prod(box[1:6:2] - box[0:6:2]))
        ntask = -(-nrow // int(geom[12])) * -(-(int(box[7]) - int(box[6])) // int(geom[13]))
        run = _interior_entry(xf, of, iargs, structure)
        jobs.append((run, ntask, (xf, of), (*iargs, *structure)))
        skip = geom[4:10].copy()
    rows = max(1, _BLOCK // max(1, n3)) if n3 <= _BLOCK else 1
    args = (np.int64(_BLOCK), np.int64(rows), skip, entries, *arrays)
    ntask = n0 * n1 * -(-n2 // rows) * -(-n3 // _BLOCK)
    # the rows outside the box (all rows without one): the two kernels write
    # disjoint points, so each thread runs its share of both in one go (one
    # hand-over to the threads per call)
    jobs.append((_entry(x4, o4, args), ntask, (x4, o4), args))
    split_jobs(jobs, nout * o4[0].size)
    return out
