r"""The xarray functions of :mod:`gridgrad.curvilinear`: the coordinates of a DataArray
(``coords=``, the CF ``coordinates`` attribute, or its coordinates of two or more
dims) go to the array functions, the results come back with the dims, coords and
units."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "xarray_curl",
    "xarray_divergence",
    "xarray_gradient",
    "xarray_laplacian",
]

_LONGITUDE_UNITS = {"degrees_east", "degree_east", "degree_E", "degrees_E", "degreeE", "degreesE"}
_DROPPED = ("units", "long_name", "standard_name", "coordinates")


def _xr_coord_names(obj: Any, var: Any, coords: Any) -> list[Any]:
    if coords is not None:
        names = [coords] if isinstance(coords, str) else list(coords)
        missing = [c for c in names if c not in obj.coords]
        if missing:
            msg = f"`coords` names {missing!r}, not coordinates of `obj` (it has {sorted(map(str, obj.coords))})."  # fmt: skip
            raise ValueError(msg)
        return names
    attr = var.attrs.get("coordinates", var.encoding.get("coordinates"))
    if isinstance(attr, str):
        names = [c for c in attr.split() if c in obj.coords and obj.coords[c].ndim >= 2]
    else:
        names = [c for c in obj.coords if obj.coords[c].ndim >= 2 and set(obj.coords[c].dims) <= set(var.dims)]  # fmt: skip
    if not names:
        msg = "`coords` not given and `obj` has no coordinates of two or more dims (nor a CF `coordinates` attribute naming them); pass `coords=('x', 'y')`."  # fmt: skip
        raise ValueError(msg)
    return names


class _Setup:
    """The coordinates of one call: their names, the dims they span, their periods."""

    def __init__(self, obj: Any, first: Any, coords: Any, wrap: Any) -> None:
        self.obj = obj
        self.names = _xr_coord_names(obj, first, coords)
        self.spanned = {d for c in self.names for d in obj.coords[c].dims}
        if len(self.spanned) != len(self.names):
            msg = f"`coords` {self.names!r} must span as many dims as there are coordinates; they span {sorted(map(str, self.spanned))}."  # fmt: skip
            raise ValueError(msg)
        wraps = dict(wrap or {})
        for c in self.names:
            a = obj.coords[c].attrs
            if c not in wraps and (a.get("units") in _LONGITUDE_UNITS or a.get("standard_name") == "longitude"):  # fmt: skip
                wraps[c] = 360.0
        self.wraps = wraps

    def spans(self, da: Any) -> bool:
        return self.spanned <= set(da.dims)

    def kwargs(self, da: Any, boundary: Any) -> dict[str, Any]:
        """``coords``, ``dim``, ``boundary`` and ``wrap`` of the array functions for
        ``da``'s layout."""
        grid_dims = [d for d in da.dims if d in self.spanned]
        bounds = boundary if isinstance(boundary, str) else tuple(boundary.get(d, "one-sided") for d in grid_dims)  # fmt: skip
        arrays = []
        for c in self.names:
            cv = self.obj.coords[c]
            cv = cv.transpose(*[d for d in da.dims if d in cv.dims])
            arrays.append(cv.data.reshape(tuple(da.sizes[d] if d in cv.dims else 1 for d in da.dims)))  # fmt: skip
        return {
            "coords": arrays,
            "dim": tuple(da.get_axis_num(grid_dims)),
            "boundary": bounds,
            "wrap": tuple(self.wraps.get(c) for c in self.names),
        }

    def coord_units(self) -> str | None:
        """The coordinates' common units, or None."""
        units = {self.obj.coords[c].attrs.get("units") for c in self.names}
        return units.pop() if len(units) == 1 and None not in units else None


def _result(like: Any, data: Any, name: str, units: str | None) -> Any:
    r = like.copy(data=data)
    r.name, r.encoding = name, {}
    r.attrs = {k: v for k, v in like.attrs.items() if k not in _DROPPED}
    if units is not None:
        r.attrs["units"] = units
    return r


def _variables(obj: Any) -> dict[Any, Any]:
    import xarray as xr

    if isinstance(obj, xr.DataArray):
        return {obj.name if obj.name is not None else "f": obj}
    if isinstance(obj, xr.Dataset):
        if not obj.data_vars:
            msg = "`obj` has no data variables."
            raise ValueError(msg)
        return dict(obj.data_vars)
    msg = f"`obj` must be an xarray DataArray or Dataset; got {type(obj).__name__}."
    raise TypeError(msg)


def _components(components: Any) -> tuple[Any, list[Any]]:
    """The object holding the coordinates and the component DataArrays (transposed to
    the first one's dims)."""
    import xarray as xr

    holder: Any
    if isinstance(components, xr.Dataset):
        comps, holder = list(components.data_vars.values()), components
    elif isinstance(components, (list, tuple)) and all(isinstance(c, xr.DataArray) for c in components):  # fmt: skip
        comps = list(components)
        holder = comps[0] if comps else None
    else:
        msg = f"`components` must be an xarray Dataset or a list or tuple of DataArrays; got {type(components).__name__}."  # fmt: skip
        raise TypeError(msg)
    if not comps:
        msg = "`components` is empty."
        raise ValueError(msg)
    dims = set(comps[0].dims)
    if any(set(c.dims) != dims for c in comps):
        msg = f"`components` must all have the same dims; got {[tuple(map(str, c.dims)) for c in comps]}."  # fmt: skip
        raise ValueError(msg)
    return holder, [c.transpose(*comps[0].dims) for c in comps]


def _units(comps: list[Any], cu: str | None, power: str = "") -> str | None:
    vu = {c.attrs.get("units") for c in comps}
    if len(vu) != 1 or None in vu or cu is None:
        return None
    return f"{vu.pop()} / {cu}{power}"


def _vector_call(fn: Callable[..., Any], components: Any, coords: Any, wrap: Any, boundary: Any, **kw: Any) -> tuple[Any, list[Any], _Setup]:  # fmt: skip
    holder, comps = _components(components)
    setup = _Setup(holder, comps[0], coords, wrap)
    if not setup.spans(comps[0]):
        msg = f"the components' dims {tuple(map(str, comps[0].dims))} do not include the dims the coordinates span, {sorted(map(str, setup.spanned))}."  # fmt: skip
        raise ValueError(msg)
    return fn([c.data for c in comps], **setup.kwargs(comps[0], boundary), **kw), comps, setup


def xarray_gradient(
    obj: Any,
    coords: Any = None,
    *,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    wrap: Any = None,
) -> Any:
    r"""The derivatives of a DataArray (or of each variable of a Dataset) with respect
    to its 2-D (N-D) coordinates, as an :class:`xarray.Dataset`.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
        An unnamed DataArray is called ``f``. Dataset variables that do not span all
        the coordinates' dims are skipped.
    coords : sequence of str, optional
        The names of the coordinate variables (``("x", "y")``, ``("lon", "lat")``).
        By default those named by the CF ``coordinates`` attribute of the (first)
        variable that have two or more dims, or else every coordinate with two or
        more dims. The differentiated dims are the dims these span (as many as
        coordinates).
    accuracy, edge_order
        As :func:`gridgrad.curvilinear.gradient`.
    boundary : str or mapping, optional
        One value for all, or ``{dim: "periodic"}``.
    wrap : mapping, optional
        ``{coordinate name: period}``; a coordinate whose ``units`` are CF longitude
        units (``degrees_east``) or whose ``standard_name`` is ``longitude`` gets
        360 by default.

    Returns
    -------
    xarray.Dataset
        One variable per coordinate, ``d{var}_d{coord}``, with ``obj``'s dims and
        coords; ``attrs["units"]`` is ``"<var units> / <coord units>"`` when both
        are known. Dask-backed input stays lazy.

    Raises
    ------
    TypeError, ValueError
        ``obj`` not an xarray object, unknown or unusable coordinates (too few or
        too many dims), and everything :func:`gridgrad.curvilinear.gradient` raises.

    See Also
    --------
    xarray_divergence, xarray_curl, xarray_laplacian

    Notes
    -----
    :func:`gridgrad.curvilinear.gradient` on the variables' data, the coordinate
    variables transposed and broadcast to it.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.curvilinear as gc
    >>> r, t = np.meshgrid(np.linspace(1, 2, 21), np.linspace(0, 1, 31), indexing="ij")
    >>> T = xr.DataArray(
    ...     3 * r * np.cos(t) + r * np.sin(t), dims=("r", "theta"), name="T",
    ...     coords={"x": (("r", "theta"), r * np.cos(t), {"units": "m"}),
    ...             "y": (("r", "theta"), r * np.sin(t), {"units": "m"})},
    ...     attrs={"units": "K", "coordinates": "x y"})
    >>> g = gc.xarray_gradient(T)
    >>> sorted(g.data_vars), g["dT_dx"].attrs["units"]
    (['dT_dx', 'dT_dy'], 'K / m')
    >>> round(float(g["dT_dx"].mean()), 10), round(float(g["dT_dy"].mean()), 10)
    (3.0, 1.0)
    """
    import xarray as xr

    from gridgrad.curvilinear import gradient

    variables = _variables(obj)
    setup = _Setup(obj, next(iter(variables.values())), coords, wrap)
    out = {}
    for var, da in variables.items():
        if not setup.spans(da):
            continue
        parts = gradient(
            da.data, **setup.kwargs(da, boundary), accuracy=accuracy, edge_order=edge_order
        )
        for c, part in zip(setup.names, parts):
            vu, cu = da.attrs.get("units"), obj.coords[c].attrs.get("units")
            units = f"{vu} / {cu}" if vu is not None and cu is not None else None
            out[f"d{var}_d{c}"] = _result(da, part, f"d{var}_d{c}", units)
    return xr.Dataset(out)


def xarray_laplacian(
    obj: Any,
    coords: Any = None,
    *,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    wrap: Any = None,
) -> Any:
    r"""The Laplacian of a DataArray (or of each variable of a Dataset) with respect to
    its 2-D (N-D) coordinates.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
        An unnamed DataArray is called ``f``; Dataset variables that do not span the
        coordinates' dims are skipped.
    coords, accuracy, edge_order, boundary, wrap
        As :func:`xarray_gradient`.

    Returns
    -------
    xarray.DataArray or xarray.Dataset
        ``laplacian_{var}`` (a Dataset of them for a Dataset), ``obj``'s dims and
        coords; units ``"<var units> / <coord units>^2"`` when the coordinates share
        known units.

    Raises
    ------
    TypeError, ValueError
        As :func:`xarray_gradient` and :func:`gridgrad.curvilinear.laplacian`.

    See Also
    --------
    gridgrad.curvilinear.laplacian

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.curvilinear as gc
    >>> r, t = np.meshgrid(np.linspace(1, 2, 41), np.linspace(0, 1, 41), indexing="ij")
    >>> x, y = r * np.cos(t), r * np.sin(t)
    >>> f = xr.DataArray(x**2 + 3 * y**2, dims=("r", "theta"), name="f",
    ...                  coords={"x": (("r", "theta"), x), "y": (("r", "theta"), y)})
    >>> lap = gc.xarray_laplacian(f, accuracy=4)
    >>> lap.name, bool(np.abs(lap - 8.0).max() < 1e-3)
    ('laplacian_f', True)
    """
    import xarray as xr

    from gridgrad.curvilinear import laplacian

    variables = _variables(obj)
    setup = _Setup(obj, next(iter(variables.values())), coords, wrap)
    cu = setup.coord_units()
    out = {}
    for var, da in variables.items():
        if not setup.spans(da):
            continue
        data = laplacian(
            da.data, **setup.kwargs(da, boundary), accuracy=accuracy, edge_order=edge_order
        )
        out[f"laplacian_{var}"] = _result(da, data, f"laplacian_{var}", _units([da], cu, "^2"))
    if isinstance(obj, xr.DataArray):
        return next(iter(out.values()))
    return xr.Dataset(out)


def xarray_divergence(
    components: Any,
    coords: Any = None,
    *,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    wrap: Any = None,
) -> Any:
    r"""The divergence of a vector field of DataArray components with respect to the
    2-D (N-D) coordinates.

    Parameters
    ----------
    components : xarray.Dataset or sequence of xarray.DataArray
        The Cartesian components along the coordinates, in the order of ``coords``
        (a Dataset: its variables in order), with the same dims. The coordinates
        are taken from the Dataset or the first DataArray.
    coords, accuracy, edge_order, boundary, wrap
        As :func:`xarray_gradient`.

    Returns
    -------
    xarray.DataArray
        Named ``divergence``, the first component's dims and coords; units
        ``"<component units> / <coord units>"`` when each is shared and known.

    Raises
    ------
    TypeError, ValueError
        Components with different dims, and as :func:`xarray_gradient` and
        :func:`gridgrad.curvilinear.divergence`.

    See Also
    --------
    gridgrad.curvilinear.divergence

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.curvilinear as gc
    >>> r, t = np.meshgrid(np.linspace(1, 2, 21), np.linspace(0, 1, 21), indexing="ij")
    >>> x, y = r * np.cos(t), r * np.sin(t)
    >>> xy = {"x": (("r", "theta"), x, {"units": "m"}), "y": (("r", "theta"), y, {"units": "m"})}
    >>> wind = xr.Dataset({"u": (("r", "theta"), 2 * x + y, {"units": "m/s"}),
    ...                    "v": (("r", "theta"), 3 * y, {"units": "m/s"})}, coords=xy)
    >>> div = gc.xarray_divergence(wind, ("x", "y"))
    >>> div.name, div.attrs["units"], bool(np.allclose(div, 5.0))
    ('divergence', 'm/s / m', True)
    """
    from gridgrad.curvilinear import divergence

    data, comps, setup = _vector_call(
        divergence, components, coords, wrap, boundary, accuracy=accuracy, edge_order=edge_order
    )
    return _result(comps[0], data, "divergence", _units(comps, setup.coord_units()))


def xarray_curl(
    components: Any,
    coords: Any = None,
    *,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    wrap: Any = None,
) -> Any:
    r"""The curl of a 2-D or 3-D vector field of DataArray components with respect to
    the 2-D (N-D) coordinates.

    Parameters
    ----------
    components : xarray.Dataset or sequence of xarray.DataArray
        Two or three Cartesian components, as :func:`xarray_divergence`.
    coords, accuracy, edge_order, boundary, wrap
        As :func:`xarray_gradient`.

    Returns
    -------
    xarray.DataArray or xarray.Dataset
        Two components: a DataArray named ``curl``
        (:math:`\partial F_y/\partial x - \partial F_x/\partial y`); three: a Dataset
        of ``curl_{coord}``, one per coordinate. Units as :func:`xarray_divergence`.

    Raises
    ------
    TypeError, ValueError
        As :func:`xarray_divergence` and :func:`gridgrad.curvilinear.curl`.

    See Also
    --------
    gridgrad.curvilinear.curl

    Examples
    --------
    Solid-body rotation :math:`(-y, x)` has curl 2:

    >>> import numpy as np, xarray as xr
    >>> import gridgrad.curvilinear as gc
    >>> r, t = np.meshgrid(np.linspace(1, 2, 11), np.linspace(0, 1, 11), indexing="ij")
    >>> x, y = r * np.cos(t), r * np.sin(t)
    >>> xy = {"x": (("r", "theta"), x), "y": (("r", "theta"), y)}
    >>> wind = xr.Dataset({"u": (("r", "theta"), -y), "v": (("r", "theta"), x)}, coords=xy)
    >>> rot = gc.xarray_curl(wind)
    >>> rot.name, bool(np.allclose(rot, 2.0))
    ('curl', True)
    """
    import xarray as xr

    from gridgrad.curvilinear import curl

    data, comps, setup = _vector_call(
        curl, components, coords, wrap, boundary, accuracy=accuracy, edge_order=edge_order
    )
    units = _units(comps, setup.coord_units())
    if not isinstance(data, tuple):
        return _result(comps[0], data, "curl", units)
    return xr.Dataset(
        {f"curl_{c}": _result(comps[0], d, f"curl_{c}", units) for c, d in zip(setup.names, data)}
    )
