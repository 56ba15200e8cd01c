"""Derivatives of xarray objects on latitude-longitude grids, per metre.

The latitude and longitude are found by their CF metadata (through cf_xarray when it
is installed: ``units`` ``degrees_north``/``degrees_east``, ``standard_name``
``latitude``/``longitude``, ...; else by those two attributes), or named with
``lat=``/``lon=``. The numerics are :mod:`gridgrad.sphere`'s; dims, coords and names
are kept, dask-backed objects stay lazy, and ``attrs["units"]`` follows the
derivative (``K`` gives ``K m-1``, ``m s-1`` gives ``s-1``: pint's algebra through
cf_xarray's unit registry when installed). xarray is imported on first use.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from gridgrad import sphere as _sphere
from gridgrad._sphere_grid import EARTH_RADIUS

__all__ = ["divergence", "find_lat_lon", "gradient", "laplacian", "vorticity"]

_LAT_UNITS = frozenset({"degrees_north", "degree_north", "degree_N", "degrees_N", "degreeN", "degreesN"})  # fmt: skip
_LON_UNITS = frozenset({"degrees_east", "degree_east", "degree_E", "degrees_E", "degreeE", "degreesE"})  # fmt: skip


def _xr() -> Any:
    import xarray

    return xarray


def _by_attrs(obj: Any, what: str, units: frozenset[str]) -> list[Hashable]:
    return [
        name
        for name, c in obj.coords.items()
        if c.attrs.get("standard_name") == what or c.attrs.get("units") in units
    ]


def _candidates(obj: Any, what: str, units: frozenset[str]) -> list[Hashable]:
    try:
        import cf_xarray  # noqa: F401
    except ImportError:
        return _by_attrs(obj, what, units)
    return list(obj.cf.coordinates.get(what, []))


def find_lat_lon(obj: Any) -> tuple[Hashable, Hashable] | None:
    """The names of the latitude and longitude dims of ``obj``, found by their CF
    metadata, or None when there is not one 1-D latitude and one 1-D longitude
    dimension coordinate.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset

    Returns
    -------
    (lat, lon) : tuple of names, or None

    Notes
    -----
    With cf_xarray installed its criteria apply (``units`` such as
    ``degrees_north``/``degrees_east``, ``standard_name`` ``latitude``/``longitude``,
    ``_CoordinateAxisType``); otherwise a coordinate is a latitude (longitude) when
    its ``standard_name`` is ``latitude`` (``longitude``) or its ``units`` is one of
    the CF spellings of ``degrees_north`` (``degrees_east``).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.xarray_sphere as gxs
    >>> t = xr.DataArray(
    ...     np.zeros((3, 4)),
    ...     coords={"y": ("y", [10.0, 20.0, 30.0], {"units": "degrees_north"}),
    ...             "x": ("x", [0.0, 90.0, 180.0, 270.0], {"standard_name": "longitude"})},
    ... )
    >>> gxs.find_lat_lon(t)
    ('y', 'x')
    >>> gxs.find_lat_lon(xr.DataArray(np.zeros(3), dims="x")) is None
    True
    """
    found = []
    for what, units in (("latitude", _LAT_UNITS), ("longitude", _LON_UNITS)):
        names = [n for n in _candidates(obj, what, units) if n in obj.dims]
        if len(names) != 1:
            return None
        found.append(names[0])
    return found[0], found[1]


def _grid(obj: Any, lat: Any, lon: Any) -> tuple[Hashable, Hashable]:
    xr = _xr()
    if not isinstance(obj, xr.DataArray):
        msg = f"the fields must be xarray DataArrays; got {type(obj).__name__}."
        raise TypeError(msg)
    if lat is None or lon is None:
        found = find_lat_lon(obj)
        if found is None:
            msg = (
                f"no latitude/longitude dimension coordinates found by their CF metadata "
                f"among the coords {list(obj.coords)} (units degrees_north/degrees_east or "
                f"standard_name latitude/longitude); name them with `lat=` and `lon=`."
            )
            raise ValueError(msg)
        lat = found[0] if lat is None else lat
        lon = found[1] if lon is None else lon
    for name, dim in (("lat", lat), ("lon", lon)):
        if dim not in obj.dims or dim not in obj.coords:
            msg = f"`{name}` {dim!r} must be a dimension of the DataArray with a coordinate; its dims are {tuple(obj.dims)}."
            raise ValueError(msg)
    return lat, lon


def _units(units: Any, power: int) -> str | None:
    """``units`` per metre**power, in CF notation (pint through cf_xarray when installed)."""
    if units is None:
        return None
    try:
        from cf_xarray.units import units as ureg

        q = ureg(str(units)) / ureg.metre**power
        return f"{q.units:cf}"
    except Exception:  # cf_xarray or pint missing, or units pint cannot read
        if power == 1 and str(units).replace("/", " ").split() in (["m", "s-1"], ["m", "s"]):
            return "s-1"
        return f"{units} m-{power}"


def _call(func: Any, fields: list[Any], kw: dict[str, Any]) -> tuple[Any, Any]:
    first = fields[0]
    lat, lon = _grid(first, kw.pop("lat"), kw.pop("lon"))
    for other in fields[1:]:
        if other.dims != first.dims:
            msg = f"`v` must have the dims of `u` {first.dims}; got {other.dims}."
            raise ValueError(msg)
    data = func(
        *(f.data for f in fields),
        first[lat].values,
        first[lon].values,
        lat_dim=first.get_axis_num(lat),
        lon_dim=first.get_axis_num(lon),
        **kw,
    )
    return first, data


def _wrap(like: Any, data: Any, name: Any, units: str | None, **attrs: Any) -> Any:
    out = like.copy(data=data)
    out.name = name
    out.encoding = {}
    keep = {k: v for k, v in like.attrs.items() if k not in ("units", "long_name", "standard_name")}
    out.attrs = {**keep, **{k: v for k, v in attrs.items() if v is not None}}
    if units is not None:
        out.attrs["units"] = units
    return out


def gradient(
    da: Any,
    *,
    lat: Hashable | None = None,
    lon: Hashable | None = None,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    cyclic: bool | None = None,
) -> Any:
    r"""The gradient of a DataArray on the sphere, per metre: eastward and northward.

    Parameters
    ----------
    da : xarray.DataArray
        The field (an unnamed one is called ``f``), NumPy- or dask-backed (dask
        stays lazy), with 1-D latitude and longitude dimension coordinates in degrees.
    lat, lon : str, optional
        The latitude and longitude dims; by default found by their CF metadata
        (:func:`find_lat_lon`).
    radius, accuracy, cyclic
        As :func:`gridgrad.sphere.gradient`.

    Returns
    -------
    xarray.Dataset
        ``d{name}_dx`` (eastward) and ``d{name}_dy`` (northward), with ``units`` per
        metre (``K`` gives ``K m-1``) and ``standard_name``
        ``eastward_derivative_of_{standard_name}`` when the field has one.

    Raises
    ------
    ValueError
        No latitude/longitude found, a named dim that is not there, or as
        :func:`gridgrad.sphere.gradient`.
    TypeError
        ``da`` is not a DataArray, or as :func:`gridgrad.sphere.gradient`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.xarray_sphere as gxs
    >>> lat = np.linspace(-60, 60, 25)
    >>> lon = np.arange(0.0, 360.0, 5.0)
    >>> t = xr.DataArray(
    ...     280 + 10 * np.sin(np.deg2rad(lat))[:, None] + 0 * lon, name="t", attrs={"units": "K"},
    ...     coords={"latitude": ("latitude", lat, {"units": "degrees_north"}),
    ...             "longitude": ("longitude", lon, {"units": "degrees_east"})},
    ... )
    >>> g = gxs.gradient(t, accuracy=4)
    >>> list(g.data_vars), g["dt_dy"].attrs["units"]
    (['dt_dx', 'dt_dy'], 'K m-1')
    >>> round(float(g["dt_dy"].sel(latitude=0.0)[0]) * 6371008.8, 4)
    10.0
    """
    kw = {"lat": lat, "lon": lon, "radius": radius, "accuracy": accuracy, "cyclic": cyclic}
    first, (east, north) = _call(_sphere.gradient, [da], kw)
    name = first.name if first.name is not None else "f"
    units = _units(first.attrs.get("units"), 1)
    std = first.attrs.get("standard_name")
    parts = {}
    for comp, data, axis in (
        (f"d{name}_dx", east, "eastward"),
        (f"d{name}_dy", north, "northward"),
    ):
        parts[comp] = _wrap(
            first,
            data,
            comp,
            units,
            long_name=f"{axis} derivative of {name}",
            standard_name=f"{axis}_derivative_of_{std}" if std else None,
        )
    return _xr().Dataset(parts)


def divergence(
    u: Any,
    v: Any,
    *,
    lat: Hashable | None = None,
    lon: Hashable | None = None,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    cyclic: bool | None = None,
) -> Any:
    r"""The horizontal divergence of a wind (u eastward, v northward) on the sphere.

    Parameters
    ----------
    u, v : xarray.DataArray
        The eastward and northward components, the same dims.
    lat, lon, radius, accuracy, cyclic
        As :func:`gradient`.

    Returns
    -------
    xarray.DataArray
        Named ``divergence``, ``units`` those of ``u`` per metre (``m s-1`` gives
        ``s-1``), ``standard_name`` ``divergence_of_wind``.

    Raises
    ------
    ValueError, TypeError
        As :func:`gradient`, and ``v`` with other dims than ``u``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.xarray_sphere as gxs
    >>> lat, lon = np.linspace(-60, 60, 25), np.arange(0.0, 360.0, 5.0)
    >>> coords = {"lat": ("lat", lat, {"units": "degrees_north"}),
    ...           "lon": ("lon", lon, {"units": "degrees_east"})}
    >>> u = xr.DataArray(np.zeros((25, 72)), coords=coords, attrs={"units": "m s-1"})
    >>> v = u + np.cos(np.deg2rad(lat))[:, None]
    >>> d = gxs.divergence(u, v)
    >>> d.name, d.attrs["units"]
    ('divergence', 's-1')
    """
    kw = {"lat": lat, "lon": lon, "radius": radius, "accuracy": accuracy, "cyclic": cyclic}
    first, data = _call(_sphere.divergence, [u, v], kw)
    units = _units(first.attrs.get("units"), 1)
    return _wrap(
        first,
        data,
        "divergence",
        units,
        long_name="horizontal divergence",
        standard_name="divergence_of_wind",
    )


def vorticity(
    u: Any,
    v: Any,
    *,
    lat: Hashable | None = None,
    lon: Hashable | None = None,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    cyclic: bool | None = None,
) -> Any:
    r"""The relative vorticity of a wind (u eastward, v northward) on the sphere.

    Parameters
    ----------
    u, v : xarray.DataArray
        The eastward and northward components, the same dims.
    lat, lon, radius, accuracy, cyclic
        As :func:`gradient`.

    Returns
    -------
    xarray.DataArray
        Named ``vorticity``, ``units`` those of ``u`` per metre (``m s-1`` gives
        ``s-1``), ``standard_name`` ``atmosphere_relative_vorticity``.

    Raises
    ------
    ValueError, TypeError
        As :func:`divergence`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.xarray_sphere as gxs
    >>> lat, lon = np.linspace(90, -90, 73), np.arange(0.0, 360.0, 5.0)
    >>> coords = {"latitude": ("latitude", lat, {"standard_name": "latitude"}),
    ...           "longitude": ("longitude", lon, {"standard_name": "longitude"})}
    >>> u = xr.DataArray(10 * np.cos(np.deg2rad(lat))[:, None] + 0 * lon, coords=coords,
    ...                  attrs={"units": "m/s"})
    >>> zeta = gxs.vorticity(u, 0 * u, accuracy=4)
    >>> zeta.attrs["units"], round(float(zeta.sel(latitude=90)[0]) * 6371008.8, 3)
    ('s-1', 20.0)
    """
    kw = {"lat": lat, "lon": lon, "radius": radius, "accuracy": accuracy, "cyclic": cyclic}
    first, data = _call(_sphere.vorticity, [u, v], kw)
    units = _units(first.attrs.get("units"), 1)
    return _wrap(
        first,
        data,
        "vorticity",
        units,
        long_name="relative vorticity",
        standard_name="atmosphere_relative_vorticity",
    )


def laplacian(
    da: Any,
    *,
    lat: Hashable | None = None,
    lon: Hashable | None = None,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    cyclic: bool | None = None,
) -> Any:
    r"""The Laplacian of a DataArray on the sphere, per square metre.

    Parameters
    ----------
    da : xarray.DataArray
        The field (an unnamed one is called ``f``).
    lat, lon, radius, accuracy, cyclic
        As :func:`gradient`.

    Returns
    -------
    xarray.DataArray
        Named ``laplacian_{name}``, ``units`` per square metre (``K`` gives ``K m-2``).

    Raises
    ------
    ValueError, TypeError
        As :func:`gradient`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.xarray_sphere as gxs
    >>> lat, lon = np.linspace(-90, 90, 91), np.arange(0.0, 360.0, 4.0)
    >>> coords = {"lat": ("lat", lat, {"units": "degrees_north"}),
    ...           "lon": ("lon", lon, {"units": "degrees_east"})}
    >>> z = xr.DataArray(np.sin(np.deg2rad(lat))[:, None] + 0 * lon, coords=coords,
    ...                  name="z", attrs={"units": "m"})
    >>> lap = gxs.laplacian(z, radius=1.0, accuracy=4)
    >>> lap.name, lap.attrs["units"], bool(np.allclose(lap, -2 * z, atol=1e-4))
    ('laplacian_z', 'm-1', True)
    """
    kw = {"lat": lat, "lon": lon, "radius": radius, "accuracy": accuracy, "cyclic": cyclic}
    first, data = _call(_sphere.laplacian, [da], kw)
    name = first.name if first.name is not None else "f"
    return _wrap(first, data, f"laplacian_{name}", _units(first.attrs.get("units"), 2))
