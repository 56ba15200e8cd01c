"""Stencil weights: Fornberg against known tables, exact rationals, the difference form."""

from __future__ import annotations

from fractions import Fraction as Fr

import numpy as np
import pytest

from gridgrad._stencils import (
    difference_form,
    fornberg,
    three_point_center,
    three_point_left,
    three_point_right,
    uniform_stencil,
)

# Fornberg (1988), Table 1 (centred) and Table 3 (one-sided), first and second derivatives
TABLE = [
    ((-1, 0, 1), 1, [Fr(-1, 2), 0, Fr(1, 2)]),
    ((-2, -1, 0, 1, 2), 1, [Fr(1, 12), Fr(-2, 3), 0, Fr(2, 3), Fr(-1, 12)]),
    (
        (-3, -2, -1, 0, 1, 2, 3),
        1,
        [Fr(-1, 60), Fr(3, 20), Fr(-3, 4), 0, Fr(3, 4), Fr(-3, 20), Fr(1, 60)],
    ),
    ((-1, 0, 1), 2, [1, -2, 1]),
    ((-2, -1, 0, 1, 2), 2, [Fr(-1, 12), Fr(4, 3), Fr(-5, 2), Fr(4, 3), Fr(-1, 12)]),
    ((0, 1), 1, [-1, 1]),
    ((0, 1, 2), 1, [Fr(-3, 2), 2, Fr(-1, 2)]),
    ((0, 1, 2, 3), 1, [Fr(-11, 6), 3, Fr(-3, 2), Fr(1, 3)]),
    ((0, 1, 2, 3), 2, [2, -5, 4, -1]),
]


@pytest.mark.parametrize(("offsets", "order", "expected"), TABLE)
def test_fornberg_exact_tables(offsets, order, expected) -> None:
    assert fornberg([Fr(o) for o in offsets], order) == [Fr(e) for e in expected]


def test_fornberg_float_nonuniform_matches_closed_form() -> None:
    x = [-0.7, 0.0, 1.3]
    a, b, c = three_point_center(0.7, 1.3)
    np.testing.assert_allclose(fornberg(x, 1), [a, b, c], rtol=1e-14)
    np.testing.assert_allclose(fornberg([0.0, 0.7, 2.0], 1), three_point_left(0.7, 1.3), rtol=1e-14)
    np.testing.assert_allclose(
        fornberg([-2.0, -1.3, 0.0], 1), three_point_right(0.7, 1.3), rtol=1e-14
    )


@pytest.mark.parametrize("x0", [0.3, -1.1])
def test_fornberg_exact_on_polynomials(x0) -> None:
    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(-2, 2, 5))
    for m in (1, 2, 3):
        w = np.array(fornberg(list(x), m, x0))
        for deg in range(5):  # 5 points: exact for degree <= 4
            f = x**deg
            exact = 0.0 if deg < m else np.prod(range(deg - m + 1, deg + 1)) * x0 ** (deg - m)
            assert abs(w @ f - exact) < 1e-9


def test_fornberg_needs_enough_points() -> None:
    with pytest.raises(ValueError, match="needs at least 3 points"):
        fornberg([0, 1], 2)


def test_uniform_stencil_integers() -> None:
    assert uniform_stencil((-1, 0, 1)) == ((-1, 1), (-1, 1), 2)
    assert uniform_stencil((-2, -1, 0)) == ((-2, -1, 0), (1, -4, 3), 2)
    assert uniform_stencil((-2, -1, 0, 1, 2)) == ((-2, -1, 1, 2), (1, -8, 8, -1), 12)


@pytest.mark.parametrize(
    "offsets",
    [(-1, 0, 1), (0, 1), (-1, 0), (0, 1, 2), (-2, -1, 0), (-2, -1, 0, 1, 2), (0, 1, 2, 3, 4)],
)
def test_difference_form_is_the_same_stencil(offsets) -> None:
    kept, numerators, _ = uniform_stencil(offsets)
    terms = difference_form(kept, numerators)
    dense: dict[int, int] = {}
    for c, p, m in terms:
        dense[p] = dense.get(p, 0) + c
        dense[m] = dense.get(m, 0) - c
    assert {o: n for o, n in dense.items() if n} == dict(zip(kept, numerators))


def test_difference_form_of_a_central_stencil_pairs_mirror_points() -> None:
    assert difference_form((-2, -1, 1, 2), (1, -8, 8, -1)) == ((8, 1, -1), (-1, 2, -2))
