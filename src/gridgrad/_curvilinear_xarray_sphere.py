r"""The xarray functions of :mod:`gridgrad.curvilinear` on latitude-longitude grids:
2-D ``lat(y, x)`` and ``lon(y, x)`` coordinates of a DataArray (found by their CF
metadata or named) go to the array functions; the results come back with the dims,
coords and units per metre (as :mod:`gridgrad.xarray_sphere` on regular grids)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from gridgrad._curvilinear_xarray import _result, _Setup
from gridgrad._sphere_grid import EARTH_RADIUS

__all__ = [
    "xarray_sphere_divergence",
    "xarray_sphere_gradient",
    "xarray_sphere_laplacian",
    "xarray_sphere_vorticity",
]


def _lat_lon_2d(da: Any, lat: Any, lon: Any) -> tuple[Any, Any]:
    from gridgrad.xarray_sphere import _LAT_UNITS, _LON_UNITS, _by_attrs

    found = []
    for given, what, units in ((lat, "latitude", _LAT_UNITS), (lon, "longitude", _LON_UNITS)):
        if given is not None:
            if given not in da.coords:
                msg = f"`{what[:3]}` {given!r} is not a coordinate of the DataArray (it has {sorted(map(str, da.coords))})."  # fmt: skip
                raise ValueError(msg)
            found.append(given)
            continue
        names = [n for n in _by_attrs(da, what, units) if da.coords[n].ndim == 2]
        if len(names) != 1:
            msg = f"found {len(names)} 2-D {what} coordinates by their CF metadata (units degrees_north/degrees_east or standard_name latitude/longitude) among {sorted(map(str, da.coords))}; name them with `lat=` and `lon=`."  # fmt: skip
            raise ValueError(msg)
        found.append(names[0])
    return found[0], found[1]


def _call(fn: Callable[..., Any], fields: list[Any], what: str, lat: Any, lon: Any, radius: Any, boundary: Any, **kw: Any) -> tuple[Any, Any]:  # fmt: skip
    """``fn`` on the fields' data and their 2-D latitude and longitude (of the first
    field): (the first field, the result)."""
    import xarray as xr

    for f, name in zip(fields, what.split(", ")):
        if not isinstance(f, xr.DataArray):
            msg = f"`{name}` must be an xarray DataArray; got {type(f).__name__}."
            raise TypeError(msg)
    first = fields[0]
    for other in fields[1:]:
        if set(other.dims) != set(first.dims):
            msg = f"`v` must have the dims of `u` {tuple(map(str, first.dims))}; got {tuple(map(str, other.dims))}."  # fmt: skip
            raise ValueError(msg)
    lat_name, lon_name = _lat_lon_2d(first, lat, lon)
    setup = _Setup(first, first, (lon_name, lat_name), None)
    if not setup.spans(first):
        field = what.split(", ")[0]
        msg = f"the coordinates {lat_name!r}, {lon_name!r} span dims that `{field}` does not have."  # fmt: skip
        raise ValueError(msg)
    args = setup.kwargs(first, boundary)
    lon_arr, lat_arr = args["coords"]
    data = fn(
        *(f.transpose(*first.dims).data for f in fields),
        lat_arr,
        lon_arr,
        dim=args["dim"],
        radius=EARTH_RADIUS if radius is None else radius,
        boundary=args["boundary"],
        **kw,
    )
    return first, data


def _named(like: Any, data: Any, name: str, units: str | None, **attrs: str | None) -> Any:
    r = _result(like, data, name, units)
    r.attrs.update({k: v for k, v in attrs.items() if v})
    return r


def _per_metre(da: Any, power: int) -> str | None:
    from gridgrad.xarray_sphere import _units

    return _units(da.attrs.get("units"), power)


_SEE = """
    radius : float, optional
        Radius of the sphere in metres (default 6371008.8 m).
    accuracy, edge_order
        As :func:`gridgrad.curvilinear.gradient`.
    boundary : str or mapping, optional
        One value for all, or ``{dim: "periodic"}`` for a grid that closes along
        ``dim``."""


def xarray_sphere_gradient(
    da: Any,
    *,
    lat: Any = None,
    lon: Any = None,
    radius: float | None = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
) -> Any:
    r"""The gradient of a DataArray on a rotated-pole or projected latitude-longitude
    grid (2-D ``lat(y, x)``, ``lon(y, x)`` coordinates), per metre: eastward and
    northward.

    Parameters
    ----------
    da : xarray.DataArray
        The field (an unnamed one is called ``f``); dask-backed data stays lazy.
    lat, lon : str, optional
        The names of the 2-D latitude and longitude coordinates (degrees); by default
        the one 2-D coordinate with CF latitude (longitude) ``units`` or
        ``standard_name``. The differentiated dims are the two they span.SEE

    Returns
    -------
    xarray.Dataset
        ``d{name}_dx`` (eastward) and ``d{name}_dy`` (northward), as
        :func:`gridgrad.xarray_sphere.gradient`: ``units`` per metre (``K`` gives
        ``K m-1``).

    Raises
    ------
    TypeError, ValueError
        ``da`` not a DataArray, no (or several) 2-D latitudes or longitudes, and as
        :func:`sphere_gradient`.

    See Also
    --------
    sphere_gradient, gridgrad.xarray_sphere.gradient

    Examples
    --------
    A rotated grid and :math:`T = 280 + 10\sin\varphi`: northward :math:`10\cos\varphi/R`.

    >>> import numpy as np, xarray as xr
    >>> import gridgrad.curvilinear as gc
    >>> rlat, rlon = np.meshgrid(np.radians(np.linspace(-10, 10, 21)),
    ...                          np.radians(np.linspace(-15, 15, 31)), indexing="ij")
    >>> px, py, pz = np.cos(rlat) * np.cos(rlon), np.cos(rlat) * np.sin(rlon), np.sin(rlat)
    >>> b = np.radians(40)
    >>> lat = np.degrees(np.arcsin(np.sin(b) * px + np.cos(b) * pz))
    >>> lon = np.degrees(np.arctan2(py, np.cos(b) * px - np.sin(b) * pz))
    >>> T = xr.DataArray(280 + 10 * np.sin(np.radians(lat)), dims=("rlat", "rlon"), name="T",
    ...     attrs={"units": "K"},
    ...     coords={"lat": (("rlat", "rlon"), lat, {"units": "degrees_north"}),
    ...             "lon": (("rlat", "rlon"), lon, {"units": "degrees_east"})})
    >>> g = gc.xarray_sphere_gradient(T, accuracy=4)
    >>> list(g.data_vars), g["dT_dy"].attrs["units"]
    (['dT_dx', 'dT_dy'], 'K m-1')
    >>> R = 6371008.8
    >>> float(np.abs(g["dT_dy"] - 10 * np.cos(np.radians(lat)) / R).max() * R) < 1e-4
    True
    """
    import xarray as xr

    from gridgrad.curvilinear import sphere_gradient

    kw = {"accuracy": accuracy, "edge_order": edge_order}
    first, (east, north) = _call(sphere_gradient, [da], "da", lat, lon, radius, boundary, **kw)
    name = first.name if first.name is not None else "f"
    units = _per_metre(first, 1)
    std = first.attrs.get("standard_name")
    out = {}
    for comp, data, axis in ((f"d{name}_dx", east, "eastward"), (f"d{name}_dy", north, "northward")):  # fmt: skip
        out[comp] = _named(
            first,
            data,
            comp,
            units,
            long_name=f"{axis} derivative of {name}",
            standard_name=f"{axis}_derivative_of_{std}" if std else None,
        )
    return xr.Dataset(out)


def xarray_sphere_divergence(
    u: Any,
    v: Any,
    *,
    lat: Hashable | None = None,
    lon: Hashable | None = None,
    radius: float | None = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
) -> Any:
    r"""The horizontal divergence of a wind (u eastward, v northward) on a
    latitude-longitude grid of 2-D ``lat(y, x)``, ``lon(y, x)`` coordinates, per metre.

    Parameters
    ----------
    u, v : xarray.DataArray
        The geographic eastward and northward components, the same dims (in any
        order); the coordinates are those of ``u``. Dask-backed data stays lazy.
    lat, lon : str, optional
        As :func:`xarray_sphere_gradient`.SEE

    Returns
    -------
    xarray.DataArray
        Named ``divergence``, ``u``'s dims and coords, ``units`` those of ``u`` per
        metre (``m s-1`` gives ``s-1``), ``standard_name`` ``divergence_of_wind``
        (as :func:`gridgrad.xarray_sphere.divergence`).

    Raises
    ------
    TypeError, ValueError
        ``u`` or ``v`` not a DataArray, ``v`` with other dims, and as
        :func:`xarray_sphere_gradient` and :func:`sphere_divergence`.

    See Also
    --------
    sphere_divergence, xarray_sphere_vorticity, gridgrad.xarray_sphere.divergence

    Examples
    --------
    Solid-body rotation about the polar axis on a grid tilted by 40 degrees: no
    divergence.

    >>> import numpy as np, xarray as xr
    >>> import gridgrad.curvilinear as gc
    >>> rlat, rlon = np.meshgrid(np.radians(np.linspace(-10, 10, 21)),
    ...                          np.radians(np.linspace(-15, 15, 31)), indexing="ij")
    >>> px, py, pz = np.cos(rlat) * np.cos(rlon), np.cos(rlat) * np.sin(rlon), np.sin(rlat)
    >>> b = np.radians(40)
    >>> lat = np.degrees(np.arcsin(np.sin(b) * px + np.cos(b) * pz))
    >>> lon = np.degrees(np.arctan2(py, np.cos(b) * px - np.sin(b) * pz))
    >>> coords = {"lat": (("y", "x"), lat, {"units": "degrees_north"}),
    ...           "lon": (("y", "x"), lon, {"units": "degrees_east"})}
    >>> u = xr.DataArray(10 * np.cos(np.radians(lat)), dims=("y", "x"), coords=coords,
    ...                  attrs={"units": "m s-1"})
    >>> div = gc.xarray_sphere_divergence(u, 0 * u, accuracy=4)
    >>> div.name, div.attrs["units"], bool(np.abs(div).max() * 6371008.8 < 1e-6)
    ('divergence', 's-1', True)
    """
    from gridgrad.curvilinear import sphere_divergence

    kw = {"accuracy": accuracy, "edge_order": edge_order}
    first, data = _call(sphere_divergence, [u, v], "u, v", lat, lon, radius, boundary, **kw)
    return _named(
        first,
        data,
        "divergence",
        _per_metre(first, 1),
        long_name="horizontal divergence",
        standard_name="divergence_of_wind",
    )


def xarray_sphere_vorticity(
    u: Any,
    v: Any,
    *,
    lat: Hashable | None = None,
    lon: Hashable | None = None,
    radius: float | None = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
) -> Any:
    r"""The relative vorticity of a wind (u eastward, v northward) on a
    latitude-longitude grid of 2-D ``lat(y, x)``, ``lon(y, x)`` coordinates, per metre.

    Parameters
    ----------
    u, v : xarray.DataArray
        As :func:`xarray_sphere_divergence`.
    lat, lon : str, optional
        As :func:`xarray_sphere_gradient`.SEE

    Returns
    -------
    xarray.DataArray
        Named ``vorticity``, ``u``'s dims and coords, ``units`` those of ``u`` per
        metre (``m s-1`` gives ``s-1``), ``standard_name``
        ``atmosphere_relative_vorticity`` (as :func:`gridgrad.xarray_sphere.vorticity`).

    Raises
    ------
    TypeError, ValueError
        As :func:`xarray_sphere_divergence` and :func:`sphere_vorticity`.

    See Also
    --------
    sphere_vorticity, xarray_sphere_divergence, gridgrad.xarray_sphere.vorticity

    Examples
    --------
    Solid-body rotation :math:`u = U\cos\varphi` on a tilted grid has vorticity
    :math:`2U\sin\varphi/R`:

    >>> import numpy as np, xarray as xr
    >>> import gridgrad.curvilinear as gc
    >>> rlat, rlon = np.meshgrid(np.radians(np.linspace(-10, 10, 21)),
    ...                          np.radians(np.linspace(-15, 15, 31)), indexing="ij")
    >>> px, py, pz = np.cos(rlat) * np.cos(rlon), np.cos(rlat) * np.sin(rlon), np.sin(rlat)
    >>> b = np.radians(40)
    >>> lat = np.degrees(np.arcsin(np.sin(b) * px + np.cos(b) * pz))
    >>> lon = np.degrees(np.arctan2(py, np.cos(b) * px - np.sin(b) * pz))
    >>> coords = {"lat": (("y", "x"), lat, {"standard_name": "latitude"}),
    ...           "lon": (("y", "x"), lon, {"standard_name": "longitude"})}
    >>> u = xr.DataArray(10 * np.cos(np.radians(lat)), dims=("y", "x"), coords=coords,
    ...                  attrs={"units": "m s-1"})
    >>> zeta = gc.xarray_sphere_vorticity(u, 0 * u, accuracy=4)
    >>> zeta.name, zeta.attrs["units"], zeta.attrs["standard_name"]
    ('vorticity', 's-1', 'atmosphere_relative_vorticity')
    >>> bool(np.allclose(zeta * 6371008.8, 20 * np.sin(np.radians(lat)), atol=1e-5))
    True
    """
    from gridgrad.curvilinear import sphere_vorticity

    kw = {"accuracy": accuracy, "edge_order": edge_order}
    first, data = _call(sphere_vorticity, [u, v], "u, v", lat, lon, radius, boundary, **kw)
    return _named(
        first,
        data,
        "vorticity",
        _per_metre(first, 1),
        long_name="relative vorticity",
        standard_name="atmosphere_relative_vorticity",
    )


def xarray_sphere_laplacian(
    da: Any,
    *,
    lat: Hashable | None = None,
    lon: Hashable | None = None,
    radius: float | None = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
) -> Any:
    r"""The Laplacian of a DataArray on a latitude-longitude grid of 2-D
    ``lat(y, x)``, ``lon(y, x)`` coordinates, per square metre.

    Parameters
    ----------
    da : xarray.DataArray
        The field (an unnamed one is called ``f``); dask-backed data stays lazy.
    lat, lon : str, optional
        As :func:`xarray_sphere_gradient`.SEE

    Returns
    -------
    xarray.DataArray
        Named ``laplacian_{name}``, ``da``'s dims and coords, ``units`` per square
        metre (``K`` gives ``K m-2``), as :func:`gridgrad.xarray_sphere.laplacian`.

    Raises
    ------
    TypeError, ValueError
        As :func:`xarray_sphere_gradient` and :func:`sphere_laplacian`.

    See Also
    --------
    sphere_laplacian, gridgrad.xarray_sphere.laplacian

    Examples
    --------
    :math:`z = \sin\varphi` (a spherical harmonic of degree 1) on a tilted grid:
    :math:`\Delta z = -2z/R^2`.

    >>> import numpy as np, xarray as xr
    >>> import gridgrad.curvilinear as gc
    >>> rlat, rlon = np.meshgrid(np.radians(np.linspace(-10, 10, 41)),
    ...                          np.radians(np.linspace(-15, 15, 61)), indexing="ij")
    >>> px, py, pz = np.cos(rlat) * np.cos(rlon), np.cos(rlat) * np.sin(rlon), np.sin(rlat)
    >>> b = np.radians(40)
    >>> lat = np.degrees(np.arcsin(np.sin(b) * px + np.cos(b) * pz))
    >>> lon = np.degrees(np.arctan2(py, np.cos(b) * px - np.sin(b) * pz))
    >>> coords = {"lat": (("y", "x"), lat, {"units": "degrees_north"}),
    ...           "lon": (("y", "x"), lon, {"units": "degrees_east"})}
    >>> z = xr.DataArray(np.sin(np.radians(lat)), dims=("y", "x"), coords=coords, name="z",
    ...                  attrs={"units": "m"})
    >>> lap = gc.xarray_sphere_laplacian(z, radius=1.0, accuracy=4)
    >>> lap.name, lap.attrs["units"], bool(np.allclose(lap, -2 * z, atol=1e-4))
    ('laplacian_z', 'm-1', True)
    """
    from gridgrad.curvilinear import sphere_laplacian

    kw = {"accuracy": accuracy, "edge_order": edge_order}
    first, data = _call(sphere_laplacian, [da], "da", lat, lon, radius, boundary, **kw)
    name = first.name if first.name is not None else "f"
    return _named(first, data, f"laplacian_{name}", _per_metre(first, 2))


for _fn in (xarray_sphere_gradient, xarray_sphere_divergence, xarray_sphere_vorticity, xarray_sphere_laplacian):  # fmt: skip
    _fn.__doc__ = (_fn.__doc__ or "").replace("SEE", _SEE)
