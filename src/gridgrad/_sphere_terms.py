"""The terms of :mod:`gridgrad.sphere` on any array library: derivatives along the
meridian and the longitude (on the public :func:`gridgrad.derivative`), per-row metric
factors in the input's namespace, dtype and device, and the pole rows.

Plain ndarrays (results gridgrad made) are updated in place; other arrays are combined
with arithmetic and ``where`` only (no index assignment), so that Dask, JAX and autograd
follow.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from array_api_compat import array_namespace, device, is_array_api_obj, is_dask_array

from gridgrad._calculus import derivative
from gridgrad._sphere_grid import SphereGrid, sphere_grid

__all__ = [
    "array",
    "close_columns",
    "dlat",
    "dlon",
    "factor",
    "inplace",
    "make_grid",
    "pair",
    "per_block",
    "pole_dlat",
    "pole_scalar",
    "scale",
    "set_rows",
    "take_row",
    "unique_columns",
    "whole_grid_blocks",
    "zonal_mean",
]


def array(f: Any, name: str) -> Any:
    """Arrays of any library as they are, but 16-bit floats (float16, bfloat16) as
    float32; nested sequences become NumPy arrays.

    Per-metre derivatives are about 1/R = 1.6e-7 times the field: below float16's
    smallest normal number (6.1e-5) for any field of order 1, and the metric factor
    tan(phi)/R is subnormal there too, so 16-bit floats are computed, and returned,
    in float32."""
    if not is_array_api_obj(f):
        try:
            f = np.asarray(f)
        except (TypeError, ValueError) as exc:
            msg = f"`{name}` must be an array or a nested sequence of numbers; got {type(f).__name__} ({exc})."
            raise TypeError(msg) from None
        if f.dtype.kind not in "iufc" or f.dtype.kind == "b":
            msg = f"`{name}` must hold real or complex numbers; got dtype {f.dtype}."
            raise TypeError(msg)
    if isinstance(f, np.ndarray):
        return f.astype(np.float32) if f.dtype.kind == "f" and f.dtype.itemsize < 4 else f
    xp = array_namespace(f)
    if xp.isdtype(f.dtype, "real floating") and xp.finfo(f.dtype).bits < 32:
        return xp.astype(f, xp.float32)
    return f


def unique_columns(x: Any, grid: SphereGrid) -> Any:
    """``x`` without its closing column (longitudes ``0, ..., 360``), else ``x``."""
    if not grid.closing:
        return x
    return x[_index(x.ndim, grid.lon_dim, slice(0, grid.shape[grid.lon_dim]))]


def close_columns(x: Any, grid: SphereGrid) -> Any:
    """``x`` with the closing column appended again: a copy of its first (the same
    meridian), else ``x``."""
    if not grid.closing:
        return x
    first = x[_index(x.ndim, grid.lon_dim, slice(0, 1))]
    if inplace(x):
        return np.concatenate([x, first], axis=grid.lon_dim)
    xp = array_namespace(x)
    return xp.concat([x, first], axis=grid.lon_dim)


def pair(u: Any, v: Any) -> tuple[Any, Any]:
    u, v = array(u, "u"), array(v, "v")
    if tuple(u.shape) != tuple(v.shape):
        msg = f"`v` must have the shape of `u` {tuple(u.shape)}; got {tuple(v.shape)}."
        raise ValueError(msg)
    return u, v


def inplace(x: Any) -> bool:
    """Plain ndarrays are written in place (results gridgrad made: no aliasing)."""
    return type(x) is np.ndarray


def _index(ndim: int, dim: int, at: Any) -> tuple[Any, ...]:
    index: list[Any] = [slice(None)] * ndim
    index[dim] = at
    return tuple(index)


def factor(values: np.ndarray, like: Any, grid: SphereGrid) -> Any:
    """Per-row metric factor broadcast along the latitude dim, in ``like``'s namespace,
    real dtype and device."""
    b = grid.along_lat(values)
    if inplace(like):
        return b.astype(like.real.dtype if like.dtype.kind == "c" else like.dtype)
    xp = array_namespace(like)
    dtype = like.dtype
    if xp.isdtype(dtype, "complex floating"):
        dtype = xp.float32 if dtype == xp.complex64 else xp.float64
    return xp.asarray(b, dtype=dtype, device=device(like))


#: plain ndarrays of at least this many elements are scaled on several threads (NumPy
#: releases the GIL in ufunc loops): the metric factor's pass costs a quarter of a
#: derivative's on one thread
_THREADED_SIZE = 1 << 21
_POOL: ThreadPoolExecutor | None = None
_LOCK = threading.Lock()


def _forget_pool() -> None:
    """In a forked child: the parent's pool threads do not exist here."""
    global _POOL, _LOCK
    _POOL = None
    _LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _pool(threads: int) -> ThreadPoolExecutor:
    """One pool for every call (starting threads per call cost more than the pass)."""
    global _POOL
    with _LOCK:
        if _POOL is None or _POOL._max_workers < threads - 1:
            _POOL = ThreadPoolExecutor(threads - 1, "gridgrad-sphere-scale")
        return _POOL


def scale(x: Any, values: np.ndarray, grid: SphereGrid) -> Any:
    """``x`` times a per-row factor (in place for a plain ndarray gridgrad made)."""
    fac = factor(values, x, grid)
    if not inplace(x):
        return x * fac
    threads = min(os.cpu_count() or 1, x.shape[0], 16)
    if x.size < _THREADED_SIZE or threads < 2:
        return np.multiply(x, fac, out=x)
    bounds = np.linspace(0, x.shape[0], threads + 1).astype(int)

    def part(k: int) -> None:
        sl = slice(bounds[k], bounds[k + 1])
        np.multiply(x[sl], fac[sl] if fac.shape[0] > 1 else fac, out=x[sl])

    pool = _pool(threads)
    jobs = [pool.submit(part, k) for k in range(threads - 1)]
    part(threads - 1)
    for job in jobs:
        job.result()
    return x


def dlat(f: Any, grid: SphereGrid, accuracy: int, order: int = 1) -> Any:
    """The ``order``-th derivative along the meridian, per metre**order."""
    return derivative(f, grid.lat_dim, order=order, accuracy=accuracy, spacing=grid.lat_spacing())


def dlon(f: Any, grid: SphereGrid, accuracy: int, order: int = 1, metres: bool = True) -> Any:
    """The ``order``-th derivative along the longitude: per (metre along the equator) or
    per radian, to the ``order``. Cyclic longitudes are periodic (the Numba kernels
    wrap them on large NumPy arrays)."""
    kw: dict[str, Any] = {"order": order, "accuracy": accuracy, "spacing": grid.lon_spacing(metres)}
    if not grid.cyclic:
        return derivative(f, grid.lon_dim, **kw)
    period = grid.lon_period(metres)
    return derivative(f, grid.lon_dim, boundary="periodic", period=period, **kw)


def whole_grid_blocks(arrays: tuple[Any, ...], grid: SphereGrid) -> bool:
    """Whether ``arrays`` are dask arrays of NumPy blocks, chunked alike, each block
    holding the whole latitude-longitude grid (ERA5's chunks along the time): then
    every block is differentiated on its own, by the NumPy path (the fused kernel on
    large blocks), without overlaps."""
    first = arrays[0]
    if not is_dask_array(first) or type(getattr(first, "_meta", None)) is not np.ndarray:
        return False
    if any(not is_dask_array(a) or a.chunks != first.chunks for a in arrays[1:]):
        return False
    return len(first.chunks[grid.lat_dim]) == 1 and len(first.chunks[grid.lon_dim]) == 1


def per_block(func: Any, arrays: tuple[Any, ...], outputs: int) -> Any:
    """``func`` (a NumPy operator of ``outputs`` results) mapped over the blocks of the
    dask ``arrays``, lazily: one task per block, whatever the number of outputs.

    The whole graph counts as one call for the loading of the Numba kernels: when its
    outputs would make one call wait for them, each block waits (once per process)
    rather than run the generic path while they load."""
    import dask.array as da

    from gridgrad._engines.numba import loader, waits

    first = arrays[0]
    kind = first.dtype.kind
    dtype = first.dtype if kind in "fc" else np.dtype(np.float64)
    wait = waits(dtype, int(np.prod(first.shape)) * outputs)

    def block(*blocks: np.ndarray) -> Any:
        if wait and not loader.loaded():
            loader.load(wait=True)
        return func(*blocks)

    if outputs == 1:
        meta = np.empty((0,) * first.ndim, dtype)
        return da.map_blocks(block, *arrays, dtype=dtype, meta=meta)

    def stacked(*blocks: np.ndarray) -> np.ndarray:
        return np.stack(block(*blocks))

    meta = np.empty((0,) * (first.ndim + 1), dtype)
    chunks = ((outputs,), *first.chunks)
    out = da.map_blocks(stacked, *arrays, new_axis=0, chunks=chunks, dtype=dtype, meta=meta)
    return tuple(out[k] for k in range(outputs))


def pole_dlat(f: Any, grid: SphereGrid, accuracy: int, row: int, order: int = 1) -> Any:
    """The ``order``-th latitude derivative (per metre**order) on the pole row ``row``
    alone (the row kept as a dim of size 1), from a slab of rows next to it: the same
    one-sided stencil as on the whole array."""
    n = grid.shape[grid.lat_dim]
    k = min(n, 2 * accuracy + 2)
    rows = slice(0, k) if row == 0 else slice(n - k, n)
    slab = f[_index(len(grid.shape), grid.lat_dim, rows)]
    spacing = grid.lat_spacing(rows)
    d = derivative(slab, grid.lat_dim, order=order, accuracy=accuracy, spacing=spacing)
    at = slice(0, 1) if row == 0 else slice(k - 1, k)
    return d[_index(len(grid.shape), grid.lat_dim, at)]


def take_row(x: Any, grid: SphereGrid, row: int) -> Any:
    return x[_index(len(grid.shape), grid.lat_dim, slice(row, row + 1))]


def zonal_mean(x: Any, grid: SphereGrid) -> Any:
    """The mean along the longitude, kept as a dim of size 1 (broadcasts back)."""
    if inplace(x):
        return x.mean(axis=grid.lon_dim, keepdims=True)
    xp = array_namespace(x)
    return xp.mean(x, axis=grid.lon_dim, keepdims=True)


def set_rows(out: Any, grid: SphereGrid, values: dict[int, Any]) -> Any:
    """``out`` with the rows ``values`` (row -> array with a size-1 lat dim, broadcast
    along the longitude) replaced: in place for a plain ndarray, else with ``where``
    (no index assignment: Dask, JAX and autograd follow)."""
    nd = len(grid.shape)
    if inplace(out):
        for row, val in values.items():
            out[_index(nd, grid.lat_dim, slice(row, row + 1))] = val
        return out
    xp = array_namespace(out)
    for row, val in values.items():
        mask = np.zeros(grid.shape[grid.lat_dim], dtype=bool)
        mask[row] = True
        cond = xp.asarray(grid.along_lat(mask), device=device(out))
        out = xp.where(cond, xp.astype(val, out.dtype), out)
    return out


def pole_scalar(values: dict[int, Any], grid: SphereGrid) -> dict[int, Any]:
    """Scalar results: the pole is one point, on a cyclic grid the zonal mean."""
    if not grid.cyclic:
        return values
    return {row: zonal_mean(v, grid) for row, v in values.items()}


def make_grid(shape: Any, lat: Any, lon: Any, kw: dict[str, Any], order: int = 1) -> SphereGrid:
    return sphere_grid(tuple(shape), lat, lon, order=order, **kw)
