"""gridgrad.curvilinear on latitude-longitude grids: sphere_gradient, _divergence,
_vorticity, _laplacian (rotated-pole grids, polar caps through a pole, global bands)."""

from __future__ import annotations

import numpy as np
import pytest

import gridgrad.curvilinear as gc


def slope(ns, errs) -> float:
    """The log-log slope of the errors against the step, 1 / (n - 1)."""
    return float(-np.polyfit(np.log(np.subtract(ns, 1)), np.log(errs), 1)[0])


# --------------------------------------------------------------------------- sphere

R_EARTH = 6371008.8


def rotated_pole(n: int, beta: float = 50.0, shift: float = 180.0):
    """lat(y, x), lon(y, x) of a regular grid in a frame rotated by ``beta`` degrees
    about the y axis, its longitudes shifted by ``shift`` (across the dateline)."""
    rlat1, rlon1 = np.radians(np.linspace(-12, 12, n)), np.radians(np.linspace(-18, 18, 3 * n // 2))
    rlat, rlon = np.meshgrid(rlat1, rlon1, indexing="ij")
    px, py, pz = np.cos(rlat) * np.cos(rlon), np.cos(rlat) * np.sin(rlon), np.sin(rlat)
    b = np.radians(beta)
    x, z = np.cos(b) * px - np.sin(b) * pz, np.sin(b) * px + np.cos(b) * pz
    lat = np.degrees(np.arcsin(z))
    lon = (np.degrees(np.arctan2(py, x)) + shift + 180.0) % 360.0 - 180.0
    return lat, lon


def sphere_field(lat, lon):
    """f(P) = P_x + P_y P_z + sin(3 P_x) on the unit sphere, and its (east, north)
    gradient per metre: the ambient gradient projected on the local east and north."""
    p, la = np.radians(lat), np.radians(lon)
    P = np.array([np.cos(p) * np.cos(la), np.cos(p) * np.sin(la), np.sin(p)])
    f = P[0] + P[1] * P[2] + np.sin(3 * P[0])
    g = np.array([1 + 3 * np.cos(3 * P[0]), P[2], P[1]])
    east = np.array([-np.sin(la), np.cos(la), 0 * la])
    north = np.array([-np.sin(p) * np.cos(la), -np.sin(p) * np.sin(la), np.cos(p)])
    return f, (g * east).sum(0) / R_EARTH, (g * north).sum(0) / R_EARTH


@pytest.mark.parametrize("accuracy", [2, 4])
def test_sphere_gradient_regular_grid_equals_sphere_gradient(accuracy) -> None:
    """A regular (non-uniform latitude) lat-lon grid as 2-D arrays, across the
    dateline: gridgrad.sphere.gradient's result to round-off."""
    import gridgrad.sphere as gs

    lat = np.linspace(20, 60, 33) + 0.3 * np.sin(np.linspace(0, 3, 33))
    lon = np.linspace(170, 215, 41)
    LAT, LON = np.meshgrid(lat, lon, indexing="ij")
    f, _, _ = sphere_field(LAT, LON)
    ref = gs.gradient(f, lat, lon, accuracy=accuracy)
    got = gc.sphere_gradient(f, LAT, (LON + 180) % 360 - 180, accuracy=accuracy)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g * R_EARTH, r * R_EARTH, rtol=1e-12, atol=1e-12)
    # (lon, lat) layout, 1-D-broadcastable coordinates, another radius
    got_t = gc.sphere_gradient(f.T, lat[None, :], lon[:, None], radius=1.0, accuracy=accuracy)
    np.testing.assert_allclose(got_t[0], ref[0].T * R_EARTH, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_t[1], ref[1].T * R_EARTH, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("accuracy", [2, 4])
def test_sphere_gradient_rotated_pole_converges(accuracy) -> None:
    ns = (21, 41, 81)
    errs = []
    for n in ns:
        lat, lon = rotated_pole(n)
        f, east, north = sphere_field(lat, lon)
        ge, gn = gc.sphere_gradient(f, lat, lon, accuracy=accuracy)
        errs.append(max(np.abs(ge - east).max(), np.abs(gn - north).max()) * R_EARTH)
    assert errs[-1] < (1e-3 if accuracy == 2 else 1e-6), errs
    assert slope(ns, errs) >= accuracy - 0.5, errs


def test_sphere_gradient_solid_body_and_backends() -> None:
    """f = sin(lat) on a rotated grid (through 0/360): (0, cos(lat) / R); a (time, y, x)
    Dask field stays lazy."""
    lat, lon = rotated_pole(41, beta=30.0, shift=0.0)
    lon = lon % 360.0  # jumps from 360 to 0
    f = np.sin(np.radians(lat))
    east, north = gc.sphere_gradient(f, lat, lon, accuracy=4)
    assert np.abs(east).max() * R_EARTH < 1e-6
    assert np.abs(north - np.cos(np.radians(lat)) / R_EARTH).max() * R_EARTH < 1e-6
    da = pytest.importorskip("dask.array")
    f3 = da.from_array(np.stack([f, 2 * f]), chunks=(1, 20, 31))
    _, n3 = gc.sphere_gradient(f3, lat, lon, accuracy=4)
    assert isinstance(n3, da.Array)
    np.testing.assert_allclose(n3[1].compute(), 2 * north, rtol=1e-12, atol=1e-20)


def solid_body(lat, lon, axis=(0.3, -0.5, 0.8), speed=10.0):
    """Rotation about ``axis`` (unit sphere), V = speed (w x P): its (east, north)
    components and its vorticity 2 speed (w . P) / R (no divergence)."""
    p, la = np.radians(lat), np.radians(lon)
    P = np.array([np.cos(p) * np.cos(la), np.cos(p) * np.sin(la), np.sin(p)])
    w = np.asarray(axis)[:, None, None] / np.linalg.norm(axis)
    V = speed * np.cross(w, P, axis=0)
    east = np.array([-np.sin(la), np.cos(la), 0 * la])
    north = np.array([-np.sin(p) * np.cos(la), -np.sin(p) * np.sin(la), np.cos(p)])
    return (V * east).sum(0), (V * north).sum(0), 2 * speed * (w * P).sum(0) / R_EARTH


@pytest.mark.parametrize("accuracy", [2, 4])
def test_sphere_divergence_vorticity(accuracy) -> None:
    import gridgrad.sphere as gs

    # a regular grid as 2-D arrays: gridgrad.sphere's results to round-off
    lat = np.linspace(-30, 60, 31)
    lon = np.linspace(150, 230, 41)
    LAT, LON = np.meshgrid(lat, lon, indexing="ij")
    u, v, _ = solid_body(LAT, LON)
    v = v + np.sin(np.radians(2 * LON)) * np.cos(np.radians(LAT))  # some divergence too
    args = (LAT, (LON + 180) % 360 - 180)
    for ours, theirs in ((gc.sphere_divergence, gs.divergence), (gc.sphere_vorticity, gs.vorticity)):  # fmt: skip
        got = ours(u, v, *args, accuracy=accuracy)
        ref = theirs(u, v, lat, lon, accuracy=accuracy)
        np.testing.assert_allclose(got * R_EARTH, ref * R_EARTH, rtol=1e-11, atol=1e-11)
    # solid-body rotation about a tilted axis on a rotated-pole grid: converges
    ns = (21, 41, 81)
    errs = []
    for n in ns:
        la, lo = rotated_pole(n)
        u, v, zeta = solid_body(la, lo)
        div = gc.sphere_divergence(u, v, la, lo, accuracy=accuracy)
        vor = gc.sphere_vorticity(u, v, la, lo, accuracy=accuracy)
        errs.append(max(np.abs(div).max(), np.abs(vor - zeta).max()) * R_EARTH)
    assert slope(ns, errs) >= accuracy - 0.5, errs
    with pytest.raises(ValueError, match="one shape"):
        gc.sphere_divergence(u, v[:, :-1], la, lo)


def test_xarray_sphere_gradient_matches_arrays() -> None:
    xr = pytest.importorskip("xarray")
    import gridgrad.xarray  # noqa: F401  (registers .gridgrad)

    lat, lon = rotated_pole(21)
    f, _, _ = sphere_field(lat, lon)
    yx = ("rlat", "rlon")
    T = xr.DataArray(
        np.stack([f, 2 * f]),
        dims=("time", *yx),
        name="T",
        attrs={"units": "K", "standard_name": "air_temperature"},
        coords={
            "nav_lat": (yx, lat, {"standard_name": "latitude"}),
            "nav_lon": (yx, lon, {"units": "degrees_east"}),
        },
    )
    g = gc.xarray_sphere_gradient(T.transpose("rlon", "time", "rlat"), accuracy=4)
    assert list(g.data_vars) == ["dT_dx", "dT_dy"]
    assert g["dT_dx"].attrs["standard_name"] == "eastward_derivative_of_air_temperature"
    east, north = gc.sphere_gradient(f, lat, lon, accuracy=4)
    np.testing.assert_allclose(g["dT_dx"].transpose(*T.dims)[1].values, 2 * east, rtol=1e-12, atol=1e-20)  # fmt: skip
    np.testing.assert_allclose(g["dT_dy"].transpose(*T.dims)[0].values, north, rtol=1e-12, atol=1e-20)  # fmt: skip
    xr.testing.assert_identical(
        T.gridgrad.curvilinear_sphere_gradient(lat="nav_lat", lon="nav_lon", radius=1.0),
        gc.xarray_sphere_gradient(T, radius=1.0),
    )
    with pytest.raises(ValueError, match="found 0 2-D latitude"):
        gc.xarray_sphere_gradient(T.drop_vars("nav_lat"))
    with pytest.raises(ValueError, match="is not a coordinate"):
        gc.xarray_sphere_gradient(T, lat="nope")
    with pytest.raises(TypeError, match="must be an xarray DataArray"):
        gc.xarray_sphere_gradient(T.to_dataset())


def test_sphere_gradient_errors() -> None:
    lat, lon = rotated_pole(11)
    f = np.sin(np.radians(lat))
    with pytest.raises(ValueError, match=r"`lat` must be within \[-90, 90\] degrees; got 90.5"):
        gc.sphere_gradient(f, np.where(lat == lat.max(), 90.5, lat), lon)
    with pytest.raises(ValueError, match="`radius` must be positive"):
        gc.sphere_gradient(f, lat, lon, radius=-1.0)
    with pytest.raises(TypeError, match="`radius` must be a real number"):
        gc.sphere_gradient(f, lat, lon, radius="6371 km")
    folded = lat.copy()
    folded[3:7] = folded[3:7][::-1].copy()
    with pytest.raises(
        ValueError,
        match=r"`lat` and `lon` do not form a valid grid: the Jacobian d\(east, north\)/d\(index\) changes sign",
    ):
        gc.sphere_gradient(f, folded, lon)
    da = pytest.importorskip("dask.array")
    lazy = gc.sphere_vorticity(da.from_array(f, chunks=5), f, folded, lon)  # checked when computed
    with pytest.raises(ValueError, match="`lat` and `lon` do not form a valid grid"):
        lazy.compute()


# --------------------------------------------------------------------------- poles, bands


def stereo_cap(n: int, south: bool = False, lon0: float = 37.0):
    """A polar stereographic n x n grid (n odd) centred on a pole: the centre sample is
    at |lat| = 90 exactly, with longitude ``lon0``."""
    s = np.linspace(-0.5, 0.5, n)
    X, Y = np.meshgrid(s, s, indexing="ij")
    lat = 90 - 2 * np.degrees(np.arctan(np.hypot(X, Y)))
    lon = np.degrees(np.arctan2(Y, X))
    lon[n // 2, n // 2] = lon0
    return (-lat if south else lat), lon


def band(n: int, beta: float = 60.0):
    """A global band, rotated latitudes -50..50 by a full circle of rotated longitudes
    (periodic along dim 1), tilted by ``beta``: it encloses the geographic north pole."""
    rlat1 = np.radians(np.linspace(-50, 50, n))
    rlon1 = np.radians(np.arange(2 * n) * 180.0 / n)
    rlat, rlon = np.meshgrid(rlat1, rlon1, indexing="ij")
    px, py, pz = np.cos(rlat) * np.cos(rlon), np.cos(rlat) * np.sin(rlon), np.sin(rlat)
    b = np.radians(beta)
    x, z = np.cos(b) * px - np.sin(b) * pz, np.sin(b) * px + np.cos(b) * pz
    return np.degrees(np.arcsin(np.clip(z, -1, 1))), np.degrees(np.arctan2(py, x))


def harmonic(lat, lon):
    """Spherical harmonics of degrees 2, 1 and 3 and their Laplacian per square metre
    (eigenvalues -6, -2, -12 on the unit sphere)."""
    p, la = np.radians(lat), np.radians(lon)
    X, Y, Z = np.cos(p) * np.cos(la), np.cos(p) * np.sin(la), np.sin(p)
    cubic = X * (X**2 - 3 * Y**2)
    return X * Y + Z + cubic, (-6 * X * Y - 2 * Z - 12 * cubic) / R_EARTH**2


CASES = {
    "north cap": (lambda n: stereo_cap(n), {}),
    "south cap": (lambda n: stereo_cap(n, south=True), {}),
    "band": (band, {"boundary": ("one-sided", "periodic")}),
}
SPHERE_SIZES = {
    ("north cap", 2): (21, 41, 81),
    ("north cap", 4): (21, 41, 81),
    ("north cap", 6): (31, 61, 121),
    ("south cap", 4): (21, 41, 81),
    ("band", 2): (16, 32, 64),
    ("band", 4): (16, 32, 64),
    ("band", 6): (16, 32, 64),
}


@pytest.mark.parametrize(("case", "accuracy"), list(SPHERE_SIZES))
def test_operators_converge_through_poles_and_periodic_bands(case, accuracy) -> None:
    """Polar caps with a sample on the pole and a global band (periodic, enclosing a
    pole): gradient, divergence, vorticity and Laplacian of analytic fields converge at
    order accuracy (the Laplacian: accuracy - 1 at one-sided edges)."""
    grid, kw = CASES[case]
    ns = SPHERE_SIZES[case, accuracy]
    errs: dict[str, list[float]] = {k: [] for k in ("grad", "div", "vor", "lap", "lap_inner")}
    p = accuracy
    for n in ns:
        lat, lon = grid(n)
        f, east, north = sphere_field(lat, lon)
        ge, gn = gc.sphere_gradient(f, lat, lon, accuracy=p, **kw)
        errs["grad"].append(max(np.abs(ge - east).max(), np.abs(gn - north).max()) * R_EARTH)
        u, v, zeta = solid_body(lat, lon)
        errs["div"].append(np.abs(gc.sphere_divergence(u, v, lat, lon, accuracy=p, **kw)).max() * R_EARTH)  # fmt: skip
        errs["vor"].append(np.abs(gc.sphere_vorticity(u, v, lat, lon, accuracy=p, **kw) - zeta).max() * R_EARTH)  # fmt: skip
        h, lap_h = harmonic(lat, lon)
        lap = (gc.sphere_laplacian(h, lat, lon, accuracy=p, **kw) - lap_h) * R_EARTH**2
        errs["lap"].append(np.abs(lap).max())
        inner = (slice(p + 1, -p - 1), slice(None) if kw else slice(p + 1, -p - 1))
        errs["lap_inner"].append(np.abs(lap[inner]).max())
    for k in ("grad", "div", "vor", "lap_inner"):
        assert slope(ns, errs[k]) >= p - 0.5, (k, errs[k])
    assert slope(ns, errs["lap"]) >= p - 1.5, errs["lap"]


@pytest.mark.parametrize("south", [False, True])
def test_pole_point_rule(south) -> None:
    """A sample at |lat| = 90 gets the east and north of the meridian of its own
    longitude (north toward lon + 180 at the north pole, toward lon at the south pole;
    east toward lon + 90), and the scalar operators one finite value there."""
    n, c = 41, 20
    R = R_EARTH
    results = {}
    for lon0 in (0.0, 37.0, 90.0):
        lat, lon = stereo_cap(n, south=south, lon0=lon0)
        assert abs(lat[c, c]) == 90.0
        f = np.cos(np.radians(lat)) * np.cos(np.radians(lon))  # P_x: grad = (1, 0, 0)
        east, north = gc.sphere_gradient(f, lat, lon, accuracy=4, radius=1.0)
        lam = np.radians(lon0)
        # the ambient gradient (1, 0, 0) along E = (-sin, cos, 0), N = -+(cos, sin, 0)
        assert east[c, c] == pytest.approx(-np.sin(lam), abs=1e-6)
        assert north[c, c] == pytest.approx((1 if south else -1) * np.cos(lam), abs=1e-6)
        u, v, zeta = solid_body(lat, lon)
        vor = gc.sphere_vorticity(u, v, lat, lon, accuracy=4)
        div = gc.sphere_divergence(u, v, lat, lon, accuracy=4)
        assert np.isfinite(vor).all() and np.isfinite(div).all()
        assert vor[c, c] * R == pytest.approx(zeta[c, c] * R, rel=1e-5)
        results[lon0] = vor[c, c]
        h, lap_h = harmonic(lat, lon)
        lap = gc.sphere_laplacian(h, lat, lon, accuracy=4)
        assert lap[c, c] * R**2 == pytest.approx(lap_h[c, c] * R**2, abs=1e-4)
    # the pole's longitude only names the directions: scalars do not depend on it
    assert results[0.0] == pytest.approx(results[90.0], rel=1e-12)


def test_regular_grid_with_pole_rows_is_gridgrad_sphere() -> None:
    """A regular global grid with pole rows, as 2-D arrays (longitudes wrapped into
    [-180, 180)), periodic along the longitude: gridgrad.sphere's result, pole rows
    included, to round-off; one-sided: its cyclic=False result."""
    import gridgrad.sphere as gs

    lat = np.linspace(-90, 90, 37)
    lon = np.arange(0.0, 360.0, 7.5)
    LAT, LON = np.meshgrid(lat, lon, indexing="ij")
    h, _ = harmonic(LAT, LON)
    u, v, _ = solid_body(LAT, LON)
    wrapped = (LON + 180) % 360 - 180
    for cyclic, boundary in ((True, ("one-sided", "periodic")), (False, "one-sided")):
        kw = {"accuracy": 4, "boundary": boundary}
        ref = {"accuracy": 4, "cyclic": cyclic}
        pairs = [
            (gc.sphere_gradient(h, LAT, wrapped, **kw), gs.gradient(h, lat, lon, **ref)),
            (gc.sphere_laplacian(h, LAT, wrapped, **kw), gs.laplacian(h, lat, lon, **ref)),
            (gc.sphere_divergence(u, v, LAT, wrapped, **kw), gs.divergence(u, v, lat, lon, **ref)),
            (gc.sphere_vorticity(u, v, LAT, wrapped, **kw), gs.vorticity(u, v, lat, lon, **ref)),
        ]
        for got, exp in pairs:
            np.testing.assert_allclose(np.asarray(got) * R_EARTH**2, np.asarray(exp) * R_EARTH**2, rtol=1e-12, atol=1e-12)  # fmt: skip


def test_sphere_laplacian_rotated_pole_and_backends(backend) -> None:
    """The Laplacian on a rotated-pole grid (general path) on every array library, and
    a Laplacian under a different edge order still takes the general path."""
    lat, lon = rotated_pole(21)
    h, _ = harmonic(lat, lon)
    ref = gc.sphere_laplacian(h, lat, lon, accuracy=4)
    got = gc.sphere_laplacian(backend.asarray(h), backend.asarray(lat), backend.asarray(lon), accuracy=4)  # fmt: skip
    assert backend.is_native(got)
    np.testing.assert_allclose(backend.to_numpy(got) * R_EARTH**2, ref * R_EARTH**2, rtol=1e-10, atol=1e-10)  # fmt: skip
    u, v, _ = solid_body(lat, lon)
    ref_d = gc.sphere_divergence(u, v, lat, lon, accuracy=4)
    got_d = gc.sphere_divergence(backend.asarray(u), backend.asarray(v), backend.asarray(lat), backend.asarray(lon), accuracy=4)  # fmt: skip
    np.testing.assert_allclose(backend.to_numpy(got_d) * R_EARTH, ref_d * R_EARTH, rtol=1e-10, atol=1e-10)  # fmt: skip


# --------------------------------------------------------------------------- xarray


def _wind_dataset(n: int = 21):
    xr = pytest.importorskip("xarray")
    lat, lon = rotated_pole(n)
    u, v, _ = solid_body(lat, lon)
    v = v + 3 * np.cos(np.radians(lat)) * np.sin(np.radians(2 * lon))  # some divergence
    yx = ("rlat", "rlon")
    coords = {
        "nav_lat": (yx, lat, {"units": "degrees_north"}),
        "nav_lon": (yx, lon, {"standard_name": "longitude"}),
    }
    wind = {"units": "m s-1"}
    ds = xr.Dataset(
        {
            "u": (("time", *yx), np.stack([u, 2 * u]), wind),
            "v": (("time", *yx), np.stack([v, 2 * v]), wind),
            "z": (yx, harmonic(lat, lon)[0], {"units": "m", "standard_name": "height"}),
        },
        coords=coords,
    )
    return ds, lat, lon, u, v


def test_xarray_sphere_divergence_vorticity_laplacian_match_arrays() -> None:
    """The xarray versions: the array functions' numbers (any dim order), names,
    units per metre, CF standard names, the accessor, dask laziness, errors."""
    xr = pytest.importorskip("xarray")
    import gridgrad.xarray  # noqa: F401  (registers .gridgrad)

    ds, lat, lon, u, v = _wind_dataset()
    kw = {"accuracy": 4}
    div = gc.xarray_sphere_divergence(ds["u"], ds["v"].transpose("rlon", "rlat", "time"), **kw)
    assert div.name == "divergence" and div.dims == ds["u"].dims
    assert div.attrs == {"units": "s-1", "long_name": "horizontal divergence", "standard_name": "divergence_of_wind"}  # fmt: skip
    np.testing.assert_allclose(div[1].values, 2 * gc.sphere_divergence(u, v, lat, lon, **kw), rtol=1e-12, atol=1e-20)  # fmt: skip
    vor = gc.xarray_sphere_vorticity(ds["u"], ds["v"], **kw)
    assert vor.name == "vorticity" and vor.attrs["units"] == "s-1"
    assert vor.attrs["standard_name"] == "atmosphere_relative_vorticity"
    np.testing.assert_allclose(vor[0].values, gc.sphere_vorticity(u, v, lat, lon, **kw), rtol=1e-12, atol=1e-20)  # fmt: skip
    lap = gc.xarray_sphere_laplacian(ds["z"], **kw)
    assert lap.name == "laplacian_z" and lap.attrs == {"units": "m-1"}
    np.testing.assert_allclose(lap.values, gc.sphere_laplacian(ds["z"].values, lat, lon, **kw), rtol=1e-12, atol=1e-24)  # fmt: skip
    # the accessor
    xr.testing.assert_identical(ds.gridgrad.curvilinear_sphere_divergence(**kw), div)
    xr.testing.assert_identical(ds.gridgrad.curvilinear_sphere_vorticity("u", "v", **kw), vor)
    xr.testing.assert_identical(ds["z"].gridgrad.curvilinear_sphere_laplacian(**kw), lap)
    # another radius, named coordinates, a periodic dim named by a mapping
    d1 = gc.xarray_sphere_divergence(ds["u"], ds["v"], lat="nav_lat", lon="nav_lon", radius=1.0)
    np.testing.assert_allclose(d1[0].values, gc.sphere_divergence(u, v, lat, lon, radius=1.0), rtol=1e-12)  # fmt: skip
    blat, blon = band(16)
    yx = ("rlat", "rlon")
    zb = xr.DataArray(harmonic(blat, blon)[0], dims=yx, coords={"lat": (yx, blat, {"units": "degrees_north"}), "lon": (yx, blon, {"units": "degrees_east"})})  # fmt: skip
    per = gc.xarray_sphere_laplacian(zb, boundary={"rlon": "periodic"})
    ref = gc.sphere_laplacian(zb.values, blat, blon, boundary=("one-sided", "periodic"))
    assert per.name == "laplacian_f"
    np.testing.assert_allclose(per.values, ref, rtol=1e-12, atol=1e-24)
    # dask stays lazy
    pytest.importorskip("dask.array")
    lazy = gc.xarray_sphere_vorticity(ds["u"].chunk({"time": 1}), ds["v"].chunk({"time": 1}), **kw)
    assert lazy.chunks is not None
    np.testing.assert_allclose(lazy.values, vor.values, rtol=1e-12, atol=1e-20)
    # errors
    with pytest.raises(ValueError, match="`v` must have the dims of `u`"):
        gc.xarray_sphere_divergence(ds["u"], ds["v"].isel(time=0))
    with pytest.raises(TypeError, match="`v` must be an xarray DataArray"):
        gc.xarray_sphere_vorticity(ds["u"], ds["v"].values)
    with pytest.raises(ValueError, match="found 0 2-D latitude"):
        gc.xarray_sphere_laplacian(ds["z"].drop_vars("nav_lat"))
