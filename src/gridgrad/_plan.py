"""Argument validation and normalisation into an immutable per-axis plan.

Every check happens here, before any arithmetic on the data. A plan is plain
frozen data: which dims, and for each dim a list of *runs*, consecutive output
points that share one stencil shape. Engines execute plans and never validate.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridgrad._stencils import (
    difference_form,
    three_point_center,
    three_point_left,
    three_point_right,
    uniform_stencil,
)

try:  # numpy >= 1.25
    from numpy.exceptions import AxisError
except ImportError:  # pragma: no cover
    from numpy import AxisError  # type: ignore[attr-defined,no-redef]

__all__ = [
    "AxisPlan",
    "Coordinates",
    "GradientPlan",
    "Run",
    "Step",
    "build_plan",
    "check_edge_order",
    "check_out",
    "normalize_dims",
    "numpy_dtypes",
    "numpy_spacing",
    "torch_spacing",
]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, eq=False)
class Step:
    """A uniform grid step: a Python or NumPy real/complex scalar, finite, nonzero."""

    value: Any

    @property
    def is_complex(self) -> bool:
        return bool(np.iscomplexobj(self.value))


@dataclass(frozen=True, eq=False)
class Coordinates:
    """A non-uniform grid, as the 1-D NumPy array of its steps ``x[i+1] - x[i]``."""

    steps: np.ndarray

    @property
    def is_complex(self) -> bool:
        return bool(np.iscomplexobj(self.steps))


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

    @property
    def offsets(self) -> tuple[int, ...]:
        """Every sample offset the stencil reads, sorted."""
        return tuple(sorted({o for _, p, m in self.terms for o in (p, m) if o is not None}))


@dataclass(frozen=True, eq=False)
class AxisPlan:
    """How to differentiate along one axis: runs that tile ``0..size``."""

    axis: int
    size: int
    runs: tuple[Run, ...]


@dataclass(frozen=True, eq=False)
class GradientPlan:
    """A validated gradient request.

    ``value_dtype``: the dtype the input is converted to before any differencing
    (None: keep it). ``out_dtype``: the dtype of every result (None: whatever the
    arithmetic in the input's library gives).
    """

    shape: tuple[int, ...]
    axes: tuple[AxisPlan, ...]
    value_dtype: Any = None
    out_dtype: Any = None


# --------------------------------------------------------------------------- checks


def check_edge_order(edge_order: Any) -> int:
    """Return ``edge_order`` as an int, or raise if it is not 1 or 2."""
    if isinstance(edge_order, (bool, np.bool_)) or edge_order not in (1, 2):
        msg = f"`edge_order` must be 1 or 2; got {edge_order!r}."
        raise ValueError(msg)
    return int(edge_order)


def _dim_index(d: Any, name: str) -> int:
    if isinstance(d, (bool, np.bool_)):
        msg = f"`{name}` must be an int or a sequence of ints; got {d!r}."
        raise TypeError(msg)
    try:
        return operator.index(d)
    except TypeError:
        msg = f"`{name}` must be an int or a sequence of ints; got {d!r}."
        raise TypeError(msg) from None


def normalize_dims(dim: Any, ndim: int, name: str = "dim") -> tuple[int, ...]:
    """Dims as distinct non-negative ints, in the order given (all dims for None)."""
    if dim is None:
        return tuple(range(ndim))
    items = dim if isinstance(dim, (list, tuple)) else [dim]
    dims = []
    for d in items:
        i = _dim_index(d, name)
        if not -ndim <= i < ndim:
            msg = (
                f"`{name}` {i} is out of range for an array with {ndim} dimension(s) "
                f"(valid: {-ndim} to {ndim - 1})."
                if ndim
                else f"`{name}` {i} is out of range: the input is 0-d and has no dimensions."
            )
            raise AxisError(msg)
        dims.append(i % ndim)
    seen: set[int] = set()
    for d in dims:
        if d in seen:
            msg = (
                f"`{name}` must not repeat a dimension; got {tuple(items)!r} (dimension {d} twice)."
            )
            raise ValueError(msg)
        seen.add(d)
    return tuple(dims)


def check_sizes(shape: tuple[int, ...], dims: tuple[int, ...], edge_order: int, name: str) -> None:
    for d in dims:
        if shape[d] < edge_order + 1:
            msg = (
                f"each differentiated dimension needs at least edge_order + 1 = {edge_order + 1} "
                f"samples; `{name}` {d} of the input (shape {shape}) has {shape[d]}."
            )
            raise ValueError(msg)


# --------------------------------------------------------------------------- spacing


def _is_python_scalar(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, np.generic)


def _scalar_step(value: Any, where: str, weak: bool) -> Step:
    """A scalar step; ``weak`` turns NumPy scalars into Python ones (torch semantics)."""
    if isinstance(value, (bool, np.bool_)):
        msg = f"`{where}` must be a real or complex number; got the bool {value!r}."
        raise TypeError(msg)
    if _is_python_scalar(value):
        step: Any = float(value) if isinstance(value, numbers.Integral) else value
    else:
        arr = np.asarray(value)
        kind = arr.dtype.kind
        if kind == "m":
            arr = arr.astype(np.float64)  # a count of its own unit, as numpy does
        elif kind in "iu":
            arr = arr.astype(np.float64)
        elif kind not in "fc":
            msg = f"`{where}` must be a real or complex number; got {value!r} (dtype {arr.dtype})."
            raise TypeError(msg)
        step = arr[()]
        if weak:
            step = step.item()
    if not (np.isfinite(step) and step != 0):
        msg = f"`{where}` must be a finite, nonzero step; got {value!r}."
        raise ValueError(msg)
    return Step(step)


def _spacing_entry(value: Any, where: str, dim: int, size: int, weak: bool) -> Step | Coordinates:
    """One dim's spacing: a scalar step or a 1-D array of coordinates."""
    if _is_python_scalar(value) or isinstance(value, (bool, np.bool_)) or np.ndim(value) == 0:
        return _scalar_step(value, where, weak)
    try:
        x = np.asarray(value)
    except (TypeError, ValueError) as exc:
        msg = f"`{where}` must be a scalar or 1-D coordinates; got {value!r} ({exc})."
        raise TypeError(msg) from None
    if x.ndim != 1:
        msg = f"`{where}` must be a scalar or 1-D coordinates; got an array of shape {x.shape}."
        raise ValueError(msg)
    if x.shape[0] != size:
        msg = (
            f"`{where}` has {x.shape[0]} coordinates but dimension {dim} of the input has "
            f"{size} samples; they must match."
        )
        raise ValueError(msg)
    kind = x.dtype.kind
    if kind == "M":
        if np.isnat(x).any():
            msg = f"`{where}` coordinates must not contain NaT; got {x!r}."
            raise ValueError(msg)
    elif kind in "iufcm":
        if kind in "fc" and not np.isfinite(x).all():
            msg = f"`{where}` coordinates must be finite (no NaN or inf); got {x!r}."
            raise ValueError(msg)
        if kind == "m" and np.isnat(x).any():
            msg = f"`{where}` coordinates must not contain NaT; got {x!r}."
            raise ValueError(msg)
    else:
        msg = (
            f"`{where}` coordinates must be numbers, datetimes or timedeltas; got dtype {x.dtype}."
        )
        raise TypeError(msg)
    uniq, counts = np.unique(x, return_counts=True)
    if uniq.size != x.size:
        msg = (
            f"`{where}` coordinates must be distinct (a repeated value is a zero step); "
            f"{uniq[counts > 1][0]!r} appears {int(counts.max())} times."
        )
        raise ValueError(msg)
    # steps in the arithmetic numpy.gradient uses: integers and timedeltas as float64
    # counts (converted before differencing); datetimes differenced exactly first.
    if kind in "ium":
        steps = np.diff(x.astype(np.float64))
    elif kind == "M":
        steps = np.diff(x).astype(np.float64)
    else:
        steps = np.diff(x)
    if not np.isfinite(steps).all():
        msg = f"`{where}` coordinates are too far apart: their steps overflow ({x!r})."
        raise ValueError(msg)
    if (steps == steps[0]).all():  # evenly spaced: the uniform formula, as numpy does
        first = steps[0]
        return Step(first.item() if weak else first)
    return Coordinates(steps)


def torch_spacing(
    spacing: Any, dims: tuple[int, ...], shape: tuple[int, ...]
) -> list[Step | Coordinates]:
    """torch.gradient's ``spacing``: None, one scalar, or one entry per differentiated dim."""
    if spacing is None:
        return [Step(1.0)] * len(dims)
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            msg = (
                f"`spacing` must be a scalar or a list/tuple with one entry per differentiated "
                f"dimension ({len(dims)}: {dims}); got a {type(spacing).__name__} of length "
                f"{len(spacing)}."
            )
            raise ValueError(msg)
        return [
            _spacing_entry(s, f"spacing[{i}]", d, shape[d], weak=True)
            for i, (s, d) in enumerate(zip(spacing, dims))
        ]
    if isinstance(spacing, (bool, np.bool_)) or _is_python_scalar(spacing) or np.ndim(spacing) == 0:
        step = _scalar_step(spacing, "spacing", weak=True)
        return [step] * len(dims)
    msg = (
        "`spacing` must be a scalar or a list/tuple with one entry per differentiated dimension; "
        f"got a {type(spacing).__name__} with {np.ndim(spacing)} dimension(s). "
        "To pass coordinates for one dimension, wrap them: spacing=(x,)."
    )
    raise TypeError(msg)


def numpy_spacing(
    varargs: Sequence[Any], axes: tuple[int, ...], shape: tuple[int, ...]
) -> list[Step | Coordinates]:
    """numpy.gradient's ``*varargs``: none, one scalar, or one entry per axis."""
    n = len(varargs)
    if n == 0:
        return [Step(1.0)] * len(axes)
    if n == 1 and np.ndim(varargs[0]) == 0:
        return [_scalar_step(varargs[0], "varargs[0]", weak=False)] * len(axes)
    if n != len(axes):
        msg = (
            f"`varargs` must be empty, one scalar, or one spacing per differentiated axis "
            f"({len(axes)}: {axes}); got {n} values."
        )
        raise TypeError(msg)
    return [
        _spacing_entry(v, f"varargs[{i}]", a, shape[a], weak=False)
        for i, (v, a) in enumerate(zip(varargs, axes))
    ]


# --------------------------------------------------------------------------- dtypes


def numpy_dtypes(dtype: np.dtype, complex_spacing: bool) -> tuple[Any, Any]:
    """``(value_dtype, out_dtype)`` for a NumPy input, following numpy.gradient.

    Integers are converted to float64 before differencing (no wrap-around),
    datetimes are viewed as timedeltas; complex spacing gives a complex result.
    """
    kind = dtype.kind
    if kind in "iu":
        value = np.dtype(np.float64)
    elif kind in "fc":
        value = dtype
    elif kind == "M":
        value = np.dtype(dtype.str.replace("M8", "m8"))
    elif kind == "m":
        value = dtype
    else:
        what = "bool" if kind == "b" else str(dtype)
        msg = (
            f"`input` must hold real or complex numbers, datetimes or timedeltas; got dtype {what}."
        )
        raise TypeError(msg)
    out = value
    if complex_spacing:
        if kind in "mM":
            msg = "complex spacing cannot differentiate datetime or timedelta values."
            raise TypeError(msg)
        out = np.result_type(value, np.complex64)
    return value, out


# --------------------------------------------------------------------------- out


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays share memory; a problem too hard to decide counts as yes."""
    if not np.may_share_memory(a, b):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=100_000))  # type: ignore[arg-type]
    except np.exceptions.TooHardError:
        return True


def check_out(out: Any, f: np.ndarray, plan: GradientPlan) -> tuple[np.ndarray, ...] | None:
    """Validate ``out=``: one writeable ndarray per differentiated dim, of the input's
    shape and the result dtype, sharing no memory with the input or with each other."""
    if out is None:
        return None
    n = len(plan.axes)
    if not isinstance(out, tuple):
        msg = (
            f"`out` must be a tuple with one array per differentiated dimension ({n}); "
            f"got {type(out).__name__}."
        )
        raise TypeError(msg)
    if len(out) != n:
        msg = f"`out` must have one array per differentiated dimension ({n}); got {len(out)}."
        raise ValueError(msg)
    if type(f) is not np.ndarray:
        msg = f"`out` needs a plain numpy.ndarray input; got {type(f).__name__}."
        raise TypeError(msg)
    dtype = np.dtype(plan.out_dtype if plan.out_dtype is not None else f.dtype)
    for k, o in enumerate(out):
        if type(o) is not np.ndarray:
            msg = f"`out[{k}]` must be a numpy.ndarray; got {type(o).__name__}."
            raise TypeError(msg)
        if o.shape != plan.shape:
            msg = f"`out[{k}]` must have the input's shape {plan.shape}; got {o.shape}."
            raise ValueError(msg)
        if o.dtype != dtype:
            msg = f"`out[{k}]` must have dtype {dtype}; got {o.dtype}."
            raise TypeError(msg)
        if not o.flags.writeable:
            msg = f"`out[{k}]` must be writeable; got a read-only array."
            raise ValueError(msg)
        if _overlap(o, f):
            msg = f"`out[{k}]` must not share memory with the input."
            raise ValueError(msg)
        for j in range(k):
            if _overlap(o, out[j]):
                msg = f"`out[{k}]` must not share memory with `out[{j}]`."
                raise ValueError(msg)
    return out


# --------------------------------------------------------------------------- plan


def _uniform_runs(size: int, h: Any, edge_order: int) -> list[Run]:
    def run(start: int, stop: int, offsets: tuple[int, ...]) -> Run:
        kept, numerators, denominator = uniform_stencil(offsets)
        scale = h if denominator == 1 else denominator * h
        return Run(start, stop, difference_form(kept, numerators), scale)

    left = tuple(range(edge_order + 1))
    right = tuple(range(-edge_order, 1))
    runs = [run(0, 1, left)]
    if size > 2:
        runs.append(run(1, size - 1, (-1, 0, 1)))
    runs.append(run(size - 1, size, right))
    return runs


def _single(
    weights: tuple[Any, ...], offsets: tuple[int, ...]
) -> tuple[tuple[Any, int, None], ...]:
    return tuple((w, o, None) for w, o in zip(weights, offsets))


def _coordinate_runs(steps: np.ndarray, edge_order: int) -> list[Run]:
    # numpy's and torch's expressions, term for term: bitwise identical results
    size = steps.shape[0] + 1
    if edge_order == 1:
        left = Run(0, 1, ((1, 1, 0),), steps[0])
        right = Run(size - 1, size, ((1, 0, -1),), steps[-1])
    else:
        left = Run(0, 1, _single(three_point_left(steps[0], steps[1]), (0, 1, 2)))
        right = Run(size - 1, size, _single(three_point_right(steps[-2], steps[-1]), (-2, -1, 0)))
    runs = [left]
    if size > 2:
        center = three_point_center(steps[:-1], steps[1:])
        runs.append(Run(1, size - 1, _single(center, (-1, 0, 1))))
    runs.append(right)
    return runs


def build_plan(
    shape: tuple[int, ...],
    dims: tuple[int, ...],
    spacings: Sequence[Step | Coordinates],
    edge_order: int,
    value_dtype: Any = None,
    out_dtype: Any = None,
) -> GradientPlan:
    """Assemble the plan from already validated pieces."""
    axes = []
    for d, sp in zip(dims, spacings):
        if isinstance(sp, Step):
            runs = _uniform_runs(shape[d], sp.value, edge_order)
        else:
            runs = _coordinate_runs(sp.steps, edge_order)
        axes.append(AxisPlan(d, shape[d], tuple(runs)))
    return GradientPlan(tuple(shape), tuple(axes), value_dtype, out_dtype)
