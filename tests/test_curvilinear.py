"""gridgrad.curvilinear: derivatives with respect to coordinates given as N-D arrays."""

from __future__ import annotations

import numpy as np
import pytest

import gridgrad
import gridgrad.curvilinear as gc

# --------------------------------------------------------------------------- grids


def polar(n: int, full: bool = False):
    """A polar grid, r in [1, 2] (dim 0), theta (dim 1) over a quarter or a full circle."""
    r = np.linspace(1.0, 2.0, n)
    if full:
        t = np.linspace(0.0, 2 * np.pi, 2 * n, endpoint=False)
    else:
        t = np.linspace(0.0, np.pi / 2, 3 * n // 2)
    R, T = np.meshgrid(r, t, indexing="ij")
    return R * np.cos(T), R * np.sin(T)


def distorted(n: int, seed: int = 0):
    """The unit square, smoothly and randomly distorted (a few Fourier modes)."""
    rng = np.random.default_rng(seed)
    s = np.linspace(0.0, 1.0, n)
    S, T = np.meshgrid(s, 1.2 * s, indexing="ij")
    x, y = S.copy(), T.copy()
    for kx, ky in [(1, 1), (1, 2), (2, 1)]:
        a, b, c, d = rng.uniform(-0.025, 0.025, 4)
        phase = rng.uniform(0, 2 * np.pi, 2)
        x += a * np.sin(np.pi * kx * S + phase[0]) * np.cos(np.pi * ky * T) + b * S * T
        y += c * np.cos(np.pi * kx * S) * np.sin(np.pi * ky * T + phase[1]) + d * S**2
    return x, y


def F(x, y):
    return np.sin(2 * x) * np.cos(y) + x * y**2


def F_x(x, y):
    return 2 * np.cos(2 * x) * np.cos(y) + y**2


def F_y(x, y):
    return -np.sin(2 * x) * np.sin(y) + 2 * x * y


def F_lap(x, y):
    return -5 * np.sin(2 * x) * np.cos(y) + 2 * x


def slope(ns, errs) -> float:
    """The log-log slope of the errors against the step, 1 / (n - 1)."""
    return float(-np.polyfit(np.log(np.subtract(ns, 1)), np.log(errs), 1)[0])


SIZES = {2: (24, 48, 96), 4: (24, 48, 96), 6: (32, 64, 128)}
#: the vector operators differentiate twice (curl, div of a field given analytically
#: converge like gradient; laplacian's second pass needs finer grids to be asymptotic)
SIZES_2 = {2: (32, 64, 128), 4: (32, 64, 128), 6: (40, 80, 160)}
GRIDS = {"polar": polar, "distorted": distorted}


# --------------------------------------------------------------------------- convergence


@pytest.mark.parametrize("accuracy", [2, 4, 6])
@pytest.mark.parametrize("grid", ["polar", "distorted"])
def test_gradient_converges(grid, accuracy) -> None:
    errs = []
    for n in SIZES[accuracy]:
        x, y = GRIDS[grid](n)
        dfdx, dfdy = gc.gradient(F(x, y), (x, y), accuracy=accuracy)
        errs.append(max(np.abs(dfdx - F_x(x, y)).max(), np.abs(dfdy - F_y(x, y)).max()))
    assert slope(SIZES[accuracy], errs) >= accuracy - 0.5, errs


@pytest.mark.parametrize("accuracy", [2, 4, 6])
@pytest.mark.parametrize("grid", ["polar", "distorted"])
def test_vector_operators_converge(grid, accuracy) -> None:
    errs: dict[str, list[float]] = {"div": [], "curl": [], "lap": [], "lap_inner": []}
    for n in SIZES_2[accuracy]:
        x, y = GRIDS[grid](n)
        # u = grad F: div u = lap F, curl u = 0; (v, -u) has div 0 and curl -lap F
        u, v = F_x(x, y), F_y(x, y)
        errs["div"].append(np.abs(gc.divergence((u, v), (x, y), accuracy=accuracy) - F_lap(x, y)).max())  # fmt: skip
        errs["curl"].append(np.abs(gc.curl((v, -u), (x, y), accuracy=accuracy) + F_lap(x, y)).max())  # fmt: skip
        lap = gc.laplacian(F(x, y), (x, y), accuracy=accuracy) - F_lap(x, y)
        k = accuracy + 1
        errs["lap"].append(np.abs(lap).max())
        errs["lap_inner"].append(np.abs(lap[k:-k, k:-k]).max())
    ns = SIZES_2[accuracy]
    assert slope(ns, errs["div"]) >= accuracy - 0.5, errs
    assert slope(ns, errs["curl"]) >= accuracy - 0.5, errs
    # div(grad): the edge error of the first pass is differentiated again (documented)
    assert slope(ns, errs["lap_inner"]) >= accuracy - 0.5, errs
    assert slope(ns, errs["lap"]) >= accuracy - 1.5, errs


def annulus(n: int, seed: int = 1):
    """A full annulus (r in [1, 2] along dim 0, a full circle along dim 1, 2n points),
    smoothly and randomly distorted, periodic along dim 1."""
    rng = np.random.default_rng(seed)
    r = np.linspace(1.0, 2.0, n)
    t = np.linspace(0.0, 2 * np.pi, 2 * n, endpoint=False)
    R, T = np.meshgrid(r, t, indexing="ij")
    a, b = rng.uniform(-0.04, 0.04, 2)
    R2 = R + 4 * a * np.sin(3 * T) * (R - 1) * (2 - R) + b * np.cos(2 * T) * (R - 1)
    T2 = T + 0.05 * np.sin(T + 1) * R
    return R2 * np.cos(T2), R2 * np.sin(T2)


@pytest.mark.parametrize("accuracy", [2, 4, 6])
@pytest.mark.parametrize("grid", ["polar", "annulus"])
def test_periodic_full_circle(grid, accuracy) -> None:
    """Grids that close along dim 1 (a full circle): periodic index-space stencils,
    no edge along it, order accuracy everywhere (the Laplacian: accuracy - 1 at the
    one-sided edges of dim 0 only)."""
    ns = (24, 48, 96) if accuracy < 6 else (32, 64, 128)
    make = (lambda n: polar(n, full=True)) if grid == "polar" else annulus
    p = accuracy
    errs: dict[str, list[float]] = {"grad": [], "div": [], "lap": [], "lap_inner": []}
    for n in ns:
        x, y = make(n)
        kw = {"accuracy": p, "boundary": ("one-sided", "periodic")}
        dfdx, dfdy = gc.gradient(F(x, y), (x, y), **kw)
        errs["grad"].append(max(np.abs(dfdx - F_x(x, y)).max(), np.abs(dfdy - F_y(x, y)).max()))
        div = gc.divergence((F_x(x, y), F_y(x, y)), (x, y), **kw)
        errs["div"].append(np.abs(div - F_lap(x, y)).max())
        lap = gc.laplacian(F(x, y), (x, y), **kw) - F_lap(x, y)
        errs["lap"].append(np.abs(lap).max())
        errs["lap_inner"].append(np.abs(lap[p + 1 : -p - 1]).max())  # all of dim 1
    for k in ("grad", "div", "lap_inner"):
        assert slope(ns, errs[k]) >= p - 0.5, (k, errs[k])
    assert slope(ns, errs["lap"]) >= p - 1.5, errs["lap"]
    # one-sided along the circle: the seam is an edge, not the same numbers
    x, y = make(ns[0])
    one = gc.gradient(F(x, y), (x, y), accuracy=p)[0]
    per = gc.gradient(F(x, y), (x, y), accuracy=p, boundary=("one-sided", "periodic"))[0]
    assert np.abs(one[:, [0, -1]] - per[:, [0, -1]]).max() > 1e-6


def test_laplacian_is_div_grad() -> None:
    x, y = distorted(20)
    f = F(x, y)
    div_grad = gc.divergence(gc.gradient(f, (x, y), accuracy=4), (x, y), accuracy=4)
    np.testing.assert_allclose(
        gc.laplacian(f, (x, y), accuracy=4), div_grad, rtol=1e-13, atol=1e-11
    )


def test_linear_fields_exact() -> None:
    x, y = distorted(15, seed=3)
    for p in (2, 4, 6):
        dfdx, dfdy = gc.gradient(3 * x - 2 * y + 1, (x, y), accuracy=p)
        np.testing.assert_allclose(dfdx, 3.0, atol=1e-11)
        np.testing.assert_allclose(dfdy, -2.0, atol=1e-11)
        np.testing.assert_allclose(gc.laplacian(3 * x - 2 * y, (x, y), accuracy=p), 0.0, atol=1e-9)


# --------------------------------------------------------------------------- exact grids


@pytest.mark.parametrize("accuracy", [2, 4, 6])
def test_rectilinear_2d_arrays_equal_1d_result(accuracy) -> None:
    xs = 0.3 + 0.1 * np.arange(17)
    ys = -2.0 + 0.25 * np.arange(13)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    f = F(X, Y)
    got = gc.gradient(f, (X, Y), accuracy=accuracy)
    ref = gridgrad.gradient(f, spacing=(xs, ys), accuracy=accuracy, edge_order=accuracy)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)
    # broadcastable coordinates (x over dim 0, y over dim 1) give the same
    got_b = gc.gradient(f, (xs[:, None], ys[None, :]), accuracy=accuracy)
    for g, r in zip(got_b, ref):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)
    d2 = gridgrad.derivative(f, 1, accuracy=accuracy, spacing=(ys,))
    np.testing.assert_allclose(got[1], d2, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("accuracy", [2, 4])
def test_rectilinear_nonuniform_2d_arrays_equal_1d_result(accuracy) -> None:
    """Random monotone (non-uniform) coordinates given as 2-D arrays, in either order
    and layout: gridgrad.gradient's result with the 1-D coordinates, to round-off."""
    rng = np.random.default_rng(7)
    xs = np.cumsum(rng.uniform(0.05, 0.15, 19))
    ys = -np.cumsum(rng.uniform(0.1, 0.3, 14))  # decreasing
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    f = F(X, Y)
    ref = gridgrad.gradient(f, spacing=(xs, ys), accuracy=accuracy, edge_order=accuracy)
    got = gc.gradient(f, (X, Y), accuracy=accuracy)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-13, atol=1e-13)
    got_t = gc.gradient(f.T, (Y.T, X.T), accuracy=accuracy)  # (y, x) layout, y first
    np.testing.assert_allclose(got_t[0], ref[1].T, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(got_t[1], ref[0].T, rtol=1e-13, atol=1e-13)
    div = gc.divergence((f, 2 * f), (X, Y), accuracy=accuracy)
    np.testing.assert_allclose(div, ref[0] + 2 * ref[1], rtol=1e-12, atol=1e-12)
    rot = gc.curl((f, 2 * f), (X, Y), accuracy=accuracy)
    np.testing.assert_allclose(rot, 2 * ref[0] - ref[1], rtol=1e-12, atol=1e-12)
    # with extra dims and broadcast coordinates
    f3 = np.stack([f, -f])
    got3 = gc.gradient(f3, (X, Y), accuracy=accuracy)
    np.testing.assert_allclose(got3[1][1], -ref[1], rtol=1e-13, atol=1e-13)
    # a grid that is not rectilinear by one point takes the chain rule: same order
    Xp = X.copy()
    Xp[5, 5] += 1e-3
    near = gc.gradient(f, (Xp, Y), accuracy=accuracy)[1]
    assert np.abs(near - ref[1]).max() > 1e-9


@pytest.mark.parametrize("accuracy", [2, 4, 6])
def test_rectilinear_2d_arrays_laplacian_equals_1d_result(accuracy) -> None:
    """laplacian on a rectilinear grid given as 2-D arrays: gridgrad.laplacian with the
    1-D coordinates (second-derivative stencils), not div(grad), to round-off."""
    rng = np.random.default_rng(11)
    xs = np.cumsum(rng.uniform(0.05, 0.15, 21))
    ys = -np.cumsum(rng.uniform(0.1, 0.3, 16))  # decreasing
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    f = F(X, Y)
    ref = gridgrad.laplacian(f, spacing=(xs, ys), accuracy=accuracy)
    got = gc.laplacian(f, (X, Y), accuracy=accuracy)
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-12)
    got_t = gc.laplacian(f.T, (Y.T, X.T), accuracy=accuracy)  # (y, x) layout, y first
    np.testing.assert_allclose(got_t, ref.T, rtol=1e-13, atol=1e-12)
    ref_e = gridgrad.laplacian(f, spacing=(xs, ys), accuracy=accuracy, edge_order=2)
    got_e = gc.laplacian(f, (xs[:, None], ys[None, :]), accuracy=accuracy, edge_order=2)
    np.testing.assert_allclose(got_e, ref_e, rtol=1e-13, atol=1e-12)
    # the chain rule twice differs from it by truncation error
    Xp = X.copy()
    Xp[0, 0] += 1e-9  # not rectilinear by one point
    assert np.abs(gc.laplacian(f, (Xp, Y), accuracy=accuracy) - ref).max() > 1e-9


@pytest.mark.parametrize("accuracy", [2, 4])
def test_rectilinear_periodic_dim_with_wrap_equals_1d_result(accuracy) -> None:
    """(r, theta) as 2-D arrays, theta periodic with its period given by ``wrap`` (and
    its values wrapped into [-180, 180)): gridgrad's periodic result with ``period``."""
    r = np.linspace(1.0, 2.0, 20)
    th = np.arange(0.0, 360.0, 10.0) + 3.0
    R, T = np.meshgrid(r, th, indexing="ij")
    f = np.cos(np.radians(T)) * R**2 + np.sin(np.radians(2 * T))
    kw = {"accuracy": accuracy, "boundary": ("one-sided", "periodic")}
    got = gc.gradient(f, (R, (T + 180) % 360 - 180), wrap=(None, 360), **kw)
    ref = gridgrad.gradient(f, spacing=(r, th), edge_order=accuracy, period=(None, 360), **kw)
    for g, e in zip(got, ref):
        np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-13)
    lap = gc.laplacian(f, (R, T), wrap=(None, 360), **kw)
    ref_lap = gridgrad.laplacian(f, spacing=(r, th), period=(None, 360), **kw)
    np.testing.assert_allclose(lap, ref_lap, rtol=1e-13, atol=1e-13)
    # the seam point gets the centred stencil: not the one-sided result
    one = gc.gradient(f, (R, T), accuracy=accuracy, wrap=(None, 360))[1]
    assert np.abs(one[:, 0] - got[1][:, 0]).max() > 1e-6


@pytest.mark.parametrize("alpha", [0.3, 2.0, -1.1])
def test_rotated_cartesian_grid(alpha) -> None:
    h = 0.05
    s = h * np.arange(21)
    S, T = np.meshgrid(s, 0.5 + s[:15], indexing="ij")
    c, sn = np.cos(alpha), np.sin(alpha)
    x, y = c * S - sn * T, sn * S + c * T
    f = F(x, y)
    dfdx, dfdy = gc.gradient(f, (x, y), accuracy=4)
    fs, ft = gridgrad.gradient(f, spacing=h, accuracy=4, edge_order=4)
    np.testing.assert_allclose(dfdx, c * fs - sn * ft, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(dfdy, sn * fs + c * ft, rtol=1e-11, atol=1e-11)


def grid3(n: int):
    s = np.linspace(0.0, 1.0, n)
    S, T, U = np.meshgrid(s, s, s, indexing="ij")
    x = S + 0.05 * np.sin(np.pi * T) * np.cos(np.pi * U)
    y = T + 0.05 * np.sin(np.pi * U + 1) * S
    z = U + 0.05 * np.cos(np.pi * S) * T
    return x, y, z


def test_3d_converges_and_curl() -> None:
    def G(x, y, z):
        return np.sin(x + 2 * y) * np.cos(z)

    grads = [
        lambda x, y, z: np.cos(x + 2 * y) * np.cos(z),
        lambda x, y, z: 2 * np.cos(x + 2 * y) * np.cos(z),
        lambda x, y, z: -np.sin(x + 2 * y) * np.sin(z),
    ]
    ns = (10, 20, 40)
    errs = []
    for n in ns:
        xyz = grid3(n)
        got = gc.gradient(G(*xyz), xyz, accuracy=4)
        errs.append(max(np.abs(g - e(*xyz)).max() for g, e in zip(got, grads)))
    assert slope(ns, errs) >= 3.5, errs
    x, y, z = grid3(12)
    cx, cy, cz = gc.curl((-y + z, x, 2 * x), (x, y, z))  # (0, 1 - 2, 2)
    np.testing.assert_allclose(cx, 0.0, atol=1e-11)
    np.testing.assert_allclose(cy, -1.0, atol=1e-11)
    np.testing.assert_allclose(cz, 2.0, atol=1e-11)
    np.testing.assert_allclose(gc.divergence((x, 2 * y, -z), (x, y, z)), 2.0, atol=1e-11)


def test_3d_rectilinear_equals_1d() -> None:
    xs, ys, zs = 0.1 * np.arange(7), 0.2 * np.arange(8), 0.5 * np.arange(6)
    X, Y, Z = np.meshgrid(xs, ys, zs, indexing="ij")
    f = np.sin(X) * np.cos(Y) * Z**2
    got = gc.gradient(f, (X, Y, Z), accuracy=2)
    ref = gridgrad.gradient(f, spacing=(xs, ys, zs), edge_order=2)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)
    # (y, x, z) layout, the coordinates given in (x, y, z) order
    ft, Xt, Yt, Zt = (a.transpose(1, 0, 2) for a in (f, X, Y, Z))
    lap = gc.laplacian(ft, (Xt, Yt, Zt), accuracy=4)
    ref_lap = gridgrad.laplacian(ft, spacing=(ys, xs, zs), accuracy=4)
    np.testing.assert_allclose(lap, ref_lap, rtol=1e-12, atol=1e-12)


def test_extra_dims_broadcast_coordinates() -> None:
    x, y = polar(12)
    f = np.stack([F(x, y), 2 * F(x, y), x * y])  # (3, ny, nx)
    got = gc.gradient(f, (x, y))
    for k in range(3):
        ref = gc.gradient(f[k], (x, y))
        np.testing.assert_array_equal(got[0][k], ref[0])
        np.testing.assert_array_equal(got[1][k], ref[1])
    # the differentiated dims named explicitly: (ny, nx, 3)
    got_t = gc.gradient(np.moveaxis(f, 0, -1), (x[..., None], y[..., None]), dim=(0, 1))
    np.testing.assert_allclose(np.moveaxis(got_t[0], -1, 0), got[0], rtol=1e-14, atol=1e-14)


def test_wrapped_longitude() -> None:
    """Coordinates that jump by a period (longitude across the dateline)."""
    lon1 = np.linspace(160.0, 200.0, 21)
    lat1 = np.linspace(-10.0, 10.0, 11)
    LON, LAT = np.meshgrid(lon1, lat1, indexing="ij")
    LON = LON + 2.0 * np.sin(np.radians(LAT))  # not rectilinear
    f = np.cos(np.radians(LON)) * LAT
    wrapped = (LON + 180.0) % 360.0 - 180.0  # jumps from 180 to -180
    ref = gc.gradient(f, (LON, LAT), accuracy=4)
    got = gc.gradient(f, (wrapped, LAT), accuracy=4, wrap=(360.0, None))
    for g, r in zip(got, ref):  # same order, another truncation error (cos, sin)
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-7)
    exact = -np.sin(np.radians(LON)) * np.radians(1.0) * LAT
    assert np.abs(got[0] - exact).max() < 1e-6
    with pytest.raises(ValueError, match="Jacobian"):
        gc.gradient(f, (wrapped, LAT), accuracy=4)


# --------------------------------------------------------------------------- errors


def test_folded_grid_names_the_point() -> None:
    x, y = distorted(12)
    x = x.copy()
    x[5:9] = x[5:9][::-1].copy()  # four rows reversed: the grid folds
    J = np.gradient(x, axis=0) * np.gradient(y, axis=1) - np.gradient(x, axis=1) * np.gradient(y, axis=0)  # fmt: skip
    first = tuple(int(i) for i in np.argwhere(J <= 0)[0])
    assert 5 <= first[0] <= 8
    with pytest.raises(ValueError, match=rf"changes sign at index \({first[0]}, {first[1]}\)"):
        gc.gradient(F(x, y), (x, y))
    x2, y2 = distorted(12)
    y2 = y2.copy()
    y2[3, 4] = np.nan
    with pytest.raises(ValueError, match=r"is not finite at index \(2, 4\)"):
        gc.laplacian(F(x2, y2), (x2, y2))


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"coords": "xy"}, TypeError, "`coords` must be a list or tuple"),
        ({"coords": np.zeros((2, 6, 5))}, TypeError, "`coords` must be a list or tuple"),
        (
            {"coords": [np.zeros((6, 5))] * 4},
            ValueError,
            r"1, 2 or 3 coordinate arrays \(one per differentiated dim\); got 4",
        ),
        ({"coords": [np.zeros((6, 5))] * 3}, ValueError, "3 `coords` need an array of at least 3"),
        (
            {"coords": [np.zeros((6, 5)), np.zeros((5, 6))]},
            ValueError,
            r"`coords\[1\]` of shape \(5, 6\)",
        ),
        (
            {"coords": [np.zeros((6, 5)), np.zeros((6, 5), complex)]},
            TypeError,
            r"`coords\[1\]` must be real",
        ),
        ({"dim": (0,)}, ValueError, "one dimension per coordinate array"),
        ({"dim": (0, 0)}, ValueError, "must not repeat"),
        ({"dim": (0, 2)}, np.exceptions.AxisError, "`dim`"),
        ({"dim": (0, 1.0)}, TypeError, "`dim` must be an int"),
        ({"boundary": ("periodic",)}, ValueError, "`boundary` must be"),
        ({"wrap": (360.0,)}, ValueError, "`wrap` must be None or a sequence of 2"),
        ({"wrap": (-1.0, None)}, ValueError, "positive finite period"),
        ({"accuracy": 3}, ValueError, "accuracy"),
    ],
)
def test_bad_arguments(kwargs, exc, match) -> None:
    s = np.arange(6.0)[:, None] + 0 * np.arange(5.0)
    t = np.arange(5.0) + 0 * s
    args = {"coords": (s, t), **kwargs}
    with pytest.raises(exc, match=match):
        gc.gradient(np.ones((6, 5)), **args)


def test_vector_argument_errors() -> None:
    x, y = polar(6)
    with pytest.raises(ValueError, match="`components` must be a list or tuple of 2 arrays"):
        gc.divergence((x,), (x, y))
    with pytest.raises(ValueError, match="same shape"):
        gc.curl((x, y[:, :3]), (x, y))
    with pytest.raises(ValueError, match="2 or 3 arrays for a curl"):
        gc.curl((x[:, 0],), (x[:, 0],))


def test_numpy_gradient_still_refuses_2d_coordinates() -> None:
    x, y = polar(6)
    with pytest.raises(ValueError):
        gridgrad.numpy_gradient(x * y, x, y)


def test_public_surface_is_pinned() -> None:
    assert sorted(gc.__all__) == [
        "curl",
        "divergence",
        "gradient",
        "laplacian",
        "sphere_divergence",
        "sphere_gradient",
        "sphere_laplacian",
        "sphere_vorticity",
        "xarray_curl",
        "xarray_divergence",
        "xarray_gradient",
        "xarray_laplacian",
        "xarray_sphere_divergence",
        "xarray_sphere_gradient",
        "xarray_sphere_laplacian",
        "xarray_sphere_vorticity",
    ]


# --------------------------------------------------------------------------- backends


def test_backends_agree(backend) -> None:
    x, y = polar(9)
    f = F(x, y)
    ref = gc.gradient(f, (x, y), accuracy=4)
    got = gc.gradient(backend.asarray(f), (backend.asarray(x), backend.asarray(y)), accuracy=4)
    for g, r in zip(got, ref):
        assert backend.is_native(g)
        np.testing.assert_allclose(backend.to_numpy(g), r, rtol=1e-12, atol=1e-12)
    if backend.name == "jax":
        return  # eager JAX dispatches every operation: slow; test_jax_jit covers it
    lap = gc.laplacian(backend.asarray(f), (x, y))  # NumPy coordinates are converted
    np.testing.assert_allclose(
        backend.to_numpy(lap), gc.laplacian(f, (x, y)), rtol=1e-12, atol=1e-10
    )


def test_dask_stays_lazy_and_checks_when_computed() -> None:
    da = pytest.importorskip("dask.array")
    x, y = distorted(20)
    f = F(x, y)
    fd = da.from_array(f, chunks=(7, 6))
    got = gc.gradient(fd, (x, y), accuracy=4)  # NumPy coordinates: chunked like f
    assert all(isinstance(g, da.Array) for g in got)
    ref = gc.gradient(f, (x, y), accuracy=4)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g.compute(), r, rtol=1e-12, atol=1e-12)
    xf = x.copy()
    xf[12:16] = x[12:16][::-1].copy()
    lazy = gc.gradient(fd, (da.from_array(xf, chunks=(7, 6)), y))  # no error yet
    with pytest.raises(ValueError, match="changes sign at index"):
        lazy[0].compute()


def test_torch_autograd_reaches_field_and_coordinates() -> None:
    torch = pytest.importorskip("torch")
    x, y = polar(8)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.tensor(y, requires_grad=True)
    ft = torch.tensor(F(x, y), requires_grad=True)
    dfdx, dfdy = gc.gradient(ft, (xt, yt))
    (dfdx.sum() + dfdy.sum()).backward()
    assert ft.grad is not None and xt.grad is not None and yt.grad is not None
    assert torch.isfinite(xt.grad).all()


def test_jax_jit() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    x, y = polar(8)
    f = F(x, y)
    fn = jax.jit(lambda f, x, y: gc.gradient(f, (x, y))[0])
    np.testing.assert_allclose(np.asarray(fn(f, x, y)), gc.gradient(f, (x, y))[0], rtol=1e-12)


# --------------------------------------------------------------------------- xarray


def _polar_dataarray(n: int = 12, nt: int = 3):
    xr = pytest.importorskip("xarray")
    x, y = polar(n)
    f = np.stack([(k + 1) * F(x, y) for k in range(nt)])
    return xr.DataArray(
        f,
        dims=("time", "j", "i"),
        name="T",
        coords={
            "time": np.arange(nt),
            "X": (("j", "i"), x, {"units": "m"}),
            "Y": (("j", "i"), y, {"units": "m"}),
        },
        attrs={"units": "K"},
    )


def test_xarray_gradient_picks_2d_coords() -> None:
    T = _polar_dataarray()
    x, y = T["X"].values, T["Y"].values
    g = gc.xarray_gradient(T, accuracy=4)
    assert sorted(g.data_vars) == ["dT_dX", "dT_dY"]
    assert g["dT_dX"].dims == ("time", "j", "i") and g["dT_dX"].attrs["units"] == "K / m"
    ref = gc.gradient(T.values, (x, y), accuracy=4)
    np.testing.assert_array_equal(g["dT_dX"].values, ref[0])
    np.testing.assert_array_equal(g["dT_dY"].values, ref[1])
    # the CF attribute decides the order and which coordinates; explicit names too
    T2 = T.assign_attrs(coordinates="Y X")
    assert list(gc.xarray_gradient(T2).data_vars) == ["dT_dY", "dT_dX"]
    assert list(gc.xarray_gradient(T, coords=["Y", "X"]).data_vars) == ["dT_dY", "dT_dX"]
    # transposed data: same numbers
    gt = gc.xarray_gradient(T.transpose("i", "time", "j"), accuracy=4)
    np.testing.assert_allclose(
        gt["dT_dX"].transpose(*T.dims).values, ref[0], rtol=1e-13, atol=1e-12
    )


def test_xarray_gradient_dataset_dask_and_longitude() -> None:
    pytest.importorskip("dask.array")
    T = _polar_dataarray()
    ds = T.to_dataset().assign(c=("time", np.arange(3.0))).chunk({"j": 5})
    g = gc.xarray_gradient(ds)
    assert list(g.data_vars) == ["dT_dX", "dT_dY"]  # c does not span (j, i): skipped
    assert g["dT_dX"].chunks is not None  # lazy
    np.testing.assert_allclose(g["dT_dX"].values, gc.xarray_gradient(T)["dT_dX"].values, rtol=1e-13)  # fmt: skip
    lon = ((T["X"] * 10 + 175.0 + 180.0) % 360.0 - 180.0).assign_attrs(units="degrees_east")
    Tl = T.assign_coords(lon=lon, lat=T["Y"] * 10).drop_vars(["X", "Y"])
    gl = gc.xarray_gradient(Tl, ("lon", "lat"))  # the jump at 180 is unwrapped
    ref = gc.gradient(T.values, (T["X"].values * 10 + 175.0, T["Y"].values * 10), wrap=(360, None))
    np.testing.assert_allclose(gl["dT_dlon"].values, ref[0], rtol=1e-10, atol=1e-12)
    # unwrapped, without the period: the same derivative up to truncation error
    np.testing.assert_allclose(gl["dT_dlon"].values, gc.xarray_gradient(T)["dT_dX"].values / 10, rtol=1e-3, atol=1e-5)  # fmt: skip


def test_xarray_gradient_errors() -> None:
    T = _polar_dataarray()
    with pytest.raises(TypeError, match="`obj` must be an xarray"):
        gc.xarray_gradient(T.values)
    with pytest.raises(ValueError, match="no coordinates of two or more dims"):
        gc.xarray_gradient(T.drop_vars(["X", "Y"]))
    with pytest.raises(ValueError, match=r"`coords` names \['Z'\]"):
        gc.xarray_gradient(T, ("X", "Z"))
    with pytest.raises(ValueError, match="as many dims as there are coordinates"):
        gc.xarray_gradient(T, ("X",))


def test_xarray_vector_operators_and_laplacian_match_arrays() -> None:
    xr = pytest.importorskip("xarray")
    import gridgrad.xarray  # noqa: F401  (registers .gridgrad)

    T = _polar_dataarray()
    x, y = T["X"].values, T["Y"].values
    u = T.rename("u").assign_attrs(units="m s-1")
    v = (T * x).rename("v").assign_attrs(units="m s-1")
    ds = xr.Dataset({"u": u, "v": v})
    kw = {"accuracy": 4}
    div = gc.xarray_divergence(ds, **kw)
    assert div.name == "divergence" and div.dims == T.dims
    assert div.attrs["units"] == "m s-1 / m"
    np.testing.assert_array_equal(div.values, gc.divergence((u.values, v.values), (x, y), **kw))
    rot = gc.xarray_curl([u, v.transpose("i", "j", "time")], ("X", "Y"), **kw)
    assert rot.name == "curl" and rot.dims == T.dims
    np.testing.assert_allclose(rot.values, gc.curl((u.values, v.values), (x, y), **kw), rtol=1e-13, atol=1e-12)  # fmt: skip
    lap = gc.xarray_laplacian(T, **kw)
    assert lap.name == "laplacian_T" and lap.attrs["units"] == "K / m^2"
    np.testing.assert_array_equal(lap.values, gc.laplacian(T.values, (x, y), **kw))
    lap_ds = gc.xarray_laplacian(ds, **kw)
    assert list(lap_ds.data_vars) == ["laplacian_u", "laplacian_v"]
    # the accessor
    xr.testing.assert_identical(ds.gridgrad.curvilinear_divergence(**kw), div)
    xr.testing.assert_identical(ds.gridgrad.curvilinear_curl(("X", "Y"), **kw), gc.xarray_curl(ds, ("X", "Y"), **kw))  # fmt: skip
    xr.testing.assert_identical(T.gridgrad.curvilinear_laplacian(**kw), lap)
    # 3-D: a Dataset of three components, curl_{coord}
    xyz = grid3(8)
    dims3 = ("a", "b", "c")
    cs = {n: (dims3, c, {"units": "m"}) for n, c in zip("xyz", xyz)}
    F3 = xr.Dataset({"p": (dims3, -xyz[1] + xyz[2]), "q": (dims3, xyz[0]), "r": (dims3, 2 * xyz[0])}, coords=cs)  # fmt: skip
    c3 = gc.xarray_curl(F3)
    assert list(c3.data_vars) == ["curl_x", "curl_y", "curl_z"]
    np.testing.assert_allclose(c3["curl_y"].values, -1.0, atol=1e-11)
    # errors
    with pytest.raises(TypeError, match="`components` must be an xarray Dataset"):
        gc.xarray_divergence(u.values)
    with pytest.raises(ValueError, match="same dims"):
        gc.xarray_divergence([u, v.isel(time=0)])
    with pytest.raises(ValueError, match="list or tuple of 2 arrays, one per coordinate"):
        gc.xarray_curl(ds[["u"]])


def test_xarray_dask_stays_lazy() -> None:
    pytest.importorskip("dask.array")
    xr = pytest.importorskip("xarray")
    T = _polar_dataarray()
    ds = xr.Dataset({"u": T, "v": 2 * T}).chunk({"j": 5})
    div = gc.xarray_divergence(ds)
    assert div.chunks is not None
    np.testing.assert_allclose(div.values, gc.xarray_divergence(ds.compute()).values, rtol=1e-13)


# --------------------------------------------------------------------------- fast path


@pytest.mark.parametrize(("accuracy", "edge_order"), [(2, None), (2, 1), (4, None), (6, 3)])
def test_fused_kernel_matches_generic_path(accuracy, edge_order) -> None:
    """Large 2-D float arrays run the fused Numba kernel; a leading size-1 dim takes
    the generic path: the same numbers to round-off, the same fold error."""
    n = 724  # 724**2 >= 2**19
    x, y = distorted(n, seed=5)
    f = F(x, y)
    kw = {"accuracy": accuracy, "edge_order": edge_order}
    fast = gc.gradient(f, (x, y), **kw)
    generic = gc.gradient(f[None], (x, y), **kw)
    for a, b in zip(fast, generic):
        np.testing.assert_allclose(a, b[0], rtol=1e-10, atol=1e-9)
    f32 = gc.gradient(f.astype(np.float32), (x.astype(np.float32), y.astype(np.float32)), **kw)
    assert f32[0].dtype == np.float32
    np.testing.assert_allclose(f32[0], fast[0], rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("rows", [(300, 304), (0, 4), (718, 722)])
def test_fused_kernel_fold_error_matches_generic(rows) -> None:
    x, y = distorted(724, seed=5)
    x = x.copy()
    a, b = rows
    x[a:b] = x[a:b][::-1].copy()
    msgs = []
    for f in (F(x, y), F(x, y)[None]):
        with pytest.raises(ValueError, match="Jacobian") as exc:
            gc.gradient(f, (x, y))
        msgs.append(str(exc.value))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("accuracy", [2, 4, 6])
@pytest.mark.parametrize("transpose", [False, True])
def test_fused_kernel_periodic_matches_generic_path(accuracy, transpose) -> None:
    """A closed annulus (512 x 1024, periodic along the circle) runs the fused kernel,
    which reads the periodic dim by index modulo its size: the generic path's periodic
    numbers (a leading size-1 dim takes it)."""
    x, y = annulus(512)
    f = F(x, y)
    b = ("one-sided", "periodic")
    if transpose:
        x, y, f, b = x.T.copy(), y.T.copy(), f.T.copy(), b[::-1]
    fast = gc.gradient(f, (x, y), accuracy=accuracy, boundary=b)
    generic = gc.gradient(f[None], (x, y), accuracy=accuracy, boundary=b)
    for a, g in zip(fast, generic):
        assert a.shape == f.shape
        np.testing.assert_allclose(a, g[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("boundary", [("one-sided", "periodic"), ("periodic", "one-sided"), ("periodic", "periodic")])  # fmt: skip
def test_fused_kernel_periodic_fold_error_matches_generic(boundary) -> None:
    """A grid that does not close, made periodic: it folds at the seam; the fused path
    names the generic path's point and values."""
    x, y = distorted(724, seed=5)
    msgs = []
    for f in (F(x, y), F(x, y)[None]):
        with pytest.raises(ValueError, match="Jacobian") as exc:
            gc.gradient(f, (x, y), boundary=boundary)
        msgs.append(str(exc.value))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("column", [0, 1, 1023])
def test_fused_kernel_periodic_fold_in_wrapped_columns(column) -> None:
    """A closed annulus folded near a wrapped column (the kernel's point-by-point
    edge of a periodic dim): the generic path's first point and Jacobian."""
    x, y = annulus(512)
    x = x.copy()
    x[300:304, column] = x[300:304, column][::-1].copy()
    b = ("one-sided", "periodic")
    msgs = []
    for f in (F(x, y), F(x, y)[None]):
        with pytest.raises(ValueError, match="Jacobian") as exc:
            gc.gradient(f, (x, y), accuracy=4, boundary=b)
        msgs.append(str(exc.value))
    assert msgs[0] == msgs[1]
    assert "at index (30" in msgs[0]


def test_import_loads_no_optional_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, gridgrad.curvilinear; heavy = {'torch', 'jax', 'dask', 'xarray', 'numba',"
        " 'matplotlib'}; print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_one_coordinate() -> None:
    s = np.linspace(0.0, 1.0, 40)
    x = s + 0.2 * s**2  # a stretched 1-D grid, as a 2-D field's coordinate along dim 1
    f = np.outer([1.0, 2.0], np.sin(x))
    (d,) = gc.gradient(f, (x,), accuracy=4)
    np.testing.assert_allclose(d, np.outer([1.0, 2.0], np.cos(x)), atol=1e-5)
