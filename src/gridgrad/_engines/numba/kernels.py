"""The compiled loops of the Numba engine (this module imports numba).

A term is ``c * (f[i+p] - f[i+m])``; a single-sample term is ``c * (f[i+p] - 0)``
(``x - 0`` is exactly ``x``). The arithmetic is the reference engine's, term for term
and in the same dtypes (differences in the value dtype, weights and division in the
dtype NumPy would promote to, NumPy's complex division), so results agree with it to
the last bit. Each output point is computed by one task, with no reduction across
tasks, so results do not depend on the number of threads.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.extending import overload

from gridgrad._numba_cache import lock_caches

__all__ = ["across", "along"]


# --------------------------------------------------------------------------- arithmetic


def _divide(a, b):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    return a / b


@numba.njit(inline="always")
def _smith(ar, ai, br, bi, one):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """``(ar + i ai) / (br + i bi)`` by Smith's method with a reciprocal (numpy's loop)."""
    if abs(br) >= abs(bi):
        if br == 0 and bi == 0:
            return complex(ar / abs(br), ai / abs(br))
        rat = bi / br
        scl = one / (br + bi * rat)
        return complex((ar + ai * rat) * scl, (ai - ar * rat) * scl)
    rat = br / bi
    scl = one / (bi + br * rat)
    return complex((ar * rat + ai) * scl, (ai * rat - ar) * scl)


@overload(_divide)
def _divide_impl(a, b):  # type: ignore[no-untyped-def]
    """``a / b`` as NumPy computes it: complex division by Smith's method with a
    reciprocal (numpy's loop), not CPython's; a real numerator counts as ``a + 0i``;
    real division unchanged."""
    if not isinstance(b, types.Complex):
        return lambda a, b: a / b
    ftype = numba.np.numpy_support.as_dtype(b.underlying_float).type
    one, zero = ftype(1.0), ftype(0.0)
    if isinstance(a, types.Complex):
        return lambda a, b: _smith(a.real, a.imag, b.real, b.imag, one)
    return lambda a, b: _smith(ftype(a), zero, b.real, b.imag, one)


# --------------------------------------------------------------------------- kernels
#
# A term is ``c * (f[i+p] - f[i+m])``; a single-sample term is ``c * (f[i+p] - 0)``
# (``x - 0`` is exactly ``x``). ``kind`` 1 means c == 1 (added without a multiply, as
# the reference does), -1 means c == -1 (subtracted), 0 a multiply. Accumulators
# start at -0, the identity of IEEE addition, so the first term is stored exactly as
# the reference's first term is. All terms of a run but the last are summed into a
# small buffer, one vector loop per term; the last one is added, scaled and stored
# in the same loop (where the run shares one weight and scale), so a one-term run
# (the interior of every uniform grid) reads each input once and writes each output
# once. Short runs (edges along a contiguous dim) are evaluated point by point.
#
# The kernels are serial (``nogil``) over a range of tasks; ``_parallel`` runs
# disjoint ranges on a few threads. Each output point belongs to one task, so the
# result does not depend on how tasks are split. The loops index the arrays
# directly (no slices: a slice's reference count is an atomic shared by threads).


_U = np.uint64  # indices: unsigned ones skip Numba's negative-index wrap-around


@numba.njit(inline="always")
def _add(acc, d, c, kind):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    if kind == 1:
        return acc + d
    if kind == -1:
        return acc - d
    if kind == -2:
        return acc - c * d
    return acc + c * d


def _halve(v):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    return v / 2


@overload(_halve)
def _halve_impl(v):  # type: ignore[no-untyped-def]
    """``v / 2`` as NumPy computes it in ``v``'s dtype: a real ``v * 0.5`` (exact, the
    same rounding as dividing, also below the normal range), a complex one divided
    by ``2+0j`` with NumPy's complex division."""
    if isinstance(v, types.Complex):
        two = numba.np.numpy_support.as_dtype(v).type(2)
        return lambda v: _divide(v, two)
    half = numba.np.numpy_support.as_dtype(v).type(0.5)
    return lambda v: v * half


@numba.njit(inline="always")
def _scaled(v, s, how):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """``v / s`` (``how`` 1), ``v * s`` (2: ``s`` is the exact reciprocal of a
    power-of-two scale, the same numbers as dividing), or ``v`` (0); ``how`` 3 and 4
    are 1 and 2 followed by a division by 2 (torch's central difference)."""
    if how == 1:
        return _divide(v, s)
    if how == 2:
        return v * s
    if how == 3:
        return _halve(_divide(v, s))
    if how == 4:
        return _halve(v * s)
    return v


# The loops below count from 0 and add the count to bases computed once (exact
# non-negative indices even where an offset wrapped around), so the compiler sees
# consecutive addresses and vectorizes.


@numba.njit(nogil=True, cache=True)
def _row(buf, x, o, p, m, dp, dm, k0, k1, c, kind, single, zero):  # type: ignore[no-untyped-def]
    """``buf[k - k0] += c * (x[o, p, k + dp] - x[o, m, k + dm])`` for ``k`` in
    ``k0:k1`` (``- 0`` for a single-sample term; ``c`` +1 and -1 add and subtract)."""
    bp, bm = k0 + dp, k0 + dm
    for t in range(k1 - k0):
        d = x[o, p, bp + t] - (zero if single else x[o, m, bm + t])
        buf[t] = _add(buf[t], d, c, kind)


@numba.njit(nogil=True, cache=True)
def _row_points(buf, x, o, p, m, k0, k1, coef, cb, kind, single, zero):  # type: ignore[no-untyped-def]
    """``buf[k - k0] += coef[cb + k] * (x[o, 0, k + p] - x[o, 0, k + m])``: one weight
    per point (non-uniform grids)."""
    z = _U(0)
    bp, bm, bc = k0 + p, k0 + m, cb + k0
    for t in range(k1 - k0):
        d = x[o, z, bp + t] - (zero if single else x[o, z, bm + t])
        buf[t] = _add(buf[t], d, coef[bc + t], kind)


@numba.njit(inline="always")
def _last_as(out, i, buf, x, o, p, m, dp, dm, k0, k1, c, kind, single, zero, s, how):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """:func:`_last` for one constant ``how`` (inlined with a literal, so that no
    loop carries a branch on it: a branch a vector loop if-converts would divide
    every point even where the scale is a multiply)."""
    bp, bm = k0 + dp, k0 + dm
    for t in range(k1 - k0):
        d = x[o, p, bp + t] - (zero if single else x[o, m, bm + t])
        out[o, i, k0 + t] = _scaled(_add(buf[t], d, c, kind), s, how)


@numba.njit(nogil=True, cache=True)
def _last(out, i, buf, x, o, p, m, dp, dm, k0, k1, c, kind, single, zero, s, how):  # type: ignore[no-untyped-def]
    """``out[o, i, k] = (buf[k - k0] + c * (x[o, p, k + dp] - x[o, m, k + dm])) / s``."""
    if how == 4:
        _last_as(out, i, buf, x, o, p, m, dp, dm, k0, k1, c, kind, single, zero, s, 4)
    elif how == 3:
        _last_as(out, i, buf, x, o, p, m, dp, dm, k0, k1, c, kind, single, zero, s, 3)
    elif how == 2:
        _last_as(out, i, buf, x, o, p, m, dp, dm, k0, k1, c, kind, single, zero, s, 2)
    elif how == 1:
        _last_as(out, i, buf, x, o, p, m, dp, dm, k0, k1, c, kind, single, zero, s, 1)
    else:
        _last_as(out, i, buf, x, o, p, m, dp, dm, k0, k1, c, kind, single, zero, s, 0)


@numba.njit(inline="always")
def _one_as(out, i, x, o, p, m, dp, dm, k0, k1, init, s, how):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    bp, bm = k0 + dp, k0 + dm
    for t in range(k1 - k0):
        out[o, i, k0 + t] = _scaled(init + (x[o, p, bp + t] - x[o, m, bm + t]), s, how)


@numba.njit(nogil=True, cache=True)
def _one(out, i, x, o, p, m, dp, dm, k0, k1, init, s, how):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """``out[o, i, k] = (x[o, p, k + dp] - x[o, m, k + dm]) / s``: the interior of a
    uniform grid, one loop per ``how``."""
    if how == 4:
        _one_as(out, i, x, o, p, m, dp, dm, k0, k1, init, s, 4)
    elif how == 3:
        _one_as(out, i, x, o, p, m, dp, dm, k0, k1, init, s, 3)
    elif how == 2:
        _one_as(out, i, x, o, p, m, dp, dm, k0, k1, init, s, 2)
    elif how == 1:
        _one_as(out, i, x, o, p, m, dp, dm, k0, k1, init, s, 1)
    else:
        _one_as(out, i, x, o, p, m, dp, dm, k0, k1, init, s, 0)


@numba.njit(nogil=True, cache=True)
def _across(x, out, xw, ow, t0, t1, block, group, flat, runs, terms, coef, scale, init):  # type: ignore[no-untyped-def]
    """Tasks ``t0:t1`` of ``x`` of shape (outer, n, inner) along its middle dim.

    A task is one output row ``(o, i)`` times a block of the inner dim. Rows come
    in groups of ``group``; within a group tasks run down the rows of a block, so
    the rows a stencil reads are still in cache, and a range of tasks writes one
    stretch of memory (threads do not share the pages they first touch). ``xw``,
    ``ow`` and ``flat`` are :func:`_along`'s, unused here (one signature for both).
    """
    n, inner = x.shape[1], x.shape[2]
    nblock = (inner + block - 1) // block
    buf = np.empty(block, coef.dtype)
    zero, z = x.dtype.type(0), _U(0)
    for t in range(t0, t1):
        oi, k = divmod(t, n * nblock)
        g = k // (group * nblock)
        size = min(group, n - g * group)
        q, i = divmod(k - g * group * nblock, size)
        i += g * group
        j0 = _U(q * block)
        j1 = _U(min(inner, j0 + block))
        o, iu = _U(oi), _U(i)
        r = 0
        while not (runs[r, 0] <= i < runs[r, 1]):
            r += 1
        pos = i - runs[r, 0]
        first, last = runs[r, 2], runs[r, 2] + runs[r, 3] - 1
        s = scale[runs[r, 4] + pos * runs[r, 5]]
        how = runs[r, 6]
        p, m = _U(i + terms[first, 0]), _U(i + terms[first, 1])
        if first == last and terms[first, 2] == 0 and terms[first, 3] == 1:
            # the common case: one term of weight 1
            _one(out, iu, x, o, p, m, z, z, j0, j1, init, s, how)
            continue
        buf[: j1 - j0] = init
        for u in range(first, last + 1):
            p, m = _U(i + terms[u, 0]), _U(i + terms[u, 1])
            c = coef[terms[u, 4] + pos * terms[u, 5]]
            kind, single = terms[u, 3], terms[u, 2] != 0
            if u < last:
                _row(buf, x, o, p, m, z, z, j0, j1, c, kind, single, zero)
            else:
                _last(out, iu, buf, x, o, p, m, z, z, j0, j1, c, kind, single, zero, s, how)


@numba.njit(nogil=True, cache=True)
def _points(out, x, oa, ob, r, s0, e0, runs, terms, coef, scale, init, zero):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """Points ``s0:e0`` of run ``r`` on lines ``oa:ob``, one point at a time."""
    z = _U(0)
    first, last = runs[r, 2], runs[r, 2] + runs[r, 3] - 1
    at, s1, sstep, how = _U(runs[r, 0]), _U(runs[r, 4]), _U(runs[r, 5]), runs[r, 6]
    for i in range(s0, e0):
        s = scale[s1 + (i - at) * sstep]
        for o in range(oa, ob):
            v = init
            for u in range(first, last + 1):
                p, m = _U(terms[u, 0]), _U(terms[u, 1])
                d = x[o, z, i + p] - (zero if terms[u, 2] else x[o, z, i + m])
                c = coef[terms[u, 4] + (i - at) * terms[u, 5]]
                v = _add(v, d, c, terms[u, 3])
            out[o, z, i] = _scaled(v, s, how)


@numba.njit(nogil=True, cache=True)
def _along_run(out, x, o, r, s0, e0, buf, runs, terms, coef, scale, init, zero):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """Points ``s0:e0`` of run ``r`` on line ``o`` of ``x`` of shape (outer, 1, n)."""
    z = _U(0)
    first, last = runs[r, 2], runs[r, 2] + runs[r, 3] - 1
    at = _U(runs[r, 0])
    s1, sstep, how = _U(runs[r, 4]), _U(runs[r, 5]), runs[r, 6]
    p, m = _U(terms[first, 0]), _U(terms[first, 1])  # wrap around: i + p is exact
    if first == last and terms[first, 2] == 0 and terms[first, 3] == 1 and not sstep:
        # the common case: one term of weight 1
        _one(out, z, x, o, z, z, p, m, s0, e0, init, scale[s1], how)
        return
    if e0 - s0 < 16:  # a few points (edges): each point on its own
        _points(out, x, o, o + _U(1), r, s0, e0, runs, terms, coef, scale, init, zero)
        return
    buf[: e0 - s0] = init
    for u in range(first, last + 1):
        p, m = _U(terms[u, 0]), _U(terms[u, 1])
        c0, cstep = _U(terms[u, 4]), _U(terms[u, 5])
        kind, single = terms[u, 3], terms[u, 2] != 0
        if cstep:  # one weight per point
            _row_points(buf, x, o, p, m, s0, e0, coef, c0 - at, kind, single, zero)
        elif u < last or sstep:
            _row(buf, x, o, z, z, p, m, s0, e0, coef[c0], kind, single, zero)
        else:  # one weight, one scale: the last term stored at once
            _last(out, z, buf, x, o, z, z, p, m, s0, e0, coef[c0], kind, single, zero, scale[s1], how)  # fmt: skip
            return
        if u == last:
            for i in range(s0, e0):
                out[o, z, i] = _scaled(buf[i - s0], scale[s1 + (i - at) * sstep], how)


@numba.njit(nogil=True, cache=True)
def _along(x, out, xw, ow, t0, t1, block, lines, flat, runs, terms, coef, scale, init):  # type: ignore[no-untyped-def]
    """Tasks ``t0:t1`` of ``x`` of shape (outer, 1, n) along its last dim.

    With ``lines`` 0 a task is a chunk of ``block`` consecutive points of one line.
    Otherwise it is ``lines`` whole lines; when the lines lie evenly spaced in memory
    (``xw``, ``ow``: the same data as one line of shape (1, 1, outer * n)), run
    ``flat`` (>= 0, a run with one weight per term and one scale: the interior)
    is first evaluated for all of the task's lines in one loop, across the gaps
    between lines, and the other runs, evaluated line by line after it, overwrite
    what that loop wrote into their points.
    """
    outer, n = x.shape[0], x.shape[2]
    buf = np.empty(block, coef.dtype)
    zero = x.dtype.type(0)
    nrun = runs.shape[0]
    if lines == 0:
        nchunk = (n + block - 1) // block
        for t in range(t0, t1):
            o = _U(t // nchunk)
            i0 = (t % nchunk) * block
            i1 = min(n, i0 + block)
            for r in range(nrun):
                s0 = _U(max(i0, runs[r, 0]))
                e0 = _U(min(i1, runs[r, 1]))
                if s0 < e0:
                    _along_run(out, x, o, r, s0, e0, buf, runs, terms, coef, scale, init, zero)
        return
    for t in range(t0, t1):
        oa = t * lines
        ob = min(outer, oa + lines)
        if flat >= 0:
            s0 = _U(oa * n + runs[flat, 0])
            e0 = _U((ob - 1) * n + runs[flat, 1])
            _along_run(ow, xw, _U(0), flat, s0, e0, buf, runs, terms, coef, scale, init, zero)
        for r in range(nrun):
            if r == flat:
                continue
            s0, e0 = _U(runs[r, 0]), _U(runs[r, 1])
            if e0 - s0 < 16:  # a few points (edges): each point down the lines
                _points(out, x, _U(oa), _U(ob), r, s0, e0, runs, terms, coef, scale, init, zero)
            else:
                for o in range(_U(oa), _U(ob)):
                    _along_run(out, x, o, r, s0, e0, buf, runs, terms, coef, scale, init, zero)


#: the entry points the driver compiles
across = _across
along = _along


lock_caches(globals())  # saves and loads of the on-disk cache under a lock (processes racing)
