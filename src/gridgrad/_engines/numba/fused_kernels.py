"""The compiled loop of the fused operators (this module imports numba).

One kernel computes outputs that are signed sums of single derivatives (a Laplacian,
a divergence, a curl, the gradient over all dims) in one pass: the inputs and outputs
are 4-D arrays (dims in memory order, the last one the innermost), a task is a few
consecutive rows of the last dim (or a block of one long row), and every term of an
output is evaluated for the task's rows and added to (or subtracted from) the
output's buffer, left to right, before the rows are written once. Tasks walk the rows
in order, so the rows a stencil reads across the outer dims are a few planes back
and still in cache.

Each term's arithmetic is the per-axis kernels' (:mod:`.kernels`), point for point:
the accumulator starts at -0, terms are combined by :func:`kernels._add` in table
order, the sum is scaled by :func:`kernels._scaled` (division, exact power-of-two
reciprocal, torch's halving); each output is then ``t0 + t1 - t2 ...`` in the
result dtype, as the composed NumPy expression rounds it. Results are bitwise the
reference engine's and do not depend on the number of threads.
"""

from __future__ import annotations

import numba
import numpy as np

from gridgrad._engines.numba.kernels import _add, _scaled
from gridgrad._numba_cache import lock_caches

__all__ = ["combine", "interior"]

_U = np.uint64  # indices: unsigned ones skip Numba's negative-index wrap-around


@numba.njit(inline="always")
def _scale_as(buf, b, n, s, how):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    bu = _U(b)
    for t in range(n):
        tu = bu + _U(t)
        buf[tu] = _scaled(buf[tu], s, how)


@numba.njit(inline="always")
def _scale(buf, b, n, s, how):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """``buf[b:b + n]`` scaled, one loop per ``how`` (a literal: no branch in the loop)."""
    if how == 4:
        _scale_as(buf, b, n, s, 4)
    elif how == 3:
        _scale_as(buf, b, n, s, 3)
    elif how == 2:
        _scale_as(buf, b, n, s, 2)
    elif how == 1:
        _scale_as(buf, b, n, s, 1)


@numba.njit(inline="always")
def _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, kind, single, first):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    bu = _U(b)
    for t in range(n):
        tu = _U(t)
        d = x[a0, a1, a2, bp + tu] - (zero if single else x[b0, b1, b2, bm + tu])
        buf[bu + tu] = _add(init if first else buf[bu + tu], d, c, kind)


@numba.njit(nogil=True, cache=True)
def _term(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, kind, single, first):  # type: ignore[no-untyped-def]
    """``buf[b + t] = acc + c * (x[a0, a1, a2, bp + t] - x[b0, b1, b2, bm + t])`` for
    ``t`` in ``0:n``, ``acc`` being ``init`` for the ``first`` term and ``buf[b + t]``
    after it (``- 0`` for a ``single`` sample; ``kind`` as :func:`kernels._add`). One
    loop per case (literals: no branch in a loop, so that each one vectorizes)."""
    if first:
        if single:
            if kind == 1:
                _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, 1, True, True)
            elif kind == -1:
                _term_as(
                    buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, -1, True, True
                )
            elif kind == -2:
                _term_as(
                    buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, -2, True, True
                )
            else:
                _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, 0, True, True)
        elif kind == 1:
            _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, 1, False, True)
        elif kind == -1:
            _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, -1, False, True)
        elif kind == -2:
            _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, -2, False, True)
        else:
            _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, 0, False, True)
    elif single:
        if kind == 1:
            _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, 1, True, False)
        elif kind == -1:
            _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, -1, True, False)
        elif kind == -2:
            _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, -2, True, False)
        else:
            _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, 0, True, False)
    elif kind == 1:
        _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, 1, False, False)
    elif kind == -1:
        _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, -1, False, False)
    elif kind == -2:
        _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, -2, False, False)
    else:
        _term_as(buf, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, c, init, zero, 0, False, False)


@numba.njit(inline="always")
def _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, how, op):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    bu = _U(b)
    for t in range(n):
        tu = _U(t)
        v = _scaled(init + (x[a0, a1, a2, bp + tu] - x[b0, b1, b2, bm + tu]), s, how)
        if op == 0:
            acc[bu + tu] = v
        elif op == 1:
            acc[bu + tu] = acc[bu + tu] + v
        else:
            acc[bu + tu] = acc[bu + tu] - v


@numba.njit(nogil=True, cache=True)
def _fast(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, how, op):  # type: ignore[no-untyped-def]
    """The common term, a one-term run of weight 1 (the interior of a uniform grid):
    ``v = (init + (x[a0, a1, a2, bp + t] - x[b0, b1, b2, bm + t])) / s`` (scaled as
    ``how`` says), stored into ``acc[b + t]`` (``op`` 0), added to it (1) or
    subtracted from it (-1), in one loop per case (literals: no branch in a loop)."""
    if how == 2 and op == 0:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 2, 0)
    elif how == 2 and op == 1:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 2, 1)
    elif how == 2 and op == -1:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 2, -1)
    elif how == 4 and op == 0:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 4, 0)
    elif how == 4 and op == 1:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 4, 1)
    elif how == 4 and op == -1:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 4, -1)
    elif how == 1 and op == 0:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 1, 0)
    elif how == 1 and op == 1:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 1, 1)
    elif how == 1 and op == -1:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 1, -1)
    elif how == 3 and op == 0:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 3, 0)
    elif how == 3 and op == 1:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 3, 1)
    elif how == 3 and op == -1:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 3, -1)
    elif how == 0 and op == 0:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 0, 0)
    elif how == 0 and op == 1:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 0, 1)
    elif how == 0 and op == -1:
        _fast_as(acc, b, x, a0, a1, a2, b0, b1, b2, bp, bm, n, init, s, 0, -1)


@numba.njit(inline="always")
def _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, how, op):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    bu = _U(b)
    for t in range(n):
        tu = _U(t)
        v = init + (x[pa[0], pa[1], pa[2], pa[3] + tu] - x[pb[0], pb[1], pb[2], pb[3] + tu])
        v = _scaled(
            v - (x[pc[0], pc[1], pc[2], pc[3] + tu] - x[pd[0], pd[1], pd[2], pd[3] + tu]), s, how
        )
        if op == 0:
            acc[bu + tu] = v
        elif op == 1:
            acc[bu + tu] = acc[bu + tu] + v
        else:
            acc[bu + tu] = acc[bu + tu] - v


@numba.njit(nogil=True, cache=True)
def _fast2(acc, b, x, pa, pb, pc, pd, n, init, s, how, op):  # type: ignore[no-untyped-def]
    """:func:`_fast` for a run of two terms, the first added and the second
    subtracted (the second derivative's ``(f[i+1] - f[i]) - (f[i] - f[i-1])``);
    ``pa``, ``pb``, ``pc``, ``pd``: the four samples' first index (4 dims)."""
    if how == 2 and op == 0:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 2, 0)
    elif how == 2 and op == 1:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 2, 1)
    elif how == 2 and op == -1:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 2, -1)
    elif how == 4 and op == 0:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 4, 0)
    elif how == 4 and op == 1:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 4, 1)
    elif how == 4 and op == -1:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 4, -1)
    elif how == 1 and op == 0:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 1, 0)
    elif how == 1 and op == 1:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 1, 1)
    elif how == 1 and op == -1:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 1, -1)
    elif how == 3 and op == 0:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 3, 0)
    elif how == 3 and op == 1:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 3, 1)
    elif how == 3 and op == -1:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 3, -1)
    elif how == 0 and op == 0:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 0, 0)
    elif how == 0 and op == 1:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 0, 1)
    elif how == 0 and op == -1:
        _fast2_as(acc, b, x, pa, pb, pc, pd, n, init, s, 0, -1)


@numba.njit(inline="always")
def _merge_as(acc, buf, b, n, op):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    bu = _U(b)
    for t in range(n):
        tu = bu + _U(t)
        if op == 0:
            acc[tu] = buf[tu]
        elif op == 1:
            acc[tu] = acc[tu] + buf[tu]
        else:
            acc[tu] = acc[tu] - buf[tu]


@numba.njit(inline="always")
def _merge(acc, buf, b, n, op):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """``acc[b:b + n]`` set to, increased by or decreased by ``buf[b:b + n]`` (``op``
    0, 1, -1)."""
    if op == 0:
        _merge_as(acc, buf, b, n, 0)
    elif op == 1:
        _merge_as(acc, buf, b, n, 1)
    else:
        _merge_as(acc, buf, b, n, -1)


@numba.njit(inline="always")
def _put(acc, i, v, op):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    if op == 0:
        acc[i] = v
    elif op == 1:
        acc[i] = acc[i] + v
    else:
        acc[i] = acc[i] - v


@numba.njit(inline="always")
def _at(i0, i1, i2, j, dim, off):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """The index (4 dims, unsigned) of point (i0, i1, i2, j) moved by ``off`` along ``dim``."""
    return (_U(i0 + (off if dim == 0 else 0)), _U(i1 + (off if dim == 1 else 0)),
            _U(i2 + (off if dim == 2 else 0)), _U(j + (off if dim == 3 else 0)))  # fmt: skip


@numba.njit(inline="always")
def _simple(terms, first, count):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """Whether a run is one term of weight 1 on two samples."""
    return count == 1 and terms[first, 3] == 1 and terms[first, 2] == 0


@numba.njit(inline="always")
def _simple2(terms, first, count):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """Whether a run is two terms on two samples each, of weights 1 and -1."""
    return (count == 2 and terms[first, 3] == 1 and terms[first + 1, 3] == -1
            and terms[first, 2] == 0 and terms[first + 1, 2] == 0)  # fmt: skip


@numba.njit(inline="always")
def _across(acc, buf, b, op, x, i0, i1, i2, j0, nj, dim, r, runs, terms, coef, scale, init, zero):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """The derivative along ``dim`` (< 3) of row (i0, i1, i2), points ``j0:j0 + nj``,
    by run ``r`` (the one holding the row's index along ``dim``), into
    ``acc[b:b + nj]`` as ``op`` says (``buf``: room for a multi-term stencil)."""
    i = i0 if dim == 0 else i1 if dim == 1 else i2
    pos = i - runs[r, 0]
    first, count, how = runs[r, 2], runs[r, 3], runs[r, 6]
    s = scale[runs[r, 4] + pos * runs[r, 5]]
    ju = _U(j0)
    if _simple2(terms, first, count):
        p, m, q, w = terms[first, 0], terms[first, 1], terms[first + 1, 0], terms[first + 1, 1]
        pa, pb = _at(i0, i1, i2, j0, dim, p), _at(i0, i1, i2, j0, dim, m)
        pc, pd = _at(i0, i1, i2, j0, dim, q), _at(i0, i1, i2, j0, dim, w)
        _fast2(acc, b, x, pa, pb, pc, pd, nj, init, s, how, op)
        return
    for u in range(first, first + count):
        p, m = terms[u, 0], terms[u, 1]
        a0 = _U(i0 + (p if dim == 0 else 0))
        a1 = _U(i1 + (p if dim == 1 else 0))
        a2 = _U(i2 + (p if dim == 2 else 0))
        b0 = _U(i0 + (m if dim == 0 else 0))
        b1 = _U(i1 + (m if dim == 1 else 0))
        b2 = _U(i2 + (m if dim == 2 else 0))
        if _simple(terms, first, count):
            _fast(acc, b, x, a0, a1, a2, b0, b1, b2, ju, ju, nj, init, s, how, op)
            return
        c = coef[terms[u, 4] + pos * terms[u, 5]]
        _term(buf, b, x, a0, a1, a2, b0, b1, b2, ju, ju, nj, c, init, zero,
              terms[u, 3], terms[u, 2] != 0, u == first)  # fmt: skip
    _scale(buf, b, nj, s, how)
    _merge(acc, buf, b, nj, op)


@numba.njit(inline="always")
def _along(acc, buf, b, op, x, i0, i1, i2, j0, j1, ra, rb, runs, terms, coef, scale, init, zero):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """The derivative along the last dim of row (i0, i1, i2), points ``j0:j1``, by
    the runs ``ra:rb`` of its table, into ``acc[b:b + j1 - j0]`` as ``op`` says."""
    u0, u1, u2 = _U(i0), _U(i1), _U(i2)
    for r in range(ra, rb):
        s0, e0 = max(j0, runs[r, 0]), min(j1, runs[r, 1])
        if s0 >= e0:
            continue
        at, first, count = runs[r, 0], runs[r, 2], runs[r, 3]
        sbase, sstep, how = runs[r, 4], runs[r, 5], runs[r, 6]
        varies = sstep != 0
        for u in range(first, first + count):
            varies = varies or terms[u, 5] != 0
        if varies or e0 - s0 < 16:  # per-point weights or scales, or a few points
            for j in range(s0, e0):
                v = init
                for u in range(first, first + count):
                    p, m = terms[u, 0], terms[u, 1]
                    d = x[u0, u1, u2, _U(j + p)] - (
                        zero if terms[u, 2] else x[u0, u1, u2, _U(j + m)]
                    )
                    v = _add(v, d, coef[terms[u, 4] + (j - at) * terms[u, 5]], terms[u, 3])
                _put(acc, _U(b + j - j0), _scaled(v, scale[sbase + (j - at) * sstep], how), op)
            continue
        if _simple(terms, first, count):
            bp, bm = _U(s0 + terms[first, 0]), _U(s0 + terms[first, 1])
            _fast(acc, b + s0 - j0, x, u0, u1, u2, u0, u1, u2, bp, bm, e0 - s0, init, scale[sbase], how, op)  # fmt: skip
            continue
        if _simple2(terms, first, count):
            pa, pb = (
                _at(i0, i1, i2, s0, 3, terms[first, 0]),
                _at(i0, i1, i2, s0, 3, terms[first, 1]),
            )
            pc, pd = (
                _at(i0, i1, i2, s0, 3, terms[first + 1, 0]),
                _at(i0, i1, i2, s0, 3, terms[first + 1, 1]),
            )
            _fast2(acc, b + s0 - j0, x, pa, pb, pc, pd, e0 - s0, init, scale[sbase], how, op)
            continue
        for u in range(first, first + count):
            bp, bm = _U(s0 + terms[u, 0]), _U(s0 + terms[u, 1])
            _term(buf, b + s0 - j0, x, u0, u1, u2, u0, u1, u2, bp, bm, e0 - s0, coef[terms[u, 4]],
                  init, zero, terms[u, 3], terms[u, 2] != 0, u == first)  # fmt: skip
        _scale(buf, b + s0 - j0, e0 - s0, scale[sbase], how)
        _merge(acc, buf, b + s0 - j0, e0 - s0, op)


@numba.njit(nogil=True, cache=True)
def _combine(xs, outs, t0, t1, block, rows, skip, prog, tabs, runs, terms, coef, scale, init):  # type: ignore[no-untyped-def]
    """Tasks ``t0:t1``, each ``rows`` consecutive rows (i0, i1, i2:i2 + rows) of the
    last dim, or, where rows are longer than ``block``, a block of one row.

    Tasks walk the rows in memory order. Within a task each term runs over all of
    its rows before the next term starts, so that it reads its input as one long
    stretch (what memory prefetches well) and the rows other terms read are in cache.

    Rows that lie in the box ``skip`` (begin and end along dims 0, 1 and 2;
    :func:`_interior` computes those rows) are skipped.

    ``prog`` has one row per term, the terms of an output consecutive and in order:
    output, input, dim (0-3), table, sign (1 adds, -1 subtracts; the first term of an
    output is stored as it is). ``tabs`` has one row per table: its first run and the
    end of its runs in ``runs``; ``terms``, ``coef`` and ``scale`` are the tables'
    rows, their offsets already global.
    """
    # unpacked once: picking an array out of a tuple by a run-time index costs
    # reference counting per pick, a conditional expression does not
    x0, x1, x2, x3 = xs
    w0, w1, w2, w3 = outs
    n1, n2, n3 = w0.shape[1], w0.shape[2], w0.shape[3]
    nblock = (n3 + block - 1) // block
    nchunk = (n2 + rows - 1) // rows
    acc = np.empty(block, coef.dtype)  # rows * n3 <= block, or one row's block
    buf = np.empty(block, coef.dtype)
    zero = x0.dtype.type(0)
    nterm = prog.shape[0]
    # the indices of task t0, then counted up task by task (no division per task)
    i01, k = divmod(t0, nchunk * nblock)
    ch, q = divmod(k, nblock)
    i0, i1 = divmod(i01, n1)
    for task in range(t0, t1):
        if task > t0:
            q += 1
            if q == nblock:
                q = 0
                ch += 1
                if ch == nchunk:
                    ch = 0
                    i1 += 1
                    if i1 == n1:
                        i1 = 0
                        i0 += 1
        ia = ch * rows
        ib = min(n2, ia + rows)
        boxed = skip[0] <= i0 < skip[1] and skip[2] <= i1 < skip[3]
        if boxed and skip[4] <= ia and ib <= skip[5]:
            continue
        # rows ra2:rb2 of the task lie in the box (none if ra2 == rb2)
        ra2, rb2 = (max(ia, skip[4]), min(ib, skip[5])) if boxed else (ib, ib)
        j0 = q * block
        j1 = min(n3, j0 + block)
        nj = j1 - j0
        for k in range(nterm):
            o, xi, dim, tab, sign = prog[k, 0], prog[k, 1], prog[k, 2], prog[k, 3], prog[k, 4]
            op = 0 if k == 0 or prog[k - 1, 0] != o else sign
            x = x0 if xi == 0 else x1 if xi == 1 else x2 if xi == 2 else x3
            ra, rb = tabs[tab, 0], tabs[tab, 1]
            r = ra
            for i2 in range(ia, ib):
                if ra2 <= i2 < rb2:
                    continue
                b = (i2 - ia) * nj
                if dim == 3:
                    _along(acc, buf, b, op, x, i0, i1, i2, j0, j1, ra, rb, runs, terms, coef, scale, init, zero)  # fmt: skip
                    continue
                i = i0 if dim == 0 else i1 if dim == 1 else i2
                while not (runs[r, 0] <= i < runs[r, 1]):
                    r += 1
                _across(acc, buf, b, op, x, i0, i1, i2, j0, nj, dim, r, runs, terms, coef, scale, init, zero)  # fmt: skip
            if k == nterm - 1 or prog[k + 1, 0] != o:
                out = w0 if o == 0 else w1 if o == 1 else w2 if o == 2 else w3
                v0, v1, ju = _U(i0), _U(i1), _U(j0)
                for i2 in range(ia, ib):
                    if ra2 <= i2 < rb2:
                        continue
                    v2, bu = _U(i2), _U((i2 - ia) * nj)
                    for t in range(_U(nj)):
                        out[v0, v1, v2, ju + t] = acc[bu + t]


# --------------------------------------------------------------------------- interior
#
# The interior of a uniform grid, where every term of every output is a plain
# difference of two samples (a central difference) or of two such differences (the
# compact second derivative), with one scale: each output's terms are evaluated and
# summed in registers, point by point, and the output written once, without the
# buffers above. The structure of the sum (the number of outputs and of terms of
# each, the kind of term, how it is scaled) is compiled in (literal arguments: one
# compiled variant per structure, each vectorized); which input, which dim and
# which sign are run-time values. A subtracted term is added times -1: IEEE
# subtraction is the addition of the negation, and -1 * v is exactly -v, so the
# sums are bitwise those of :func:`_combine`.


@numba.njit(inline="always")
def _pick(s, x0, x1, x2, x3):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    return x0 if s == 0 else x1 if s == 1 else x2 if s == 2 else x3


@numba.njit(inline="always")
def _plain(x, t, a, b, c, d, init, s, how, kind):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """A term: ``(init + (x[a+t] - x[b+t])) / s`` (kind 1) or ``(init + (x[a+t] -
    x[b+t]) - (x[c+t] - x[d+t])) / s`` (kind 2)."""
    v = init + (x[a + t] - x[b + t])
    if kind == 2:
        v = v - (x[c + t] - x[d + t])
    return _scaled(v, s, how)


@numba.njit(inline="always")
def _run_at(src, k, t, j, runs):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """The run of term ``t`` of output ``k`` holding point ``j`` if the term runs
    along the last dim, else -1."""
    if src[k, t, 1] != 3:
        return -1
    r = src[k, t, 2]
    while not (runs[r, 0] <= j < runs[r, 1]):
        r += 1
    return r


@numba.njit(inline="always")
def _by_run(x, p, j, r, runs, terms, coef, scale, init, zero):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """A term along the last dim at flat index ``p`` (point ``j``) by run ``r`` of
    its table, as :func:`_combine` evaluates it."""
    pos = j - runs[r, 0]
    u = init
    for e in range(runs[r, 2], runs[r, 2] + runs[r, 3]):
        dx = x[_U(p + terms[e, 0])] - (zero if terms[e, 2] else x[_U(p + terms[e, 1])])
        u = _add(u, dx, coef[terms[e, 4] + pos * terms[e, 5]], terms[e, 3])
    return _scaled(u, scale[runs[r, 4] + pos * runs[r, 5]], runs[r, 6])


@numba.njit(nogil=True, cache=True)
def _interior(xs, outs, t0, t1, geom, src, offs, scales, signs, runs, terms, coef, scale, init, nout, nt, kind, how):  # type: ignore[no-untyped-def]  # fmt: skip
    """Tasks ``t0:t1`` of the interior box: a task is ``geom[12]`` consecutive rows
    (i0, i1, i2) of the box (in memory order), or, where rows are longer than
    ``geom[13]``, a block of that many points of one row; the tasks at either end
    of a row also compute its points outside the box along the last dim
    (:func:`_edge`).

    Arrays are flat (C order of the 4-D shape ``geom[0:4]``); the box is
    ``geom[4:12]`` (begin and end along each dim). Output ``k`` (of ``nout``) is
    the sum of terms ``0:nt``: term ``t`` reads input ``src[k, t, 0]`` along dim
    ``src[k, t, 1]`` (its table's first run ``src[k, t, 2]``) at the four flat
    offsets ``offs[k, t]``, is scaled by ``scales[k, t]`` and, after the first,
    added times ``signs[k, t]`` (+1 or -1). ``nt``, ``kind`` (1 or 2,
    :func:`_plain`) and ``how`` (:func:`kernels._scaled`) are literals: one
    compiled variant each, whose loop has no branch. ``runs`` to ``init``: the
    tables, as :func:`_combine` reads them.
    """
    x0, x1, x2, x3 = xs
    w0, w1, w2, w3 = outs
    zero = x0.dtype.type(0)
    n1, n2, n3 = geom[1], geom[2], geom[3]
    lo0, lo1, lo2, lo3 = geom[4], geom[6], geom[8], geom[10]
    m1, m2, hi3 = geom[7] - lo1, geom[9] - lo2, geom[11]
    nrow = (geom[5] - lo0) * m1 * m2
    rows, block = geom[12], geom[13]
    nblock = (hi3 - lo3 + block - 1) // block
    for task in range(t0, t1):
        chunk, q = divmod(task, nblock)
        ra = chunk * rows
        rb = min(nrow, ra + rows)
        j0 = lo3 + q * block
        nj = min(hi3, j0 + block) - j0
        for k in range(nout):
            w = w0 if k == 0 else w1 if k == 1 else w2 if k == 2 else w3
            xa = _pick(src[k, 0, 0], x0, x1, x2, x3)
            xb = _pick(src[k, 1, 0], x0, x1, x2, x3)
            xc = _pick(src[k, 2, 0], x0, x1, x2, x3)
            xd = _pick(src[k, 3, 0], x0, x1, x2, x3)
            sa, sb, sc, sd = scales[k, 0], scales[k, 1], scales[k, 2], scales[k, 3]
            gb, gc, gd = signs[k, 1], signs[k, 2], signs[k, 3]
            r01, i2 = divmod(ra, m2)
            i0, i1 = divmod(r01, m1)
            for _ in range(ra, rb):
                at = (((i0 + lo0) * n1 + i1 + lo1) * n2 + i2 + lo2) * n3 + j0
                # each sample's first index, exact (offsets are signed; the loop
                # counts up from these, so the compiler sees consecutive addresses)
                a0, a1, a2, a3 = _U(at + offs[k, 0, 0]), _U(at + offs[k, 0, 1]), _U(at + offs[k, 0, 2]), _U(at + offs[k, 0, 3])  # fmt: skip
                b0, b1, b2, b3 = _U(at + offs[k, 1, 0]), _U(at + offs[k, 1, 1]), _U(at + offs[k, 1, 2]), _U(at + offs[k, 1, 3])  # fmt: skip
                c0, c1, c2, c3 = _U(at + offs[k, 2, 0]), _U(at + offs[k, 2, 1]), _U(at + offs[k, 2, 2]), _U(at + offs[k, 2, 3])  # fmt: skip
                d0, d1, d2, d3 = _U(at + offs[k, 3, 0]), _U(at + offs[k, 3, 1]), _U(at + offs[k, 3, 2]), _U(at + offs[k, 3, 3])  # fmt: skip
                ou = _U(at)
                for t in range(_U(nj)):
                    v = _plain(xa, t, a0, a1, a2, a3, init, sa, how, kind)
                    if nt >= 2:
                        v = v + gb * _plain(xb, t, b0, b1, b2, b3, init, sb, how, kind)
                    if nt >= 3:
                        v = v + gc * _plain(xc, t, c0, c1, c2, c3, init, sc, how, kind)
                    if nt >= 4:
                        v = v + gd * _plain(xd, t, d0, d1, d2, d3, init, sd, how, kind)
                    w[ou + t] = v
                if q == 0 or q == nblock - 1:  # the row's points outside the box
                    # (the four terms written out: the same code through one inlined
                    # helper taking the array made the laplacian 1.7x slower)
                    left = lo3 if q == 0 else 0
                    for m in range(left + (n3 - hi3 if q == nblock - 1 else 0)):
                        j = m if m < left else hi3 + m - left
                        p = at - j0 + j
                        r = _run_at(src, k, 0, j, runs)
                        if r < 0:
                            v = _plain(xa, _U(0), _U(p + offs[k, 0, 0]), _U(p + offs[k, 0, 1]), _U(p + offs[k, 0, 2]), _U(p + offs[k, 0, 3]), init, sa, how, kind)  # fmt: skip
                        else:
                            v = _by_run(xa, p, j, r, runs, terms, coef, scale, init, zero)
                        if nt >= 2:
                            r = _run_at(src, k, 1, j, runs)
                            if r < 0:
                                u = _plain(xb, _U(0), _U(p + offs[k, 1, 0]), _U(p + offs[k, 1, 1]), _U(p + offs[k, 1, 2]), _U(p + offs[k, 1, 3]), init, sb, how, kind)  # fmt: skip
                            else:
                                u = _by_run(xb, p, j, r, runs, terms, coef, scale, init, zero)
                            v = v + gb * u
                        if nt >= 3:
                            r = _run_at(src, k, 2, j, runs)
                            if r < 0:
                                u = _plain(xc, _U(0), _U(p + offs[k, 2, 0]), _U(p + offs[k, 2, 1]), _U(p + offs[k, 2, 2]), _U(p + offs[k, 2, 3]), init, sc, how, kind)  # fmt: skip
                            else:
                                u = _by_run(xc, p, j, r, runs, terms, coef, scale, init, zero)
                            v = v + gc * u
                        if nt >= 4:
                            r = _run_at(src, k, 3, j, runs)
                            if r < 0:
                                u = _plain(xd, _U(0), _U(p + offs[k, 3, 0]), _U(p + offs[k, 3, 1]), _U(p + offs[k, 3, 2]), _U(p + offs[k, 3, 3]), init, sd, how, kind)  # fmt: skip
                            else:
                                u = _by_run(xd, p, j, r, runs, terms, coef, scale, init, zero)
                            v = v + gd * u
                        w[_U(p)] = v
                i2 += 1
                if i2 == m2:
                    i2 = 0
                    i1 += 1
                    if i1 == m1:
                        i1 = 0
                        i0 += 1


#: the entry points the driver compiles
combine = _combine
interior = _interior


lock_caches(globals())  # saves and loads of the on-disk cache under a lock (processes racing)
