"""The embedded default of ``gridgrad demo``: worked examples and a convergence study."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gridgrad._api import gradient

__all__ = [
    "EXAMPLES",
    "SHOWCASE",
    "accuracy_table",
    "convergence_table",
    "run_examples",
    "showcase_fields",
]

# (title, call as text, input, keyword arguments): the examples of the documentation
# of torch.gradient that gridgrad reproduces exactly.
EXAMPLES: list[tuple[str, str, Any, dict[str, Any]]] = [
    (
        "Gradient of a 2-D array",
        "gradient([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]])",
        [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
        {},
    ),
    (
        "Samples of y = x**2 with spacing 0.5",
        "gradient([0.0, 0.25, 1.0, 2.25], spacing=(0.5,))",
        [0.0, 0.25, 1.0, 2.25],
        {"spacing": (0.5,)},
    ),
    (
        "A 3-D array along every dimension",
        "gradient(arange(27.).reshape(3, 3, 3))",
        np.arange(27.0).reshape(3, 3, 3),
        {},
    ),
    (
        "f(x) = x**3 at x = [-1, -2, 3, 4]",
        "gradient([-1., -8., 27., 64.])",
        np.array([-1.0, -2.0, 3.0, 4.0]) ** 3,
        {},
    ),
    (
        "f(x) = x**2 + 3 on a 2x2 grid, dim=1",
        "gradient([[5.8914, 5.2864], [3.3569, 4.4682]], dim=1)",
        [[5.8914, 5.2864], [3.3569, 4.4682]],
        {"dim": 1},
    ),
]


def run_examples() -> list[tuple[str, str, tuple[Any, ...]]]:
    """Each example's title, call and result."""
    return [(title, call, gradient(f, **kw)) for title, call, f, kw in EXAMPLES]


def _field(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f(x, y) = sin(3x) exp(y) and its exact partial derivatives."""
    X, Y = np.meshgrid(x, y, indexing="ij")
    f = np.sin(3 * X) * np.exp(Y)
    return f, 3 * np.cos(3 * X) * np.exp(Y), f


def _grid(n: int, stretched: bool) -> np.ndarray:
    s = np.linspace(0.0, 1.0, n)
    return 2.0 * (s + 0.3 * s * (1 - s)) if stretched else 2.0 * s


def convergence_table(sizes: tuple[int, ...] = (16, 32, 64, 128, 256, 512)) -> list[dict[str, Any]]:
    """Max error over all points (edges included) of both partial derivatives of
    ``sin(3x) exp(y)`` on ``[0, 2]^2``, for edge_order 1 and 2, on a uniform grid
    and on a smoothly stretched one, with the observed order between grid sizes."""
    rows: list[dict[str, Any]] = []
    previous: dict[str, float] = {}
    for n in sizes:
        row: dict[str, Any] = {"n": n}
        for stretched in (False, True):
            x = _grid(n, stretched)
            f, fx, fy = _field(x, x)
            spacing = (x, x) if stretched else (float(x[1] - x[0]),) * 2
            for eo in (1, 2):
                gx, gy = gradient(f, spacing=spacing, edge_order=eo)
                err = float(max(np.abs(gx - fx).max(), np.abs(gy - fy).max()))
                key = f"{'stretched' if stretched else 'uniform'} eo{eo}"
                order = math.log2(previous[key] / err) if key in previous else None
                row[key] = (err, order)
                previous[key] = err
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- showcase

#: The showcase field: f = sin(3x) exp(y) on [0, 2]^2, with grad f and
#: lap f = (1 - 9) f = -8 f known exactly.
SHOWCASE = "f(x, y) = sin(3x) exp(y) on [0, 2]^2"


def accuracy_table(
    sizes: tuple[int, ...] = (16, 32, 64, 128, 256), accuracies: tuple[int, ...] = (2, 4, 6)
) -> list[dict[str, Any]]:
    """Max error over all points of the gradient and of the Laplacian of the showcase
    field against the exact ones, for each accuracy (edges of the same accuracy)."""
    from gridgrad._calculus import laplacian

    rows: list[dict[str, Any]] = []
    for n in sizes:
        x = _grid(n, stretched=False)
        h = float(x[1] - x[0])
        f, fx, fy = _field(x, x)
        row: dict[Any, Any] = {"n": n, "h": h}
        for p in accuracies:
            gx, gy = gradient(f, spacing=h, accuracy=p, edge_order=p)
            lap = laplacian(f, spacing=h, accuracy=p)
            row[p] = (
                float(max(np.abs(gx - fx).max(), np.abs(gy - fy).max())),
                float(np.abs(lap + 8 * f).max()),
            )
        rows.append(row)
    return rows


def showcase_fields(n: int = 41) -> dict[str, np.ndarray]:
    """The showcase field on an n x n grid with its gradient and Laplacian."""
    from gridgrad._calculus import laplacian

    x = _grid(n, stretched=False)
    h = float(x[1] - x[0])
    f, _, _ = _field(x, x)
    gx, gy = gradient(f, spacing=h, accuracy=4, edge_order=4)
    return {
        "x": x,
        "y": x,
        "f": f,
        "dfdx": gx,
        "dfdy": gy,
        "magnitude": np.hypot(gx, gy),
        "laplacian": laplacian(f, spacing=h, accuracy=4),
    }
