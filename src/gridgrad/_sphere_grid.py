"""The latitude-longitude grid of :mod:`gridgrad.sphere`: every check, then the metric.

:func:`sphere_grid` checks the arguments (before any work on the data) and returns a
:class:`SphereGrid`: plain frozen data holding the spacings the public derivative
functions get (metres along a meridian and along the equator, or radians), whether the
longitude is cyclic, the metric factors per latitude row, and the pole rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from array_api_compat import is_array_api_obj, is_torch_array

__all__ = ["EARTH_RADIUS", "SphereGrid", "host_coordinates", "sphere_grid"]

#: The Earth's mean radius in metres (IUGG; MetPy's ``earth_avg_radius``).
EARTH_RADIUS = 6371008.8


@dataclass(frozen=True, eq=False)
class SphereGrid:
    """A checked latitude-longitude grid (all arrays float64 NumPy, one per lat row)."""

    shape: tuple[int, ...]
    lat_dim: int
    lon_dim: int
    radius: float
    #: a uniform latitude step in metres along a meridian (R dphi), or None
    lat_step: float | None
    #: latitudes in metres along a meridian (R phi) when they are not evenly spaced
    lat_coords: np.ndarray | None
    #: a uniform longitude step in radians, or None
    lon_step: float | None
    #: longitudes in radians when they are not evenly spaced
    lon_coords: np.ndarray | None
    cyclic: bool
    #: 1 / cos(phi), 0 on pole rows
    sec: np.ndarray
    #: tan(phi) / R, 0 on pole rows
    tan_r: np.ndarray
    #: (row index, sin(phi) = +1 or -1) of each pole row
    poles: tuple[tuple[int, float], ...]
    #: the data's last column repeats the first (longitudes ``0, ..., 360``): the grid
    #: (``shape`` included) is that of the columns before it, cyclic; the closing
    #: column's results are the first column's
    closing: bool = False

    def lat_spacing(self, rows: slice = slice(None)) -> tuple[Any]:
        """The ``spacing`` of the latitude dim (metres), for the rows ``rows``."""
        if self.lat_coords is None:
            return (self.lat_step,)
        return (self.lat_coords[rows],)

    def lon_spacing(self, metres: bool) -> tuple[Any]:
        """The ``spacing`` of the longitude dim: metres along the equator, or radians."""
        scale = self.radius if metres else 1.0
        if self.lon_coords is None:
            assert self.lon_step is not None
            return (self.lon_step * scale,)
        return (self.lon_coords * scale,)

    def lon_period(self, metres: bool) -> float | None:
        """``period`` of the cyclic longitude given by coordinates (None otherwise)."""
        if self.lon_coords is None or not self.cyclic:
            return None
        return 2.0 * math.pi * (self.radius if metres else 1.0)

    def along_lat(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one per lat row) shaped to broadcast against the data."""
        shape = [1] * len(self.shape)
        shape[self.lat_dim] = self.shape[self.lat_dim]
        return values.reshape(shape)


def host_coordinates(values: Any, name: str) -> np.ndarray:
    """1-D float64 NumPy coordinates from NumPy, Python or any array library's values
    (degrees; copied to the host once: they are small)."""
    if is_torch_array(values):
        values = values.detach().cpu().numpy()
    elif is_array_api_obj(values) and not isinstance(values, np.ndarray):
        compute = getattr(values, "compute", None)  # a dask array
        if callable(compute):
            values = compute()
        else:
            try:
                values = np.asarray(values)
            except (TypeError, ValueError, RuntimeError):
                values = np.from_dlpack(values)
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        msg = f"`{name}` must be a 1-D sequence of real numbers (degrees); got {type(values).__name__} ({exc})."
        raise TypeError(msg) from None
    if arr.dtype.kind not in "iuf" or arr.dtype.kind == "b":
        msg = f"`{name}` must hold real numbers (degrees); got dtype {arr.dtype}."
        raise TypeError(msg)
    if arr.ndim != 1:
        msg = f"`{name}` must be 1-D (one value per grid line); got shape {arr.shape}."
        raise ValueError(msg)
    if not np.isfinite(arr).all():
        msg = f"`{name}` must be finite; got {arr[~np.isfinite(arr)][0]!r}."
        raise ValueError(msg)
    return arr


def _even_step(x: np.ndarray, dtype: np.dtype) -> float | None:
    """The step of evenly spaced coordinates, up to the rounding of their dtype
    (float32 degrees of a 0.1-degree grid are evenly spaced), else None."""
    n = x.size
    step = (x[-1] - x[0]) / (n - 1)
    ideal = x[0] + step * np.arange(n)
    eps = np.finfo(dtype).eps if dtype.kind == "f" else np.finfo(np.float64).eps
    tol = max(1e-9 * abs(step), 4.0 * eps * float(np.abs(x).max()))
    return float(step) if float(np.abs(x - ideal).max()) <= tol else None


def _monotonic(x: np.ndarray, name: str) -> None:
    d = np.diff(x)
    if not ((d > 0).all() or (d < 0).all()):
        k = int(np.flatnonzero(np.sign(d) != np.sign(d[0]))[0]) + 1 if (d != 0).all() else None
        where = f" (at index {k}: {x[k - 1]!r}, {x[k]!r}, {x[k + 1]!r})" if k else ""
        msg = f"`{name}` must be strictly increasing or strictly decreasing{where}."
        raise ValueError(msg)


def _dim(value: Any, ndim: int, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        msg = f"`{name}` must be an integer; got {value!r}."
        raise TypeError(msg)
    if not -ndim <= value < ndim:
        msg = f"`{name}` {value} is out of range for an array of {ndim} dimensions."
        raise np.exceptions.AxisError(msg)
    return int(value) % ndim


def _radius(radius: Any) -> float:
    if isinstance(radius, (bool, np.bool_)) or not isinstance(
        radius, (int, float, np.integer, np.floating)
    ):
        msg = f"`radius` must be a real number (metres); got {radius!r}."
        raise TypeError(msg)
    r = float(radius)
    if not (math.isfinite(r) and r > 0):
        msg = f"`radius` must be positive and finite; got {radius!r}."
        raise ValueError(msg)
    return r


def _accuracy(accuracy: Any) -> int:
    if isinstance(accuracy, (bool, np.bool_)) or not isinstance(accuracy, (int, np.integer)):
        msg = f"`accuracy` must be an even integer >= 2; got {accuracy!r}."
        raise TypeError(msg)
    if accuracy < 2 or accuracy % 2:
        msg = f"`accuracy` must be an even integer >= 2; got {accuracy!r}."
        raise ValueError(msg)
    return int(accuracy)


def _closes(lon: np.ndarray) -> bool:
    """Whether the last longitude repeats the first, 360 degrees on (``0, ..., 360``):
    the grid's closing column, the same meridian as its first."""
    steps = np.abs(np.diff(lon))
    return abs(360.0 - abs(float(lon[-1] - lon[0]))) <= 1e-6 * float(steps.min())


def _cyclic(lon: np.ndarray, step: float | None, cyclic: Any) -> bool:
    """Whether the longitudes close the circle: the step from the last back to the
    first (360 degrees on) is one of the grid's steps (the uniform step, or between
    the smallest and the largest step)."""
    span = abs(float(lon[-1] - lon[0]))
    steps = np.abs(np.diff(lon))
    gap = 360.0 - span
    tol = 1e-6 * float(steps.min())
    if gap < -tol:
        msg = f"`lon` must span at most 360 degrees; it spans {span!r}."
        raise ValueError(msg)
    if cyclic is not None:
        return bool(cyclic)
    if abs(gap) <= tol:  # a closing column the caller kept: not periodic as it stands
        return False
    if step is not None:
        return abs(gap - abs(step)) <= 1e-6 * abs(step)
    return float(steps.min()) - tol <= gap <= float(steps.max()) + tol


def sphere_grid(
    shape: tuple[int, ...],
    lat: Any,
    lon: Any,
    *,
    lat_dim: Any,
    lon_dim: Any,
    radius: Any,
    accuracy: Any,
    cyclic: Any,
    order: int = 1,
) -> SphereGrid:
    """Check every grid argument against ``shape`` and build the :class:`SphereGrid`
    (``order``: the highest derivative order the operator takes, for the minimum sizes)."""
    ndim = len(shape)
    if ndim < 2:
        msg = (
            f"the data must have at least 2 dimensions (latitude and longitude); got shape {shape}."
        )
        raise ValueError(msg)
    ld, od = _dim(lat_dim, ndim, "lat_dim"), _dim(lon_dim, ndim, "lon_dim")
    if ld == od:
        msg = f"`lat_dim` and `lon_dim` must be different dimensions; got {lat_dim} and {lon_dim}."
        raise ValueError(msg)
    r = _radius(radius)
    p = _accuracy(accuracy)
    lat_raw, lon_raw = host_coordinates(lat, "lat"), host_coordinates(lon, "lon")
    for name, raw, d, dname in (("lat", lat_raw, ld, "lat_dim"), ("lon", lon_raw, od, "lon_dim")):
        if raw.size != shape[d]:
            msg = (
                f"`{name}` must have one value per sample along `{dname}` ({shape[d]}); "
                f"got {raw.size}."
            )
            raise ValueError(msg)
        if raw.size < p + order:
            msg = (
                f"`{name}` must have at least accuracy + {order} = {p + order} points for "
                f"accuracy {p}; got {raw.size}."
            )
            raise ValueError(msg)
    lat64, lon64 = lat_raw.astype(np.float64), lon_raw.astype(np.float64)
    if np.abs(lat64).max() > 90.0:
        msg = f"`lat` must be within [-90, 90] degrees; got {lat64[np.abs(lat64) > 90][0]!r}."
        raise ValueError(msg)
    _monotonic(lat64, "lat")
    _monotonic(lon64, "lon")
    if cyclic is not None and not isinstance(cyclic, (bool, np.bool_)):
        msg = f"`cyclic` must be None (detect), True or False; got {cyclic!r}."
        raise TypeError(msg)
    closing = cyclic is not False and _closes(lon64)
    if closing:  # the closing column is the first meridian again: drop it, periodic
        lon_raw, lon64 = lon_raw[:-1], lon64[:-1]
        shape = (*shape[:od], shape[od] - 1, *shape[od + 1 :])
        cyclic = True
        if lon64.size < p + order:
            msg = (
                f"`lon` must have at least accuracy + {order} = {p + order} distinct "
                f"meridians for accuracy {p} (the closing one at 360 degrees aside); "
                f"got {lon64.size}."
            )
            raise ValueError(msg)
    lat_step = _even_step(lat64, lat_raw.dtype)
    lon_step = _even_step(lon64, lon_raw.dtype)
    is_cyclic = _cyclic(lon64, lon_step, cyclic)
    phi = np.deg2rad(lat64)
    pole = np.abs(lat64) == 90.0
    cos = np.where(pole, 1.0, np.cos(phi))
    sec = np.where(pole, 0.0, 1.0 / cos)
    tan_r = np.where(pole, 0.0, np.tan(phi) / r)
    poles = tuple((int(i), float(np.sign(lat64[i]))) for i in np.flatnonzero(pole))
    return SphereGrid(
        shape=tuple(shape),
        lat_dim=ld,
        lon_dim=od,
        radius=r,
        lat_step=None if lat_step is None else math.radians(lat_step) * r,
        lat_coords=None if lat_step is not None else phi * r,
        lon_step=None if lon_step is None else math.radians(lon_step),
        lon_coords=None if lon_step is not None else np.deg2rad(lon64),
        cyclic=is_cyclic,
        sec=sec,
        tan_r=tan_r,
        poles=poles,
        closing=closing,
    )
