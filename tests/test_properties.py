"""Hypothesis properties: exactness on polynomials, constants, linearity; on random grids."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import gridgrad

settings.register_profile("gridgrad", max_examples=30, deadline=None)
settings.load_profile("gridgrad")


@st.composite
def grids(draw, min_size: int = 3):
    """A 1-D grid: (x, spacing argument, uniform?) with steps bounded away from zero."""
    n = draw(st.integers(min_size, 12))
    if draw(st.booleans()):
        h = draw(st.floats(0.1, 3.0)) * draw(st.sampled_from([1.0, -1.0]))
        x0 = draw(st.floats(-5, 5))
        return x0 + h * np.arange(n), h, True
    steps = np.array(draw(st.lists(st.floats(0.2, 2.0), min_size=n - 1, max_size=n - 1)))
    x = draw(st.floats(-5, 5)) + np.concatenate([[0.0], np.cumsum(steps)])
    if draw(st.booleans()):
        x = x[::-1].copy()  # decreasing coordinates are allowed
    return x, (x,), False


def _spacing(sp):
    return sp if isinstance(sp, tuple) else (sp,)


def _grad(backend, f, spacing, **kw):
    """gridgrad.gradient on ``backend`` (input and coordinates in that library), as NumPy."""
    spacing = tuple(backend.asarray(s) if isinstance(s, np.ndarray) else s for s in spacing)
    out = gridgrad.gradient(backend.asarray(np.asarray(f)), spacing=spacing, **kw)
    return tuple(backend.to_numpy(o) for o in out)


@given(
    grids(),
    st.floats(-1e3, 1e3),
    st.sampled_from([1, 2]),
    st.sampled_from([(1, 2), (1, 4), (2, 2)]),
)
def test_constants_give_zero(backend, grid, c, edge_order, order_accuracy) -> None:
    """gridgrad's own functions difference first (the drop-ins evaluate their anchors'
    expressions instead): exactly 0 on constants on uniform grids."""
    x, sp, uniform = grid
    order, accuracy = order_accuracy
    spacing = tuple(backend.asarray(s) if isinstance(s, np.ndarray) else s for s in _spacing(sp))
    f = backend.asarray(np.full(x.shape, c))
    if x.shape[0] < order + accuracy + 1:
        return
    kw = {"order": order, "accuracy": accuracy, "edge_order": min(edge_order, accuracy)}
    g = backend.to_numpy(gridgrad.derivative(f, 0, spacing=spacing, **kw))
    if uniform:
        assert (g == 0).all()
    else:
        np.testing.assert_allclose(g, 0.0, atol=1e-9 * max(1.0, abs(c)))


@given(grids(), st.floats(-10, 10), st.floats(-10, 10), st.sampled_from([1, 2]))
def test_linear_functions_exact_everywhere(backend, grid, a, b, edge_order) -> None:
    x, sp, _ = grid
    g = _grad(backend, a * x + b, _spacing(sp), edge_order=edge_order)[0]
    np.testing.assert_allclose(g, a, rtol=1e-9, atol=1e-9 * (1 + abs(b)))


@given(grids(), st.floats(-5, 5), st.floats(-5, 5), st.floats(-5, 5))
def test_quadratics_exact_in_interior_and_with_edge_order_2_everywhere(
    backend, grid, a, b, c
) -> None:
    x, sp, _ = grid
    f = a * x**2 + b * x + c
    exact = 2 * a * x + b
    tol = 1e-8 * (1 + abs(a) + abs(b) + abs(c)) * (1 + np.abs(x).max()) ** 2
    g1 = _grad(backend, f, _spacing(sp), edge_order=1)[0]
    np.testing.assert_allclose(g1[1:-1], exact[1:-1], atol=tol)
    g2 = _grad(backend, f, _spacing(sp), edge_order=2)[0]
    np.testing.assert_allclose(g2, exact, atol=tol)
    # and the first-order edges are exactly the one-sided difference quotients
    np.testing.assert_allclose(g1[0], (f[1] - f[0]) / (x[1] - x[0]), rtol=1e-12, atol=tol)


@given(grids(), grids(), st.sampled_from([1, 2]), st.integers(0, 2**32 - 1))
def test_quadratics_in_two_dims(backend, gx, gy, edge_order, seed) -> None:
    (x, spx, _), (y, spy, _) = gx, gy
    rng = np.random.default_rng(seed)
    a, b, c, d = rng.uniform(-2, 2, 4)
    X, Y = np.meshgrid(x, y, indexing="ij")
    f = a * X * Y + b * X**2 + c * Y + d
    spacing = (
        spx if not isinstance(spx, tuple) else spx[0],
        spy if not isinstance(spy, tuple) else spy[0],
    )
    gxv, gyv = _grad(backend, f, spacing, edge_order=2)
    tol = 1e-8 * (1 + np.abs(X).max() + np.abs(Y).max()) ** 2
    np.testing.assert_allclose(gxv, a * Y + 2 * b * X, atol=tol)
    np.testing.assert_allclose(gyv, a * X + c, atol=tol)


@given(
    grids(), st.floats(-3, 3), st.floats(-3, 3), st.integers(0, 2**32 - 1), st.sampled_from([1, 2])
)
def test_linearity_in_the_input(backend, grid, alpha, beta, seed, edge_order) -> None:
    x, sp, _ = grid
    rng = np.random.default_rng(seed)
    f, g = rng.standard_normal((2, x.size))
    lhs = _grad(backend, alpha * f + beta * g, _spacing(sp), edge_order=edge_order)[0]
    rhs = (
        alpha * _grad(backend, f, _spacing(sp), edge_order=edge_order)[0]
        + beta * _grad(backend, g, _spacing(sp), edge_order=edge_order)[0]
    )
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-10 * (abs(alpha) + abs(beta) + 1) * 10)


@given(grids(), st.sampled_from([1, 2]), st.integers(0, 2**32 - 1))
def test_numpy_gradient_agrees_with_numpy_on_random_grids(grid, edge_order, seed) -> None:
    x, sp, _ = grid
    f = np.random.default_rng(seed).standard_normal(x.size)
    args = _spacing(sp)
    np.testing.assert_allclose(
        gridgrad.numpy_gradient(f, *args, edge_order=edge_order),
        np.gradient(f, *args, edge_order=edge_order),
        rtol=1e-12,
        atol=1e-12,
    )
