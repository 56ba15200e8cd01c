"""Outputs that are signed sums of single derivatives: the vector-calculus operators
as plain data, so that an engine can compute them in one pass.

A :class:`Combination` names plans (each over one input) and, per output, the terms
``(plan, axis, sign)`` it adds up, left to right. :meth:`Combination.compose` is the
composed path (every derivative computed on its own by the engine the plan selects,
then added as NumPy or the input's library adds arrays); an engine that fuses the
terms (:data:`gridgrad._engines.fused`) gives the same numbers, bitwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gridgrad._plan import GradientPlan

__all__ = ["Combination", "Term", "gradient"]

#: ``(plan, axis, sign)``: the derivative along the plan's ``axis``-th axis (by
#: position), added (``sign`` 1) or subtracted (-1); an output's first term has sign 1
Term = tuple[int, int, int]


@dataclass(frozen=True, eq=False)
class Combination:
    """``outputs[k]`` is ``sum(sign * D(plans[p], axis)(inputs[sources[p]]))`` over its
    terms, accumulated left to right: ``out = t0; out = out + t1; out = out - t2 ...``."""

    plans: tuple[GradientPlan, ...]
    #: the input each plan differentiates (by position)
    sources: tuple[int, ...]
    outputs: tuple[tuple[Term, ...], ...]

    @property
    def inputs(self) -> int:
        """How many inputs the combination reads."""
        return max(self.sources) + 1

    def compose(self, parts: Sequence[Sequence[Any]]) -> tuple[Any, ...]:
        """The outputs from ``parts[p][a]``, the derivative of plan ``p`` along its
        ``a``-th axis, computed one by one."""
        results = []
        for terms in self.outputs:
            (p, a, _), *rest = terms
            out = parts[p][a]
            for p, a, sign in rest:
                out = out + parts[p][a] if sign == 1 else out - parts[p][a]
            results.append(out)
        return tuple(results)


def gradient(plan: GradientPlan) -> Combination:
    """Every axis of ``plan`` on one input, one output per axis."""
    return Combination((plan,), (0,), tuple(((0, a, 1),) for a in range(len(plan.axes))))
