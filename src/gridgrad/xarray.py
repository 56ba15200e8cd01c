"""Coordinate-aware derivatives of xarray objects.

:func:`differentiate` is a drop-in for xarray's ``differentiate`` (its signature,
defaults and numbers, numpy.gradient's expressions), with gridgrad's keywords on
top. The other functions follow gridgrad's own rules: spacing comes from the
coordinate values (uniform, non-uniform, datetime or timedelta, in seconds by
default), dims, coords and names are kept, ``attrs["units"]`` follows the
derivative, and dask-backed objects stay lazy. Importing this module registers the
``.gridgrad`` accessor on DataArrays and Datasets (as cf_xarray and pint-xarray
register theirs): ``da.gridgrad.differentiate("x")``, ``.derivative``,
``.gradient``, ``.laplacian``, ``.divergence``, ``.curl``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from gridgrad._calculus import curl as _curl
from gridgrad._calculus import derivative as _derivative
from gridgrad._calculus import divergence as _divergence
from gridgrad._calculus import laplacian as _laplacian
from gridgrad._options import Boundary, Options, _positive_int
from gridgrad._spacing import even_step

__all__ = ["curl", "derivative", "differentiate", "divergence", "gradient", "laplacian"]


def _xr() -> Any:
    import xarray

    return xarray


def _per_dim(value: Any, dim: Hashable, name: str) -> Any:
    """A per-dim option (``boundary`` or ``period``): one value for all dims, or a
    mapping {dim: value} (dims left out get the option's default)."""
    if isinstance(value, Mapping):
        return value.get(dim, Options._field_defaults[name])
    return value


def _names(dims: Any, default: Sequence[Hashable]) -> list[Hashable]:
    """A dims argument as a list: None means ``default``, one name means a list of one."""
    if dims is None:
        return list(default)
    return list(dims) if isinstance(dims, (list, tuple)) else [dims]


def _check_dims(obj: Any, dims: Sequence[Hashable], what: str = "DataArray") -> None:
    xr = _xr()
    kinds = {"DataArray": xr.DataArray, "Dataset": xr.Dataset}
    if not isinstance(obj, kinds.get(what, (xr.DataArray, xr.Dataset))):
        msg = (
            f"the input must be an xarray {what}; got {type(obj).__name__} "
            "(for arrays, use gridgrad.derivative and friends with `spacing=`)."
        )
        raise TypeError(msg)
    for d in dims:
        if d not in obj.dims:
            msg = f"`dim` {d!r} is not a dimension of the {what}; its dims are {tuple(obj.dims)}."
            raise ValueError(msg)


def _spacing(obj: Any, dim: Hashable, datetime_unit: str | None) -> tuple[Any, str | None]:
    """The spacing of ``dim`` (a step or float coordinates) and the coordinate's units."""
    if dim not in obj.coords:
        return 1.0, None
    coord = obj.coords[dim]
    values = np.asarray(coord.values)
    units = coord.attrs.get("units")
    if values.dtype.kind in "mM":
        unit = datetime_unit or "s"
        origin = values[0] if values.dtype.kind == "M" and values.size else np.timedelta64(0)
        values = (values - origin) / np.timedelta64(1, unit)  # type: ignore[call-overload]
        units = unit
    elif values.dtype.kind not in "iuf":
        msg = (
            f"the coordinate {dim!r} must be numeric, datetime64 or timedelta64; "
            f"got dtype {values.dtype}."
        )
        raise TypeError(msg)
    values = values.astype(np.float64)
    step = even_step(np.diff(values))  # numpy's rule: all steps exactly equal
    if step is not None:  # a scalar step: a periodic dim then needs no ``period``
        return float(step), units
    return values, units


def _units(var_units: Any, coord_units: Sequence[Any], orders: Sequence[int]) -> str | None:
    if var_units is None or any(u is None for u in coord_units):
        return None
    parts = [f"{u}^{n}" if n > 1 else str(u) for u, n in zip(coord_units, orders)]
    return f"{var_units} / {' '.join(parts)}"


def _wrap(da: Any, data: Any, name: Any, units: str | None) -> Any:
    out = da.copy(data=data)
    out.name = name
    out.encoding = {}
    out.attrs = {
        k: v for k, v in da.attrs.items() if k not in ("units", "long_name", "standard_name")
    }
    if units is not None:
        out.attrs["units"] = units
    return out


def derivative(
    da: Any,
    dim: Hashable | Sequence[Hashable],
    *,
    order: int | Sequence[int] = 1,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Boundary | Mapping[Hashable, Boundary] = "one-sided",
    period: float | Mapping[Hashable, float] | None = None,
    datetime_unit: str | None = None,
) -> Any:
    r"""The ``order``-th derivative of a DataArray along a named dim, spacing from its coordinate.

    Parameters
    ----------
    da : xarray.DataArray
        The samples; NumPy- or dask-backed (dask stays lazy).
    dim : str or sequence of str
        The dim to differentiate along; several dims give a mixed partial.
    order : int or sequence of int, optional
        Derivative order, one for all dims or one per dim (default 1).
    accuracy : int, optional
        Even order of accuracy of the interior stencils (default 2).
    edge_order : int, optional
        Accuracy of the one-sided edge stencils (default: ``accuracy``, so the
        edges keep the interior's order; xarray's ``differentiate`` defaults to 1).
    boundary : {"one-sided", "periodic"} or mapping, optional
        One for all dims or ``{dim: boundary}``.
    period : float or mapping, optional
        Domain length of a periodic dim (in the coordinate's units, or
        ``datetime_unit`` for times); needed when a periodic coordinate is not
        uniform, checked against ``n * step`` when it is.
    datetime_unit : str, optional
        Unit of datetime64/timedelta64 coordinates (default "s", seconds, whatever
        the coordinate's own unit: unlike :func:`differentiate`, which follows xarray).

    Returns
    -------
    xarray.DataArray
        Same dims, coords and name; ``attrs["units"]`` is ``"<units> / <coord
        units>^n"`` when both are known.

    Raises
    ------
    ValueError
        ``dim`` is not a dimension of ``da``, or a bad value (as :func:`gridgrad.derivative`).
    TypeError
        A coordinate that is neither numeric nor datetime/timedelta.

    Notes
    -----
    A dim without a coordinate has unit spacing. Uniform coordinates use exact
    uniform stencils; other coordinates use per-point Fornberg weights (Fornberg 1988).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.xarray as gx
    >>> x = np.array([0.0, 0.5, 1.5, 3.0, 5.0])
    >>> T = xr.DataArray(x**2, dims="x", coords={"x": x}, name="T", attrs={"units": "K"})
    >>> T["x"].attrs["units"] = "m"
    >>> d = gx.derivative(T, "x")
    >>> d.values
    array([ 0.,  1.,  3.,  6., 10.])
    >>> d.attrs["units"]
    'K / m'
    """
    dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    _check_dims(da, dims)
    if isinstance(order, (list, tuple)):
        orders = [_order(n) for n in order]
    else:
        orders = [_order(order)] * len(dims)
    spacing, cunits = zip(*(_spacing(da, d, datetime_unit) for d in dims))
    axes = tuple(da.get_axis_num(d) for d in dims)
    try:
        data = _derivative(
            da.data,
            axes,
            order=tuple(orders) if len(orders) > 1 else orders[0],
            accuracy=accuracy,
            spacing=list(spacing),
            edge_order=edge_order,
            boundary=[_per_dim(boundary, d, "boundary") for d in dims],
            period=[_per_dim(period, d, "period") for d in dims],
        )
    except (ValueError, TypeError) as exc:
        raise _named(exc, da, dims, axes) from None
    return _wrap(da, data, da.name, _units(da.attrs.get("units"), cunits, orders))


def _named(exc: Exception, da: Any, dims: Sequence[Hashable], axes: tuple[int, ...]) -> Exception:
    """``exc`` in the user's words: the DataArray's dim and coordinate names instead of the
    array functions' positional ``dim`` and ``spacing[k]``."""
    text = str(exc)
    for k, (d, ax) in enumerate(zip(dims, axes)):
        text = text.replace(
            f"`dim` {ax} of the input", f"dim {d!r} of {da.name or 'the DataArray'!r}"
        )
        text = text.replace(f"`spacing[{k}]` coordinates", f"the coordinate of dim {d!r}")
        text = text.replace(f"`spacing[{k}]`", f"the coordinate of dim {d!r}")
        text = text.replace(f"`spacing` entry {k}", f"the coordinate of dim {d!r}")
    if text == str(exc):
        return exc
    try:
        return type(exc)(text)
    except TypeError:  # an exception class with another signature: keep it as it is
        return exc


def _order(n: Any) -> int:
    """A derivative order: a positive int (not a bool, float or string)."""
    return _positive_int(n, "order")


def _component_name(var: Any, dim: Any, order: int) -> str:
    if order == 1:
        return f"d{var}_d{dim}"
    return f"d{order}{var}_d{dim}{order}"


def gradient(
    obj: Any,
    dims: Hashable | Sequence[Hashable] | None = None,
    *,
    order: int = 1,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Boundary | Mapping[Hashable, Boundary] = "one-sided",
    period: float | Mapping[Hashable, float] | None = None,
    datetime_unit: str | None = None,
) -> Any:
    r"""Partial derivatives of a DataArray (or of every variable of a Dataset) along named dims.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
        An unnamed DataArray is called ``f``.
    dims : str or sequence of str, optional
        The dims to differentiate along (default: all dims of ``obj``). With a
        Dataset, each variable is differentiated along those of its own dims.
    order, accuracy, edge_order, boundary, period, datetime_unit
        As :func:`derivative`, one ``order`` for all dims.

    Returns
    -------
    xarray.Dataset
        One variable per component, ``d{var}_d{dim}`` (``d{n}{var}_d{dim}{n}`` for
        ``order`` n > 1, e.g. ``d2T_dx2``).

    Raises
    ------
    ValueError
        A dim that is not in ``obj``, or a bad value (as :func:`derivative`).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.xarray as gx
    >>> x, y = np.linspace(0, 1, 5), np.linspace(0, 2, 3)
    >>> T = xr.DataArray(np.add.outer(3 * x, y**2), coords={"x": x, "y": y}, name="T")
    >>> g = gx.gradient(T)
    >>> sorted(g.data_vars)
    ['dT_dx', 'dT_dy']
    >>> g["dT_dy"].values[0]
    array([0., 2., 4.])
    >>> list(gx.gradient(T, "x", order=2).data_vars)
    ['d2T_dx2']
    """
    xr = _xr()
    if isinstance(obj, xr.DataArray):
        variables = {obj.name if obj.name is not None else "f": obj}
        what = "DataArray"
    elif isinstance(obj, xr.Dataset):
        variables = dict(obj.data_vars)
        what = "Dataset"
    else:
        msg = f"`obj` must be an xarray DataArray or Dataset; got {type(obj).__name__}."
        raise TypeError(msg)
    wanted = _names(dims, obj.dims)
    _check_dims(obj, wanted, what)
    order = _order(order)
    out: dict[Hashable, Any] = {}
    for var, da in variables.items():
        for d in wanted:
            if d not in da.dims:
                continue
            r = derivative(
                da,
                d,
                order=order,
                accuracy=accuracy,
                edge_order=edge_order,
                boundary=boundary,
                period=period,
                datetime_unit=datetime_unit,
            )
            name = _component_name(var, d, order)
            out[name] = r.rename(name)
    return xr.Dataset(out)


def laplacian(
    da: Any,
    dims: Hashable | Sequence[Hashable] | None = None,
    *,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Boundary | Mapping[Hashable, Boundary] = "one-sided",
    period: float | Mapping[Hashable, float] | None = None,
    datetime_unit: str | None = None,
) -> Any:
    r"""The Laplacian :math:`\sum_k \partial^2 f / \partial x_k^2` of a DataArray over ``dims``.

    Parameters
    ----------
    da : xarray.DataArray
        The samples (an unnamed one is called ``f``).
    dims : str or sequence of str, optional
        The dims to sum over (default: all).
    accuracy, edge_order, boundary, period, datetime_unit
        As :func:`derivative`.

    Returns
    -------
    xarray.DataArray
        Named ``laplacian_{name}``; units ``"<units> / <coord units>^2"`` when all
        coordinates share known units.

    Raises
    ------
    ValueError, TypeError
        As :func:`derivative`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.xarray as gx
    >>> x = np.linspace(-1, 1, 11)
    >>> f = xr.DataArray(np.add.outer(x**2, 3 * x**2), coords={"x": x, "y": x}, name="f")
    >>> lap = gx.laplacian(f)
    >>> lap.name, bool(np.allclose(lap, 8.0))
    ('laplacian_f', True)
    """
    wanted = _names(dims, da.dims)
    _check_dims(da, wanted)
    spacing, cunits = zip(*(_spacing(da, d, datetime_unit) for d in wanted))
    data = _laplacian(
        da.data,
        spacing=list(spacing),
        dim=tuple(da.get_axis_num(d) for d in wanted),
        accuracy=accuracy,
        edge_order=edge_order,
        boundary=[_per_dim(boundary, d, "boundary") for d in wanted],
        period=[_per_dim(period, d, "period") for d in wanted],
    )
    same = len(set(cunits)) == 1
    units = _units(da.attrs.get("units"), cunits[:1], [2]) if same else None
    name = f"laplacian_{da.name if da.name is not None else 'f'}"
    return _wrap(da, data, name, units)


def _vector(components: Any, dims: Any) -> tuple[list[Any], list[Hashable]]:
    xr = _xr()
    comps = (
        list(components.data_vars.values())
        if isinstance(components, xr.Dataset)
        else list(components)
    )
    if not comps:
        msg = "`components` must hold at least one DataArray; got none."
        raise ValueError(msg)
    first = comps[0]
    for c in comps[1:]:
        if c.dims != first.dims:
            msg = f"`components` must all have the same dims; got {first.dims} and {c.dims}."
            raise ValueError(msg)
    wanted = _names(dims, first.dims[-len(comps) :])
    _check_dims(first, wanted)
    return comps, wanted


def _vector_call(func: Any, comps: list[Any], wanted: list[Hashable], kw: dict[str, Any]) -> Any:
    first = comps[0]
    unit = kw.pop("datetime_unit")
    spacing, cunits = zip(*(_spacing(first, d, unit) for d in wanted))
    boundary, period = kw.pop("boundary"), kw.pop("period")
    data = func(
        [c.data for c in comps],
        spacing=list(spacing),
        dim=tuple(first.get_axis_num(d) for d in wanted),
        boundary=[_per_dim(boundary, d, "boundary") for d in wanted],
        period=[_per_dim(period, d, "period") for d in wanted],
        **kw,
    )
    vu = {c.attrs.get("units") for c in comps}
    units = (
        _units(next(iter(vu)), cunits[:1], [1]) if len(vu) == 1 and len(set(cunits)) == 1 else None
    )
    return data, units


def divergence(
    components: Any,
    dims: Sequence[Hashable] | None = None,
    *,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Boundary | Mapping[Hashable, Boundary] = "one-sided",
    period: float | Mapping[Hashable, float] | None = None,
    datetime_unit: str | None = None,
) -> Any:
    r"""The divergence :math:`\sum_k \partial F_k / \partial x_k` of DataArray components.

    Parameters
    ----------
    components : sequence of xarray.DataArray or xarray.Dataset
        The components :math:`F_k` (a Dataset: its variables in order), same dims.
    dims : sequence of str, optional
        One dim per component (default: the last ``len(components)`` dims).
    accuracy, edge_order, boundary, period, datetime_unit
        As :func:`derivative`.

    Returns
    -------
    xarray.DataArray
        Named ``divergence``.

    Raises
    ------
    ValueError, TypeError
        Components with different dims, an unknown dim, or as :func:`derivative`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.xarray as gx
    >>> x = np.linspace(0, 1, 11)
    >>> X, Y = np.meshgrid(x, x, indexing="ij")
    >>> u = xr.DataArray(X * Y, coords={"x": x, "y": x})
    >>> v = xr.DataArray(Y**2, coords={"x": x, "y": x})
    >>> bool(np.allclose(gx.divergence([u, v], ["x", "y"]), 3 * Y))
    True
    """
    comps, wanted = _vector(components, dims)
    kw = dict(accuracy=accuracy, edge_order=edge_order, boundary=boundary, period=period)
    data, units = _vector_call(_divergence, comps, wanted, {**kw, "datetime_unit": datetime_unit})
    return _wrap(comps[0], data, "divergence", units)


def curl(
    components: Any,
    dims: Sequence[Hashable] | None = None,
    *,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Boundary | Mapping[Hashable, Boundary] = "one-sided",
    period: float | Mapping[Hashable, float] | None = None,
    datetime_unit: str | None = None,
) -> Any:
    r"""The curl of a 2-D or 3-D vector field of DataArray components.

    Parameters
    ----------
    components : sequence of xarray.DataArray or xarray.Dataset
        Two or three components, same dims.
    dims : sequence of str, optional
        One dim per component (default: the last ``len(components)`` dims).
    accuracy, edge_order, boundary, period, datetime_unit
        As :func:`derivative`.

    Returns
    -------
    xarray.DataArray or xarray.Dataset
        A DataArray named ``curl`` for two components
        (:math:`\partial F_y/\partial x - \partial F_x/\partial y`); a Dataset with
        ``curl_{dim}`` (one per dim) for three.

    Raises
    ------
    ValueError, TypeError
        As :func:`divergence`, or a number of components other than 2 or 3.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.xarray as gx
    >>> x = np.linspace(0, 1, 11)
    >>> X, Y = np.meshgrid(x, x, indexing="ij")
    >>> u = xr.DataArray(-Y, coords={"x": x, "y": x})
    >>> v = xr.DataArray(X, coords={"x": x, "y": x})
    >>> bool(np.allclose(gx.curl([u, v]), 2.0))
    True
    """
    comps, wanted = _vector(components, dims)
    kw = dict(accuracy=accuracy, edge_order=edge_order, boundary=boundary, period=period)
    data, units = _vector_call(_curl, comps, wanted, {**kw, "datetime_unit": datetime_unit})
    if len(comps) == 2:
        return _wrap(comps[0], data, "curl", units)
    xr = _xr()
    return xr.Dataset(
        {f"curl_{d}": _wrap(comps[0], part, f"curl_{d}", units) for d, part in zip(wanted, data)}
    )


# --------------------------------------------------------------------------- differentiate


def _is_time(v: Any) -> bool:
    """Whether a variable holds datetimes, timedeltas or cftime dates (xarray's test)."""
    if v.dtype.kind in "mM":
        return True
    if v.dtype.kind != "O" or v.size == 0:
        return False
    try:
        import cftime
    except ImportError:  # pragma: no cover - cftime comes with the xarray extra
        return False
    first = np.asarray(v[(0,) * v.ndim].values).item()
    return isinstance(first, cftime.datetime)


def _to_numeric(v: Any, unit: str | None) -> Any:
    """A time variable's data as floats in ``unit`` from its earliest value: xarray's own
    conversion (``datetime_to_numeric``: NaT as NaN, cftime dates), so the numbers are
    xarray's to the bit."""
    from xarray.core.duck_array_ops import datetime_to_numeric

    return datetime_to_numeric(v.data, None, unit, float)


def differentiate(
    obj: Any,
    coord: Hashable,
    edge_order: int | None = 1,
    datetime_unit: str | None = None,
    *,
    order: int = 1,
    accuracy: int = 2,
    boundary: str = "one-sided",
    period: float | None = None,
) -> Any:
    r"""xarray's ``differentiate``, on gridgrad: the same signature, defaults and numbers.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
        NumPy-, dask- (stays lazy) or other Array-API-backed.
    coord : hashable
        The 1-D coordinate (or a dim without one: unit steps) to differentiate along.
    edge_order : {1, 2}, optional
        Accuracy of the one-sided differences at the edges (default 1, as xarray;
        None means 1).
    datetime_unit : str, optional
        Unit of a time coordinate, and of the results of time-valued data: by
        default the coordinate's own unit (datetime64/timedelta64), seconds for
        cftime dates, as xarray.
    order, accuracy, boundary, period : optional
        gridgrad's: derivative order, even interior accuracy, "one-sided" or
        "periodic" (with ``period``, the domain length, on non-uniform coordinates).
        With any of them, :func:`gridgrad.derivative` computes the result (its
        difference form, exactly 0 on constants) with this ``edge_order``.

    Returns
    -------
    xarray.DataArray or xarray.Dataset
        As xarray's: each variable along the coordinate's dim differentiated (a new
        variable without attrs), coordinates and other variables as they were.

    Raises
    ------
    ValueError
        ``coord`` neither a variable nor a dim, a coordinate that is not 1-D, or a
        bad value (as :func:`gridgrad.numpy_gradient`).

    Notes
    -----
    Time coordinates and time-valued data are converted to floats as xarray does
    (from the earliest value, in ``datetime_unit``), then differentiated by
    :func:`gridgrad.numpy_gradient`: numpy.gradient's expressions, so the results
    equal xarray's bitwise.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> import gridgrad.xarray as gx
    >>> da = xr.DataArray([0.0, 1.0, 4.0, 9.0], dims="x", coords={"x": [0.0, 1.0, 2.0, 3.0]})
    >>> gx.differentiate(da, "x").values
    array([1., 2., 4., 5.])
    >>> da.gridgrad.differentiate("x", edge_order=2).values
    array([0., 2., 4., 6.])
    """
    xr = _xr()
    if isinstance(obj, xr.DataArray):
        names = set(obj.coords)
    elif isinstance(obj, xr.Dataset):
        names = set(obj.variables)
    else:
        msg = f"`obj` must be an xarray DataArray or Dataset; got {type(obj).__name__}."
        raise TypeError(msg)
    if coord not in names and coord not in obj.dims:
        msg = (
            f"`coord` {coord!r} is neither a variable nor a dimension. [xarray: Coordinate "
            f"{coord!r} not found in variables or dimensions {tuple(names | set(obj.dims))}.]"
        )
        raise ValueError(msg)
    coord_var = obj[coord].variable
    if coord_var.ndim != 1:
        msg = (
            f"`coord` {coord!r} must be 1-D; got {coord_var.ndim} dims. [xarray: Coordinate "
            f"{coord} must be 1 dimensional but is {coord_var.ndim} dimensional]"
        )
        raise ValueError(msg)
    dim = coord_var.dims[0]
    if _is_time(coord_var):
        if datetime_unit is None:
            kind = coord_var.dtype.kind
            datetime_unit = np.datetime_data(coord_var.dtype)[0] if kind in "mM" else "s"
        x = _to_numeric(coord_var, datetime_unit)
    else:
        x = coord_var.data
    ours = (order, accuracy, boundary, period) != (1, 2, "one-sided", None)
    edge = 1 if edge_order is None else edge_order

    def grad(v: Any) -> Any:
        data = _to_numeric(v, datetime_unit) if _is_time(v) else v.data
        axis = v.get_axis_num(dim)
        if ours:
            return _derivative(
                data, axis, order=order, accuracy=accuracy, spacing=(x,), edge_order=edge,
                boundary=boundary, period=period,
            )  # fmt: skip
        from gridgrad._api import numpy_gradient

        return numpy_gradient(data, x, axis=axis, edge_order=edge)

    if isinstance(obj, xr.DataArray):
        if dim not in obj.dims:
            return obj
        out = obj.copy(data=grad(obj.variable))
        out.attrs = {}
        out.encoding = {}
        return out
    out = obj.copy()
    for k, v in obj.data_vars.items():
        if dim in v.dims and k not in obj.coords:
            out[k] = xr.Variable(v.dims, grad(v.variable))
    return out


# --------------------------------------------------------------------------- accessor

from gridgrad._xarray_accessor import GridgradAccessor  # noqa: E402, F401  (registers .gridgrad)
