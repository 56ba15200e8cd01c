"""The compiled loop of the fused operators (this module imports numba).

One kernel computes outputs that are signed sums of single derivatives (a Laplacian,
a divergence, a curl, the gradient over all dims) in one pass: the inputs and outputs
are 4-D arrays (dims in memory order, the last one the innermost), a task is one row
of the last dim (cut into blocks), and every term of an output is evaluated for the
row into a small buffer, then added to (or subtracted from) the output's buffer, left
to right, before the row is written once. Tasks walk the rows in order, so the rows a
stencil reads across the outer dims are a few planes back and still in cache.

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

__all__ = ["combine"]

_U = np.uint64  # indices: unsigned ones skip Numba's negative-index wrap-around


@numba.njit(inline="always")
def _scale_as(buf, b, n, s, how):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    for t in range(b, b + n):
        buf[t] = _scaled(buf[t], s, how)


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
def _across(buf, x, i0, i1, i2, j0, nj, dim, r, runs, terms, coef, scale, init, zero):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """``buf[:nj]``: the derivative along ``dim`` (< 3) of row (i0, i1, i2), points
    ``j0:j0 + nj``, by run ``r`` (the one holding the row's index along ``dim``)."""
    i = i0 if dim == 0 else i1 if dim == 1 else i2
    pos = i - runs[r, 0]
    first, count = runs[r, 2], runs[r, 3]
    s = scale[runs[r, 4] + pos * runs[r, 5]]
    for t in range(nj):
        buf[t] = init
    for u in range(first, first + count):
        p, m = terms[u, 0], terms[u, 1]
        a0 = _U(i0 + (p if dim == 0 else 0))
        a1 = _U(i1 + (p if dim == 1 else 0))
        a2 = _U(i2 + (p if dim == 2 else 0))
        b0 = _U(i0 + (m if dim == 0 else 0))
        b1 = _U(i1 + (m if dim == 1 else 0))
        b2 = _U(i2 + (m if dim == 2 else 0))
        c = coef[terms[u, 4] + pos * terms[u, 5]]
        kind, single = terms[u, 3], terms[u, 2] != 0
        ju = _U(j0)
        for t in range(nj):
            d = x[a0, a1, a2, ju + _U(t)] - (zero if single else x[b0, b1, b2, ju + _U(t)])
            buf[t] = _add(buf[t], d, c, kind)
    _scale(buf, 0, nj, s, runs[r, 6])


@numba.njit(inline="always")
def _along(buf, x, i0, i1, i2, j0, j1, ra, rb, runs, terms, coef, scale, init, zero):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """``buf[:j1 - j0]``: the derivative along the last dim of row (i0, i1, i2),
    points ``j0:j1``, by the runs ``ra:rb`` of its table."""
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
                    d = x[u0, u1, u2, _U(j + p)] - (zero if terms[u, 2] else x[u0, u1, u2, _U(j + m)])
                    v = _add(v, d, coef[terms[u, 4] + (j - at) * terms[u, 5]], terms[u, 3])
                buf[j - j0] = _scaled(v, scale[sbase + (j - at) * sstep], how)
            continue
        b = s0 - j0
        for t in range(e0 - s0):
            buf[b + t] = init
        for u in range(first, first + count):
            bp, bm = _U(s0 + terms[u, 0]), _U(s0 + terms[u, 1])
            c, kind, single = coef[terms[u, 4]], terms[u, 3], terms[u, 2] != 0
            for t in range(e0 - s0):
                d = x[u0, u1, u2, bp + _U(t)] - (zero if single else x[u0, u1, u2, bm + _U(t)])
                buf[b + t] = _add(buf[b + t], d, c, kind)
        _scale(buf, b, e0 - s0, scale[sbase], how)


@numba.njit(nogil=True, cache=True)
def _combine(xs, outs, t0, t1, block, prog, tabs, runs, terms, coef, scale, init):  # type: ignore[no-untyped-def]
    """Tasks ``t0:t1``: task ``t`` is block ``t % nblock`` of row ``t // nblock``.

    ``prog`` has one row per term, the terms of an output consecutive and in order:
    output, input, dim (0-3), table, sign (1 adds, -1 subtracts; the first term of an
    output is stored as it is). ``tabs`` has one row per table: its first run and the
    end of its runs in ``runs``; ``terms``, ``coef`` and ``scale`` are the tables'
    rows, their offsets already global.
    """
    n1, n2, n3 = outs[0].shape[1], outs[0].shape[2], outs[0].shape[3]
    nblock = (n3 + block - 1) // block
    acc = np.empty(block, coef.dtype)
    buf = np.empty(block, coef.dtype)
    zero = xs[0].dtype.type(0)
    nterm = prog.shape[0]
    for task in range(t0, t1):
        row, q = divmod(task, nblock)
        i01, i2 = divmod(row, n2)
        i0, i1 = divmod(i01, n1)
        j0 = q * block
        j1 = min(n3, j0 + block)
        nj = j1 - j0
        for k in range(nterm):
            o, xi, dim, tab, sign = prog[k, 0], prog[k, 1], prog[k, 2], prog[k, 3], prog[k, 4]
            x = xs[xi]
            ra, rb = tabs[tab, 0], tabs[tab, 1]
            if dim == 3:
                _along(buf, x, i0, i1, i2, j0, j1, ra, rb, runs, terms, coef, scale, init, zero)
            else:
                i = i0 if dim == 0 else i1 if dim == 1 else i2
                r = ra
                while not (runs[r, 0] <= i < runs[r, 1]):
                    r += 1
                _across(buf, x, i0, i1, i2, j0, nj, dim, r, runs, terms, coef, scale, init, zero)
            first = k == 0 or prog[k - 1, 0] != o
            last = k == nterm - 1 or prog[k + 1, 0] != o
            out = outs[o]
            v0, v1, v2, ju = _U(i0), _U(i1), _U(i2), _U(j0)
            if first and last:
                for t in range(nj):
                    out[v0, v1, v2, ju + _U(t)] = buf[t]
            elif first:
                for t in range(nj):
                    acc[t] = buf[t]
            elif last:
                if sign == 1:
                    for t in range(nj):
                        out[v0, v1, v2, ju + _U(t)] = acc[t] + buf[t]
                else:
                    for t in range(nj):
                        out[v0, v1, v2, ju + _U(t)] = acc[t] - buf[t]
            elif sign == 1:
                for t in range(nj):
                    acc[t] = acc[t] + buf[t]
            else:
                for t in range(nj):
                    acc[t] = acc[t] - buf[t]


#: the entry point the driver compiles
combine = _combine
