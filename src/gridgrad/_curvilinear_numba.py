"""The fused Numba kernel of :func:`gridgrad.curvilinear.gradient` (imported lazily,
only for large 2-D NumPy arrays).

One pass over the interior reads ``f``, ``x`` and ``y`` once and writes both
derivatives: the six centred index-space derivatives, the Jacobian, the chain rule
and the folded-grid check of a point are computed together. The points within the
stencil's reach of an edge are not touched here (the caller computes them on thin
strips with the generic path). Rows are split among threads (the kernel releases
the GIL); each output point is written by one thread.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

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
def _rows(f, x, y, w, sign, i0, i1, out0, out1, bad):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """Rows ``i0:i1``: ``w`` holds the centred weights of offsets 1..r (antisymmetric).

    Per row, simple loops over slices, which the compiler vectorizes: the six
    index-space derivatives summed term by term into row buffers, then the chain
    rule, then the check of the Jacobians (kept in a buffer)."""
    r = w.size
    q = f.shape[1] - 2 * r
    fi, fj, xi, xj = np.empty(q), np.empty(q), np.empty(q), np.empty(q)
    yi, yj, jb = np.empty(q), np.empty(q), np.empty(q)
    inf = np.inf
    for i in range(i0, i1):
        for k in range(1, r + 1):
            c, first = w[k - 1], k == 1
            _term(fi, f[i + k, r : r + q], f[i - k, r : r + q], c, first)
            _term(fj, f[i, r + k : r + k + q], f[i, r - k : r - k + q], c, first)
            _term(xi, x[i + k, r : r + q], x[i - k, r : r + q], c, first)
            _term(xj, x[i, r + k : r + k + q], x[i, r - k : r - k + q], c, first)
            _term(yi, y[i + k, r : r + q], y[i - k, r : r + q], c, first)
            _term(yj, y[i, r + k : r + k + q], y[i, r - k : r - k + q], c, first)
        o0, o1 = out0[i, r : r + q], out1[i, r : r + q]
        for j in range(q):
            jac = xi[j] * yj[j] - xj[j] * yi[j]
            o0[j] = (fi[j] * yj[j] - fj[j] * yi[j]) / jac
            o1[j] = (fj[j] * xi[j] - fi[j] * xj[j]) / jac
            jb[j] = jac * sign
        ok = 0
        for j in range(q):
            ok += (jb[j] > 0.0) & (jb[j] < inf)  # False for NaN: counts the good points
        if ok != q and bad[i] < 0:
            for j in range(q):
                if not ((jb[j] > 0.0) & (jb[j] < inf)):
                    bad[i] = j + r
                    break


@numba.njit(nogil=True, cache=True)
def jacobian_at(x, y, w, i, j):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    xi = xj = yi = yj = 0.0
    for k in range(1, w.size + 1):
        c = w[k - 1]
        xi += c * (x[i + k, j] - x[i - k, j])
        xj += c * (x[i, j + k] - x[i, j - k])
        yi += c * (y[i + k, j] - y[i - k, j])
        yj += c * (y[i, j + k] - y[i, j - k])
    return xi * yj - xj * yi


def interior(
    f: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    sign: float,
    out0: np.ndarray,
    out1: np.ndarray,
) -> tuple[tuple[int, int], float] | None:
    """Fill the interior of ``out0``, ``out1``; return the first point (C order) whose
    Jacobian does not have ``sign`` or is not finite, and its Jacobian, or None."""
    n = f.shape[0]
    r = w.size
    bad = np.full(n, -1, np.int64)
    threads = max(1, min(numba.get_num_threads(), os.cpu_count() or 1))
    bounds = np.linspace(r, n - r, threads + 1).astype(int)
    if threads == 1:
        _rows(f, x, y, w, sign, r, n - r, out0, out1, bad)
    else:
        with ThreadPoolExecutor(threads) as pool:
            jobs = [
                pool.submit(_rows, f, x, y, w, sign, int(a), int(b), out0, out1, bad)
                for a, b in itertools.pairwise(bounds)
            ]
            for job in jobs:
                job.result()
    rows = np.flatnonzero(bad >= 0)
    if rows.size == 0:
        return None
    i, j = int(rows[0]), int(bad[rows[0]])
    return (i, j), float(jacobian_at(x, y, w, i, j))
