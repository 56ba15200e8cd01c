"""The fast path of :mod:`gridgrad.sphere` for large NumPy arrays: the guard, the
stencils the fused kernels of :mod:`gridgrad._sphere_numba` take (imported only when
the guard holds), and the points they leave to the generic path.

Every point gets the stencil it has on the generic path: the latitude edge rows the
one-sided stencils of the generic path's derivative on a strip ``3 * accuracy + 2``
rows wide (given to the kernel), the longitude edge columns of a grid that does not
close the generic path itself on such strips. Pole rows are left to the caller.
"""

from __future__ import annotations

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
    """The kernels' module when the guard holds: large C-contiguous native float32 or
    float64 ndarrays of one dtype laid out ``(..., lat, lon)``, evenly spaced latitudes
    and longitudes, numba loaded (or worth waiting for, for ``outputs`` results); else
    None."""
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


def _stencils(grid: SphereGrid, accuracy: int) -> tuple[np.ndarray, np.ndarray]:
    """The centred weights of offsets 1..r (per grid step) and the one-sided stencils
    of the first and last r latitude rows (per metre): those of the generic path, its
    derivative of the identity on a strip as wide as the kernel reads."""
    r, width = accuracy // 2, 3 * accuracy + 2
    w = fd_weights(list(range(-r, r + 1)))[r + 1 :]
    d = derivative(np.eye(width), 0, accuracy=accuracy, spacing=grid.lat_spacing())
    return w, np.stack([d[:r], d[width - r :]])


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
    w, edges = _stencils(grid, accuracy)
    assert grid.lat_step is not None and grid.lon_step is not None
    east_scale = grid.sec / (grid.radius * grid.lon_step)
    kernels.gradient(f3, w, 1.0 / grid.lat_step, edges, east_scale, grid.cyclic, n3, e3)
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
    w, edges = _stencils(grid, accuracy)
    assert grid.lat_step is not None and grid.lon_step is not None
    lon_scale = grid.sec / (grid.radius * grid.lon_step)
    args = (w, sign / grid.lat_step, sign * edges, lon_scale, -sign * grid.tan_r, grid.cyclic)
    kernels.scalar(a3, b3, *args, o3)
    _lon_edges(o3, a3, grid, accuracy, add=True)
    return out


def laplacian(f: Any, grid: SphereGrid, accuracy: int) -> Any | None:
    """``sec**2/R**2 f_lambda_lambda + f_phi_phi/R**2 - tan(phi)/R**2 f_phi`` by the fused
    kernel when its guard holds, else None."""
    kernels = _kernels((f,), grid, accuracy, 1)
    if kernels is None:
        return None
    ny, nx = grid.shape[-2], grid.shape[-1]
    r, width = accuracy // 2, 3 * accuracy + 2
    f3 = _read_only(f.reshape(-1, ny, nx))
    out = np.empty_like(f)
    o3 = out.reshape(f3.shape)
    w1 = fd_weights(list(range(-r, r + 1)))[r + 1 :]
    w2 = fd_weights(list(range(-r, r + 1)), 2)[r + 1 :]
    assert grid.lat_step is not None and grid.lon_step is not None
    lon_scale = (grid.sec / (grid.radius * grid.lon_step)) ** 2
    args = (w1, w2, 1.0 / grid.lat_step, lon_scale, grid.tan_r, grid.cyclic)
    kernels.laplacian(f3, *args, o3)
    # the latitude edge rows' own terms, by the generic path on strips
    tan = grid.tan_r[:, None].astype(f.dtype)
    for rows, keep in ((slice(0, width), slice(0, r)), (slice(ny - width, ny), slice(-r, None))):
        strip, kw = f3[:, rows], {"accuracy": accuracy, "spacing": grid.lat_spacing()}
        d2 = derivative(strip, 1, order=2, **kw)[:, keep]  # type: ignore[arg-type]
        d1 = derivative(strip, 1, **kw)[:, keep]  # type: ignore[arg-type]
        o3[:, keep] += d2 - tan[rows][keep] * d1
    _lon_edges(o3, f3, grid, accuracy, add=True, order=2)
    return out
