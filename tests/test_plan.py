"""Plan pieces that engines build on: restricting an axis plan to one block."""

from __future__ import annotations

import numpy as np
import pytest
from array_api_compat import array_namespace

from gridgrad._engines import reference
from gridgrad._plan import Coordinates, GradientPlan, Step, build_plan, restrict


def _axis_plan(n: int, coords: bool, edge_order: int):
    steps = np.random.default_rng(n).uniform(0.5, 1.5, n - 1)
    spacing = Coordinates(steps) if coords else Step(0.5)
    return build_plan((n,), (0,), [spacing], edge_order).axes[0]


@pytest.mark.parametrize("coords", [False, True])
@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("n", [3, 4, 9])
def test_restricted_plans_reproduce_the_whole(n: int, coords: bool, edge_order: int) -> None:
    ax = _axis_plan(n, coords, edge_order)
    f = np.random.default_rng(0).standard_normal(n)
    (whole,) = reference.gradient(GradientPlan((n,), (ax,)), f, array_namespace(f))
    reach = 2
    for lo in range(n):
        for hi in range(lo + 1, n + 1):
            first, last = max(lo - reach, 0), min(hi + reach, n)
            sub = restrict(ax, lo, hi, first)
            assert sub.size == hi - lo
            assert sub.runs[0].start == lo - first and sub.runs[-1].stop == hi - first
            for run in sub.runs:  # every read inside the block
                assert run.start + min(run.offsets) >= 0
                assert run.stop + max(run.offsets) <= last - first
                for c in [run.scale, *(t[0] for t in run.terms)]:
                    if isinstance(c, np.ndarray):
                        assert c.shape == (run.stop - run.start,)
            block = f[first:last]
            plan = GradientPlan(block.shape, (sub,))
            (part,) = reference.gradient(plan, block, array_namespace(block))
            np.testing.assert_array_equal(part, whole[lo:hi])


def test_restrict_leaves_the_plan_alone() -> None:
    ax = _axis_plan(6, True, 2)
    before = [(r.start, r.stop, [np.copy(t[0]) for t in r.terms]) for r in ax.runs]
    restrict(ax, 2, 4, 0)
    after = [(r.start, r.stop, [t[0] for t in r.terms]) for r in ax.runs]
    for (s0, e0, c0), (s1, e1, c1) in zip(before, after):
        assert (s0, e0) == (s1, e1)
        for a, b in zip(c0, c1):
            np.testing.assert_array_equal(a, b)
