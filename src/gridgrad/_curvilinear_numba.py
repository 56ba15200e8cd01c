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

__all__ = ["interior"]


@numba.njit(nogil=True, cache=True)
def _rows(f, x, y, w, sign, i0, i1, out0, out1, bad):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """Rows ``i0:i1``: ``w`` holds the centred weights of offsets 1..r (antisymmetric).

    Per row: the six index-space derivatives are summed term by term into row
    buffers (loops the compiler vectorizes), then combined in one more loop."""
    r = w.size
    q = f.shape[1] - 2 * r
    buf = np.empty((6, q))
    inf = np.inf
    for i in range(i0, i1):
        buf[:] = 0.0
        fi, fj, xi, xj, yi, yj = buf[0], buf[1], buf[2], buf[3], buf[4], buf[5]
        f0, x0, y0 = f[i], x[i], y[i]
        for k in range(1, r + 1):
            c = w[k - 1]
            fa, fb, xa, xb, ya, yb = f[i + k], f[i - k], x[i + k], x[i - k], y[i + k], y[i - k]
            for j in range(q):
                u = j + r
                fi[j] += c * (fa[u] - fb[u])
                fj[j] += c * (f0[u + k] - f0[u - k])
                xi[j] += c * (xa[u] - xb[u])
                xj[j] += c * (x0[u + k] - x0[u - k])
                yi[j] += c * (ya[u] - yb[u])
                yj[j] += c * (y0[u + k] - y0[u - k])
        o0, o1 = out0[i], out1[i]
        ok = 0
        for j in range(q):
            jac = xi[j] * yj[j] - xj[j] * yi[j]
            o0[j + r] = (fi[j] * yj[j] - fj[j] * yi[j]) / jac
            o1[j + r] = (fj[j] * xi[j] - fi[j] * xj[j]) / jac
            s = jac * sign
            ok += (s > 0.0) & (s < inf)  # False for NaN: counts the good points
        if ok != q and bad[i] < 0:
            for j in range(q):
                s = (xi[j] * yj[j] - xj[j] * yi[j]) * sign
                if not ((s > 0.0) & (s < inf)):
                    bad[i] = j + r
                    break


@numba.njit(nogil=True, cache=True)
def _jacobian_at(x, y, w, i, j):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
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
    return (i, j), float(_jacobian_at(x, y, w, i, j))
