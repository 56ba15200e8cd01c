"""gridgrad.xarray: coordinate-aware derivatives, names, units, laziness."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require

xr = require("xarray")

import gridgrad  # noqa: E402
import gridgrad.xarray as gx  # noqa: E402


def _field(nx: int = 12, ny: int = 9, stretched: bool = True) -> xr.DataArray:
    s = np.linspace(0.0, 1.0, nx)
    x = 2.0 * (s + 0.3 * s * (1 - s)) if stretched else 2.0 * s
    y = np.linspace(-1.0, 1.0, ny)
    X, Y = np.meshgrid(x, y, indexing="ij")
    da = xr.DataArray(
        np.sin(3 * X) * np.exp(Y),
        dims=("x", "y"),
        coords={"x": ("x", x, {"units": "m"}), "y": ("y", y, {"units": "m"}), "label": "T"},
        name="T",
        attrs={"units": "K", "long_name": "temperature"},
    )
    return da


@pytest.mark.parametrize("accuracy", [2, 4, 6])
@pytest.mark.parametrize("order", [1, 2])
def test_derivative_matches_numpy_coordinates(order, accuracy) -> None:
    da = _field()
    got = gx.derivative(da, "x", order=order, accuracy=accuracy)
    want = gridgrad.derivative(
        da.values, 0, order=order, accuracy=accuracy, spacing=[da["x"].values]
    )
    np.testing.assert_allclose(got.values, want, rtol=1e-12, atol=1e-12)
    assert got.dims == da.dims and got.name == "T"
    assert got.coords.identical(da.coords)
    assert got.attrs["units"] == ("K / m" if order == 1 else "K / m^2")
    assert "long_name" not in got.attrs


def test_derivative_uniform_matches_xarray_differentiate() -> None:
    da = _field(stretched=False)
    np.testing.assert_allclose(
        gx.derivative(da, "y", edge_order=1), da.differentiate("y"), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        gx.derivative(da, "x", edge_order=2), da.differentiate("x", edge_order=2), rtol=1e-10
    )


def test_nonuniform_matches_xarray_differentiate() -> None:
    da = _field()
    np.testing.assert_allclose(
        gx.derivative(da, "x", edge_order=2), da.differentiate("x", edge_order=2), rtol=1e-10
    )


def test_higher_accuracy_is_more_accurate() -> None:
    da = _field(nx=40)
    X = da["x"].broadcast_like(da)
    exact = 3 * np.cos(3 * X) * np.exp(da["y"])
    errs = [float(abs(gx.derivative(da, "x", accuracy=p) - exact).max()) for p in (2, 4, 6)]
    assert errs[0] > 10 * errs[1] > 10 * errs[2]


def test_mixed_partial() -> None:
    da = _field()
    got = gx.derivative(da, ("x", "y"))
    want = gridgrad.derivative(da.values, (0, 1), spacing=[da["x"].values, 2.0 / 8])
    np.testing.assert_allclose(got.values, want, rtol=1e-12)
    assert got.attrs["units"] == "K / m m"


def test_gradient_names_and_units() -> None:
    da = _field()
    g = gx.gradient(da)
    assert list(g.data_vars) == ["dT_dx", "dT_dy"]
    assert g["dT_dx"].name == "dT_dx" and g["dT_dy"].attrs["units"] == "K / m"
    g2 = gx.gradient(da, ["x"], order=2)
    assert list(g2.data_vars) == ["d2T_dx2"]
    np.testing.assert_allclose(g2["d2T_dx2"], gx.derivative(da, "x", order=2))
    unnamed = gx.gradient(xr.DataArray(np.arange(5.0) ** 2, dims="t"))
    np.testing.assert_allclose(unnamed["df_dt"], 2 * np.arange(5.0))
    assert "units" not in unnamed["df_dt"].attrs


def test_gradient_of_dataset() -> None:
    da = _field()
    ds = xr.Dataset({"T": da, "p": da.isel(y=0, drop=True) * 2})
    g = gx.gradient(ds, ["x", "y"])
    assert sorted(g.data_vars) == ["dT_dx", "dT_dy", "dp_dx"]
    np.testing.assert_allclose(g["dp_dx"], 2 * gx.derivative(da, "x").isel(y=0))


def test_datetime_and_timedelta_coordinates() -> None:
    t = np.array(["2024-01-01T00", "2024-01-01T01", "2024-01-01T03", "2024-01-01T06"], "M8[h]")
    hours = np.array([0.0, 1.0, 3.0, 6.0])
    da = xr.DataArray(hours**2, dims="time", coords={"time": t}, attrs={"units": "m"})
    d = gx.derivative(da, "time", datetime_unit="h", accuracy=2, edge_order=2)
    np.testing.assert_allclose(d, 2 * hours, atol=1e-12)
    assert d.attrs["units"] == "m / h"
    ds = gx.derivative(da, "time", edge_order=2)  # seconds by default
    np.testing.assert_allclose(ds, 2 * hours / 3600, atol=1e-12)
    np.testing.assert_allclose(ds, da.differentiate("time", edge_order=2), rtol=1e-10)
    lag = xr.DataArray(hours**2, dims="lag", coords={"lag": (hours * 3600).astype("m8[s]")})
    np.testing.assert_allclose(
        gx.derivative(lag, "lag", datetime_unit="h", edge_order=2), 2 * hours, atol=1e-12
    )


def test_dim_without_coordinate_has_unit_spacing() -> None:
    da = xr.DataArray(np.arange(6.0) ** 2, dims="i")
    np.testing.assert_allclose(gx.derivative(da, "i"), np.gradient(da.values, edge_order=2))


def test_periodic() -> None:
    n = 32
    x = np.arange(n) * (2 * np.pi / n)
    da = xr.DataArray(np.sin(x), dims="x", coords={"x": x})
    # these steps differ in their last bits: coordinates (numpy's rule), which need the
    # period (evenly spaced ones up to 1e-10 used to count as uniform here)
    d = gx.derivative(da, "x", boundary="periodic", period=2 * np.pi, accuracy=6)
    np.testing.assert_allclose(d, np.cos(x), atol=1e-5)
    # exactly evenly spaced coordinates: a uniform step, no period needed
    h = 2.0**-3
    xe = np.arange(n) * h
    de = xr.DataArray(np.sin(xe), dims="x", coords={"x": xe})
    d = gx.derivative(de, "x", boundary="periodic", accuracy=6)
    np.testing.assert_array_equal(
        d, gridgrad.derivative(de.values, 0, spacing=h, boundary="periodic", accuracy=6)
    )
    # non-uniform coordinates need the period
    xs = np.sort(np.random.default_rng(0).uniform(0, 2 * np.pi, n))
    ds = xr.DataArray(np.sin(xs), dims="x", coords={"x": xs})
    with pytest.raises(ValueError, match="period"):
        gx.derivative(ds, "x", boundary="periodic")
    dp = gx.derivative(ds, "x", boundary={"x": "periodic"}, period={"x": 2 * np.pi}, accuracy=4)
    np.testing.assert_allclose(dp, np.cos(xs), atol=1e-2)


def test_laplacian_divergence_curl() -> None:
    x = np.linspace(-1, 1, 11)
    X, Y = np.meshgrid(x, x, indexing="ij")
    coords = {"x": ("x", x, {"units": "m"}), "y": ("y", x, {"units": "m"})}
    f = xr.DataArray(X**2 + 3 * Y**2, coords=coords, name="f", attrs={"units": "K"})
    lap = gx.laplacian(f)
    np.testing.assert_allclose(lap, 8.0, atol=1e-10)
    assert lap.name == "laplacian_f" and lap.attrs["units"] == "K / m^2"
    u = xr.DataArray(-Y, coords=coords, attrs={"units": "m/s"})
    v = xr.DataArray(X, coords=coords, attrs={"units": "m/s"})
    assert gx.divergence(xr.Dataset({"u": u, "v": v})).name == "divergence"
    np.testing.assert_allclose(gx.divergence([u, v]), 0.0, atol=1e-12)
    c = gx.curl([u, v], ["x", "y"])
    np.testing.assert_allclose(c, 2.0)
    assert c.attrs["units"] == "m/s / m"
    z = xr.DataArray(np.zeros((3, 3, 3)), dims=("x", "y", "z"))
    c3 = gx.curl([z, z + z["x"], z], ["x", "y", "z"])
    assert list(c3.data_vars) == ["curl_x", "curl_y", "curl_z"]
    np.testing.assert_allclose(c3["curl_z"], 1.0)


def test_dask_stays_lazy() -> None:
    dask = require("dask")
    da = _field(nx=40, ny=30).chunk({"x": 10, "y": 15})
    g = gx.gradient(da, accuracy=4)
    assert all(dask.is_dask_collection(g[v].data) for v in g.data_vars)
    eager = gx.gradient(da.compute(), accuracy=4)
    for v in g.data_vars:
        np.testing.assert_allclose(g[v].compute(), eager[v], rtol=1e-12)
    assert dask.is_dask_collection(gx.laplacian(da).data)


def test_errors() -> None:
    da = _field()
    with pytest.raises(ValueError, match="'z' is not a dimension"):
        gx.derivative(da, "z")
    with pytest.raises(ValueError, match="'z' is not a dimension"):
        gx.gradient(da, ["x", "z"])
    with pytest.raises(TypeError, match="DataArray or Dataset"):
        gx.gradient(np.zeros(3))
    with pytest.raises(ValueError, match="at least"):
        gx.derivative(da.isel(x=slice(0, 2)), "x", accuracy=4)
    strings = xr.DataArray(np.arange(3.0), dims="c", coords={"c": ["a", "b", "c"]})
    with pytest.raises(TypeError, match="numeric, datetime64"):
        gx.derivative(strings, "c")


def test_evenly_spaced_is_numpys_rule() -> None:
    """Coordinates count as evenly spaced when all their steps are exactly equal, as in
    numpy.gradient and gridgrad.derivative: np.linspace coordinates (steps that differ
    in the last bits) give the same numbers as gridgrad.derivative on those coordinates."""
    for x in (np.linspace(0.0, 1.0, 11), np.arange(11) * 0.25):
        f = np.exp(x)
        da = xr.DataArray(f, dims="x", coords={"x": x})
        for edge_order in (1, 2):
            want = gridgrad.derivative(f, 0, spacing=x, edge_order=edge_order)
            got = gx.derivative(da, "x", edge_order=edge_order).values
            np.testing.assert_array_equal(got, want)


# --------------------------------------------------------------------------- differentiate


@pytest.mark.parametrize("edge_order", [1, 2, None])
@pytest.mark.parametrize("coord", ["x", "y", "label2"])
def test_differentiate_is_xarrays_bitwise(coord, edge_order) -> None:
    da = _field().assign_coords(label2=("y", np.linspace(0.0, 3.0, 9) ** 2))
    ds = xr.Dataset({"T": da, "u": da.isel(x=0), "v": ("x", np.arange(12.0))}, attrs={"a": 1})
    lazy = [da.chunk({"x": 4})] if coord != "label2" else []  # xarray: no dask coordinates
    for obj in (da, ds, *lazy):
        want = obj.differentiate(coord, edge_order or 1)
        for got in (
            gx.differentiate(obj, coord, edge_order),
            obj.gridgrad.differentiate(coord, edge_order),
        ):
            xr.testing.assert_identical(got.compute(), want.compute())


@pytest.mark.parametrize("unit", [None, "D", "h"])
def test_differentiate_times_as_xarray(unit) -> None:
    t = np.array(["2004-07-13", "2006-01-13", "2010-08-13", "2010-09-13"], dtype="M8[ns]")
    da = xr.DataArray(t, dims="t", coords={"t": t})  # datetime values too
    f = xr.DataArray([1.0, 3.0, 2.0, 8.0], dims="t", coords={"t": t})
    for obj in (da, f, f.assign_coords(t=t - t[0])):
        want = obj.differentiate("t", datetime_unit=unit)
        xr.testing.assert_identical(gx.differentiate(obj, "t", datetime_unit=unit), want)
        assert want.dtype == np.float64


def test_differentiate_with_gridgrads_keywords_and_errors() -> None:
    x = np.linspace(0.0, 2.0, 9)
    da = xr.DataArray(x**4, dims="x", coords={"x": x})
    d = gx.differentiate(da, "x", accuracy=4, edge_order=4)
    np.testing.assert_allclose(d.values, 4 * x**3, atol=1e-10)
    d2 = da.gridgrad.differentiate("x", order=2, accuracy=4, edge_order=4)
    np.testing.assert_allclose(d2.values, 12 * x**2, atol=1e-9)
    with pytest.raises(ValueError, match="not found in variables or dimensions"):
        gx.differentiate(da, "nope")
    with pytest.raises(ValueError, match="must be 1 dimensional but is 2 dimensional"):
        gx.differentiate(_field().assign_coords(xy=(("x", "y"), np.ones((12, 9)))), "xy")


def test_accessor_methods_are_the_functions() -> None:
    da = _field()
    xr.testing.assert_identical(
        da.gridgrad.derivative("x", accuracy=4), gx.derivative(da, "x", accuracy=4)
    )
    xr.testing.assert_identical(da.gridgrad.gradient(), gx.gradient(da))
    xr.testing.assert_identical(da.gridgrad.laplacian(), gx.laplacian(da))
    ds = xr.Dataset({"u": da, "v": da * 2})
    xr.testing.assert_identical(ds.gridgrad.gradient("x"), gx.gradient(ds, "x"))
    xr.testing.assert_identical(ds.gridgrad.divergence(), gx.divergence(ds))
    xr.testing.assert_identical(ds.gridgrad.curl(), gx.curl(ds))


def test_errors_speak_the_users_names() -> None:
    """Issue 13: the array functions' positional words become the DataArray's dim names."""
    da = xr.DataArray(np.ones((1, 4)), dims=("time", "x"), name="temp")
    with pytest.raises(ValueError, match=r"dim 'time' of 'temp' \(shape \(1, 4\)\) has 1"):
        gx.derivative(da, "time")
    x = np.array([0.0, 1.0, 1.0, 2.0])
    da2 = xr.DataArray(np.ones(4), dims="x", coords={"x": x}, name="T")
    with pytest.raises(ValueError, match="the coordinate of dim 'x' must be distinct"):
        gx.derivative(da2, "x")
