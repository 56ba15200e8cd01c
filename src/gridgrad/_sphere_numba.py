"""The fused Numba kernel of :func:`gridgrad.sphere.gradient` (imported lazily, only for
large NumPy arrays laid out ``(..., lat, lon)``).

One pass over the data reads each row of ``f`` once (the rows above and below it are
still in cache) and writes both components: the northward derivative and the eastward
one with the metric factor :math:`1/(R\\cos\\varphi)` of its row already applied, so
there is no second pass to scale it. Rows are split among threads (the kernel releases
the GIL); each output row is written by one thread. The columns within reach of a
longitude edge of a grid that does not close get no eastward value here: the caller computes
them on thin strips with the generic path. The latitude edge rows take the one-sided
stencils the caller gives (those of the generic path).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

__all__ = ["gradient"]


@numba.njit(nogil=True, cache=True)
def _term(out, a, b, c, first):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """``out (+)= c * (a - b)`` on 1-D arrays of one length (a loop that vectorizes:
    indices from 0 need no wrap-around check)."""
    if first:
        for j in range(out.size):
            out[j] = c * (a[j] - b[j])
    else:
        for j in range(out.size):
            out[j] += c * (a[j] - b[j])


@numba.njit(nogil=True, cache=True)
def _times(out, c):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    for j in range(out.size):
        out[j] *= c


@numba.njit(nogil=True, cache=True)
def _rows(f, w, north_scale, edges, east_scale, cyclic, t0, t1, north, east):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """Rows ``t0:t1`` of ``f`` viewed as (outer * lat, lon) rows.

    ``w`` holds the centred first-derivative weights of offsets 1..r (antisymmetric);
    ``north_scale`` is 1 / (the latitude step in metres); ``edges[0]`` (``edges[1]``)
    holds, per row of the first (last) r, the weights of the first (last) ``width``
    rows, the one-sided stencils per metre (applied in difference form, as the
    generic path does, which keeps float32 fields of a large mean accurate); ``east_scale[i]`` is the factor of latitude
    row ``i``, 1 / (R cos(phi_i) dlambda). Loops run along the longitude
    with the stencil offset outside, on slices, so that the compiler vectorizes them."""
    ny, nx = f.shape[1], f.shape[2]
    r = w.size
    q = nx - 2 * r
    for t in range(t0, t1):
        o = t // ny
        i = t - o * ny
        row = f[o, i]
        e = east[o, i]
        c = east_scale[i]
        inner = e[r : r + q]
        for k in range(1, r + 1):
            _term(inner, row[r + k : r + k + q], row[r - k : r - k + q], w[k - 1], k == 1)
        _times(inner, c)
        if cyclic:
            for j in range(nx - r, nx + r):  # the columns next to the date line, wrapped
                acc = w[0] * (row[(j + 1) % nx] - row[(j - 1) % nx])
                for k in range(2, r + 1):
                    acc += w[k - 1] * (row[(j + k) % nx] - row[(j - k) % nx])
                e[j % nx] = acc * c
        if r <= i < ny - r:
            n = north[o, i]
            for k in range(1, r + 1):
                _term(n, f[o, i + k], f[o, i - k], w[k - 1], k == 1)
            _times(n, north_scale)
        else:
            width = edges.shape[2]
            top = i < r
            k0 = 0 if top else ny - width
            stencil = edges[0, i] if top else edges[1, i - (ny - r)]
            n = north[o, i]
            first = True
            for m in range(width):  # in difference form (the weights sum to 0)
                if stencil[m] != 0 and k0 + m != i:
                    _term(n, f[o, k0 + m], row, stencil[m], first)
                    first = False


_POOL: ThreadPoolExecutor | None = None
_LOCK = threading.Lock()


def _forget_pool() -> None:
    """In a forked child: the parent's pool threads do not exist here."""
    global _POOL, _LOCK
    _POOL = None
    _LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def gradient(
    f: np.ndarray,
    w: np.ndarray,
    north_scale: float,
    edges: np.ndarray,
    east_scale: np.ndarray,
    cyclic: bool,
    north: np.ndarray,
    east: np.ndarray,
) -> None:
    """Fill ``north`` and ``east`` (all of f's shape ``(outer, lat, lon)``, C-contiguous,
    one float dtype) from ``f``: every row's eastward values (all of them when
    ``cyclic``, else those at least ``w.size`` columns from the edges) and every
    northward value (``edges``: shape (2, w.size, width), see :func:`_rows`)."""
    global _POOL
    dtype = f.dtype.type
    args = (
        w.astype(f.dtype),
        dtype(north_scale),
        edges.astype(f.dtype),
        east_scale.astype(f.dtype),
        bool(cyclic),
    )
    ntask = f.shape[0] * f.shape[1]
    threads = max(1, min(numba.get_num_threads(), os.cpu_count() or 1, ntask))
    bounds = [ntask * k // threads for k in range(threads + 1)]
    if threads == 1:
        _rows(f, *args, 0, ntask, north, east)
        return
    with _LOCK:
        if _POOL is None or _POOL._max_workers < threads - 1:
            _POOL = ThreadPoolExecutor(threads - 1, "gridgrad-sphere")
        pool = _POOL
    jobs = [
        pool.submit(_rows, f, *args, bounds[k], bounds[k + 1], north, east)
        for k in range(threads - 1)
    ]
    _rows(f, *args, bounds[-2], bounds[-1], north, east)
    for job in jobs:
        job.result()
