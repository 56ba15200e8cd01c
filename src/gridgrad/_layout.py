"""Which stencil computes which output point along one axis: the runs of a plan.

Uniform grids use exact integer stencils (:func:`gridgrad._stencils.uniform_stencil`)
in difference form; non-uniform grids use per-point Fornberg weights on normalised
offsets, or, for the first derivative at accuracy 2, the closed-form three-point
weights of numpy and torch (bitwise compatibility). Interior points get a centred
stencil; points where it does not fit get one-sided stencils of the edge accuracy,
or, on a periodic axis, the centred stencil over wrapped samples (the engine pads
the axis with ``halo`` wrapped samples on each side).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from array_api_compat import array_namespace

from gridgrad._stencils import (
    difference_form,
    fornberg,
    three_point_center,
    three_point_left,
    three_point_right,
    uniform_stencil,
)

__all__ = ["AxisSpec", "Run", "central_half", "complex_weights", "coordinate_runs", "uniform_runs"]


def _how(c: Any) -> int:
    """1 or -1 for the Python numbers 1 and -1 (an addition or subtraction), else 0."""
    if isinstance(c, numbers.Number) and not isinstance(c, np.generic):
        return 1 if c == 1 else -1 if c == -1 else 0
    return 0


@dataclass(frozen=True, eq=False)
class Run:
    """Output points ``start:stop`` along one axis, all with the same stencil shape.

    ``out[i] = (sum over terms (c, p, m) of c * (f[i+p] - f[i+m])) / scale``, where a
    term with ``m`` None reads the single sample ``f[i+p]``. Each ``c`` (and ``scale``)
    is a Python number (the same for every point), a NumPy scalar, or a 1-D NumPy
    array with one value per point.
    """

    start: int
    stop: int
    terms: tuple[tuple[Any, int, int | None], ...]
    scale: Any = 1
    #: how each term is combined, where the expression is fixed (an anchor's own,
    #: evaluated as written, in order): 0 adds ``c * d``, -2 subtracts ``c * d``, 1 adds
    #: ``d``, -1 subtracts ``d``; None: derived from the coefficients (see ``program``)
    ops: tuple[int, ...] | None = None
    #: divide by 2 after dividing by ``scale``: torch's ``((f[i+1] - f[i-1]) / h) / 2``
    halve: bool = False

    @cached_property
    def program(self) -> tuple[tuple[int, Any, int, int | None], ...]:
        """The terms as engines evaluate them: ``(how, c, p, m)`` with ``how`` 1 for an
        addition (c is the number 1), -1 for a subtraction (c is -1), 0 for a multiply
        and an addition, -2 for a multiply and a subtraction (``ops`` only); the first
        term is one that needs no negation (a central difference reads
        ``f[i+1] - f[i-1]``, as numpy and torch compute it). With ``ops``, the terms as
        given."""
        if self.ops is not None:
            return tuple((how, c, p, m) for how, (c, p, m) in zip(self.ops, self.terms))
        terms = [(_how(c), c, p, m) for c, p, m in self.terms]
        first = next((k for k, t in enumerate(terms) if t[0] != -1), 0)
        terms.insert(0, terms.pop(first))
        return tuple(terms)

    @property
    def divides(self) -> bool:
        """Whether the sum is divided by ``scale``: only the int 1 skips it (a float 1.0
        still divides, so that integers become floats and complex inf/NaN behave as
        in NumPy)."""
        return not (type(self.scale) is int and self.scale == 1)

    @property
    def offsets(self) -> tuple[int, ...]:
        """Every sample offset the stencil reads, sorted."""
        return tuple(sorted({o for _, p, m in self.terms for o in (p, m) if o is not None}))


def complex_weights(runs: Any) -> bool:
    """Whether a term of these runs multiplies by a complex weight (numpy's edges for a
    complex step, coordinates given as complex numbers). NumPy's complex multiply may
    fuse its products (FMA) where compiled code does not: the kernels leave such
    plans on complex values to the NumPy engines."""
    for run in runs:
        for c, _, _ in run.terms:
            if isinstance(c, (complex, np.complexfloating)) or (
                isinstance(c, np.ndarray) and c.dtype.kind == "c"
            ):
                return True
    return False


@dataclass(frozen=True)
class AxisSpec:
    """What to compute along one axis: derivative ``order``, interior ``accuracy``,
    accuracy ``edge`` of the one-sided stencils, whether the axis is periodic
    (``period``: the domain length, needed on coordinates), and whose expressions
    compute it (``form``): "difference" (gridgrad's own: differences first, exactly 0
    on constants), or "torch" / "numpy" (the drop-ins: the anchor's expressions,
    term for term, wherever the anchor computes the same thing)."""

    order: int = 1
    accuracy: int = 2
    edge: int = 1
    periodic: bool = False
    period: Any = None
    form: str = "difference"

    @property
    def expression(self) -> str:
        """The form this axis is computed in: the anchor's where it has one (first
        derivative, accuracy 2, one-sided edges), else "difference"."""
        if (self.order, self.accuracy, self.periodic) == (1, 2, False):
            return self.form
        return "difference"

    def min_samples(self) -> int:
        """Samples an axis needs for this spec."""
        half = central_half(self.order, self.accuracy)
        if self.periodic:
            return max(2 * half + 1, self.order + self.accuracy)
        return max(self.order + self.edge, 2 * half, self.order + 1)


def central_half(order: int, accuracy: int) -> int:
    """Half-width of the centred stencil of ``accuracy`` for a derivative of ``order``
    on a uniform grid (symmetric stencils gain one order for free)."""
    return (order + 1) // 2 - 1 + accuracy // 2


# --------------------------------------------------------------------------- uniform


_UNIFORM: dict[tuple[Any, ...], tuple[tuple[Any, ...], int]] = {}


def uniform_runs(size: int, h: Any, spec: AxisSpec) -> tuple[list[Any], int]:
    """Runs for a uniform step ``h``, and the periodic halo (0 if not periodic).

    Remembered for recent arguments (runs are immutable): the key holds the step's
    type as well as its value, since ``1`` and ``1.0`` give different scales, and the
    signs of a complex step's zero parts (``1+0j == 1-0j``, but the quotients differ)."""
    try:
        signs = None
        if isinstance(h, (complex, np.complexfloating)):
            signs = (math.copysign(1, h.real), math.copysign(1, h.imag))
        key = (size, type(h), h, signs, spec)
        cached = _UNIFORM.get(key)
    except TypeError:  # an unhashable period
        return _uniform_runs(size, h, spec)
    if cached is None:
        runs, halo = _uniform_runs(size, h, spec)
        if len(_UNIFORM) >= 256:
            _UNIFORM.clear()
        cached = _UNIFORM[key] = (tuple(runs), halo)
    return list(cached[0]), cached[1]


def _anchor_runs(size: int, h: Any, edge: int, form: str) -> list[Any]:
    """The uniform runs of torch.gradient (``form`` "torch") or numpy.gradient
    ("numpy"), each expression as the anchor writes it:

    * interior: torch ``((f[i+1] - f[i-1]) / h) / 2``, numpy ``(f[i+1] - f[i-1]) / (2. * h)``;
    * first-order edges (both): ``(f[1] - f[0]) / h``;
    * second-order edges: torch ``(-1.5 * f[0] + 2 * f[1] - 0.5 * f[2]) / h``, numpy
      ``a * f[0] + b * f[1] + c * f[2]`` with ``a = -1.5 / h``, ``b = 2. / h``,
      ``c = -0.5 / h`` (and their mirrors at the other end).
    """
    if edge == 1:
        left = Run(0, 1, ((1, 1, 0),), h)
        right = Run(size - 1, size, ((1, 0, -1),), h)
    elif form == "torch":
        left = Run(0, 1, ((-1.5, 0, None), (2, 1, None), (0.5, 2, None)), h, ops=(0, 0, -2))
        right = Run(
            size - 1, size, ((0.5, -2, None), (2, -1, None), (1.5, 0, None)), h, ops=(0, -2, 0)
        )
    else:
        terms = ((-1.5 / h, 0, None), (2.0 / h, 1, None), (-0.5 / h, 2, None))
        left = Run(0, 1, terms, ops=(0, 0, 0))
        terms = ((0.5 / h, -2, None), (-2.0 / h, -1, None), (1.5 / h, 0, None))
        right = Run(size - 1, size, terms, ops=(0, 0, 0))
    runs = [left]
    if size > 2:
        if form == "torch":
            runs.append(Run(1, size - 1, ((1, 1, -1),), h, halve=True))
        else:
            runs.append(Run(1, size - 1, ((1, 1, -1),), 2.0 * h))
    runs.append(right)
    return runs


def _uniform_runs(size: int, h: Any, spec: AxisSpec) -> tuple[list[Any], int]:
    if spec.expression != "difference":
        return _anchor_runs(size, h, spec.edge, spec.expression), 0
    m = spec.order
    scale_h = h if m == 1 else h**m

    def run(start: int, stop: int, offsets: tuple[int, ...]) -> Run:
        kept, numerators, denominator = uniform_stencil(offsets, m)
        scale = scale_h if denominator == 1 else denominator * scale_h
        return Run(start, stop, difference_form(kept, numerators), scale)

    half = central_half(m, spec.accuracy)
    central = tuple(range(-half, half + 1))
    if spec.periodic:
        return [run(0, size, central)], half
    width = m + spec.edge
    runs = [run(i, i + 1, tuple(range(-i, width - i))) for i in range(half)]
    if size > 2 * half:
        runs.append(run(half, size - half, central))
    for r in reversed(range(half)):
        i = size - 1 - r
        runs.append(run(i, i + 1, tuple(range(-(width - 1 - r), r + 1))))
    return runs, 0


# --------------------------------------------------------------------------- coordinates


def _single(
    weights: tuple[Any, ...], offsets: tuple[int, ...]
) -> tuple[tuple[Any, int, None], ...]:
    return tuple((w, o, None) for w, o in zip(weights, offsets))


def _closed_form_runs(steps: Any, edge: int) -> list[Any]:
    """First derivative, accuracy 2: numpy's and torch's expressions, term for term."""
    size = steps.shape[0] + 1
    if edge == 1:
        left = Run(0, 1, ((1, 1, 0),), steps[0])
        right = Run(size - 1, size, ((1, 0, -1),), steps[-1])
    else:
        left = Run(0, 1, _single(three_point_left(steps[0], steps[1]), (0, 1, 2)))
        right = Run(size - 1, size, _single(three_point_right(steps[-2], steps[-1]), (-2, -1, 0)))
    # the interior run is kept when empty (2 samples), as torch computes it: its
    # weights take part in the result's type promotion
    center = three_point_center(steps[:-1], steps[1:])
    runs = [left, Run(1, size - 1, _single(center, (-1, 0, 1))), right]
    return runs


def _distances(steps: Any, start: int, stop: int, offsets: tuple[int, ...]) -> dict[int, Any]:
    """``x[i + o] - x[i]`` for the points ``start:stop``, summed from the steps
    (``steps[k] = x[k + 1] - x[k]``), for every offset ``o``."""
    d: dict[int, Any] = {}
    acc = None
    for o in range(1, max(offsets) + 1):
        s = steps[start + o - 1 : stop + o - 1]
        acc = s if acc is None else acc + s
        d[o] = acc
    acc = None
    for o in range(1, -min(offsets) + 1):
        s = steps[start - o : stop - o]
        acc = -s if acc is None else acc - s
        d[-o] = acc
    d[0] = d[offsets[-1] if offsets[-1] else offsets[0]] * 0
    return d


def _fornberg_run(
    steps: Any, start: int, stop: int, offsets: tuple[int, ...], order: int, shift: int = 0
) -> Any:
    """Per-point Fornberg weights for output points ``start:stop`` in difference form.

    Offsets are normalised by each point's mean step before the recursion (well
    conditioned whatever the grid's scale) and the weights rescaled after. ``shift``
    indexes ``steps`` for periodic axes, whose steps are extended by wrapping.
    """
    d = _distances(steps, start + shift, stop + shift, offsets)
    scale = (d[offsets[-1]] - d[offsets[0]]) / (len(offsets) - 1)
    weights = fornberg([d[o] / scale for o in offsets], order)
    factor = scale**order
    weights = [w / factor for w in weights]
    terms = []
    partial = None
    for j in range(len(offsets) - 1):  # sum_k w_k f_k as differences: exact zero on constants
        partial = weights[j] if partial is None else partial + weights[j]
        terms.append((-partial, offsets[j + 1], offsets[j]))
    return Run(start, stop, tuple(terms))


def coordinate_runs(steps: Any, spec: AxisSpec) -> tuple[list[Any], int]:
    """Runs for a non-uniform grid given by its steps (cyclic steps, the last one the
    wrap-around step, on a periodic axis), and the periodic halo."""
    m, p = spec.order, spec.accuracy
    if m == 1 and p == 2 and not spec.periodic:
        return _closed_form_runs(steps, spec.edge), 0
    if isinstance(steps, np.ndarray) and steps.dtype.kind in "fc" and steps.dtype.itemsize < 8:
        steps = steps.astype(np.result_type(steps.dtype, np.float64))
    n = m + p  # enough points to keep accuracy p for even derivatives too
    lo = (n - 1) // 2
    hi = n - 1 - lo
    interior = tuple(range(-lo, hi + 1))
    if spec.periodic:
        size = steps.shape[0]
        xp = array_namespace(steps)
        ext = (
            xp.concat([steps[size - lo :], steps, steps[:hi]])
            if lo
            else xp.concat([steps, steps[:hi]])
        )
        return [_fornberg_run(ext, 0, size, interior, m, shift=lo)], max(lo, hi)
    size = steps.shape[0] + 1
    width = m + spec.edge
    runs = [_fornberg_run(steps, i, i + 1, tuple(range(-i, width - i)), m) for i in range(lo)]
    if size > lo + hi:
        runs.append(_fornberg_run(steps, lo, size - hi, interior, m))
    for r in reversed(range(hi)):
        i = size - 1 - r
        runs.append(_fornberg_run(steps, i, i + 1, tuple(range(-(width - 1 - r), r + 1)), m))
    return runs, 0
