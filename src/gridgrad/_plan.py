"""The plan: immutable per-axis data an engine executes; and the checks of dims,
lengths and ``out`` that :mod:`gridgrad._request` builds a request with.

A plan is plain frozen data: which dims, and for each dim a list of *runs*,
consecutive output points that share one stencil shape (:func:`build_plan`, from
checked pieces). Engines execute plans and never validate.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
from array_api_compat import array_namespace

from gridgrad._errors import error
from gridgrad._layout import AxisSpec, Run, coordinate_runs, uniform_runs
from gridgrad._spacing import Coordinates, Step, host_copy

try:  # numpy >= 1.25
    from numpy.exceptions import AxisError
except ImportError:  # pragma: no cover
    from numpy import AxisError  # type: ignore[attr-defined,no-redef]

__all__ = [
    "AxisError",
    "AxisPlan",
    "Coordinates",
    "GradientPlan",
    "Run",
    "Step",
    "build_plan",
    "check_known_shape",
    "check_out",
    "check_sizes",
    "normalize_dims",
    "restrict",
]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, eq=False)
class AxisPlan:
    """How to differentiate along one axis: runs that tile ``0..size``."""

    axis: int
    size: int
    runs: tuple[Run, ...]
    #: dtype this axis is computed and returned in, where the coordinates call for
    #: another than the plan's (evenly spaced coordinates of a promoting library)
    dtype: Any = None
    #: periodic axis: the engine pads it with this many wrapped samples on each side
    #: and reads sample ``i + offset`` of the output point ``i`` at ``i + halo + offset``
    halo: int = 0


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

    def part(self, *indices: int) -> GradientPlan:
        """The plan of some of this plan's axes (by position), in the order given."""
        return GradientPlan(self.shape, tuple(self.axes[i] for i in indices), self.value_dtype, self.out_dtype)  # fmt: skip

    @cached_property
    def steps(self) -> tuple[GradientPlan, ...]:
        """One single-axis plan per axis, to apply one after another (a mixed partial
        derivative); the same objects on every access, so engines can keep what they
        precompute for them."""
        return tuple(self.part(i) for i in range(len(self.axes)))


# --------------------------------------------------------------------------- checks


def _dim_index(d: Any, name: str) -> int:
    if isinstance(d, (bool, np.bool_)):
        msg = f"`{name}` must be an int or a sequence of ints; got {d!r}."
        raise TypeError(msg)
    try:
        return operator.index(d)
    except TypeError:
        msg = f"`{name}` must be an int or a sequence of ints; got {d!r}."
        raise TypeError(msg) from None


def normalize_dims(
    dim: Any, ndim: int, name: str = "dim", anchor: str | None = None
) -> tuple[int, ...]:
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
            raise error(AxisError, msg, anchor, "dim_range", dim=i, ndim=ndim, hi=ndim - 1)
        dims.append(i % ndim)
    seen: set[int] = set()
    for d in dims:
        if d in seen:
            msg = (
                f"`{name}` must not repeat a dimension; got {tuple(items)!r} (dimension {d} twice)."
            )
            raise error(ValueError, msg, anchor, "repeat", dim=d)
        seen.add(d)
    return tuple(dims)


def check_sizes(shape: tuple[int, ...], dims: tuple[int, ...], specs: Any, name: str) -> None:
    """Every differentiated dimension must hold enough samples for its stencils.
    ``specs``: one :class:`AxisSpec` per dim, or an ``edge_order`` (first derivative,
    accuracy 2, as torch.gradient)."""
    if isinstance(specs, int):
        specs = [AxisSpec(edge=specs)] * len(dims)
    for d, spec in zip(dims, specs):
        need = spec.min_samples()
        if shape[d] < need:
            if (spec.order, spec.accuracy, spec.periodic) == (1, 2, False):
                why = f"edge_order + 1 = {need}"
            else:
                why = f"{need} (derivative order {spec.order}, accuracy {spec.accuracy}" + (
                    ", periodic)" if spec.periodic else f", edge order {spec.edge})"
                )
            msg = (
                f"each differentiated dimension needs at least {why} samples; `{name}` {d} "
                f"of the input (shape {shape}) has {shape[d]}."
            )
            anchor = spec.expression if spec.expression != "difference" else None
            raise error(ValueError, msg, anchor, "size")


def check_known_shape(shape: tuple[Any, ...], name: str) -> tuple[int, ...]:
    """The shape as ints, or raise if a size is unknown (a lazy array's NaN chunk sizes)."""
    if any(not isinstance(n, numbers.Integral) for n in shape):
        msg = (
            f"`{name}` must have a known shape; got shape {shape} (unknown sizes are NaN). "
            "For a dask array, call `.compute_chunk_sizes()` on it first."
        )
        raise ValueError(msg)
    return tuple(int(n) for n in shape)


# --------------------------------------------------------------------------- out


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays share memory; a problem too hard to decide counts as yes."""
    if not np.may_share_memory(a, b):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=100_000))  # type: ignore[arg-type]
    except np.exceptions.TooHardError:
        return True


def check_out(out: Any, f: np.ndarray, plan: GradientPlan | Any) -> tuple[np.ndarray, ...] | None:
    """Validate ``out=``: one writeable ndarray per differentiated dim, of the input's
    shape and the result dtype, sharing no memory with the input or with each other.
    ``plan``: a plan or a request (their ``shape``, ``axes`` and ``out_dtype``)."""
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


def _periodic_steps(sp: Step | Coordinates, size: int, spec: AxisSpec, where: str) -> Any:
    """The cyclic steps of periodic coordinates (the last one wraps around), checked."""
    steps = sp.steps
    if spec.period is None:
        msg = (
            f"boundary='periodic' on coordinates needs `period=` (the domain length) for "
            f"{where}; got period=None."
        )
        raise ValueError(msg)
    xp = array_namespace(steps)
    host = host_copy(steps)
    if host is not None:
        if not ((host > 0).all() or (host < 0).all()):
            msg = f"boundary='periodic' needs monotonic coordinates for {where}."
            raise ValueError(msg)
        wrap = spec.period - host.sum()
        if not (np.isfinite(wrap) and wrap * host[0] > 0):
            msg = (
                f"`period` must be longer than the coordinates' span for {where}: got "
                f"period={spec.period!r} for a span of {host.sum()!r}."
            )
            raise ValueError(msg)
    wrap_step = spec.period - xp.sum(steps)
    return xp.concat([steps, xp.reshape(xp.asarray(wrap_step, dtype=steps.dtype), (1,))])


def build_plan(
    shape: tuple[int, ...],
    dims: tuple[int, ...],
    spacings: Sequence[Step | Coordinates],
    edge_order: int,
    value_dtype: Any = None,
    out_dtype: Any = None,
    result_type: Any = None,
    specs: Sequence[AxisSpec] | None = None,
) -> GradientPlan:
    """Assemble the plan from already validated pieces. ``specs`` (one per dim) say
    what to compute; by default the first derivative at accuracy 2 with edges of
    ``edge_order``. ``result_type(dtype, dtype)`` (the input library's) gives the result
    dtype of an axis whose evenly spaced coordinates came as an array of that library."""
    if specs is None:
        specs = [AxisSpec(edge=edge_order)] * len(dims)
    axes = []
    for d, sp, spec in zip(dims, spacings, specs):
        axis_dtype = None
        if spec.periodic and sp.steps is not None:
            cyclic = _periodic_steps(sp, shape[d], spec, f"dimension {d}")
            host = host_copy(cyclic)
            if host is not None and (host == host[0]).all():
                sp = Step(host[0].item(), sp.is_complex, getattr(sp, "promote", None))
            else:
                sp = Coordinates(cyclic, sp.is_complex)
        elif spec.periodic and spec.period is not None and isinstance(sp, Step):
            h = sp.value
            if not np.isclose(spec.period, abs(shape[d] * h), rtol=1e-12, atol=0):
                msg = (
                    f"`period` {spec.period!r} contradicts the step {h!r} of dimension {d} "
                    f"({shape[d]} samples span {shape[d] * h!r}); omit it for a scalar step."
                )
                raise ValueError(msg)
        if isinstance(sp, Step):
            runs, halo = uniform_runs(shape[d], sp.value, spec)
            if sp.promote is not None and result_type is not None:
                axis_dtype = result_type(value_dtype, sp.promote)
        else:
            runs, halo = coordinate_runs(sp.steps, spec)
        axes.append(AxisPlan(d, shape[d], tuple(runs), axis_dtype, halo))
    return GradientPlan(tuple(shape), tuple(axes), value_dtype, out_dtype)


# --------------------------------------------------------------------------- blocks


def _cut(c: Any, start: int, stop: int) -> Any:
    """Per-point values ``start:stop`` of a coefficient; a shared value as it is."""
    return c[start:stop] if isinstance(c, np.ndarray) and c.ndim == 1 else c


def restrict(ax: AxisPlan, lo: int, hi: int, origin: int) -> AxisPlan:
    """The part of ``ax`` that computes the output points ``lo:hi`` from a block.

    ``origin`` is the global index of the block's first sample (its ghost cells
    included). Runs are clipped to ``lo:hi``, per-point coefficients sliced to
    match, and start/stop re-expressed as indices into the block, so an engine
    given the block and the restricted plan computes exactly the points ``lo:hi``
    with the same arithmetic as on the whole array. The block must hold every
    sample those points read. ``size`` of the result is ``hi - lo``, the number
    of output points; its runs tile ``lo - origin : hi - origin``.
    """
    runs = []
    for run in ax.runs:
        start, stop = max(run.start, lo), min(run.stop, hi)
        if start >= stop:
            continue
        a, b = start - run.start, stop - run.start
        terms = tuple((_cut(c, a, b), p, m) for c, p, m in run.terms)
        runs.append(
            replace(
                run,
                start=start - origin,
                stop=stop - origin,
                terms=terms,
                scale=_cut(run.scale, a, b),
            )
        )
    return AxisPlan(ax.axis, hi - lo, tuple(runs), ax.dtype)  # ghost cells replace the halo
