"""Fused parallel Numba kernels for NumPy arrays (imported lazily, only for large inputs).

Every differentiated dim is one pass over the data: the array is viewed as
``(outer, n, inner)`` around that dim and each output point is written once, from
a stencil read out of a dense table built from the plan (any width, constant or
per-point weights). The arithmetic is the reference engine's, term for term and in
the same dtypes (differences in the value dtype, weights and division in the dtype
NumPy would promote to, NumPy's complex division), so results agree with it to the
last bit on float32/float64/complex input. Each output point is computed by one
thread with no reduction across threads, so results do not depend on the number of
threads.

Memory beyond the input and the outputs is a few KiB per task, except:
big-endian input is converted to native once (one input-size copy) and its
results byteswapped in place; float16 input is computed in float32 (an input-size
copy and one float32 result at a time).
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numba import types
from numba.extending import overload

from gridgrad._plan import AxisPlan, GradientPlan

__all__ = ["gradient"]

# Output points per task: rows of an inner dim are cut into blocks of this many
# elements, and a stencil running along a contiguous dim into chunks of this size.
_BLOCK = 2048
_GROUP = 32  # rows of a dim across which tasks run down the blocks


# --------------------------------------------------------------------------- arithmetic


def _divide(a, b):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    return a / b


@overload(_divide)
def _divide_impl(a, b):  # type: ignore[no-untyped-def]
    """``a / b`` as NumPy computes it: complex division by Smith's method with a
    reciprocal (numpy's loop), not CPython's; real division unchanged."""
    if not isinstance(b, types.Complex):
        return lambda a, b: a / b
    ftype = numba.np.numpy_support.as_dtype(b.underlying_float).type
    one = ftype(1.0)

    def impl(a, b):  # type: ignore[no-untyped-def]
        ar = a.real
        ai = a.imag
        br = b.real
        bi = b.imag
        if abs(br) >= abs(bi):
            if br == 0 and bi == 0:
                return complex(ar / abs(br), ai / abs(br))
            rat = bi / br
            scl = one / (br + bi * rat)
            return complex((ar + ai * rat) * scl, (ai - ar * rat) * scl)
        rat = br / bi
        scl = one / (bi + br * rat)
        return complex((ar * rat + ai) * scl, (ai * rat - ar) * scl)

    if isinstance(a, types.Complex):
        return impl

    def real_impl(a, b):  # type: ignore[no-untyped-def]
        ar = ftype(a)
        zero = ftype(0.0)
        br = b.real
        bi = b.imag
        if abs(br) >= abs(bi):
            if br == 0 and bi == 0:
                return complex(ar / abs(br), zero / abs(br))
            rat = bi / br
            scl = one / (br + bi * rat)
            return complex((ar + zero * rat) * scl, (zero - ar * rat) * scl)
        rat = br / bi
        scl = one / (bi + br * rat)
        return complex((ar * rat + zero) * scl, (zero * rat - ar) * scl)

    return real_impl


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


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class _Table:
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


def _table(ax: AxisPlan, value_dtype: np.dtype) -> _Table:
    """Runs of ``ax`` as flat arrays, in the dtypes the reference engine computes in.

    The weights are stored in ``result_type(values, weights)`` (Python numbers are
    weak, as in NumPy) and the scales in ``result_type(that, scales)``; terms come in
    the order and with the +1/-1 kinds of :attr:`Run.program`, the reference's.
    """
    coefs = [c for run in ax.runs for c, _, _ in run.terms]
    acc = np.result_type(value_dtype, *coefs)
    scales = [run.scale for run in ax.runs if run.divides]
    div = np.result_type(acc, *scales)
    runs: list[list[int]] = []
    terms: list[list[int]] = []
    coef_parts: list[np.ndarray] = []
    scale_parts: list[np.ndarray] = []
    ncoef = nscale = 0
    for run in ax.runs:
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
    return _Table(
        np.asarray(runs, dtype=np.int64),
        np.asarray(terms, dtype=np.int64),
        np.concatenate(coef_parts),
        np.concatenate(scale_parts),
    )


# --------------------------------------------------------------------------- layout


def _merge(shape: tuple[int, ...], strides: tuple[int, ...]) -> tuple[int, int] | None:
    """``(size, stride)`` of a group of dims walked as one, or None if impossible."""
    dims = [(n, s) for n, s in zip(shape, strides) if n != 1]
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if not dims:
        return size, 0
    for (_, s_outer), (n_inner, s_inner) in itertools.pairwise(dims):
        if s_outer != n_inner * s_inner:
            return None
    return size, dims[-1][1]


def _view3(a: np.ndarray, axis: int) -> np.ndarray | None:
    """``a`` viewed as (outer, n, inner) around ``axis`` without a copy, or None."""
    outer = _merge(a.shape[:axis], a.strides[:axis])
    inner = _merge(a.shape[axis + 1 :], a.strides[axis + 1 :])
    if outer is None or inner is None:
        return None
    shape = (outer[0], a.shape[axis], inner[0])
    strides = (outer[1], a.strides[axis], inner[1])
    return np.lib.stride_tricks.as_strided(
        a, shape, strides, subok=False, writeable=a.flags.writeable
    )


def _run_axis(x: np.ndarray, out: np.ndarray, axis: int, table: _Table) -> None:
    """Differentiate ``x`` along ``axis`` into ``out`` (same shape, native dtypes)."""
    x3 = _view3(x, axis)
    o3 = _view3(out, axis)
    if x3 is None or o3 is None:
        # a layout that does not fold into 3 dims: one pass per slice of the largest
        # dim that is not differentiated
        d = max((k for k in range(x.ndim) if k != axis), key=lambda k: x.shape[k])
        for k in range(x.shape[d]):
            index = (slice(None),) * d + (k,)
            _run_axis(x[index], out[index], axis - (d < axis), table)
        return
    outer, n, inner = x3.shape
    flat = -1
    if inner == 1:
        kernel, xk, ok = _along, x3.transpose(0, 2, 1), o3.transpose(0, 2, 1)
        xw, ow = xk, ok
        lines = _BLOCK // n
        if lines:  # short lines: whole lines per task
            ntask = -(-outer // lines)
            xf, of = _flat_lines(xk), _flat_lines(ok)
            if xf is not None and of is not None:
                xw, ow, flat = xf, of, table.flat
        else:
            ntask = outer * -(-n // _BLOCK)
        param = lines
    else:
        kernel, xk, ok = _across, x3, o3
        ntask = outer * n * -(-inner // _BLOCK)
        param = _GROUP
        xw, ow = xk, ok
    _parallel(kernel, ntask, (xk, ok, xw, ow), np.int64(_BLOCK), np.int64(param), np.int64(flat), *table.arrays)  # fmt: skip


def _flat_lines(a: np.ndarray) -> np.ndarray | None:
    """``a`` of shape (outer, 1, n) as one line of shape (1, 1, outer * n), or None
    if its lines are not evenly spaced in memory."""
    outer, _, n = a.shape
    if outer > 1 and a.strides[0] != n * a.strides[2]:
        return None
    return np.lib.stride_tricks.as_strided(
        a, (1, 1, outer * n), (0, 0, a.strides[2]), subok=False, writeable=a.flags.writeable
    )


_POOL: ThreadPoolExecutor | None = None
_ENTRY: dict[tuple[Any, ...], Any] = {}


def _forget_pool() -> None:
    """In a forked child: the parent's pool threads do not exist here."""
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_forget_pool)


def _entry(kernel: Any, arrays: tuple[np.ndarray, ...], args: tuple[Any, ...]) -> Any:
    """The compiled entry point of ``kernel`` for these argument types.

    ``arrays`` are the input, the output and the same two viewed another way. They
    are typed 'C' when all are C-contiguous and 'A' (any strides) otherwise, the
    inputs always read-only, so two compiled kernels serve every layout: fewer
    compilations and cache files.
    """
    x, out = arrays[0], arrays[1]
    layout: Any = "C" if all(a.flags.c_contiguous for a in arrays) else "A"
    key = (kernel.__name__, layout, x.dtype, out.dtype, *(np.asarray(a).dtype for a in args))
    entry = _ENTRY.get(key)
    if entry is None:
        dtype = numba.from_dtype
        xt = types.Array(dtype(x.dtype), 3, layout, readonly=True)
        ot = types.Array(dtype(out.dtype), 3, layout)
        sig = (xt, ot, xt, ot, types.int64, types.int64, *(numba.typeof(a) for a in args))
        kernel.compile(sig)
        entry = _ENTRY[key] = kernel.overloads[sig].entry_point
    return entry


def _parallel(kernel: Any, ntask: int, arrays: tuple[np.ndarray, ...], *args: Any) -> None:
    """Run tasks ``0:ntask`` of ``kernel`` split into equal contiguous ranges, one per
    thread (``numba.get_num_threads()`` of them), the last in the calling thread."""
    global _POOL
    run = _entry(kernel, arrays, args)
    nthreads = max(1, min(numba.get_num_threads(), ntask))
    bounds = [ntask * k // nthreads for k in range(nthreads + 1)]
    if nthreads == 1:
        run(*arrays, 0, ntask, *args)
        return
    if _POOL is None or _POOL._max_workers < nthreads - 1:
        _POOL = ThreadPoolExecutor(max(nthreads - 1, os.cpu_count() or 1), "gridgrad")

    def task(k: int) -> None:
        run(*arrays, bounds[k], bounds[k + 1], *args)

    futures = [_POOL.submit(task, k) for k in range(nthreads - 1)]
    task(nthreads - 1)
    for f in futures:
        f.result()


def _native(dtype: np.dtype) -> np.dtype:
    return dtype.newbyteorder("=")


def _memory_order(x: np.ndarray) -> tuple[int, ...]:
    """Dims from the largest to the smallest stride: the order memory is laid out in."""
    return tuple(sorted(range(x.ndim), key=lambda d: -abs(x.strides[d])))


def gradient(plan: GradientPlan, x: np.ndarray, out: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Execute ``plan`` on the ndarray ``x``; write into ``out`` when given.

    ``x`` has dtype float16/32/64 or complex64/128 in any byte order and layout;
    ``out``, when given, has been validated (shape, dtype, no overlap).
    """
    value = np.dtype(plan.value_dtype if plan.value_dtype is not None else x.dtype)
    compute = np.dtype(np.float32) if value.kind == "f" and value.itemsize == 2 else _native(value)
    if x.dtype != compute:
        x = x.astype(compute)  # float16 or big-endian: one converted copy
    order = _memory_order(x)
    xt = x.transpose(order)
    results = []
    for k, ax in enumerate(plan.axes):
        table = _table(ax, compute)
        result = np.dtype(plan.out_dtype if plan.out_dtype is not None else table.scale.dtype)
        dest = out[k] if out is not None else None
        direct = result == _native(result) and not (result.kind == "f" and result.itemsize == 2)
        if dest is None:
            # outputs laid out like the input, so every pass writes contiguously
            kernel_dtype = result if direct else _kernel_dtype(result)
            target = np.empty(xt.shape, kernel_dtype).transpose(np.argsort(order))
        elif direct:
            target = dest
        elif result.itemsize != 2:
            target = dest.view(_native(result))  # byteswapped after the pass
        else:
            target = np.empty(dest.shape, _kernel_dtype(result))
        _run_axis(xt, target.transpose(order), order.index(ax.axis), table)
        results.append(_finish(target, dest, result))
    return tuple(results)


def _kernel_dtype(result: np.dtype) -> np.dtype:
    """The native dtype the kernel writes a result of dtype ``result`` in."""
    return np.dtype(np.float32) if result.itemsize == 2 else _native(result)


def _finish(target: np.ndarray, dest: np.ndarray | None, result: np.ndarray | np.dtype) -> np.ndarray:  # fmt: skip
    """Turn what the kernel wrote into the result in ``dest`` (or a new array)."""
    result = np.dtype(result)
    if target.dtype == result:
        return target if dest is None else dest
    if result.itemsize == 2:  # float16: computed in float32
        if dest is None:
            return target.astype(result)
        np.copyto(dest, target, casting="unsafe")
        return dest
    target.byteswap(inplace=True)  # big-endian result: same bytes, swapped in place
    return target.view(result) if dest is None else dest
