r"""Derivatives on latitude-longitude grids: gradient, divergence, vorticity, Laplacian.

The operators of the sphere of radius :math:`R` (latitude :math:`\varphi`, longitude
:math:`\lambda`, both given in degrees), in metres: a field in K gives a gradient in
K m-1, a wind in m s-1 a divergence and a vorticity in s-1. They run on the public
:func:`gridgrad.derivative` (so on every array library it supports: NumPy, PyTorch with
autograd, JAX, Dask lazily, any Array-API array) plus elementwise metric factors in
the input's own namespace, dtype and device.

Conventions shared by every function:

- ``lat`` and ``lon`` are 1-D coordinates in degrees, strictly monotonic in either
  order, evenly spaced or not (Gaussian latitudes); ``lat_dim`` and ``lon_dim``
  (default -2 and -1) say where they are in the array.
- The longitude is *cyclic* (differentiated across the date line, every point on the
  centred stencil) when the grid closes: the step from the last longitude back to
  the first, 360 degrees on, is one of the grid's steps. ``cyclic=True``/``False``
  overrides the detection. Otherwise the longitude edges get one-sided stencils of the
  requested accuracy, as the latitude edges always do. A grid whose last longitude
  repeats the first 360 degrees on (``0, ..., 360``, ``-180, ..., 180``) has a closing
  column, the first meridian again: it is differentiated as cyclic on the columns
  before it, and the closing column gets the first column's results (its own values
  are not read). ``cyclic=False`` treats such a grid as a limited-area one instead.
- **dtypes.** Results have the input's dtype (integers become floats), except 16-bit
  floats (float16, bfloat16), which are computed and returned in float32: a
  derivative per metre is about :math:`1/R = 1.6\times 10^{-7}` times the field,
  below float16's smallest normal number for any field of order 1.
- **Poles.** Only rows at exactly :math:`|\varphi| = 90` degrees are pole rows (a
  latitude of 89.9999 is an ordinary row). At the pole the local east and north
  depend on the meridian one arrives along, so each point of a pole row gets the
  limit of the quantity along its own meridian, which is finite (L'Hôpital's rule on
  the :math:`1/\cos\varphi` terms). For the scalar results (divergence, vorticity,
  Laplacian) the pole is one point: on a cyclic grid every point of a pole row gets
  the zonal mean of those limits, which is the circulation (flux) around a polar cap
  over its area as the cap shrinks (Stokes), as global models compute it.
- ``radius`` defaults to ``EARTH_RADIUS`` = 6371008.8 m, the Earth's mean radius (IUGG;
  MetPy's ``earth_avg_radius``).
- Next to the poles a zonal derivative is divided by the vanishing :math:`R\cos\varphi`:
  where a field varies along the longitude there (a wind across the pole), the rows
  next to a pole converge one order lower than the rest, as on any latitude-longitude
  grid; the pole rows themselves keep the full order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridgrad import _sphere_fused as fused
from gridgrad import _sphere_terms as t
from gridgrad._sphere_grid import EARTH_RADIUS, host_coordinates

__all__ = ["divergence", "gradient", "laplacian", "vorticity"]


# --------------------------------------------------------------------------- operators

_GRID_PARAMS = """
    lat, lon : array_like
        1-D latitudes and longitudes in degrees, one per sample along ``lat_dim``
        and ``lon_dim``: strictly monotonic (either order), finite, evenly spaced or
        not; latitudes within [-90, 90]. Arrays of any library are copied to the
        host once (they are small).
    lat_dim, lon_dim : int, optional
        The dims of the latitude and the longitude (default -2 and -1: ``(..., lat,
        lon)``, as in ERA5's ``(time, latitude, longitude)``).
    radius : float, optional
        Radius of the sphere in metres (default ``gridgrad.sphere.EARTH_RADIUS``, the Earth's
        mean radius 6371008.8 m).
    accuracy : int, optional
        Even order of accuracy of every stencil, interior and edges (default 2).
    cyclic : bool, optional
        Whether the longitude wraps around; None (default) detects it: the grid
        closes when the step from the last longitude back to the first is one of
        its steps, or when the last longitude repeats the first 360 degrees on (a
        closing column, whose results are then the first column's).
"""


def _doc(func: Any) -> Any:
    func.__doc__ = func.__doc__.replace("    {grid}\n", _GRID_PARAMS.lstrip("\n"))
    return func


_KW = ("lat_dim", "lon_dim", "radius", "accuracy", "cyclic")


@_doc
def gradient(
    f: Any,
    lat: Any,
    lon: Any,
    *,
    lat_dim: int = -2,
    lon_dim: int = -1,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    cyclic: bool | None = None,
) -> tuple[Any, Any]:
    r"""The gradient of a scalar field on the sphere: (eastward, northward), per metre.

    Parameters
    ----------
    f : array_like
        Samples of the field on the grid (any array library gridgrad supports).
    {grid}

    Returns
    -------
    (eastward, northward) : tuple of arrays
        :math:`\frac{1}{R\cos\varphi}\frac{\partial f}{\partial\lambda}` and
        :math:`\frac{1}{R}\frac{\partial f}{\partial\varphi}`, each of ``f``'s shape,
        library and dtype (integers become floats, 16-bit floats float32), in units
        of ``f`` per metre.

    Raises
    ------
    TypeError
        Non-numeric ``f``, ``lat`` or ``lon``; a non-integer dim, accuracy or a
        non-real ``radius``.
    ValueError
        Coordinates of the wrong length, not 1-D, not finite, not monotonic,
        latitudes beyond 90 degrees, longitudes spanning more than 360 degrees, too
        few points for the accuracy, equal ``lat_dim`` and ``lon_dim``, a radius
        that is not positive.
    numpy.exceptions.AxisError
        A dim out of range.

    See Also
    --------
    divergence, vorticity, laplacian
    gridgrad.gradient : the Cartesian gradient (per coordinate unit).

    Notes
    -----
    The derivatives along the meridian are taken on the latitudes in metres
    (:math:`R\varphi`), those along the longitude per metre of the equator
    (:math:`R\lambda`) and multiplied by :math:`1/\cos\varphi`. On a pole row
    (:math:`\varphi = \pm 90°` exactly) the northward component is the one-sided
    derivative along each meridian, and the eastward one its limit along the
    meridian,
    :math:`-\frac{1}{R\sin\varphi}\frac{\partial^2 f}{\partial\lambda\,\partial\varphi}`.

    Large float32/float64 NumPy arrays laid out ``(..., lat, lon)`` on evenly spaced
    coordinates take a fused kernel: one pass over the data writes both components,
    the factor :math:`1/(R\cos\varphi)` applied in the same pass, as fast as the
    Cartesian :func:`gridgrad.gradient` of the same array (divergence, vorticity and
    the Laplacian have theirs too). Dask arrays whose blocks hold the whole latitude-longitude grid
    are differentiated block by block on that path. Other inputs take the generic path
    (:func:`gridgrad.derivative` and elementwise factors), with the same stencils.

    The stencils are Fornberg's [1]_; the metric factors are those of the sphere
    (e.g. [2]_).

    References
    ----------
    .. [1] B. Fornberg, "Generation of finite difference formulas on arbitrarily
       spaced grids", Mathematics of Computation 51 (1988), 699-706.
    .. [2] D. L. Williamson et al., "A standard test set for numerical
       approximations to the shallow water equations in spherical geometry",
       Journal of Computational Physics 102 (1992), 211-224.

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad.sphere as gs
    >>> lat = np.linspace(-80, 80, 65)
    >>> lon = np.arange(0.0, 360.0, 2.5)          # closes the circle: cyclic
    >>> phi = np.deg2rad(lat)[:, None]
    >>> lam = np.deg2rad(lon)[None, :]
    >>> f = np.cos(phi) * np.cos(lam)
    >>> east, north = gs.gradient(f, lat, lon, accuracy=4)
    >>> R = gs.EARTH_RADIUS
    >>> bool(np.allclose(east, -np.sin(lam) / R + 0 * phi, atol=1e-12))
    True
    >>> bool(np.allclose(north, -np.sin(phi) * np.cos(lam) / R, atol=1e-12))
    True

    Longitudes ``0, ..., 360`` repeat the first meridian; the closing column gets
    the first column's results. 16-bit floats come back as float32:

    >>> lon360 = np.arange(0.0, 360.1, 2.5)
    >>> f360 = np.cos(phi) * np.cos(np.deg2rad(lon360))[None, :]
    >>> east360, _ = gs.gradient(f360, lat, lon360, accuracy=4)
    >>> bool(np.array_equal(east360[:, :-1], east)), bool(np.array_equal(east360[:, -1], east[:, 0]))
    (True, True)
    >>> gs.gradient(f.astype(np.float16), lat, lon)[0].dtype
    dtype('float32')
    """
    f = t.array(f, "f")
    kw = dict(zip(_KW, (lat_dim, lon_dim, radius, accuracy, cyclic)))
    grid = t.make_grid(f.shape, lat, lon, kw)
    if t.whole_grid_blocks((f,), grid):
        lat, lon = host_coordinates(lat, "lat"), host_coordinates(lon, "lon")
        return t.per_block(lambda b: gradient(b, lat, lon, **kw), (f,), 2)  # type: ignore[no-any-return]
    f = t.unique_columns(f, grid)
    p = int(accuracy)
    both = fused.gradient(f, grid, p)
    if both is not None:
        east, north = both
    else:
        east = t.scale(t.dlon(f, grid, p), grid.sec, grid)
        north = t.dlat(f, grid, p)
    if grid.poles:
        values = {
            row: t.dlon(t.take_row(north, grid, row), grid, p, metres=False) * -s
            for row, s in grid.poles
        }
        east = t.set_rows(east, grid, values)
    return t.close_columns(east, grid), t.close_columns(north, grid)


@_doc
def divergence(
    u: Any,
    v: Any,
    lat: Any,
    lon: Any,
    *,
    lat_dim: int = -2,
    lon_dim: int = -1,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    cyclic: bool | None = None,
) -> Any:
    r"""The horizontal divergence of a vector field (u eastward, v northward) on the sphere.

    Parameters
    ----------
    u, v : array_like
        The eastward and northward components, the same shape.
    {grid}

    Returns
    -------
    array
        :math:`\frac{1}{R\cos\varphi}\left(\frac{\partial u}{\partial\lambda} +
        \frac{\partial (v\cos\varphi)}{\partial\varphi}\right)`, in units of ``u``
        per metre (s-1 for a wind in m s-1).

    Raises
    ------
    TypeError, ValueError, numpy.exceptions.AxisError
        As :func:`gradient`, and ``v`` of another shape than ``u``.

    See Also
    --------
    vorticity, gradient

    Notes
    -----
    The meridional term is computed in its expanded form
    :math:`\frac{1}{R}\frac{\partial v}{\partial\varphi} - \frac{v\tan\varphi}{R}`
    (the derivative of :math:`\cos\varphi` taken exactly), so its error stays of the
    requested order next to the poles. On a pole row the result is the limit along
    each meridian,
    :math:`-\frac{1}{R\sin\varphi}\frac{\partial^2 u}{\partial\lambda\,\partial\varphi}
    + \frac{2}{R}\frac{\partial v}{\partial\varphi}`; on a cyclic grid its zonal
    mean (the outward flux through a shrinking polar cap over its area), the same
    at every point of the row.

    References
    ----------
    .. [1] B. Fornberg, "Generation of finite difference formulas on arbitrarily
       spaced grids", Mathematics of Computation 51 (1988), 699-706.

    Examples
    --------
    Flow away from the north pole, :math:`v = -U\cos\varphi`, diverges at
    :math:`2U\sin\varphi/R`, also on the pole row:

    >>> import numpy as np
    >>> import gridgrad.sphere as gs
    >>> lat = np.linspace(-90, 90, 73)
    >>> lon = np.arange(0.0, 360.0, 5.0)
    >>> phi = np.deg2rad(lat)[:, None] + 0 * lon
    >>> u, v = 0 * phi, -10.0 * np.cos(phi)
    >>> div = gs.divergence(u, v, lat, lon, accuracy=4)
    >>> bool(np.allclose(div, 20.0 * np.sin(phi) / gs.EARTH_RADIUS, atol=1e-12))
    True
    """
    u, v = t.pair(u, v)
    kw = dict(zip(_KW, (lat_dim, lon_dim, radius, accuracy, cyclic)))
    grid = t.make_grid(u.shape, lat, lon, kw)
    if t.whole_grid_blocks((u, v), grid):
        lat, lon = host_coordinates(lat, "lat"), host_coordinates(lon, "lon")
        return t.per_block(lambda a, b: divergence(a, b, lat, lon, **kw), (u, v), 1)
    u, v = t.unique_columns(u, grid), t.unique_columns(v, grid)
    p = int(accuracy)
    values = {
        row: t.dlon(t.pole_dlat(u, grid, p, row), grid, p, metres=False) * -s
        + 2.0 * t.pole_dlat(v, grid, p, row)
        for row, s in grid.poles
    }
    out = fused.scalar(u, v, grid, p, sign=1.0)
    if out is None:
        out = t.scale(t.dlon(u, grid, p), grid.sec, grid)
        dv = t.dlat(v, grid, p)
        if t.inplace(out) and t.inplace(dv):
            out += dv
            out -= np.multiply(v, t.factor(grid.tan_r, dv, grid), out=dv)
        else:
            out = out + dv - v * t.factor(grid.tan_r, dv, grid)
    out = t.set_rows(out, grid, t.pole_scalar(values, grid)) if values else out
    return t.close_columns(out, grid)


@_doc
def vorticity(
    u: Any,
    v: Any,
    lat: Any,
    lon: Any,
    *,
    lat_dim: int = -2,
    lon_dim: int = -1,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    cyclic: bool | None = None,
) -> Any:
    r"""The relative vorticity (vertical component of the curl) of a vector field on the sphere.

    Parameters
    ----------
    u, v : array_like
        The eastward and northward components, the same shape.
    {grid}

    Returns
    -------
    array
        :math:`\frac{1}{R\cos\varphi}\left(\frac{\partial v}{\partial\lambda} -
        \frac{\partial (u\cos\varphi)}{\partial\varphi}\right)`, in units of ``u``
        per metre (s-1 for a wind in m s-1).

    Raises
    ------
    TypeError, ValueError, numpy.exceptions.AxisError
        As :func:`gradient`, and ``v`` of another shape than ``u``.

    See Also
    --------
    divergence, gradient

    Notes
    -----
    The meridional term is computed in its expanded form
    :math:`-\frac{1}{R}\frac{\partial u}{\partial\varphi} + \frac{u\tan\varphi}{R}`.
    On a pole row the result is the limit along each meridian,
    :math:`-\frac{1}{R\sin\varphi}\frac{\partial^2 v}{\partial\lambda\,\partial\varphi}
    - \frac{2}{R}\frac{\partial u}{\partial\varphi}`; on a cyclic grid its zonal mean
    (the circulation around a shrinking polar cap over its area, by Stokes'
    theorem), the same at every point of the row.

    References
    ----------
    .. [1] B. Fornberg, "Generation of finite difference formulas on arbitrarily
       spaced grids", Mathematics of Computation 51 (1988), 699-706.

    Examples
    --------
    Solid-body rotation :math:`u = U\cos\varphi` has vorticity
    :math:`2U\sin\varphi/R`, :math:`2U/R` at the north pole:

    >>> import numpy as np
    >>> import gridgrad.sphere as gs
    >>> lat = np.linspace(90, -90, 73)                # north to south, as ERA5
    >>> lon = np.arange(-180.0, 180.0, 5.0)
    >>> phi = np.deg2rad(lat)[:, None] + 0 * lon
    >>> zeta = gs.vorticity(10.0 * np.cos(phi), 0 * phi, lat, lon, accuracy=4)
    >>> bool(np.allclose(zeta, 20.0 * np.sin(phi) / gs.EARTH_RADIUS, atol=1e-12))
    True
    >>> round(float(zeta[0, 0] * gs.EARTH_RADIUS), 4)        # the north pole row
    20.0
    """
    u, v = t.pair(u, v)
    kw = dict(zip(_KW, (lat_dim, lon_dim, radius, accuracy, cyclic)))
    grid = t.make_grid(u.shape, lat, lon, kw)
    if t.whole_grid_blocks((u, v), grid):
        lat, lon = host_coordinates(lat, "lat"), host_coordinates(lon, "lon")
        return t.per_block(lambda a, b: vorticity(a, b, lat, lon, **kw), (u, v), 1)
    u, v = t.unique_columns(u, grid), t.unique_columns(v, grid)
    p = int(accuracy)
    values = {
        row: t.dlon(t.pole_dlat(v, grid, p, row), grid, p, metres=False) * -s
        - 2.0 * t.pole_dlat(u, grid, p, row)
        for row, s in grid.poles
    }
    out = fused.scalar(v, u, grid, p, sign=-1.0)
    if out is None:
        out = t.scale(t.dlon(v, grid, p), grid.sec, grid)
        du = t.dlat(u, grid, p)
        if t.inplace(out) and t.inplace(du):
            out -= du
            out += np.multiply(u, t.factor(grid.tan_r, du, grid), out=du)
        else:
            out = out - du + u * t.factor(grid.tan_r, du, grid)
    out = t.set_rows(out, grid, t.pole_scalar(values, grid)) if values else out
    return t.close_columns(out, grid)


@_doc
def laplacian(
    f: Any,
    lat: Any,
    lon: Any,
    *,
    lat_dim: int = -2,
    lon_dim: int = -1,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    cyclic: bool | None = None,
) -> Any:
    r"""The Laplacian (Laplace-Beltrami operator) of a scalar field on the sphere.

    Parameters
    ----------
    f : array_like
        Samples of the field on the grid.
    {grid}

    Returns
    -------
    array
        :math:`\frac{1}{R^2\cos^2\varphi}\frac{\partial^2 f}{\partial\lambda^2} +
        \frac{1}{R^2\cos\varphi}\frac{\partial}{\partial\varphi}\left(\cos\varphi
        \frac{\partial f}{\partial\varphi}\right)`, in units of ``f`` per square metre.

    Raises
    ------
    TypeError, ValueError, numpy.exceptions.AxisError
        As :func:`gradient` (at least ``accuracy + 2`` points per dim).

    See Also
    --------
    gradient, divergence

    Notes
    -----
    The meridional term is computed as
    :math:`\frac{1}{R^2}\left(\frac{\partial^2 f}{\partial\varphi^2} - \tan\varphi
    \frac{\partial f}{\partial\varphi}\right)`, with second-derivative stencils of
    the requested accuracy. On a pole row the result is the limit along each
    meridian, :math:`\frac{1}{R^2}\left(2 f_{\varphi\varphi} + \tfrac{1}{2}
    f_{\varphi\varphi\lambda\lambda}\right)`; on a cyclic grid its zonal mean
    :math:`\frac{2}{R^2}\overline{f_{\varphi\varphi}}`, the same at every point of
    the row.

    References
    ----------
    .. [1] B. Fornberg, "Generation of finite difference formulas on arbitrarily
       spaced grids", Mathematics of Computation 51 (1988), 699-706.

    Examples
    --------
    A spherical harmonic of degree n is an eigenfunction, with eigenvalue
    :math:`-n(n+1)/R^2`:

    >>> import numpy as np
    >>> import gridgrad.sphere as gs
    >>> lat = np.linspace(-90, 90, 91)
    >>> lon = np.arange(0.0, 360.0, 4.0)
    >>> phi = np.deg2rad(lat)[:, None]
    >>> lam = np.deg2rad(lon)[None, :]
    >>> f = np.cos(phi) ** 2 * np.cos(2 * lam)        # n = 2
    >>> lap = gs.laplacian(f, lat, lon, radius=1.0, accuracy=6)
    >>> bool(np.allclose(lap, -6 * f, atol=1e-6))
    True
    """
    f = t.array(f, "f")
    kw = dict(zip(_KW, (lat_dim, lon_dim, radius, accuracy, cyclic)))
    grid = t.make_grid(f.shape, lat, lon, kw, order=2)
    if t.whole_grid_blocks((f,), grid):
        lat, lon = host_coordinates(lat, "lat"), host_coordinates(lon, "lon")
        return t.per_block(lambda b: laplacian(b, lat, lon, **kw), (f,), 1)
    f = t.unique_columns(f, grid)
    p = int(accuracy)
    pole_d2 = {row: t.pole_dlat(f, grid, p, row, order=2) for row, _ in grid.poles}
    values = {
        row: 2.0 * d2 + 0.5 * t.dlon(d2, grid, p, order=2, metres=False)
        for row, d2 in pole_d2.items()
    }
    out = fused.laplacian(f, grid, p)
    if out is None:
        out = t.scale(t.dlon(f, grid, p, order=2), grid.sec**2, grid)
        d2 = t.dlat(f, grid, p, order=2)
        d1 = t.dlat(f, grid, p)
        if t.inplace(out) and t.inplace(d2) and t.inplace(d1):
            out += d2
            out -= t.scale(d1, grid.tan_r, grid)
        else:
            out = out + d2 - t.scale(d1, grid.tan_r, grid)
    out = t.set_rows(out, grid, t.pole_scalar(values, grid)) if values else out
    return t.close_columns(out, grid)
