"""The fused Numba kernel of :func:`gridgrad.curvilinear.gradient` (imported lazily,
only for large 2-D NumPy arrays).

One pass over the interior reads ``f``, ``x`` and ``y`` once and writes both
derivatives: the six centred index-space derivatives, the Jacobian, the chain rule
and the folded-grid check of a point are computed together. The points within the
stencil's reach of a one-sided edge are not touched here (the caller computes them
on thin strips with the generic path); a periodic dim is read by index modulo its
size, so all of it is computed here. Rows are split among threads (the kernel releases
the GIL); each output point is written by one thread.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from gridgrad._numba_cache import lock_caches

__all__ = ["interior", "jacobian_at"]


@numba.njit(nogil=True, cache=True)
def _term(out, a, b, c, first):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """``out (+)= c * (a - b)`` on 1-D arrays of one length (a loop that vectorizes)."""
    if first:
        for j in range(out.size):
            out[j] = c * (a[j] - b[j])
    else:
        for j in range(out.size):
            out[j] += c * (a[j] - b[j])


@numba.njit(nogil=True, cache=True)
def _point(f, x, y, w, i, j, wrap_i):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """The Jacobian and both derivatives at one point whose columns wrap (and its rows
    when ``wrap_i``): the edge columns of a periodic dim 1."""
    n, m = f.shape
    fi = fj = xi = xj = yi = yj = 0.0
    for k in range(1, w.size + 1):
        c = w[k - 1]
        ip, im = i + k, i - k
        if wrap_i:
            ip, im = ip % n, im % n
        jp, jm = (j + k) % m, (j - k) % m
        fi += c * (f[ip, j] - f[im, j])
        fj += c * (f[i, jp] - f[i, jm])
        xi += c * (x[ip, j] - x[im, j])
        xj += c * (x[i, jp] - x[i, jm])
        yi += c * (y[ip, j] - y[im, j])
        yj += c * (y[i, jp] - y[i, jm])
    jac = xi * yj - xj * yi
    return jac, (fi * yj - fj * yi) / jac, (fj * xi - fi * xj) / jac


@numba.njit(nogil=True, cache=True)
def _rows(f, x, y, w, sign, i0, i1, wrap_i, wrap_j, out0, out1, bad):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """Rows ``i0:i1``: ``w`` holds the centred weights of offsets 1..r (antisymmetric);
    ``wrap_i``, ``wrap_j``: whether dim 0, dim 1 is periodic (read by index modulo its
    size: every row, every column is computed here).

    Per row, simple loops over slices, which the compiler vectorizes: the six
    index-space derivatives summed term by term into row buffers, then the chain
    rule, then the check of the Jacobians (kept in a buffer); the wrapped edge
    columns point by point."""
    r = w.size
    n, m = f.shape
    q = m - 2 * r
    fi, fj, xi, xj = np.empty(q), np.empty(q), np.empty(q), np.empty(q)
    yi, yj, jb = np.empty(q), np.empty(q), np.empty(q)
    inf = np.inf
    for i in range(i0, i1):
        for k in range(1, r + 1):
            c, first = w[k - 1], k == 1
            ip, im = i + k, i - k
            if wrap_i:
                ip, im = ip % n, im % n
            _term(fi, f[ip, r : r + q], f[im, r : r + q], c, first)
            _term(fj, f[i, r + k : r + k + q], f[i, r - k : r - k + q], c, first)
            _term(xi, x[ip, r : r + q], x[im, r : r + q], c, first)
            _term(xj, x[i, r + k : r + k + q], x[i, r - k : r - k + q], c, first)
            _term(yi, y[ip, r : r + q], y[im, r : r + q], c, first)
            _term(yj, y[i, r + k : r + k + q], y[i, r - k : r - k + q], c, first)
        o0, o1 = out0[i, r : r + q], out1[i, r : r + q]
        for j in range(q):
            jac = xi[j] * yj[j] - xj[j] * yi[j]
            o0[j] = (fi[j] * yj[j] - fj[j] * yi[j]) / jac
            o1[j] = (fj[j] * xi[j] - fi[j] * xj[j]) / jac
            jb[j] = jac * sign
        first_bad = -1
        if wrap_j:  # the first columns, before the others in C order
            for j in range(r):
                jac, d0, d1 = _point(f, x, y, w, i, j, wrap_i)
                out0[i, j], out1[i, j] = d0, d1
                if first_bad < 0 and not ((jac * sign > 0.0) & (jac * sign < inf)):
                    first_bad = j
        ok = 0
        for j in range(q):
            ok += (jb[j] > 0.0) & (jb[j] < inf)  # False for NaN: counts the good points
        if ok != q and first_bad < 0:
            for j in range(q):
                if not ((jb[j] > 0.0) & (jb[j] < inf)):
                    first_bad = j + r
                    break
        if wrap_j:
            for j in range(m - r, m):
                jac, d0, d1 = _point(f, x, y, w, i, j, wrap_i)
                out0[i, j], out1[i, j] = d0, d1
                if first_bad < 0 and not ((jac * sign > 0.0) & (jac * sign < inf)):
                    first_bad = j
        if first_bad >= 0 and bad[i] < 0:
            bad[i] = first_bad


@numba.njit(nogil=True, cache=True)
def jacobian_at(x, y, w, i, j, wrap_i, wrap_j):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """The Jacobian at one point of the region the kernel computes."""
    n, m = x.shape
    xi = xj = yi = yj = 0.0
    for k in range(1, w.size + 1):
        c = w[k - 1]
        ip, im, jp, jm = i + k, i - k, j + k, j - k
        if wrap_i:
            ip, im = ip % n, im % n
        if wrap_j:
            jp, jm = jp % m, jm % m
        xi += c * (x[ip, j] - x[im, j])
        xj += c * (x[i, jp] - x[i, jm])
        yi += c * (y[ip, j] - y[im, j])
        yj += c * (y[i, jp] - y[i, jm])
    return xi * yj - xj * yi


def interior(
    f: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    sign: float,
    out0: np.ndarray,
    out1: np.ndarray,
    wrap: tuple[bool, bool] = (False, False),
) -> tuple[tuple[int, int], float] | None:
    """Fill the interior of ``out0``, ``out1`` (along a dim that ``wrap``s, all of it);
    return the first point (C order) whose Jacobian does not have ``sign`` or is not
    finite, and its Jacobian, or None."""
    n = f.shape[0]
    r = w.size
    wrap_i, wrap_j = bool(wrap[0]), bool(wrap[1])
    lo, hi = (0, n) if wrap_i else (r, n - r)
    bad = np.full(n, -1, np.int64)
    threads = max(1, min(numba.get_num_threads(), os.cpu_count() or 1))
    bounds = np.linspace(lo, hi, threads + 1).astype(int)
    args = (wrap_i, wrap_j, out0, out1, bad)
    if threads == 1:
        _rows(f, x, y, w, sign, lo, hi, *args)
    else:
        with ThreadPoolExecutor(threads) as pool:
            jobs = [
                pool.submit(_rows, f, x, y, w, sign, int(a), int(b), *args)
                for a, b in itertools.pairwise(bounds)
            ]
            for job in jobs:
                job.result()
    rows = np.flatnonzero(bad >= 0)
    if rows.size == 0:
        return None
    i, j = int(rows[0]), int(bad[rows[0]])
    return (i, j), float(jacobian_at(x, y, w, i, j, wrap_i, wrap_j))


lock_caches(globals())  # saves and loads of the on-disk cache under a lock (processes racing)
