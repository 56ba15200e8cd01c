"""gridgrad.xarray_sphere: CF detection, values, units, laziness, errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import gridgrad.sphere as gs
from conftest import require

xr = require("xarray")
gxs = require("gridgrad.xarray_sphere")

LAT = np.linspace(90.0, -90.0, 37)
LON = np.arange(0.0, 360.0, 10.0)


def field(lat_attrs=None, lon_attrs=None, names=("latitude", "longitude"), units="K"):
    lat_attrs = {"units": "degrees_north"} if lat_attrs is None else lat_attrs
    lon_attrs = {"units": "degrees_east"} if lon_attrs is None else lon_attrs
    phi, lam = np.deg2rad(LAT)[:, None], np.deg2rad(LON)[None, :]
    data = np.stack([np.cos(phi) * np.cos(lam), np.sin(phi) + 0 * lam])  # (time, lat, lon)
    return xr.DataArray(
        data,
        dims=("time", *names),
        coords={
            "time": [0, 1],
            names[0]: (names[0], LAT, lat_attrs),
            names[1]: (names[1], LON, lon_attrs),
        },
        name="t",
        attrs={"units": units, "standard_name": "air_temperature"},
    )


@pytest.fixture(params=["cf_xarray", "attributes"])
def detection(request, monkeypatch):
    """With cf_xarray, and as if it were not installed (the attribute rules)."""
    if request.param == "cf_xarray":
        require("cf_xarray")
    else:
        monkeypatch.setitem(sys.modules, "cf_xarray", None)
        monkeypatch.setitem(sys.modules, "cf_xarray.units", None)
    return request.param


@pytest.mark.parametrize(
    ("lat_attrs", "lon_attrs"),
    [
        ({"units": "degrees_north"}, {"units": "degrees_east"}),
        ({"standard_name": "latitude"}, {"standard_name": "longitude"}),
        ({"units": "degree_N"}, {"standard_name": "longitude", "units": "degrees"}),
    ],
)
def test_finds_cf_latitude_longitude(detection, lat_attrs, lon_attrs) -> None:
    t = field(lat_attrs, lon_attrs, names=("y", "x"))
    assert gxs.find_lat_lon(t) == ("y", "x")
    assert gxs.find_lat_lon(t.rename(y="a").drop_vars("a")) is None


def test_gradient_values_names_units(detection) -> None:
    t = field()
    g = gxs.gradient(t, accuracy=4)
    east, north = gs.gradient(t.values, LAT, LON, accuracy=4)
    np.testing.assert_array_equal(g["dt_dx"].values, east)
    np.testing.assert_array_equal(g["dt_dy"].values, north)
    assert g["dt_dx"].dims == t.dims and g["dt_dy"].attrs["units"] == "K m-1"
    assert g["dt_dx"].attrs["standard_name"] == "eastward_derivative_of_air_temperature"
    assert gxs.laplacian(t).attrs["units"] == "K m-2"
    # dims in another order, named explicitly
    tt = t.transpose("longitude", "time", "latitude")
    g2 = gxs.gradient(tt, lat="latitude", lon="longitude", accuracy=4)
    np.testing.assert_allclose(g2["dt_dy"].transpose(*t.dims).values, north, atol=1e-20)


@pytest.mark.parametrize("units", ["m s-1", "m/s"])
def test_wind_operators_give_per_second(detection, units) -> None:
    u = field(units=units)
    v = 0.5 * u
    v.attrs = u.attrs
    for func, name in ((gxs.vorticity, "vorticity"), (gxs.divergence, "divergence")):
        out = func(u, v)
        assert out.name == name and out.attrs["units"] == "s-1" and out.dims == u.dims
        ref = getattr(gs, name)(u.values, v.values, LAT, LON)
        np.testing.assert_array_equal(out.values, ref)


@pytest.mark.parametrize(
    ("units", "per_metre", "per_square_metre"),
    [
        ("K", "K m-1", "K m-2"),
        ("m s-1", "s-1", "m-1 s-1"),
        ("m/s", "s-1", "m-1 s-1"),
        ("m2 s-1", "m s-1", "s-1"),  # a stream function: its gradient is a wind
        ("m", "1", "m-1"),  # a height: its gradient is a slope
        ("kg m-2", "kg m-3", "kg m-4"),
        ("degC", "K m-1", "K m-2"),  # a difference of degrees Celsius is kelvin
        ("K s-1", "K m-1 s-1", "K m-2 s-1"),
    ],
)
def test_units_are_pint_algebra(units, per_metre, per_square_metre) -> None:
    """With cf_xarray, the units of results are pint's algebra in CF notation (not
    the string with ' m-1' appended)."""
    require("cf_xarray")
    require("pint")
    t = field(units=units)
    assert gxs.gradient(t)["dt_dx"].attrs["units"] == per_metre
    assert gxs.laplacian(t).attrs["units"] == per_square_metre
    assert gxs.vorticity(t, t).attrs["units"] == per_metre


def test_units_pint_cannot_read_are_kept_in_words() -> None:
    """Units pint does not know (or no pint): the string, per metre, and no units in,
    none out."""
    t = field(units="widgets")
    assert gxs.gradient(t)["dt_dx"].attrs["units"] == "widgets m-1"
    assert gxs.laplacian(t).attrs["units"] == "widgets m-2"
    del t.attrs["units"]
    assert "units" not in gxs.gradient(t)["dt_dx"].attrs


def test_dask_backed_stays_lazy() -> None:
    require("dask")
    t = field().chunk({"time": 1, "longitude": 12})
    g = gxs.gradient(t)
    assert g["dt_dx"].chunks is not None
    np.testing.assert_allclose(g["dt_dx"].values, gxs.gradient(field())["dt_dx"].values)


def test_errors_name_the_problem() -> None:
    bare = field().drop_vars(["latitude", "longitude"])
    with pytest.raises(ValueError, match="name them with `lat=` and `lon=`"):
        gxs.gradient(bare)
    with pytest.raises(ValueError, match="`lat` 'y' must be a dimension"):
        gxs.gradient(field(), lat="y")
    with pytest.raises(TypeError, match="must be xarray DataArrays"):
        gxs.gradient(field().values)
    with pytest.raises(ValueError, match="`v` must have the dims of `u`"):
        gxs.vorticity(field(), field().transpose("time", "longitude", "latitude"))


def test_public_surface_is_pinned() -> None:
    assert sorted(gxs.__all__) == [
        "divergence",
        "find_lat_lon",
        "gradient",
        "laplacian",
        "vorticity",
    ]
