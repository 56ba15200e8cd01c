"""The examples of the documentation of torch.gradient (../shared/seeds), reproduced exactly."""

from __future__ import annotations

import numpy as np
import pytest

import gridgrad


def _g(backend, data, **kw):
    out = gridgrad.gradient(backend.asarray(np.asarray(data, dtype=np.float64)), **kw)
    assert all(backend.is_native(o) for o in out)
    return tuple(backend.to_numpy(o) for o in out)


def test_2d_tensor(backend) -> None:
    data = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]
    rows, cols = _g(backend, data)
    np.testing.assert_array_equal(rows, np.full((3, 3), 3.0))
    np.testing.assert_array_equal(cols, np.full((3, 3), 1.0))


def test_spacing(backend) -> None:
    (g,) = _g(backend, [0.0, 0.25, 1.0, 2.25], spacing=(0.5,))
    np.testing.assert_array_equal(g, [0.5, 1.0, 2.0, 2.5])


def test_3d(backend) -> None:
    grads = _g(backend, np.arange(27.0).reshape(3, 3, 3))
    assert len(grads) == 3
    for g, v in zip(grads, (9.0, 3.0, 1.0)):
        np.testing.assert_array_equal(g, np.full((3, 3, 3), v))


def test_cube(backend) -> None:
    x = np.array([-1.0, -2.0, 3.0, 4.0])
    (g,) = _g(backend, x**3)
    np.testing.assert_array_equal(g, [-7.0, 14.0, 36.0, 37.0])


VALUES = [[5.8914, 5.2864], [3.3569, 4.4682]]
D0 = [[-2.5345, -0.8182], [-2.5345, -0.8182]]
D1 = [[-0.6050, -0.6050], [1.1113, 1.1113]]


def test_tutorial_2x2(backend) -> None:
    g0, g1 = _g(backend, VALUES)
    np.testing.assert_allclose(g0, D0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(g1, D1, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("dim", "expected"), [(0, D0), (1, D1), (-1, D1), ([0], D0)])
def test_tutorial_2x2_one_dim(backend, dim, expected) -> None:
    grads = _g(backend, VALUES, dim=dim)
    assert len(grads) == 1
    np.testing.assert_allclose(grads[0], expected, rtol=0, atol=1e-12)


def test_0d_input_gives_empty_tuple() -> None:
    assert gridgrad.gradient(np.float64(3.0)) == ()
    assert gridgrad.gradient(5) == ()


def test_empty_dim_list_gives_empty_tuple(backend) -> None:
    assert gridgrad.gradient(backend.asarray(np.ones((3, 3))), dim=[]) == ()
