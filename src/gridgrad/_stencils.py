"""Finite-difference weights: the one place that knows the maths of stencils.

Two kinds of weights are produced here:

* **Uniform grids** (integer offsets): Fornberg's recursion run in exact
  rational arithmetic, returned as integer numerators over one common
  denominator, so that a stencil is evaluated as ``(sum n_k f_k) / (D h)``.
  For the classic central difference this is ``(f[i+1] - f[i-1]) / (2 h)``,
  the exact expression torch.gradient and numpy.gradient evaluate, which
  makes results bitwise identical to theirs.
* **Non-uniform grids**: the closed-form three-point weights that numpy and
  torch use, written with arithmetic operators only, so that they evaluate in
  whatever array library the steps are given in.

References
----------
B. Fornberg, "Generation of finite difference formulas on arbitrarily spaced
grids", Mathematics of Computation 51 (1988), 699-706.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache
from typing import Any

__all__ = [
    "difference_form",
    "fornberg",
    "three_point_center",
    "three_point_left",
    "three_point_right",
    "uniform_stencil",
]


def fornberg(offsets: Sequence[Any], order: int, x0: Any = 0) -> list[Any]:
    """Weights of the ``order``-th derivative at ``x0`` from values at ``offsets``.

    Works in the arithmetic of its arguments: Python ints or ``Fraction`` give
    exact rational weights, floats give float weights.
    """
    n = len(offsets)
    if order >= n:
        msg = f"a derivative of order {order} needs at least {order + 1} points; got {n}."
        raise ValueError(msg)
    one = Fraction(1) if all(isinstance(o, (int, Fraction)) for o in offsets) else 1.0
    c = [[one * 0] * (order + 1) for _ in range(n)]
    c[0][0] = one
    c1 = one
    c4 = offsets[0] - x0
    for i in range(1, n):
        mn = min(i, order)
        c2 = one
        c5 = c4
        c4 = offsets[i] - x0
        for j in range(i):
            c3 = offsets[i] - offsets[j]
            c2 = c2 * c3
            if j == i - 1:
                for k in range(mn, 0, -1):
                    c[i][k] = c1 * (k * c[i - 1][k - 1] - c5 * c[i - 1][k]) / c2
                c[i][0] = -c1 * c5 * c[i - 1][0] / c2
            for k in range(mn, 0, -1):
                c[j][k] = (c4 * c[j][k] - k * c[j][k - 1]) / c3
            c[j][0] = c4 * c[j][0] / c3
        c1 = c2
    return [c[i][order] for i in range(n)]


@lru_cache(maxsize=256)
def uniform_stencil(
    offsets: tuple[int, ...], order: int = 1
) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """Exact weights on a unit-spaced grid, as integers over a common denominator.

    Returns ``(offsets, numerators, denominator)`` with the zero weights dropped:
    the derivative at 0 is ``sum(n * f[o] for o, n in zip(...)) / (denominator * h**order)``.

    >>> uniform_stencil((-1, 0, 1))
    ((-1, 1), (-1, 1), 2)
    >>> uniform_stencil((0, 1, 2))
    ((0, 1, 2), (-3, 4, -1), 2)
    """
    weights = fornberg([Fraction(o) for o in offsets], order)
    denominator = math.lcm(*(w.denominator for w in weights))
    kept = [(o, int(w * denominator)) for o, w in zip(offsets, weights) if w != 0]
    return tuple(o for o, _ in kept), tuple(n for _, n in kept), denominator


def difference_form(
    offsets: tuple[int, ...], numerators: tuple[int, ...]
) -> tuple[tuple[int, int, int | None], ...]:
    """``sum n_k f[o_k]`` rewritten as terms ``(c, p, m)`` meaning ``c * (f[p] - f[m])``.

    Derivative weights sum to zero, so a stencil is a combination of differences:
    differencing first cancels the common part of the samples exactly (a constant
    gives exactly 0) before any multiplication. Antisymmetric (central) stencils pair
    ``f[k] - f[-k]``; others use differences of neighbouring stencil points, with the
    partial sums of the weights as coefficients. Weights that do not sum to zero come
    back as single-sample terms ``(n, o, None)``.

    >>> difference_form((-1, 1), (-1, 1))
    ((1, 1, -1),)
    >>> difference_form((0, 1, 2), (-3, 4, -1))
    ((3, 1, 0), (-1, 2, 1))
    """
    if sum(numerators) != 0:
        return tuple((n, o, None) for o, n in zip(offsets, numerators))
    weights = dict(zip(offsets, numerators))
    if 0 not in weights and all(weights.get(-o) == -n for o, n in weights.items()):
        return tuple((weights[o], o, -o) for o in sorted(o for o in weights if o > 0))
    order = sorted(weights)
    terms = []
    partial = 0
    for lo, hi in itertools.pairwise(order):
        partial += weights[lo]
        if partial != 0:
            terms.append((-partial, hi, lo))
    return tuple(terms)


def three_point_center(dx1: Any, dx2: Any) -> tuple[Any, Any, Any]:
    """Second-order first-derivative weights at x[i] from x[i-1], x[i], x[i+1].

    ``dx1 = x[i] - x[i-1]`` and ``dx2 = x[i+1] - x[i]``, scalars or arrays of
    any library. Same expressions as numpy.gradient and torch.gradient.
    """
    a = -dx2 / (dx1 * (dx1 + dx2))
    b = (dx2 - dx1) / (dx1 * dx2)
    c = dx1 / (dx2 * (dx1 + dx2))
    return a, b, c


def three_point_left(dx1: Any, dx2: Any) -> tuple[Any, Any, Any]:
    """Second-order one-sided weights at x[0] from x[0], x[1], x[2]."""
    a = -(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2))
    b = (dx1 + dx2) / (dx1 * dx2)
    c = -dx1 / (dx2 * (dx1 + dx2))
    return a, b, c


def three_point_right(dx1: Any, dx2: Any) -> tuple[Any, Any, Any]:
    """Second-order one-sided weights at x[-1] from x[-3], x[-2], x[-1]."""
    a = dx2 / (dx1 * (dx1 + dx2))
    b = -(dx2 + dx1) / (dx1 * dx2)
    c = (2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2))
    return a, b, c
