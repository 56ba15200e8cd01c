"""The fused Numba kernels of :mod:`gridgrad.sphere` (imported lazily, only for large
NumPy arrays laid out ``(..., lat, lon)``): the gradient, the divergence and
vorticity, and the Laplacian.

One pass over the data reads each row of ``f`` once (the rows above and below it are
still in cache) and writes both components: the northward derivative and the eastward
one with the metric factor :math:`1/(R\\cos\\varphi)` of its row already applied, so
there is no second pass to scale it. The divergence and vorticity kernel reads the two
components and writes the one result, every metric term in the same pass. Rows are
split among threads (the kernels release the GIL); each output row is written by one
thread. The columns within reach of a longitude edge of a grid that does not close get
no eastward term here: the caller computes it on thin strips with the generic path.
So do the latitude rows within reach of an edge (their one-sided stencils round
less in the generic path's form, integer numerators and one division).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba
import numpy as np

from gridgrad._numba_cache import lock_caches

__all__ = ["gradient", "laplacian", "scalar"]


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
def _term2(out, a, b, m, c, first):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """``out (+)= c * ((a - m) + (b - m))``: a symmetric second difference, summed before
    it is scaled (the first-derivative parts cancel exactly first)."""
    if first:
        for j in range(out.size):
            out[j] = c * ((a[j] - m[j]) + (b[j] - m[j]))
    else:
        for j in range(out.size):
            out[j] += c * ((a[j] - m[j]) + (b[j] - m[j]))


@numba.njit(nogil=True, cache=True)
def _times(out, c):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    for j in range(out.size):
        out[j] *= c


@numba.njit(nogil=True, cache=True)
def _rows(f, w, north_scale, east_scale, cyclic, t0, t1, north, east):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """Rows ``t0:t1`` of ``f`` viewed as (outer * lat, lon) rows.

    ``w`` holds the centred first-derivative weights of offsets 1..r (antisymmetric);
    ``north_scale`` is 1 / (the latitude step in metres), ``east_scale[i]`` the factor
    of latitude row ``i``, 1 / (R cos(phi_i) dlambda). The latitude edge rows get no
    northward value here. Loops run along the longitude with the stencil offset
    outside, on slices, so that the compiler vectorizes them."""
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


@numba.njit(nogil=True, cache=True)
def _add_scaled(out, a, c):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """``out += c * a`` on 1-D arrays of one length."""
    for j in range(out.size):
        out[j] += c * a[j]


@numba.njit(nogil=True, cache=True)
def _scalar_rows(a, b, w, lat_scale, lon_scale, b_scale, cyclic, t0, t1, out):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """Rows ``t0:t1`` of ``out = lon_scale[i] * da/dlambda + lat_scale * db/dphi +
    b_scale[i] * b`` (``lat_scale`` 1 / (the latitude step in metres) with a sign).
    The latitude edge rows get the eastward term only, and so do the columns within
    reach of a longitude edge of a grid that does not close none."""
    ny, nx = a.shape[1], a.shape[2]
    r = w.size
    q = nx - 2 * r
    for t in range(t0, t1):
        o = t // ny
        i = t - o * ny
        n = out[o, i]
        here = b[o, i]
        if r <= i < ny - r:
            for k in range(1, r + 1):
                _term(n, b[o, i + k], b[o, i - k], w[k - 1] * lat_scale, k == 1)
            if b_scale[i] != 0:
                _add_scaled(n, here, b_scale[i])
        else:
            for j in range(nx):
                n[j] = 0
        c = lon_scale[i]
        row = a[o, i]
        inner = n[r : r + q]
        for k in range(1, r + 1):
            _term(inner, row[r + k : r + k + q], row[r - k : r - k + q], w[k - 1] * c, False)
        if cyclic:
            for j in range(nx - r, nx + r):  # the columns next to the date line, wrapped
                acc = w[0] * (row[(j + 1) % nx] - row[(j - 1) % nx])
                for k in range(2, r + 1):
                    acc += w[k - 1] * (row[(j + k) % nx] - row[(j - k) % nx])
                n[j % nx] += acc * c


@numba.njit(nogil=True, cache=True)
def _laplacian_rows(f, w1, w2, lat1, lat2, lon_scale, tan_r, cyclic, t0, t1, out):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled only
    """Rows ``t0:t1`` of ``out = lon_scale[i] * f_lambda_lambda + lat2 * f_phi_phi -
    tan_r[i] * lat1 * f_phi`` (``w1``, ``w2``: the centred first- and second-derivative
    weights of offsets 1..r; ``lat1``, ``lat2``: 1 / the latitude step in metres, and
    its square), in difference form: each offset's sample minus the row's own. The
    latitude edge rows get the longitude term only (the caller adds theirs: one-sided
    second differences lose less to rounding in the generic path's form)."""
    ny, nx = f.shape[1], f.shape[2]
    r = w1.size
    q = nx - 2 * r
    for t in range(t0, t1):
        o = t // ny
        i = t - o * ny
        n = out[o, i]
        row = f[o, i]
        if r <= i < ny - r:
            for k in range(1, r + 1):
                _term2(n, f[o, i + k], f[o, i - k], row, w2[k - 1] * lat2, k == 1)
            tr = tan_r[i] * lat1
            if tr != 0:
                for k in range(1, r + 1):
                    _term(n, f[o, i + k], f[o, i - k], -tr * w1[k - 1], False)
        else:
            for j in range(nx):
                n[j] = 0
        c = lon_scale[i]
        inner = n[r : r + q]
        middle = row[r : r + q]
        for k in range(1, r + 1):
            _term2(
                inner, row[r + k : r + k + q], row[r - k : r - k + q], middle, w2[k - 1] * c, False
            )
        if cyclic:
            for j in range(nx - r, nx + r):  # the columns next to the date line, wrapped
                jj = j % nx
                acc = w2[0] * ((row[(j + 1) % nx] - row[jj]) + (row[(j - 1) % nx] - row[jj]))
                for k in range(2, r + 1):
                    acc += w2[k - 1] * (
                        (row[(j + k) % nx] - row[jj]) + (row[(j - k) % nx] - row[jj])
                    )
                n[jj] += acc * c


_POOL: ThreadPoolExecutor | None = None
_LOCK = threading.Lock()


def _forget_pool() -> None:
    """In a forked child: the parent's pool threads do not exist here."""
    global _POOL, _LOCK
    _POOL = None
    _LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _run(kernel: Any, ntask: int, ins: tuple[Any, ...], outs: tuple[Any, ...]) -> None:
    """``kernel(*ins, t0, t1, *outs)`` over tasks ``0:ntask`` split into equal
    contiguous ranges, one per thread (``numba.get_num_threads()``), the last in the
    calling thread."""
    global _POOL
    threads = max(1, min(numba.get_num_threads(), os.cpu_count() or 1, ntask))
    bounds = [ntask * k // threads for k in range(threads + 1)]
    if threads == 1:
        kernel(*ins, 0, ntask, *outs)
        return
    with _LOCK:
        if _POOL is None or _POOL._max_workers < threads - 1:
            _POOL = ThreadPoolExecutor(threads - 1, "gridgrad-sphere")
        pool = _POOL

    def task(k: int) -> None:
        kernel(*ins, bounds[k], bounds[k + 1], *outs)

    jobs = [pool.submit(task, k) for k in range(threads - 1)]
    task(threads - 1)
    for job in jobs:
        job.result()


def gradient(
    f: np.ndarray,
    w: np.ndarray,
    north_scale: float,
    east_scale: np.ndarray,
    cyclic: bool,
    north: np.ndarray,
    east: np.ndarray,
) -> None:
    """Fill ``north`` and ``east`` (all of f's shape ``(outer, lat, lon)``, C-contiguous,
    one float dtype) from ``f``: every row's eastward values (all of them when
    ``cyclic``, else those at least ``w.size`` columns from the edges) and the
    northward values of the rows at least ``w.size`` rows from the edges."""
    dtype = f.dtype.type
    ins = (
        f,
        w.astype(f.dtype),
        dtype(north_scale),
        east_scale.astype(f.dtype),
        bool(cyclic),
    )
    _run(_rows, f.shape[0] * f.shape[1], ins, (north, east))


def scalar(
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray,
    lat_scale: float,
    lon_scale: np.ndarray,
    b_scale: np.ndarray,
    cyclic: bool,
    out: np.ndarray,
) -> None:
    """Fill ``out`` with ``lon_scale * da/dlambda + lat_scale * db/dphi + b_scale * b``
    (all of shape ``(outer, lat, lon)``, C-contiguous, one float dtype; see
    :func:`_scalar_rows`)."""
    dtype = a.dtype.type
    ins = (
        a,
        b,
        w.astype(a.dtype),
        dtype(lat_scale),
        lon_scale.astype(a.dtype),
        b_scale.astype(a.dtype),
        bool(cyclic),
    )
    _run(_scalar_rows, a.shape[0] * a.shape[1], ins, (out,))


def laplacian(
    f: np.ndarray,
    w1: np.ndarray,
    w2: np.ndarray,
    lat1: float,
    lon_scale: np.ndarray,
    tan_r: np.ndarray,
    cyclic: bool,
    out: np.ndarray,
) -> None:
    """Fill ``out`` with the Laplacian's terms (see :func:`_laplacian_rows`; all of shape
    ``(outer, lat, lon)``, C-contiguous, one float dtype)."""
    dtype = f.dtype.type
    ins = (
        f,
        w1.astype(f.dtype),
        w2.astype(f.dtype),
        dtype(lat1),
        dtype(lat1 * lat1),
        lon_scale.astype(f.dtype),
        tan_r.astype(f.dtype),
        bool(cyclic),
    )
    _run(_laplacian_rows, f.shape[0] * f.shape[1], ins, (out,))


lock_caches(globals())  # saves and loads of the on-disk cache under a lock (processes racing)
