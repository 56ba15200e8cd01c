"""gridgrad.sphere: analytic fields, convergence, poles, backends, MetPy, errors."""

from __future__ import annotations

import numpy as np
import pytest

import gridgrad
import gridgrad.sphere as gs
from conftest import require

# ----------------------------------------------------------------------------- fields


def rossby_haurwitz(lat, lon, n=4, omega=1.0, k=1.0):
    """Williamson et al. (1992) test 6 on the unit sphere: stream function psi, its
    non-divergent wind (u, v) and vorticity zeta = laplacian(psi), on the lat x lon grid."""
    phi = np.deg2rad(np.asarray(lat, dtype=float))[:, None]
    lam = np.deg2rad(np.asarray(lon, dtype=float))[None, :]
    c, s = np.cos(phi), np.sin(phi)
    psi = -omega * s + k * c**n * s * np.cos(n * lam)
    u = omega * c + k * c ** (n - 1) * (n * s**2 - c**2) * np.cos(n * lam)
    v = -k * n * c ** (n - 1) * s * np.sin(n * lam)
    zeta = 2 * omega * s - k * s * c**n * (n**2 + 3 * n + 2) * np.cos(n * lam)
    return psi, u + 0 * lam, v + 0 * phi, zeta + 0 * lam


def hill(lat, lon, center=(70.0, 30.0), width=0.5):
    """exp(-|x - c|**2 / width) for x on the unit sphere, c off the pole: its gradient
    (the tangential part of the 3-D one) and Laplacian (3-D Laplacian minus the radial
    terms), everywhere including the pole rows, where each point has the east and
    north of its own meridian."""
    phi = np.deg2rad(np.asarray(lat, float))[:, None]
    lam = np.deg2rad(np.asarray(lon, float))[None, :]
    z = 0 * phi + 0 * lam
    n = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam) + z, np.sin(phi) + z])
    p0, l0 = np.deg2rad(center)
    c = np.array([np.cos(p0) * np.cos(l0), np.cos(p0) * np.sin(l0), np.sin(p0)])[:, None, None]
    d = n - c
    dd = (d * d).sum(0)
    g = np.exp(-dd / width)
    grad = -2 * d / width * g
    nd = (n * d).sum(0)
    lap = (
        (4 * dd / width**2 - 6 / width) * g
        - 2 * (n * grad).sum(0)
        - (4 * nd**2 / width**2 - 2 / width) * g
    )
    e_lam = np.stack([-np.sin(lam) + z, np.cos(lam) + z, z])
    e_phi = np.stack([-np.sin(phi) * np.cos(lam), -np.sin(phi) * np.sin(lam), np.cos(phi) + z])
    return g, (grad * e_lam).sum(0), (grad * e_phi).sum(0), lap


def global_grid(n):
    """A cyclic grid with pole rows: n + 1 latitudes from -90 to 90, 2n longitudes."""
    return np.linspace(-90.0, 90.0, n + 1), np.arange(2 * n) * (180.0 / n)


def gaussian_grid(n):
    """n Gaussian latitudes (Legendre nodes, no poles, not evenly spaced), 2n longitudes."""
    x, _ = np.polynomial.legendre.leggauss(n)
    return np.rad2deg(np.arcsin(x)), np.arange(2 * n) * (180.0 / n)


def regional_grid(n):
    """A limited-area grid (not cyclic): 20N-60N, 200E-260E."""
    return np.linspace(20.0, 60.0, n + 1), np.linspace(200.0, 260.0, n + 1)


def slope(errors, sizes):
    return float(np.log(errors[-2] / errors[-1]) / np.log(sizes[-1] / sizes[-2]))


def max_rel(a, b):
    return float(np.abs(np.asarray(a) - b).max() / np.abs(b).max())


# ------------------------------------------------------------------- analytic fields


def test_sin_lat_gradient_and_laplacian() -> None:
    lat, lon = global_grid(36)
    phi = np.deg2rad(lat)[:, None] + 0 * lon
    f = np.sin(phi)
    R = gs.EARTH_RADIUS
    east, north = gs.gradient(f, lat, lon, accuracy=6)
    assert np.abs(east).max() < 1e-12 / R
    np.testing.assert_allclose(north, np.cos(phi) / R, atol=1e-7 / R)
    lap = gs.laplacian(f, lat, lon, accuracy=6)
    np.testing.assert_allclose(lap, -2 * f / R**2, rtol=1e-6, atol=1e-7 / R**2)


def test_cos_lat_cos_lon_gradient_including_poles() -> None:
    # f = x / R: the gradient is e_x projected, (-sin lon, -sin lat cos lon) / R,
    # also on the pole rows (the limit along each meridian)
    lat, lon = global_grid(36)
    phi, lam = np.deg2rad(lat)[:, None], np.deg2rad(lon)[None, :]
    f = np.cos(phi) * np.cos(lam)
    east, north = gs.gradient(f, lat, lon, radius=2.0, accuracy=4)
    np.testing.assert_allclose(east, -np.sin(lam) / 2.0 + 0 * phi, atol=1e-5)
    np.testing.assert_allclose(north, -np.sin(phi) * np.cos(lam) / 2.0, atol=1e-5)


def test_solid_body_rotation_vorticity_2U_sin_lat_over_R() -> None:
    lat, lon = global_grid(36)
    phi = np.deg2rad(lat)[:, None] + 0 * lon
    U = 20.0
    zeta = gs.vorticity(U * np.cos(phi), 0 * phi, lat, lon, accuracy=4)
    exact = 2 * U * np.sin(phi) / gs.EARTH_RADIUS
    np.testing.assert_allclose(zeta, exact, atol=2e-5 * np.abs(exact).max())
    assert zeta[-1, 0] == pytest.approx(2 * U / gs.EARTH_RADIUS, rel=2e-5)  # north pole row
    div = gs.divergence(U * np.cos(phi), 0 * phi, lat, lon)
    assert np.abs(div).max() < 1e-12


@pytest.mark.parametrize("alpha", [0.0, 45.0, 90.0])
def test_tilted_solid_body_rotation_at_the_pole_rows(alpha) -> None:
    """Williamson et al. (1992) test 1: solid-body rotation about an axis tilted by
    alpha, whose wind crosses the poles (alpha > 0). Vorticity
    2 U (sin(lat) cos(alpha) - cos(lon) cos(lat) sin(alpha)) / R, no divergence: on
    the pole rows too, one value per row (the circulation around the polar cap)."""
    lat, lon = global_grid(36)
    phi, lam = np.deg2rad(lat)[:, None], np.deg2rad(lon)[None, :]
    a, U, R = np.deg2rad(alpha), 20.0, gs.EARTH_RADIUS
    u = U * (np.cos(phi) * np.cos(a) + np.sin(phi) * np.cos(lam) * np.sin(a))
    v = -U * np.sin(lam) * np.sin(a) + 0 * phi
    exact = 2 * U / R * (np.sin(phi) * np.cos(a) - np.cos(lam) * np.cos(phi) * np.sin(a))
    zeta = gs.vorticity(u, v, lat, lon, accuracy=4)
    div = gs.divergence(u, v, lat, lon, accuracy=4)
    scale = 2 * U / R
    np.testing.assert_allclose(zeta, exact, atol=2e-5 * scale)
    assert np.abs(div).max() < 3e-5 * scale  # next to the poles: one order lower
    assert np.abs(div[[0, -1]]).max() < 1e-12 * scale
    for row, sign in ((0, -1), (-1, 1)):
        assert np.isfinite(zeta[row]).all() and np.ptp(zeta[row]) == 0.0
        assert zeta[row, 0] == pytest.approx(sign * scale * np.cos(a), abs=2e-5 * scale)


@pytest.mark.parametrize("make_grid", [global_grid, gaussian_grid, regional_grid])
def test_rossby_haurwitz_all_operators(make_grid) -> None:
    lat, lon = make_grid(48)
    psi, u, v, zeta = rossby_haurwitz(lat, lon)
    kw = {"radius": 1.0, "accuracy": 6}
    east, north = gs.gradient(psi, lat, lon, **kw)
    np.testing.assert_allclose(east, v, atol=1e-3 * np.abs(v).max())
    np.testing.assert_allclose(north, -u, atol=1e-3 * np.abs(u).max())
    scale = np.abs(zeta).max()
    np.testing.assert_allclose(gs.vorticity(u, v, lat, lon, **kw), zeta, atol=1e-3 * scale)
    assert np.abs(gs.divergence(u, v, lat, lon, **kw)).max() < 1e-3 * scale
    np.testing.assert_allclose(gs.laplacian(psi, lat, lon, **kw), zeta, atol=1e-3 * scale)
    # the irrotational field grad(psi) = (v, -u): divergence laplacian(psi), no vorticity
    np.testing.assert_allclose(gs.divergence(v, -u, lat, lon, **kw), zeta, atol=1e-3 * scale)
    assert np.abs(gs.vorticity(v, -u, lat, lon, **kw)).max() < 1e-3 * scale


# ---------------------------------------------------------------------- convergence

GRIDS = {"global": global_grid, "gaussian": gaussian_grid, "regional": regional_grid}


@pytest.mark.parametrize("accuracy", [2, 4, 6])
@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_convergence_slopes(grid, accuracy) -> None:
    """Max error over all points (edges and pole rows included) of every operator on
    the Rossby-Haurwitz wave falls as h**accuracy (slope >= accuracy - 0.5)."""
    sizes = [40, 80, 160]
    errors: dict[str, list[float]] = {}
    for n in sizes:
        lat, lon = GRIDS[grid](n)
        psi, u, v, zeta = rossby_haurwitz(lat, lon)
        kw = {"radius": 1.0, "accuracy": accuracy}
        east, north = gs.gradient(psi, lat, lon, **kw)
        results = {
            "east": (east, v),
            "north": (north, -u),
            "vorticity": (gs.vorticity(u, v, lat, lon, **kw), zeta),
            "divergence": (gs.divergence(v, -u, lat, lon, **kw), zeta),
            "laplacian": (gs.laplacian(psi, lat, lon, **kw), zeta),
        }
        for name, (got, want) in results.items():
            errors.setdefault(name, []).append(float(np.abs(got - want).max()))
    slopes = {name: slope(e, sizes) for name, e in errors.items()}
    assert min(slopes.values()) >= accuracy - 0.5, slopes


@pytest.mark.parametrize("accuracy", [2, 4, 6])
def test_pole_rows_and_polar_cap_converge(accuracy) -> None:
    """A hill next to the north pole (its wind crosses the pole): the pole rows and the
    rows within 60 degrees converge at the full order; the rows next to the poles lose
    at most one order (a zonal stencil's error over R cos(lat), inherent to
    latitude-longitude grids: documented)."""
    sizes = [40, 80, 160]
    errors: dict[str, list[float]] = {}
    for n in sizes:
        lat, lon = global_grid(n)
        g, e, no, lap = hill(lat, lon)
        kw = {"radius": 1.0, "accuracy": accuracy}
        east, north = gs.gradient(g, lat, lon, **kw)
        results = {
            "east": (east, e),
            "north": (north, no),
            "laplacian": (gs.laplacian(g, lat, lon, **kw), lap),
            "vorticity": (gs.vorticity(-no, e, lat, lon, **kw), lap),
            "divergence": (gs.divergence(e, no, lat, lon, **kw), lap),
        }
        band = np.abs(lat) <= 60
        for name, (got, want) in results.items():
            d = np.abs(got - want)
            errors.setdefault(f"{name} pole rows", []).append(float(d[[0, -1]].max()))
            errors.setdefault(f"{name} within 60", []).append(float(d[band].max()))
            errors.setdefault(f"{name} all rows", []).append(float(d.max()))
    slopes = {name: slope(e, sizes) for name, e in errors.items()}
    full = {k: v for k, v in slopes.items() if not k.endswith("all rows")}
    assert min(full.values()) >= accuracy - 0.5, slopes
    assert min(slopes.values()) >= accuracy - 1.5, slopes


def test_pole_rows_one_value_on_cyclic_grids_limits_otherwise() -> None:
    lat, lon = global_grid(24)
    psi, u, v, zeta = rossby_haurwitz(lat, lon)
    for out in (
        gs.vorticity(u, v, lat, lon, radius=1.0),
        gs.divergence(v, -u, lat, lon, radius=1.0),
        gs.laplacian(psi, lat, lon, radius=1.0),
    ):
        assert np.isfinite(out).all()
        for row in (0, -1):
            assert np.ptp(out[row]) == 0.0
    # a limited-area grid touching the pole: the limit along each meridian
    lat2, lon2 = np.linspace(30.0, 90.0, 41), np.linspace(0.0, 90.0, 41)
    psi, u, v, zeta = rossby_haurwitz(lat2, lon2)
    z = gs.vorticity(u, v, lat2, lon2, radius=1.0, accuracy=4)
    np.testing.assert_allclose(z[-1], zeta[-1], atol=1e-4)


# ------------------------------------------------------------------ grid conventions


def test_latitude_order_longitude_convention_and_dims_anywhere() -> None:
    lat, lon = global_grid(24)
    _psi, u, v, _zeta = rossby_haurwitz(lat, lon)
    kw = {"radius": 1.0, "accuracy": 4}
    ref = gs.vorticity(u, v, lat, lon, **kw)
    # north to south
    np.testing.assert_allclose(gs.vorticity(u[::-1], v[::-1], lat[::-1], lon, **kw), ref[::-1])
    # -180..180 (still cyclic), decreasing longitudes
    roll = np.roll(np.arange(lon.size), lon.size // 2)
    lon180 = np.where(lon[roll] >= 180, lon[roll] - 360, lon[roll])
    np.testing.assert_allclose(
        gs.vorticity(u[:, roll], v[:, roll], lat, lon180, **kw), ref[:, roll], atol=1e-12
    )
    np.testing.assert_allclose(
        gs.vorticity(u[:, ::-1], v[:, ::-1], lat, lon[::-1], **kw), ref[:, ::-1], atol=1e-12
    )
    # (lon, time, lat): dims anywhere
    u3 = np.stack([u, 2 * u]).transpose(2, 0, 1)
    v3 = np.stack([v, 2 * v]).transpose(2, 0, 1)
    z3 = gs.vorticity(u3, v3, lat, lon, lat_dim=2, lon_dim=0, **kw)
    np.testing.assert_allclose(z3.transpose(1, 2, 0), np.stack([ref, 2 * ref]), atol=1e-12)
    e3, n3 = gs.gradient(u3, lat, lon, lat_dim=-1, lon_dim=-3, **kw)
    e, n = gs.gradient(u, lat, lon, **kw)
    np.testing.assert_allclose(e3[:, 1].T, 2 * e, atol=1e-12)
    np.testing.assert_allclose(n3[:, 1].T, 2 * n, atol=1e-12)


def test_cyclic_detection_and_override() -> None:
    lat = np.linspace(-60, 60, 25)
    f = np.random.default_rng(1).standard_normal((25, 72))
    full = np.arange(72) * 5.0
    east_cyc, _ = gs.gradient(f, lat, full)
    east_fwd, _ = gs.gradient(f, lat, full, cyclic=False)
    np.testing.assert_array_equal(east_cyc[:, 1:-1], east_fwd[:, 1:-1])
    assert not np.allclose(east_cyc[:, 0], east_fwd[:, 0])
    # the one-sided plan and its edge columns recomputed: the periodic stencils
    cos = np.cos(np.deg2rad(lat))[:, None]
    for p in (2, 4, 6):
        ref = gridgrad.derivative(
            f, 1, accuracy=p, spacing=np.deg2rad(5.0) * gs.EARTH_RADIUS, boundary="periodic"
        )
        np.testing.assert_allclose(gs.gradient(f, lat, full, accuracy=p)[0], ref / cos, rtol=1e-12)
    # a limited-area grid is not cyclic, forcing it is allowed
    part = full[:36]
    east_lam, _ = gs.gradient(f[:, :36], lat, part)
    np.testing.assert_array_equal(east_lam, gs.gradient(f[:, :36], lat, part, cyclic=False)[0])
    assert not np.allclose(gs.gradient(f[:, :36], lat, part, cyclic=True)[0][:, 0], east_lam[:, 0])
    # non-uniform cyclic longitudes (the periodic plan on coordinates)
    lat2, lon2 = gaussian_grid(32)
    lon2 = lon2 + 1.5 * np.sin(np.deg2rad(lon2))  # smooth, non-uniform, still closing
    _psi, u, v, zeta = rossby_haurwitz(lat2, lon2)
    z = gs.vorticity(u, v, lat2, lon2, radius=1.0, accuracy=4)
    np.testing.assert_allclose(z, zeta, atol=1e-2 * np.abs(zeta).max())
    assert gs.vorticity(u, v, lat2, lon2, cyclic=False)[0, 0] != z[0, 0]


def test_closing_column_at_360_is_the_first_meridian() -> None:
    """Longitudes 0, ..., 360 (or -180, ..., 180): the last column repeats the first;
    it is computed periodic on the distinct meridians, the closing column gets the
    first column's results; cyclic=False keeps every column with one-sided edges."""
    lat = np.linspace(-90.0, 90.0, 25)
    kw = {"radius": 1.0, "accuracy": 4}
    for lon in (np.arange(73) * 5.0, np.arange(73) * 5.0 - 180.0, np.arange(73)[::-1] * 5.0):
        psi, u, v, _zeta = rossby_haurwitz(lat, lon)
        calls = [
            lambda f, g, lo: gs.gradient(f, lat, lo, **kw)[0],
            lambda f, g, lo: gs.gradient(f, lat, lo, **kw)[1],
            lambda f, g, lo: gs.vorticity(f, g, lat, lo, **kw),
            lambda f, g, lo: gs.divergence(f, g, lat, lo, **kw),
            lambda f, g, lo: gs.laplacian(f, lat, lo, **kw),
        ]
        for call, (f, g) in zip(calls, [(psi, None), (psi, None), (u, v), (u, v), (psi, None)]):
            got = call(f, g, lon)
            want = call(f[:, :-1], None if g is None else g[:, :-1], lon[:-1])
            assert got.shape == f.shape
            np.testing.assert_array_equal(got[:, :-1], want)
            np.testing.assert_array_equal(got[:, -1], want[:, 0])
    # the 360-degree span as a limited-area grid, when asked: one-sided at both ends
    lon = np.arange(73) * 5.0
    psi = rossby_haurwitz(lat, lon)[0]
    east = gs.gradient(psi, lat, lon, radius=1.0, cyclic=False)[0]
    east_cyc = gs.gradient(psi, lat, lon, radius=1.0)[0]
    np.testing.assert_array_equal(east[:, 2:-2], east_cyc[:, 2:-2])
    assert not np.allclose(east[:, 0], east_cyc[:, 0])
    # dims anywhere, and lazily through dask
    east_t = gs.gradient(psi.T, lat, lon, lat_dim=1, lon_dim=0, radius=1.0)[0]
    np.testing.assert_array_equal(east_t, east_cyc.T)
    da = require("dask.array")
    lazy = gs.gradient(da.from_array(psi, chunks=(13, 40)), lat, lon, radius=1.0)[0]
    assert isinstance(lazy, da.Array) and lazy.shape == psi.shape
    np.testing.assert_allclose(lazy.compute(), east_cyc, rtol=1e-12, atol=1e-12)


def test_float16_is_computed_and_returned_in_float32() -> None:
    """Per-metre derivatives of a field of order 1 are about 1.6e-7: below float16's
    smallest normal number. 16-bit floats are computed in float32, returned as float32."""
    lat, lon = global_grid(24)
    psi, u, v, zeta = rossby_haurwitz(lat, lon)
    u16, v16, p16 = (a.astype(np.float16) for a in (u, v, psi))
    u32, v32, p32 = (a.astype(np.float32) for a in (u16, v16, p16))
    pairs = [
        (gs.vorticity(u16, v16, lat, lon), gs.vorticity(u32, v32, lat, lon)),
        (gs.divergence(u16, v16, lat, lon), gs.divergence(u32, v32, lat, lon)),
        (gs.laplacian(p16, lat, lon), gs.laplacian(p32, lat, lon)),
        *zip(gs.gradient(p16, lat, lon), gs.gradient(p32, lat, lon)),
    ]
    for got, want in pairs:
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)
    z = gs.vorticity(u16, v16, lat, lon, accuracy=4)  # the values are right, not zero
    assert max_rel(z * gs.EARTH_RADIUS, zeta) < 5e-3
    torch = require("torch")
    for dtype in (torch.float16, torch.bfloat16):
        t = gs.vorticity(torch.tensor(u).to(dtype), torch.tensor(v).to(dtype), lat, lon)
        assert t.dtype == torch.float32
        assert max_rel(t.numpy() * gs.EARTH_RADIUS, gs.vorticity(u, v, lat, lon, radius=1.0)) < 2e-2


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_kept(dtype) -> None:
    lat, lon = global_grid(24)
    psi, u, v, _ = rossby_haurwitz(lat, lon)
    psi, u, v = (a.astype(dtype) for a in (psi, u, v))
    for out in (
        *gs.gradient(psi, lat, lon),
        gs.vorticity(u, v, lat, lon),
        gs.divergence(u, v, lat, lon),
        gs.laplacian(psi, lat, lon),
    ):
        assert out.dtype == np.dtype(dtype)
        assert np.isfinite(out).all()


def test_float32_coordinates_evenly_spaced() -> None:
    lat = np.linspace(90, -90, 1801).astype(np.float32)  # 0.1 degree, rounded to float32
    lon = (np.arange(3600) * 0.1).astype(np.float32)
    f = np.ones((lat.size, 8), np.float32)
    east, north = gs.gradient(f[:, :8], lat, lon[:8], cyclic=False)
    assert (east == 0).all() and (north == 0).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "grid",
    [global_grid(90), regional_grid(90), (np.linspace(-88.0, 88.0, 89), np.arange(180) * 2.0)],
)
def test_fused_kernels_match_generic_path(grid, dtype) -> None:
    """Large C-contiguous (..., lat, lon) arrays take the fused kernels (one pass, the
    metric terms applied in it); a Fortran-ordered copy of the same values takes the
    generic path: the same stencils everywhere, edge rows and pole rows included."""
    from gridgrad import _sphere_fused as fused
    from gridgrad import _sphere_terms as terms
    from gridgrad._engines.numba import loader

    assert loader.load(wait=True) is not None  # small calls do not wait for the kernels
    lat, lon = grid
    psi, u, v, _zeta = rossby_haurwitz(lat, lon)
    reps = -(-fused.FUSED_MIN_SIZE // psi.size)
    k = np.arange(reps)[:, None, None]
    f = (280 + psi * (1 + k)).astype(dtype)  # a large mean
    u3, v3 = (10 + u * (1 + k)).astype(dtype), (v * (1 - k) - 5).astype(dtype)
    tol = {"float32": 2e-6, "float64": 1e-12}[dtype]  # float32: the rounding of the mean
    for p in (2, 4, 6):
        kw = {"lat_dim": -2, "lon_dim": -1, "radius": 1.0, "accuracy": p, "cyclic": None}
        g = terms.make_grid(f.shape, lat, lon, kw)
        assert fused.gradient(f, g, p) is not None
        assert fused.scalar(u3, v3, g, p, 1.0) is not None
        assert fused.laplacian(f, g, p) is not None
        calls = [
            lambda f, u, v: gs.gradient(f, lat, lon, radius=1.0, accuracy=p)[0],  # noqa: B023
            lambda f, u, v: gs.gradient(f, lat, lon, radius=1.0, accuracy=p)[1],  # noqa: B023
            lambda f, u, v: gs.divergence(u, v, lat, lon, radius=1.0, accuracy=p),  # noqa: B023
            lambda f, u, v: gs.vorticity(u, v, lat, lon, radius=1.0, accuracy=p),  # noqa: B023
            lambda f, u, v: gs.laplacian(f, lat, lon, radius=1.0, accuracy=p),  # noqa: B023
        ]
        for n, call in enumerate(calls):
            fast = call(f, u3, v3)
            slow = call(*(np.asfortranarray(a) for a in (f, u3, v3)))
            with gridgrad.use_engine("reference"):  # the switch keeps the generic path
                np.testing.assert_array_equal(call(f, u3, v3), slow)
            assert fast.dtype == np.dtype(dtype) and fast.flags.c_contiguous
            assert max_rel(fast, slow) < tol, (p, n, max_rel(fast, slow))


def test_fused_kernels_on_a_2d_field() -> None:
    """A single 0.25-degree field (721 x 1440, ERA5's grid, no other dim)."""
    from gridgrad import _sphere_fused as fused
    from gridgrad import _sphere_terms as terms
    from gridgrad._engines.numba import loader

    assert loader.load(wait=True) is not None
    lat, lon = np.linspace(90.0, -90.0, 721), np.arange(1440) * 0.25
    psi, u, v, _zeta = rossby_haurwitz(lat, lon)
    kw = {"lat_dim": -2, "lon_dim": -1, "radius": 1.0, "accuracy": 2, "cyclic": None}
    assert fused.gradient(psi, terms.make_grid(psi.shape, lat, lon, kw), 2) is not None
    for fast, slow in [
        (gs.gradient(psi, lat, lon)[0], gs.gradient(np.asfortranarray(psi), lat, lon)[0]),
        (gs.gradient(psi, lat, lon)[1], gs.gradient(np.asfortranarray(psi), lat, lon)[1]),
        (
            gs.vorticity(u, v, lat, lon, accuracy=4),
            gs.vorticity(np.asfortranarray(u), np.asfortranarray(v), lat, lon, accuracy=4),
        ),
    ]:
        assert max_rel(fast, slow) < 1e-12


def test_large_arrays_off_the_fused_path_match_their_slices() -> None:
    """Gaussian latitudes (not evenly spaced): the generic path, whose metric factor
    is one threaded in-place pass on large arrays; each time step as computed alone."""
    lat, lon = gaussian_grid(96)
    psi, u, v, _zeta = rossby_haurwitz(lat, lon)
    k = np.arange(-(-(1 << 21) // psi.size) + 1)[:, None, None]
    f, u3, v3 = psi * (1 + k), u * (1 + k), v * (1 - k)
    east, north = gs.gradient(f, lat, lon)
    zeta = gs.vorticity(u3, v3, lat, lon)
    for j in (0, k.size - 1):
        np.testing.assert_array_equal(east[j], gs.gradient(f[j], lat, lon)[0])
        np.testing.assert_array_equal(north[j], gs.gradient(f[j], lat, lon)[1])
        np.testing.assert_array_equal(zeta[j], gs.vorticity(u3[j], v3[j], lat, lon))


# ----------------------------------------------------------------------- backends


@pytest.mark.parametrize("accuracy", [2, 4])
def test_backends_match_numpy(backend, accuracy) -> None:
    lat, lon = global_grid(12)
    psi, u, v, _ = rossby_haurwitz(lat, lon)
    psi, u, v = (np.stack([a, -a]) for a in (psi, u, v))  # (time, lat, lon)
    kw = {"radius": 1.0, "accuracy": accuracy}
    want = [
        *gs.gradient(psi, lat, lon, **kw),
        gs.vorticity(u, v, lat, lon, **kw),
        gs.divergence(u, v, lat, lon, **kw),
        gs.laplacian(psi, lat, lon, **kw),
    ]
    P, U, V = (backend.asarray(a) for a in (psi, u, v))
    got = [
        *gs.gradient(P, lat, lon, **kw),
        gs.vorticity(U, V, lat, lon, **kw),
        gs.divergence(U, V, lat, lon, **kw),
        gs.laplacian(P, lat, lon, **kw),
    ]
    for g, w in zip(got, want):
        assert backend.is_native(g)
        np.testing.assert_allclose(backend.to_numpy(g), w, rtol=1e-10, atol=1e-10)


def test_torch_autograd_and_float32() -> None:
    torch = require("torch")
    lat, lon = global_grid(6)
    rng = np.random.default_rng(3)
    u = torch.tensor(rng.standard_normal((7, 12)), requires_grad=True)
    v = torch.tensor(rng.standard_normal((7, 12)), requires_grad=True)

    def f(u, v):
        return gs.vorticity(u, v, lat, lon, radius=1.0, accuracy=4)

    assert torch.autograd.gradcheck(f, (u, v))
    z = gs.divergence(u.float(), v.float(), lat, lon)
    assert z.dtype == torch.float32


def test_jax_jit_and_grad() -> None:
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    lat, lon = global_grid(12)
    psi, u, v, _ = rossby_haurwitz(lat, lon)
    kw = {"radius": 1.0, "accuracy": 4}
    jitted = jax.jit(lambda u, v: gs.vorticity(u, v, lat, lon, **kw))
    np.testing.assert_allclose(
        np.asarray(jitted(jax.numpy.asarray(u), jax.numpy.asarray(v))),
        gs.vorticity(u, v, lat, lon, **kw),
        rtol=1e-12,
        atol=1e-12,
    )
    g = jax.grad(lambda f: gs.laplacian(f, lat, lon, **kw).sum())(jax.numpy.asarray(psi))
    assert np.isfinite(np.asarray(g)).all()


def test_dask_stays_lazy_and_chunked() -> None:
    dask = require("dask")
    da = require("dask.array")
    lat, lon = global_grid(24)
    psi, u, v, _ = rossby_haurwitz(lat, lon)
    U, V = da.from_array(u, chunks=(10, 16)), da.from_array(v, chunks=(10, 16))

    def refuse(*args, **kwargs):
        raise AssertionError("computed at call time")

    with dask.config.set(scheduler=refuse):
        z = gs.vorticity(U, V, lat, lon, radius=1.0, accuracy=4)
        east, _north = gs.gradient(da.from_array(psi, chunks=(10, 16)), lat, lon, radius=1.0)
    assert isinstance(z, da.Array) and z.numblocks[1] > 1
    np.testing.assert_allclose(
        z.compute(), gs.vorticity(u, v, lat, lon, radius=1.0, accuracy=4), rtol=1e-12
    )
    np.testing.assert_allclose(east.compute(), gs.gradient(psi, lat, lon, radius=1.0)[0])


def test_dask_blocks_holding_the_whole_grid_run_block_by_block() -> None:
    """Chunks along the time only (ERA5's): each block is differentiated by the NumPy
    path, lazily, one task per block; the same numbers as NumPy's, for every
    operator, the fused kernel's blocks included."""
    dask = require("dask")
    da = require("dask.array")
    from gridgrad import _sphere_fused as fused
    from gridgrad._engines.numba import loader

    assert loader.load(wait=True) is not None  # the kernels in the blocks and eagerly alike
    lat, lon = global_grid(90)
    _psi, u, v, _zeta = rossby_haurwitz(lat, lon)
    reps = 2 * -(-fused.FUSED_MIN_SIZE // u.size)  # blocks large enough for the kernel
    u3 = np.stack([u * (1 + k) for k in range(reps)]).astype(np.float32)
    v3 = np.stack([v * (1 - k) for k in range(reps)]).astype(np.float32)
    U, V = (da.from_array(a, chunks=(reps // 2, -1, -1)) for a in (u3, v3))

    def refuse(*args, **kwargs):
        raise AssertionError("computed at call time")

    kw = {"radius": 1.0, "accuracy": 4}
    with dask.config.set(scheduler=refuse):
        lazy = [
            *gs.gradient(U, lat, lon, **kw),
            gs.vorticity(U, V, lat, lon, **kw),
            gs.divergence(U, V, lat, lon, **kw),
            gs.laplacian(U, lat, lon, **kw),
        ]
    eager = [
        *gs.gradient(u3, lat, lon, **kw),
        gs.vorticity(u3, v3, lat, lon, **kw),
        gs.divergence(u3, v3, lat, lon, **kw),
        gs.laplacian(u3, lat, lon, **kw),
    ]
    for z, want in zip(lazy, eager):
        assert isinstance(z, da.Array) and z.chunks == U.chunks and z.dtype == np.float32
        np.testing.assert_array_equal(z.compute(), want)
    # one task per block for the differentiation
    graph = dict(lazy[2].__dask_graph__())
    assert len(graph) == 3 * U.numblocks[0]  # u and v blocks, one task each


def test_a_large_dask_graph_waits_for_the_kernels_in_a_fresh_process() -> None:
    """The graph of a field with 2**25 outputs or more counts as one call: its first
    block waits for the Numba kernels (as such a NumPy call does) instead of running
    the generic path while they load, so every block gets the fused kernel's numbers."""
    import subprocess
    import sys

    require("dask")
    code = (
        "import numpy as np, dask, dask.array as da, gridgrad.sphere as gs\n"
        "lat, lon = np.linspace(90, -90, 721), np.arange(1440) * 0.25\n"
        "phi, lam = np.deg2rad(lat)[:, None], np.deg2rad(lon)[None, :]\n"
        "f = (250 + 40 * np.cos(phi) ** 2 + 5 * np.cos(phi) * np.sin(3 * lam)).astype('f4')\n"
        "f = np.stack([f + k for k in range(17)])  # 2 x 17 x 721 x 1440 > 2**25 outputs\n"
        "F = da.from_array(f, chunks=(1, 721, 1440))\n"
        "with dask.config.set(scheduler='synchronous'):\n"
        "    lazy = gs.gradient(F, lat, lon)[1].blocks[0].compute()\n"
        "from gridgrad._engines.numba import loader\n"
        "assert loader.load(wait=True) is not None  # the eager call's kernels\n"
        "print(np.array_equal(lazy, gs.gradient(f[:1], lat, lon)[1]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


# -------------------------------------------------------------------------- MetPy


def _metpy(lat, lon, fields, crs):
    mpcalc = require("metpy.calc")
    from metpy.units import units

    kw = {"latitude": lat * units.degree, "longitude": lon * units.degree, "crs": crs}
    psi, u, v = (a * units("m/s") for a in fields)
    gx, gy = mpcalc.geospatial_gradient(psi, **kw)
    out = [gx, gy, mpcalc.vorticity(u, v, **kw), mpcalc.divergence(v, -u, **kw)]
    return [np.asarray(q.to_base_units().magnitude) for q in out]


def test_agrees_with_metpy() -> None:
    pyproj = require("pyproj")
    lat, lon = np.linspace(-75, 75, 61), np.arange(0.0, 360.0, 2.5)
    psi, u, v, _ = rossby_haurwitz(lat, lon)
    psi, u, v = 1e6 * psi, 10 * u, 10 * v
    east, north = gs.gradient(psi, lat, lon, cyclic=False)
    ours = [
        east,
        north,
        gs.vorticity(u, v, lat, lon, cyclic=False),
        gs.divergence(v, -u, lat, lon, cyclic=False),
    ]
    # the same sphere: MetPy's gradient is the same second-order stencil
    sphere = pyproj.CRS(f"+proj=longlat +R={gs.EARTH_RADIUS}")
    theirs = _metpy(lat, lon, (psi, u, v), sphere)
    for k in (0, 1):
        assert max_rel(theirs[k], ours[k]) < 1e-9
    # MetPy's WGS84 distances (the ellipsoid): its northward derivative is 1.24 % larger
    # at the equator; its vorticity and divergence differentiate the map factors
    # numerically (3 % off the exact values at 80 degrees), compared within 60 degrees
    wgs84 = _metpy(lat, lon, (psi, u, v), pyproj.CRS("EPSG:4326"))
    band = np.abs(lat) <= 60
    for k, (t, o) in enumerate(zip(wgs84, ours)):
        assert max_rel(t[band], o[band]) < 1.5e-2, k


# ------------------------------------------------------------------------- errors

LAT, LON = global_grid(12)
F = np.zeros((LAT.size, LON.size))


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: gs.gradient(F, LAT[:-1], LON), ValueError, "`lat` must have one value"),
        (lambda: gs.gradient(F, LAT, LON[:-1]), ValueError, "`lon` must have one value"),
        (lambda: gs.gradient(F, LAT * 1.1, LON), ValueError, r"`lat` must be within \[-90, 90\]"),
        (lambda: gs.gradient(F, np.roll(LAT, 1), LON), ValueError, "`lat` must be strictly"),
        (lambda: gs.gradient(F, LAT, LON * 1.5), ValueError, "`lon` must span at most 360"),
        (
            lambda: gs.gradient(F[:, :5], LAT, np.linspace(0, 360, 5), accuracy=4),
            ValueError,
            "the closing one at 360 degrees aside",
        ),
        (lambda: gs.gradient(F, LAT, LON.astype(str)), TypeError, "`lon` must hold real"),
        (lambda: gs.gradient(F, LAT[:, None], LON), ValueError, "`lat` must be 1-D"),
        (
            lambda: gs.gradient(F, np.where(LAT > 0, np.nan, LAT), LON),
            ValueError,
            "`lat` must be finite",
        ),
        (lambda: gs.gradient(F, LAT, LON, radius=-1.0), ValueError, "`radius` must be positive"),
        (lambda: gs.gradient(F, LAT, LON, radius="6371 km"), TypeError, "`radius` must be a real"),
        (lambda: gs.gradient(F, LAT, LON, accuracy=3), ValueError, "`accuracy` must be an even"),
        (lambda: gs.gradient(F, LAT, LON, accuracy=2.0), TypeError, "`accuracy` must be an even"),
        (lambda: gs.gradient(F, LAT, LON, lat_dim=0, lon_dim=-2), ValueError, "must be different"),
        (lambda: gs.gradient(F, LAT, LON, lat_dim=2), np.exceptions.AxisError, "`lat_dim` 2"),
        (lambda: gs.gradient(F, LAT, LON, lon_dim=1.0), TypeError, "`lon_dim` must be an integer"),
        (lambda: gs.gradient(F, LAT, LON, cyclic="yes"), TypeError, "`cyclic` must be None"),
        (lambda: gs.gradient(F[0], LAT, LON), ValueError, "at least 2 dimensions"),
        (lambda: gs.gradient("f", LAT, LON), TypeError, "`f` must hold real"),
        (lambda: gs.vorticity(F, F[:, :-1], LAT, LON), ValueError, "`v` must have the shape"),
        (lambda: gs.laplacian(F[:5], LAT[:5], LON, accuracy=4), ValueError, "at least accuracy"),
    ],
)
def test_bad_input_errors_name_the_argument(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()


def test_public_surface_is_pinned_and_light() -> None:
    import subprocess
    import sys

    assert sorted(gs.__all__) == ["divergence", "gradient", "laplacian", "vorticity"]
    code = (
        "import sys, gridgrad.sphere; heavy = {'torch', 'jax', 'dask', 'xarray', 'numba',"
        " 'matplotlib', 'metpy', 'cf_xarray', 'pint'}; print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
