"""Savitzky–Golay derivatives: local least-squares polynomial weights as a per-point table.

Every output point ``i`` is a weighted sum of ``window`` consecutive samples starting at
``start[i]``: the centred window where it fits, the first or last ``window`` samples near the
edges (shifted windows, what scipy's ``savgol_filter(mode="interp")`` does). The weights are
the ``order``-th derivative at ``x[i]`` of the degree-``degree`` least-squares polynomial through
the window's samples, so a table ``(n, window)`` of float64 weights plus ``start`` describes the
whole filter, uniform or not. Tables are built on the host in float64, once per call (cached on
uniform grids), and applied by a Numba kernel (NumPy), by ``take`` + arithmetic (any Array-API
array) or block by block (Dask, through ``map_overlap``-style ghost cells).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["Table", "apply_numpy", "apply_xp", "table_nonuniform", "table_uniform", "with_edges"]

Table = tuple[np.ndarray, np.ndarray]  # weights (n, window) float64, start (n,) int64


def _starts(n: int, window: int) -> np.ndarray:
    return np.clip(np.arange(n, dtype=np.int64) - window // 2, 0, n - window)


def _legendre(u: np.ndarray, degree: int, order: int) -> np.ndarray:
    """``P_j^(order)(u)`` for j = 0..degree, stacked on a new last axis (recurrences:
    Bonnet's for the values, ``P^(d)_{k+1} = P^(d)_{k-1} + (2k+1) P^(d-1)_k`` for derivatives)."""
    vals = [np.ones_like(u), u.copy()][: degree + 1]
    for k in range(1, degree):
        vals.append(((2 * k + 1) * u * vals[k] - k * vals[k - 1]) / (k + 1))
    for _ in range(order):
        prev = vals
        vals = [np.zeros_like(u)]
        for k in range(degree):
            below = vals[k - 1] if k >= 1 else np.zeros_like(u)
            vals.append(below + (2 * k + 1) * prev[k])
    return np.stack(vals, axis=-1)


def _fit_rows(t: np.ndarray, degree: int, order: int) -> np.ndarray:
    """Weights of the ``order``-th derivative at 0 of the least-squares polynomial of degree
    ``degree`` through points ``t`` (rows of shape (m, window), 0 among them).

    Each window is mapped onto [-1, 1] and the polynomial is written in Legendre
    polynomials there (a well-conditioned basis, no Vandermonde matrix): with ``V`` the
    basis at the samples and ``a`` the basis' derivative at the point, the weights are
    ``V (V^T V)^-1 a``, divided by the half-width to the power ``order``.
    """
    lo, hi = t[:, :1], t[:, -1:]
    centre = 0.5 * (lo + hi)
    radius = 0.5 * (hi - lo)
    u = (t - centre) / radius
    basis = _legendre(u, degree, 0)  # (m, window, degree + 1)
    at = _legendre(-centre[:, 0] / radius[:, 0], degree, order)  # (m, degree + 1)
    gram = np.matmul(basis.transpose(0, 2, 1), basis)
    z = np.linalg.solve(gram, at[..., None])
    return np.matmul(basis, z)[..., 0] / radius**order


@lru_cache(maxsize=64)
def _uniform_rows(window: int, degree: int, order: int) -> np.ndarray:
    """Unit-step weights of the distinct rows: positions 0..window-1 of one window."""
    # every row fits the same samples (the window mapped onto [-1, 1]) and evaluates at
    # another of them: one Gram solve for all rows, V (V^T V)^-1 A
    radius = 0.5 * (window - 1)
    u = np.arange(window, dtype=np.float64) / radius - 1.0 if window > 1 else np.zeros(1)
    basis = _legendre(u, degree, 0)  # (window, degree + 1)
    at = _legendre(u, degree, order)  # row j: the basis' derivative at sample j
    z = np.linalg.solve(basis.T @ basis, at.T)
    rows = np.ascontiguousarray((basis @ z).T / (radius**order if order else 1.0))
    rows.setflags(write=False)
    return rows


def table_uniform(n: int, window: int, degree: int, order: int, step: float) -> Table:
    """The table of an evenly spaced axis of ``n`` samples with step ``step``."""
    rows = _uniform_rows(window, degree, order)
    half = window // 2
    pick = np.full(n, half, dtype=np.int64)
    pick[:half] = np.arange(half)
    pick[n - half :] = np.arange(window - half, window)
    return rows[pick] / step**order, _starts(n, window)


def table_nonuniform(x: np.ndarray, window: int, degree: int, order: int) -> Table:
    """The table of an axis with (strictly increasing or decreasing) coordinates ``x``."""
    n = x.size
    start = _starts(n, window)
    idx = start[:, None] + np.arange(window)
    t = x[idx] - x[:, None]
    return _fit_rows(t, degree, order), start


# --------------------------------------------------------------------------- NumPy (Numba)

_KERNELS: dict[str, Any] = {}
_POOL: ThreadPoolExecutor | None = None


def with_edges(table: Table, left: Table, right: Table) -> Table:
    """``table`` with the rows of its first and last ``window // 2`` points (its shifted
    windows) taken from ``left`` and ``right`` (tables of the same points, windows no
    wider), placed in ``table``'s width with zero weights around them: still one table,
    so every way of applying one serves it."""
    w, start = table
    n, width = w.shape
    half = width // 2
    w = w.copy()
    start = start.copy()
    for (pw, ps), lo, hi in ((left, 0, half), (right, n - half, n)):
        if hi <= lo:
            continue
        rows = np.arange(lo, hi)
        begin = np.minimum(ps[lo:hi], n - width)  # a window of ``width`` that holds it
        offset = ps[lo:hi] - begin
        w[lo:hi] = 0.0
        for j in range(pw.shape[1]):
            w[rows, offset + j] = pw[lo:hi, j]
        start[lo:hi] = begin
    return w, start


def _kernels() -> dict[str, Any]:
    if _KERNELS:
        return _KERNELS
    import numba

    @numba.njit(nogil=True, cache=True, inline="always")
    def point(f, r, s, w, i, width):  # pragma: no cover - compiled
        acc = f[r, s] * w[i, 0]
        for k in range(1, width):
            acc += f[r, s + k] * w[i, k]
        return acc

    @numba.njit(nogil=True, cache=True)
    def rows(f, out, w, start, centre, lo, hi):  # pragma: no cover - compiled
        # f: (m, n_in), out: (m, n) with the axis last; one series after another. Points
        # whose windows are centred (consecutive starts) run four at a time, with their
        # own sums in the same order as one at a time (bitwise equal); when ``centre``
        # holds the one stencil of evenly spaced samples, it replaces the table rows.
        n, width = w.shape
        half = width // 2
        uniform = centre.shape[0] == width
        centred = n > 2 * half and start[n - half - 1] - start[half] == n - 2 * half - 1
        a, b = (half, n - half) if centred else (n, n)
        for r in range(lo, hi):
            for i in range(a):
                out[r, i] = point(f, r, start[i], w, i, width)
            for i in range(max(a, b), n):
                out[r, i] = point(f, r, start[i], w, i, width)
            i = a
            while i + 4 <= b:
                s = start[i]
                if uniform:
                    c = centre[0]
                    acc0 = f[r, s] * c
                    acc1 = f[r, s + 1] * c
                    acc2 = f[r, s + 2] * c
                    acc3 = f[r, s + 3] * c
                    for k in range(1, width):
                        c = centre[k]
                        acc0 += f[r, s + k] * c
                        acc1 += f[r, s + k + 1] * c
                        acc2 += f[r, s + k + 2] * c
                        acc3 += f[r, s + k + 3] * c
                else:
                    acc0 = f[r, s] * w[i, 0]
                    acc1 = f[r, s + 1] * w[i + 1, 0]
                    acc2 = f[r, s + 2] * w[i + 2, 0]
                    acc3 = f[r, s + 3] * w[i + 3, 0]
                    for k in range(1, width):
                        acc0 += f[r, s + k] * w[i, k]
                        acc1 += f[r, s + k + 1] * w[i + 1, k]
                        acc2 += f[r, s + k + 2] * w[i + 2, k]
                        acc3 += f[r, s + k + 3] * w[i + 3, k]
                out[r, i] = acc0
                out[r, i + 1] = acc1
                out[r, i + 2] = acc2
                out[r, i + 3] = acc3
                i += 4
            for j in range(i, b):
                out[r, j] = point(f, r, start[j], w, j, width)

    @numba.njit(nogil=True, cache=True)
    def strided(f, out, w, start, lo, hi):  # pragma: no cover - compiled
        # f, out: (outer, n, inner), the axis in the middle; tasks are points lo:hi
        outer, _, inner = f.shape
        width = w.shape[1]
        for i in range(lo, hi):
            s = start[i]
            for o in range(outer):
                for q in range(inner):
                    out[o, i, q] = f[o, s, q] * w[i, 0]
                for k in range(1, width):
                    c = w[i, k]
                    for q in range(inner):
                        out[o, i, q] += f[o, s + k, q] * c

    from gridgrad._numba_cache import lock_cache

    for kernel in (point, rows, strided):  # the on-disk cache's saves under a lock
        lock_cache(kernel)
    _KERNELS.update(rows=rows, strided=strided)
    return _KERNELS


def _threads(ntask: int, work: int) -> int:
    import numba

    if work < 200_000:
        return 1
    return max(1, min(numba.get_num_threads(), ntask))


def _parallel(kernel: Any, ntask: int, work: int, *args: Any) -> None:
    global _POOL
    nthreads = _threads(ntask, work)
    bounds = [ntask * k // nthreads for k in range(nthreads + 1)]
    if nthreads == 1:
        kernel(*args, 0, ntask)
        return
    if _POOL is None or _POOL._max_workers < nthreads - 1:
        _POOL = ThreadPoolExecutor(max(nthreads - 1, os.cpu_count() or 1), "gridgrad-smooth")

    def task(lo: int, hi: int) -> None:
        kernel(*args, lo, hi)

    futures = [_POOL.submit(task, bounds[k], bounds[k + 1]) for k in range(nthreads - 1)]
    kernel(*args, bounds[-2], bounds[-1])
    for fut in futures:
        fut.result()


def _centre(w: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The one stencil of the centred windows when they share it (evenly spaced samples),
    else an empty array."""
    n, width = w.shape
    half = width // 2
    if n <= 2 * half:
        return w[:0, 0]
    inner = w[half : n - half]
    if (inner == inner[0]).all() and (np.diff(start[half : n - half]) == 1).all():
        return np.ascontiguousarray(inner[0])
    return w[:0, 0]


def apply_numpy(f: np.ndarray, axis: int, table: Table, dtype: np.dtype) -> np.ndarray:
    """Apply ``table`` along ``axis`` of the ndarray ``f``; the result has dtype ``dtype``."""
    w, start = table
    if f.dtype != dtype or not f.dtype.isnative:
        f = f.astype(dtype)
    w = w.astype(np.result_type(dtype, np.float64) if dtype.kind == "c" else dtype)
    n = f.shape[axis]
    m = w.shape[0]  # output points: all of f's samples, or the core of a ghosted block
    outer = math.prod(f.shape[:axis])
    inner = math.prod(f.shape[axis + 1 :])
    out = np.empty((*f.shape[:axis], m, *f.shape[axis + 1 :]), dtype)
    if out.size == 0:
        return out
    kernels = _kernels()
    work = out.size * w.shape[1]
    if inner == 1:
        f2 = np.ascontiguousarray(f).reshape(outer, n)
        _parallel(
            kernels["rows"], outer, work, f2, out.reshape(outer, m), w, start, _centre(w, start)
        )
    else:
        f3 = np.ascontiguousarray(f).reshape(outer, n, inner)
        _parallel(kernels["strided"], m, work, f3, out.reshape(outer, m, inner), w, start)
    return out


# --------------------------------------------------------------------------- any Array-API array


def apply_xp(f: Any, axis: int, table: Table, xp: Any, dtype: Any, device: Any) -> Any:
    """Apply ``table`` with ``take`` and arithmetic only (torch, JAX, CuPy, array-api-strict):
    the weights are converted once to the input's namespace, dtype and device."""
    w, start = table
    width = w.shape[1]
    g = xp.moveaxis(f, axis, -1) if axis != f.ndim - 1 else f
    wx = xp.asarray(np.ascontiguousarray(w.T), dtype=dtype, device=device)  # (window, n)
    acc = None
    for k in range(width):
        idx = xp.asarray(start + k, device=device)
        term = xp.take(g, idx, axis=-1) * wx[k, ...]
        acc = term if acc is None else acc + term
    return xp.moveaxis(acc, -1, axis) if axis != f.ndim - 1 else acc
