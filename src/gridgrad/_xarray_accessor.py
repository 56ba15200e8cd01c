"""``obj.gridgrad``: gridgrad's xarray functions as methods of DataArrays and Datasets,
registered when :mod:`gridgrad.xarray` is imported (as cf_xarray and pint-xarray do).

The Cartesian functions of :mod:`gridgrad.xarray`, the geospatial ones of
:mod:`gridgrad.xarray_sphere`, the noisy-data derivative of :mod:`gridgrad.smooth` and
the curvilinear gradient, divergence, curl and Laplacian of :mod:`gridgrad.curvilinear`
(and its gradient, divergence, vorticity and Laplacian on 2-D latitudes and longitudes).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

__all__ = ["GridgradAccessor"]


class GridgradAccessor:
    """``obj.gridgrad``: gridgrad's functions as methods of this DataArray or Dataset."""

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    # ---- gridgrad.xarray

    def differentiate(self, coord: Hashable, edge_order: int | None = 1, datetime_unit: str | None = None, **ours: Any) -> Any:  # fmt: skip
        """:func:`gridgrad.xarray.differentiate` of this object."""
        from gridgrad import xarray as gx

        return gx.differentiate(self._obj, coord, edge_order, datetime_unit, **ours)

    def derivative(self, dim: Any, **kw: Any) -> Any:
        """:func:`gridgrad.xarray.derivative` of this DataArray."""
        from gridgrad import xarray as gx

        return gx.derivative(self._obj, dim, **kw)

    def gradient(self, dims: Any = None, **kw: Any) -> Any:
        """:func:`gridgrad.xarray.gradient` of this object."""
        from gridgrad import xarray as gx

        return gx.gradient(self._obj, dims, **kw)

    def laplacian(self, dims: Any = None, **kw: Any) -> Any:
        """:func:`gridgrad.xarray.laplacian` of this DataArray."""
        from gridgrad import xarray as gx

        return gx.laplacian(self._obj, dims, **kw)

    def divergence(self, dims: Any = None, **kw: Any) -> Any:
        """:func:`gridgrad.xarray.divergence` of this Dataset's variables (the components)."""
        from gridgrad import xarray as gx

        return gx.divergence(self._obj, dims, **kw)

    def curl(self, dims: Any = None, **kw: Any) -> Any:
        """:func:`gridgrad.xarray.curl` of this Dataset's variables (the components)."""
        from gridgrad import xarray as gx

        return gx.curl(self._obj, dims, **kw)

    # ---- gridgrad.xarray_sphere (latitude-longitude grids, per metre)

    def sphere_gradient(self, **kw: Any) -> Any:
        """:func:`gridgrad.xarray_sphere.gradient` of this DataArray (eastward, northward)."""
        from gridgrad import xarray_sphere

        return xarray_sphere.gradient(self._obj, **kw)

    def sphere_laplacian(self, **kw: Any) -> Any:
        """:func:`gridgrad.xarray_sphere.laplacian` of this DataArray."""
        from gridgrad import xarray_sphere

        return xarray_sphere.laplacian(self._obj, **kw)

    def vorticity(self, u: Hashable = "u", v: Hashable = "v", **kw: Any) -> Any:
        """:func:`gridgrad.xarray_sphere.vorticity` of this Dataset's wind ``u``, ``v``."""
        from gridgrad import xarray_sphere

        return xarray_sphere.vorticity(self._obj[u], self._obj[v], **kw)

    def sphere_divergence(self, u: Hashable = "u", v: Hashable = "v", **kw: Any) -> Any:
        """:func:`gridgrad.xarray_sphere.divergence` of this Dataset's wind ``u``, ``v``."""
        from gridgrad import xarray_sphere

        return xarray_sphere.divergence(self._obj[u], self._obj[v], **kw)

    # ---- gridgrad.smooth and gridgrad.curvilinear

    def smooth_derivative(self, dim: Hashable, **kw: Any) -> Any:
        """:func:`gridgrad.smooth.differentiate` of this object (noisy data) along ``dim``."""
        from gridgrad import smooth

        return smooth.differentiate(self._obj, dim, **kw)

    def curvilinear_gradient(self, coords: Any = None, **kw: Any) -> Any:
        """:func:`gridgrad.curvilinear.xarray_gradient`: derivatives with respect to 2-D
        (N-D) coordinate variables."""
        from gridgrad import curvilinear

        return curvilinear.xarray_gradient(self._obj, coords, **kw)

    def curvilinear_laplacian(self, coords: Any = None, **kw: Any) -> Any:
        """:func:`gridgrad.curvilinear.xarray_laplacian`: the Laplacian with respect to
        2-D (N-D) coordinate variables."""
        from gridgrad import curvilinear

        return curvilinear.xarray_laplacian(self._obj, coords, **kw)

    def curvilinear_divergence(self, coords: Any = None, **kw: Any) -> Any:
        """:func:`gridgrad.curvilinear.xarray_divergence` of this Dataset's variables (the
        Cartesian components, in the order of ``coords``)."""
        from gridgrad import curvilinear

        return curvilinear.xarray_divergence(self._obj, coords, **kw)

    def curvilinear_curl(self, coords: Any = None, **kw: Any) -> Any:
        """:func:`gridgrad.curvilinear.xarray_curl` of this Dataset's variables (the
        Cartesian components, in the order of ``coords``)."""
        from gridgrad import curvilinear

        return curvilinear.xarray_curl(self._obj, coords, **kw)

    def curvilinear_sphere_gradient(self, **kw: Any) -> Any:
        """:func:`gridgrad.curvilinear.xarray_sphere_gradient` of this DataArray: per
        metre (eastward, northward) on a grid of 2-D latitudes and longitudes."""
        from gridgrad import curvilinear

        return curvilinear.xarray_sphere_gradient(self._obj, **kw)

    def curvilinear_sphere_laplacian(self, **kw: Any) -> Any:
        """:func:`gridgrad.curvilinear.xarray_sphere_laplacian` of this DataArray: per
        square metre on a grid of 2-D latitudes and longitudes."""
        from gridgrad import curvilinear

        return curvilinear.xarray_sphere_laplacian(self._obj, **kw)

    def curvilinear_sphere_divergence(self, u: Hashable = "u", v: Hashable = "v", **kw: Any) -> Any:  # fmt: skip
        """:func:`gridgrad.curvilinear.xarray_sphere_divergence` of this Dataset's wind
        ``u``, ``v`` on a grid of 2-D latitudes and longitudes."""
        from gridgrad import curvilinear

        return curvilinear.xarray_sphere_divergence(self._obj[u], self._obj[v], **kw)

    def curvilinear_sphere_vorticity(self, u: Hashable = "u", v: Hashable = "v", **kw: Any) -> Any:  # fmt: skip
        """:func:`gridgrad.curvilinear.xarray_sphere_vorticity` of this Dataset's wind
        ``u``, ``v`` on a grid of 2-D latitudes and longitudes."""
        from gridgrad import curvilinear

        return curvilinear.xarray_sphere_vorticity(self._obj[u], self._obj[v], **kw)


def _register() -> None:
    """Register the accessor, once (this module is imported once)."""
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover - the functions say so on first use
        return
    xr.register_dataarray_accessor("gridgrad")(GridgradAccessor)
    xr.register_dataset_accessor("gridgrad")(GridgradAccessor)


_register()
