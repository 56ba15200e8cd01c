"""Beyond torch.gradient: orders, accuracies, periodic axes, vector calculus, weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gridgrad
from conftest import require
from gridgrad._plan import AxisError

ACCURACIES = [2, 4, 6, 8]


# --------------------------------------------------------------------------- convergence


def _slope(errors: list[float], sizes: list[int]) -> float:
    return -np.polyfit(np.log(sizes), np.log(errors), 1)[0]


def _periodic_errors(order: int, acc: int, sizes: list[int], coords: bool) -> list[float]:
    errs = []
    for n in sizes:
        s = np.arange(n) / n
        x = 2 * np.pi * (s + 0.05 * np.sin(2 * np.pi * s)) if coords else 2 * np.pi * s
        f = np.exp(np.sin(x))
        exact = np.cos(x) * f if order == 1 else (np.cos(x) ** 2 - np.sin(x)) * f
        kw = {"spacing": (x,), "period": 2 * np.pi} if coords else {"spacing": 2 * np.pi / n}
        d = gridgrad.derivative(f, 0, order=order, accuracy=acc, boundary="periodic", **kw)
        errs.append(float(np.abs(d - exact).max()))
    return errs


def _stretched_errors(order: int, acc: int, sizes: list[int]) -> list[float]:
    """One-sided edges of the same accuracy, on a smoothly stretched grid; max error
    over every point, edges included."""
    errs = []
    for n in sizes:
        s = np.linspace(0.0, 1.0, n)
        x = s + 0.2 * s * (1 - s)
        f = np.sin(8 * x) + np.exp(x)
        exact = 8 * np.cos(8 * x) + np.exp(x) if order == 1 else -64 * np.sin(8 * x) + np.exp(x)
        d = gridgrad.derivative(f, 0, order=order, accuracy=acc, spacing=(x,))
        errs.append(float(np.abs(d - exact).max()))
    return errs


@pytest.mark.parametrize("coords", [False, True], ids=["uniform", "coordinates"])
@pytest.mark.parametrize("acc", ACCURACIES)
@pytest.mark.parametrize("order", [1, 2])
def test_convergence_periodic(order: int, acc: int, coords: bool) -> None:
    sizes = [40, 56, 80, 112]
    errs = _periodic_errors(order, acc, sizes, coords)
    assert _slope(errs, sizes) >= acc - 0.5, errs


@pytest.mark.parametrize("acc", ACCURACIES)
@pytest.mark.parametrize("order", [1, 2])
def test_convergence_nonuniform_with_edges(order: int, acc: int) -> None:
    sizes = [40, 56, 80, 112]
    errs = _stretched_errors(order, acc, sizes)
    assert _slope(errs, sizes) >= acc - 0.5, errs


@pytest.mark.parametrize("acc", ACCURACIES)
@pytest.mark.parametrize("order", [1, 2])
def test_convergence_uniform_with_edges(order: int, acc: int) -> None:
    sizes = [40, 56, 80, 112]
    errs = []
    for n in sizes:
        x = np.linspace(0.0, 1.0, n)
        f = np.sin(8 * x) + np.exp(x)
        exact = 8 * np.cos(8 * x) + np.exp(x) if order == 1 else -64 * np.sin(8 * x) + np.exp(x)
        d = gridgrad.derivative(f, 0, order=order, accuracy=acc, spacing=x[1] - x[0])
        errs.append(float(np.abs(d - exact).max()))
    assert _slope(errs, sizes) >= acc - 0.5, errs


# --------------------------------------------------------------------------- exactness


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("acc", ACCURACIES)
@pytest.mark.parametrize("order", [1, 2, 3])
def test_polynomials_exact_on_random_nonuniform_grids(order: int, acc: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3 * (order + acc)
    x = np.cumsum(rng.uniform(0.5, 1.5, n))
    x = (x - x.mean()) / (x.max() - x.min())  # well scaled: polynomial values stay O(1)
    degree = acc + order - 1
    c = rng.uniform(-1, 1, degree + 1)
    f = np.polynomial.polynomial.polyval(x, c)
    exact = np.polynomial.polynomial.polyval(x, np.polynomial.polynomial.polyder(c, order))
    d = gridgrad.derivative(f, 0, order=order, accuracy=acc, spacing=(x,))
    np.testing.assert_allclose(d, exact, atol=1e-6 * (1 + np.abs(exact).max()))
    uniform = np.linspace(-0.5, 0.5, n)
    f = np.polynomial.polynomial.polyval(uniform, c)
    exact = np.polynomial.polynomial.polyval(uniform, np.polynomial.polynomial.polyder(c, order))
    d = gridgrad.derivative(f, 0, order=order, accuracy=acc, spacing=uniform[1] - uniform[0])
    np.testing.assert_allclose(d, exact, atol=1e-6 * (1 + np.abs(exact).max()))


def test_defaults_reproduce_torch_gradient() -> None:
    f = np.random.default_rng(0).standard_normal((6, 7))
    for kw in ({}, {"edge_order": 2}):
        ours = gridgrad.gradient(f, accuracy=2, boundary="one-sided", **kw)
        for o, r in zip(ours, gridgrad.gradient(f, **kw)):
            np.testing.assert_array_equal(o, r)
        # derivative's difference form: the same numbers up to rounding
        np.testing.assert_allclose(
            gridgrad.derivative(f, 1, edge_order=kw.get("edge_order", 1)),
            ours[1],
            rtol=1e-14,
            atol=1e-14,
        )


def test_gradient_accuracy_uses_same_order_edges() -> None:
    x = np.linspace(0, 1, 15)
    f = x**4 + x**2
    exact = 4 * x**3 + 2 * x
    (g,) = gridgrad.gradient(f, spacing=(x,), accuracy=4)  # 5-point stencils everywhere
    np.testing.assert_allclose(g, exact, atol=1e-12)
    (g1,) = gridgrad.gradient(f, spacing=x[1] - x[0], accuracy=4, edge_order=1)
    np.testing.assert_allclose(g1[2:-2], exact[2:-2], atol=1e-12)
    assert abs(g1[0] - exact[0]) > 0.05  # first-order edges: off by about h


def test_mixed_partials_and_hessian_symmetry() -> None:
    x = np.linspace(0, 1, 9)
    y = np.linspace(-1, 1, 11) ** 3 + np.linspace(-1, 1, 11)
    X, Y = np.meshgrid(x, y, indexing="ij")
    f = X**2 * Y + X * Y**2
    dxy = gridgrad.derivative(f, (0, 1), spacing=(x[1] - x[0], y), accuracy=2)
    np.testing.assert_allclose(dxy, 2 * X + 2 * Y, atol=1e-9)
    H = gridgrad.hessian(f, spacing=(x[1] - x[0], y), accuracy=4)
    np.testing.assert_allclose(H[0][0], 2 * Y, atol=1e-9)
    np.testing.assert_allclose(H[1][1], 2 * X, atol=1e-9)
    assert H[0][1] is H[1][0]
    np.testing.assert_allclose(H[0][1], 2 * X + 2 * Y, atol=1e-9)
    d = gridgrad.derivative(f, (1, 0), order=(2, 1), spacing=(y, x[1] - x[0]), accuracy=4)
    np.testing.assert_allclose(d, 2 * np.ones_like(X), atol=1e-8)


def test_error_estimate() -> None:
    x = np.linspace(0, 2, 41)
    f = np.sin(3 * x)
    d, err = gridgrad.derivative(f, 0, spacing=x[1] - x[0], accuracy=2, return_error=True)
    true = np.abs(d - 3 * np.cos(3 * x))
    d4 = gridgrad.derivative(f, 0, spacing=x[1] - x[0], accuracy=4)
    np.testing.assert_array_equal(err, np.abs(d - d4))
    assert (err >= 0).all()
    interior = slice(3, -3)
    ratio = err[interior] / true[interior]
    assert np.median(ratio) == pytest.approx(1.0, rel=0.1)


# --------------------------------------------------------------------------- vector calculus


def _field():
    x = np.linspace(-1, 1, 13)
    y = np.linspace(0, 2, 11) ** 2
    z = np.linspace(0, 1, 9)
    X, Y, Z = np.meshgrid(x, y, z, indexing="ij")
    return (x, y, z), (X, Y, Z)


@pytest.mark.parametrize("acc", [2, 4])
def test_curl_of_gradient_and_divergence_of_curl_vanish(acc: int) -> None:
    (x, y, z), (X, Y, Z) = _field()
    spacing = (x[1] - x[0], y, z)
    phi = X**3 * Y + Y**2 * Z - X * Z**2 + np.sin(X * Y)
    # the identities hold when both operators use the same 1-D stencils
    grad = gridgrad.gradient(phi, spacing=spacing, accuracy=acc, edge_order=acc)
    for c in gridgrad.curl(list(grad), spacing=spacing, accuracy=acc):
        np.testing.assert_allclose(c, 0.0, atol=1e-10 * np.abs(phi).max())
    F = [Y * Z**2, X**2 * Z, X * Y * Z]
    div = gridgrad.divergence(
        list(gridgrad.curl(F, spacing=spacing, accuracy=acc)), spacing=spacing, accuracy=acc
    )
    np.testing.assert_allclose(div, 0.0, atol=1e-10)


def test_divergence_curl_jacobian_laplacian_values() -> None:
    (x, y, z), (X, Y, Z) = _field()
    spacing = (x[1] - x[0], y, z)
    F = [X * Y, Y * Z, Z * X]
    np.testing.assert_allclose(gridgrad.divergence(F, spacing=spacing), Y + Z + X, atol=1e-9)
    cx, cy, cz = gridgrad.curl(F, spacing=spacing)
    np.testing.assert_allclose(cx, -Y, atol=1e-9)
    np.testing.assert_allclose(cy, -Z, atol=1e-9)
    np.testing.assert_allclose(cz, -X, atol=1e-9)
    J = gridgrad.jacobian(F, spacing=spacing)
    np.testing.assert_allclose(J[0][1], X, atol=1e-9)
    np.testing.assert_allclose(J[2][0], Z, atol=1e-9)
    lap = gridgrad.laplacian(X**2 + Y**2 + Z**2, spacing=spacing, accuracy=2)
    np.testing.assert_allclose(lap, 6.0, atol=1e-8)
    # 2-D curl is a scalar; a batch dim in front is left alone by default
    x2 = np.linspace(0, 1, 7)
    A, B = np.meshgrid(x2, x2, indexing="ij")
    batch = np.stack([A, 2 * A])
    np.testing.assert_allclose(
        gridgrad.curl([-B[None] * np.ones((2, 1, 1)), batch], spacing=x2[1] - x2[0]),
        np.array([2.0, 3.0])[:, None, None] * np.ones((2, 7, 7)),
        atol=1e-12,
    )


# --------------------------------------------------------------------------- weights


@pytest.mark.parametrize(
    ("offsets", "order", "expected"),
    [
        ([-1, 0, 1], 1, [-0.5, 0, 0.5]),
        ([-2, -1, 0, 1, 2], 1, [1 / 12, -2 / 3, 0, 2 / 3, -1 / 12]),
        ([-1, 0, 1], 2, [1, -2, 1]),
        ([0, 1, 2], 1, [-1.5, 2, -0.5]),
        ([-3, -2, -1, 0, 1, 2, 3], 2, [1 / 90, -3 / 20, 3 / 2, -49 / 18, 3 / 2, -3 / 20, 1 / 90]),
        ([0, 1, 2, 3, 4], 4, [1, -4, 6, -4, 1]),
    ],
)
def test_fd_weights_tables(offsets, order, expected) -> None:
    np.testing.assert_allclose(
        gridgrad.fd_weights(offsets, order), expected, rtol=1e-15, atol=1e-15
    )


def test_fd_weights_nonuniform_and_x0() -> None:
    pts = [0.0, 0.3, 1.1, 1.7]
    for m in range(4):
        w = gridgrad.fd_weights(pts, m, x0=0.5)
        for deg in range(4):
            exact = math.perm(deg, m) * 0.5 ** (deg - m) if deg >= m else 0.0
            assert w @ np.array(pts) ** deg == pytest.approx(exact, abs=1e-12)


@pytest.mark.parametrize(
    ("args", "exc", "pattern"),
    [
        (([0, 1], 2), ValueError, "from 0 to len"),
        (([0, 0, 1], 1), ValueError, "distinct"),
        (([0, np.nan, 1], 1), ValueError, "finite"),
        ((["a", "b"], 1), TypeError, "1-D sequence"),
        (([0, 1, 2], 1.5), TypeError, "non-negative integer"),
        (([0, 1], -1), ValueError, "from 0"),
    ],
)
def test_fd_weights_errors(args, exc, pattern) -> None:
    with pytest.raises(exc, match=pattern):
        gridgrad.fd_weights(*args)


# --------------------------------------------------------------------------- findiff


@pytest.mark.parametrize("acc", [2, 4, 6])
@pytest.mark.parametrize("order", [1, 2])
def test_agrees_with_findiff(order: int, acc: int) -> None:
    findiff = require("findiff")
    x = np.linspace(0, 3, 30)
    f = np.sin(x) * np.exp(-x)
    h = x[1] - x[0]
    d = findiff.Diff(0, h) ** order if order > 1 else findiff.Diff(0, h)
    d.set_accuracy(acc)
    theirs = d(f)
    ours = gridgrad.derivative(f, 0, order=order, accuracy=acc, spacing=h)
    # the same centred stencils inside; at the ends both use the forward/backward
    # stencil of the first/last point (findiff shifts its windows differently elsewhere)
    half = (order + 1) // 2 - 1 + acc // 2
    np.testing.assert_allclose(ours[half:-half], theirs[half:-half], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours[[0, -1]], theirs[[0, -1]], rtol=1e-8, atol=1e-8)


# --------------------------------------------------------------------------- backends


@pytest.mark.parametrize("periodic", [False, True])
def test_every_backend_matches_numpy(backend, periodic: bool) -> None:
    rng = np.random.default_rng(11)
    f = rng.standard_normal((9, 10))
    x = np.cumsum(rng.uniform(0.5, 1.5, 10))
    span = float(x[-1] - x[0] + 1.0)
    kw = {"boundary": ("one-sided", "periodic"), "period": (None, span)} if periodic else {}
    ref = gridgrad.derivative(f, (0, 1), order=(2, 1), accuracy=4, spacing=(0.5, x), **kw)
    ours = gridgrad.derivative(
        backend.asarray(f),
        (0, 1),
        order=(2, 1),
        accuracy=4,
        spacing=(0.5, backend.asarray(x)),
        **kw,
    )
    assert backend.is_native(ours)
    np.testing.assert_allclose(backend.to_numpy(ours), ref, rtol=1e-10, atol=1e-10)
    lap = gridgrad.laplacian(backend.asarray(f), spacing=0.5, accuracy=6, boundary="periodic")
    np.testing.assert_allclose(
        backend.to_numpy(lap),
        gridgrad.laplacian(f, spacing=0.5, accuracy=6, boundary="periodic"),
        rtol=1e-10,
        atol=1e-10,
    )


# --------------------------------------------------------------------------- errors

F = np.arange(40.0).reshape(5, 8)


@pytest.mark.parametrize(
    ("kw", "exc", "pattern"),
    [
        ({"accuracy": 3}, ValueError, r"`accuracy` must be an even integer >= 2; got 3"),
        ({"accuracy": 0}, ValueError, r"`accuracy` must be an even"),
        ({"accuracy": 2.0}, TypeError, r"`accuracy` must be an even"),
        ({"accuracy": True}, TypeError, r"`accuracy` must be an even"),
        ({"order": 0}, ValueError, r"`order` must be a positive integer; got 0"),
        ({"order": 1.5}, TypeError, r"`order` must be a positive integer"),
        ({"order": (1, 2)}, ValueError, r"`order` must be one value or one per"),
        (
            {"boundary": "wrap"},
            ValueError,
            r"`boundary` must be 'one-sided' or 'periodic'; got 'wrap'",
        ),
        (
            {"boundary": "periodic", "spacing": (np.arange(8.0) ** 2,)},
            ValueError,
            r"needs `period=`",
        ),
        (
            {"boundary": "periodic", "spacing": (np.arange(8.0),), "period": 5.0},
            ValueError,
            r"`period` must be longer than the coordinates' span",
        ),
        (
            {"boundary": "periodic", "spacing": 1.0, "period": 3.0},
            ValueError,
            r"contradicts the step",
        ),
        ({"period": -1.0, "boundary": "periodic"}, ValueError, r"`period` must be a positive real"),
        ({"period": "x", "boundary": "periodic"}, TypeError, r"`period` must be a positive real"),
        (
            {"accuracy": 4, "edge_order": 5},
            ValueError,
            r"`edge_order` must be an integer from 1 to",
        ),
        ({"accuracy": 8}, ValueError, r"needs at least 9 \(derivative order 1, accuracy 8"),
        ({"order": 4, "accuracy": 6, "boundary": "periodic"}, ValueError, r"periodic\) samples"),
        ({"return_error": True, "accuracy": 6}, ValueError, r"needs at least 9"),
    ],
)
def test_new_argument_errors(kw, exc, pattern) -> None:
    with pytest.raises(exc, match=pattern):
        gridgrad.derivative(F, 1, **kw)


def test_periodic_needs_monotonic_coordinates() -> None:
    with pytest.raises(ValueError, match="monotonic"):
        gridgrad.derivative(
            F, 1, spacing=(np.array([0, 2, 1, 3, 4, 5, 6, 7.0]),), boundary="periodic", period=10.0
        )


def test_vector_calculus_errors() -> None:
    a = np.ones((4, 4))
    with pytest.raises(ValueError, match="2 or 3 arrays for a curl"):
        gridgrad.curl([a, a, a, a], dim=None) if False else gridgrad.curl([a[None, None]] * 4)
    with pytest.raises(ValueError, match="same shape"):
        gridgrad.divergence([a, np.ones((4, 5))])
    with pytest.raises(TypeError, match="non-empty list or tuple"):
        gridgrad.divergence(a)
    with pytest.raises(ValueError, match="one dimension per component"):
        gridgrad.divergence([a, a], dim=0)
    with pytest.raises(ValueError, match="3 `components` need at least 3 dimensions"):
        gridgrad.divergence([a, a, a])
    with pytest.raises(ValueError, match="one entry per differentiated"):
        gridgrad.divergence([a, a], spacing=(1.0,))
    with pytest.raises(AxisError):
        gridgrad.laplacian(a, dim=3)


@pytest.mark.parametrize(
    "kw",
    [
        {"accuracy": 8},
        {"accuracy": 4, "order": 2},
        {"accuracy": 6, "nonuniform": True},
        {"accuracy": 8, "order": (2, 1, 3), "nonuniform": True},
    ],
)
@pytest.mark.parametrize("block", [2048, 5])
def test_numba_kernels_run_wide_stencils_like_the_reference(monkeypatch, kw, block) -> None:
    """The fast path takes any stencil width from its weights table: bitwise equal,
    also with blocks narrower than the stencil (lines cut into chunks)."""
    driver = pytest.importorskip("gridgrad._engines.numba.driver")

    monkeypatch.setattr(driver, "_BLOCK", block)
    monkeypatch.setattr(driver, "THREAD_WORK", 1)  # split among the threads however small
    rng = np.random.default_rng(0)
    f = rng.standard_normal((20, 24, 18))
    kw = dict(kw)
    spacing = (0.3, np.cumsum(rng.uniform(0.5, 1.5, 24)), 0.2) if kw.pop("nonuniform", 0) else 0.5
    with gridgrad.use_engine("reference"):
        ref = gridgrad.derivative(f, (0, 1, 2), spacing=spacing, **kw)
    with gridgrad.use_engine("numba"):
        got = gridgrad.derivative(f, (0, 1, 2), spacing=spacing, **kw)
    np.testing.assert_array_equal(got, ref)


def test_vector_calculus_takes_per_dim_boundaries() -> None:
    n = 32
    x = np.arange(n) * 2 * np.pi / n
    y = np.linspace(0.0, 1.0, 9)
    X, Y = np.meshgrid(x, y, indexing="ij")
    kw = {
        "spacing": (x[1] - x[0], y[1] - y[0]),
        "accuracy": 6,
        "boundary": ("periodic", "one-sided"),
    }
    div = gridgrad.divergence([np.sin(X), Y**2], **kw)
    np.testing.assert_allclose(div, np.cos(X) + 2 * Y, atol=1e-6)
    rot = gridgrad.curl([Y * np.cos(X), np.sin(X)], **kw)
    np.testing.assert_allclose(rot, np.cos(X) - np.cos(X), atol=1e-6)
    x3 = np.sort(np.random.default_rng(2).uniform(0, 6, n))
    kwc = {"spacing": (x3, 0.125), "boundary": ("periodic", "one-sided"), "period": (6.5, None)}
    J = gridgrad.jacobian(
        [np.ones((n, 9))], dim=[0], spacing=(x3,), boundary="periodic", period=6.5
    )
    np.testing.assert_allclose(J[0][0], 0.0, atol=1e-12)
    assert gridgrad.divergence([np.ones((n, 9)), np.ones((n, 9))], **kwc).shape == (n, 9)


def test_one_int_dim_takes_its_coordinates_or_step_directly() -> None:
    x = np.array([0.0, 1.0, 1.5, 3.5, 4.0, 6.0])
    f = np.sin(x)
    ref = gridgrad.derivative(f, 0, spacing=(x,))
    for given in (x, list(x)):
        np.testing.assert_array_equal(gridgrad.derivative(f, 0, spacing=given), ref)
        np.testing.assert_array_equal(
            gridgrad.derivative(f, -1, spacing=given, order=2),
            gridgrad.derivative(f, 0, spacing=(x,), order=2),
        )
    step = gridgrad.derivative(f, 0, spacing=0.5)
    for given in (np.array(0.5), np.array([0.5]), [0.5], (0.5,)):
        np.testing.assert_array_equal(gridgrad.derivative(f, 0, spacing=given), step)
    f2 = np.outer(f, np.arange(4.0))
    np.testing.assert_array_equal(
        gridgrad.derivative(f2, 0, spacing=x), gridgrad.derivative(f2, 0, spacing=(x,))
    )
    for bad, what in ((x[:3], "a 1-D value of length 3"), (np.ones((6, 2)), "2 dimension")):
        with pytest.raises(
            ValueError, match=f"`spacing` for `dim` 0 must be a step .* the 6 coordinates.*{what}"
        ):
            gridgrad.derivative(f, 0, spacing=bad)
    # several dims: one entry per dim, as before
    with pytest.raises(TypeError, match=r"spacing=\(x,\)"):
        gridgrad.derivative(f2, (0, 1), spacing=x)
