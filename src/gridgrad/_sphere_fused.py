"""The fast path of :mod:`gridgrad.sphere` for large NumPy arrays: the guard, the
stencils the fused kernels of :mod:`gridgrad._sphere_numba` take (imported only when
the guard holds), and the points they leave to the generic path.

Every point gets the stencil it has on the generic path: the kernels compute the
interior, the generic path itself the latitude rows within the stencil's reach of an
edge and the longitude columns within its reach of an edge of a grid that does not
close, on thin strips. Pole rows are left to the caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np

from gridgrad._calculus import derivative, fd_weights
from gridgrad._sphere_grid import SphereGrid

__all__ = ["FUSED_MIN_SIZE", "gradient", "laplacian", "scalar"]

#: the fused kernels run on plain ndarrays of at least this many elements (as the
#: rectilinear kernels: below, the generic path is as fast)
FUSED_MIN_SIZE = 1 << 19


def _kernels(
    arrays: tuple[Any, ...], grid: SphereGrid, accuracy: int, outputs: int
) -> ModuleType | None:
    """The kernels' module when the guard holds: no other engine than numba forced
    (:func:`gridgrad.use_engine`), large C-contiguous native float32 or float64
    ndarrays of one dtype laid out ``(..., lat, lon)``, evenly spaced latitudes and
    longitudes, numba loaded (or worth waiting for, for ``outputs`` results); else
    None."""
    from gridgrad._engines import forced

    if forced() not in ("auto", "numba"):
        return None  # gridgrad.use_engine("reference") and the like: the generic path
    nd = len(grid.shape)
    first = arrays[0]
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype not in (np.float32, np.float64):
            return None
        if a.dtype != first.dtype or not a.dtype.isnative or not a.flags.c_contiguous:
            return None
    if first.size < FUSED_MIN_SIZE or (grid.lat_dim, grid.lon_dim) != (nd - 2, nd - 1):
        return None
    if grid.lat_step is None or grid.lon_step is None:
        return None
    width = 3 * accuracy + 2
    if grid.shape[-2] < 2 * width or grid.shape[-1] < 2 * width:
        return None
    # numba loads as for the rectilinear kernels (one policy): in the background while
    # calls of fewer than WAIT_SIZE outputs take the generic path, which is about as
    # fast as the loading on such inputs; larger calls wait for it
    from gridgrad._engines.numba import loader, waits

    if not loader.loaded() and not waits(first.dtype, first.size * outputs):
        loader.start()
        return None
    if loader.load(wait=True) is None:
        return None  # numba cannot be imported
    from gridgrad import _sphere_numba as kernels

    return kernels


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view: the kernels are compiled for read-only inputs only, so that
    writeable and read-only arrays share one compiled kernel (and its disk cache)."""
    view = a.view()
    view.flags.writeable = False
    return view


def _weights(accuracy: int, order: int = 1) -> np.ndarray:
    """The centred weights of offsets 1..r of the ``order``-th derivative (per step)."""
    r = accuracy // 2
    return fd_weights(list(range(-r, r + 1)), order)[r + 1 :]


def _lat_edges(f3: np.ndarray, grid: SphereGrid, accuracy: int, order: int = 1) -> Iterator[tuple[slice, Any]]:  # fmt: skip
    """Per latitude edge (first and last r rows): those rows, and the ``order``-th
    latitude derivative there by the generic path on a strip ``accuracy + 2`` rows wide
    (wide enough for every one-sided stencil, so each row gets its own)."""
    r, ny = accuracy // 2, grid.shape[-2]
    width = accuracy + 2
    kw: dict[str, Any] = {"order": order, "accuracy": accuracy, "spacing": grid.lat_spacing()}
    for strip, keep, rows in (
        (slice(0, width), slice(0, r), slice(0, r)),
        (slice(ny - width, ny), slice(width - r, width), slice(ny - r, ny)),
    ):
        yield rows, derivative(f3[:, strip], 1, **kw)[:, keep]


def _lon_edges(out3: np.ndarray, a3: np.ndarray, grid: SphereGrid, accuracy: int, add: bool, order: int = 1) -> None:  # fmt: skip
    """The eastward term (``sec**order`` times the ``order``-th longitude derivative) of
    the longitude edge columns of a grid that does not close (the kernel leaves them),
    by the generic path on strips: written, or added."""
    if grid.cyclic:
        return
    r, width, nx = accuracy // 2, 3 * accuracy + 2, grid.shape[-1]
    kw = {"order": order, "accuracy": accuracy, "spacing": grid.lon_spacing(True)}
    sec = (grid.sec[:, None] ** order).astype(a3.dtype)
    for cols, keep in ((slice(0, width), slice(0, r)), (slice(nx - width, nx), slice(-r, None))):
        term = derivative(a3[..., cols], 2, **kw)[..., keep] * sec  # type: ignore[arg-type]
        if add:
            out3[..., keep] += term
        else:
            out3[..., keep] = term


def gradient(f: Any, grid: SphereGrid, accuracy: int) -> tuple[Any, Any] | None:
    """(eastward, northward) by the fused kernel when its guard holds, else None."""
    kernels = _kernels((f,), grid, accuracy, 2)
    if kernels is None:
        return None
    ny, nx = grid.shape[-2], grid.shape[-1]
    f3 = _read_only(f.reshape(-1, ny, nx))
    east, north = np.empty_like(f), np.empty_like(f)
    e3, n3 = east.reshape(f3.shape), north.reshape(f3.shape)
    assert grid.lat_step is not None and grid.lon_step is not None
    east_scale = grid.sec / (grid.radius * grid.lon_step)
    kernels.gradient(f3, _weights(accuracy), 1.0 / grid.lat_step, east_scale, grid.cyclic, n3, e3)
    for rows, d in _lat_edges(f3, grid, accuracy):
        n3[:, rows] = d
    _lon_edges(e3, f3, grid, accuracy, add=False)
    return east, north


def scalar(a: Any, b: Any, grid: SphereGrid, accuracy: int, sign: float) -> Any | None:
    """``sec/R * da/dlambda + sign * (1/R db/dphi - b tan(phi)/R)`` by the fused kernel
    when its guard holds, else None: the divergence (``a, b = u, v``, sign +1) and the
    vorticity (``a, b = v, u``, sign -1)."""
    kernels = _kernels((a, b), grid, accuracy, 1)
    if kernels is None:
        return None
    ny, nx = grid.shape[-2], grid.shape[-1]
    a3, b3 = _read_only(a.reshape(-1, ny, nx)), _read_only(b.reshape(-1, ny, nx))
    out = np.empty_like(a)
    o3 = out.reshape(a3.shape)
    assert grid.lat_step is not None and grid.lon_step is not None
    lon_scale = grid.sec / (grid.radius * grid.lon_step)
    b_scale = -sign * grid.tan_r
    args = (_weights(accuracy), sign / grid.lat_step, lon_scale, b_scale, grid.cyclic)
    kernels.scalar(a3, b3, *args, o3)
    fac = b_scale[:, None].astype(a3.dtype)
    for rows, d in _lat_edges(b3, grid, accuracy):
        o3[:, rows] += d * a3.dtype.type(sign) + fac[rows] * b3[:, rows]
    _lon_edges(o3, a3, grid, accuracy, add=True)
    return out


def laplacian(f: Any, grid: SphereGrid, accuracy: int) -> Any | None:
    """``sec**2/R**2 f_lambda_lambda + f_phi_phi/R**2 - tan(phi)/R**2 f_phi`` by the fused
    kernel when its guard holds, else None."""
    kernels = _kernels((f,), grid, accuracy, 1)
    if kernels is None:
        return None
    ny, nx = grid.shape[-2], grid.shape[-1]
    f3 = _read_only(f.reshape(-1, ny, nx))
    out = np.empty_like(f)
    o3 = out.reshape(f3.shape)
    assert grid.lat_step is not None and grid.lon_step is not None
    lon_scale = (grid.sec / (grid.radius * grid.lon_step)) ** 2
    args = (_weights(accuracy), _weights(accuracy, 2), 1.0 / grid.lat_step, lon_scale)
    kernels.laplacian(f3, *args, grid.tan_r, grid.cyclic, o3)
    tan = grid.tan_r[:, None].astype(f.dtype)
    for (rows, d2), (_, d1) in zip(_lat_edges(f3, grid, accuracy, 2), _lat_edges(f3, grid, accuracy)):  # fmt: skip
        o3[:, rows] += d2 - tan[rows] * d1
    _lon_edges(o3, f3, grid, accuracy, add=True, order=2)
    return out
