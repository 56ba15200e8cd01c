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
from array_api_compat import array_namespace, is_array_api_obj, is_cupy_array, is_torch_array

from gridgrad._layout import AxisSpec, coordinate_runs, uniform_runs

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
    "check_known_shape",
    "check_out",
    "normalize_dims",
    "numpy_dtypes",
    "numpy_spacing",
    "restrict",
    "torch_spacing",
]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, eq=False)
class Step:
    """A uniform grid step: a Python or NumPy real/complex scalar, finite, nonzero."""

    value: Any
    is_complex: bool = False
    #: dtype of the foreign coordinate array an evenly spaced step was found in: the
    #: result takes part in type promotion with it, as torch.gradient's does
    promote: Any = None
    #: the steps of the evenly spaced coordinates it came from (None for a scalar)
    steps: Any = None


@dataclass(frozen=True, eq=False)
class Coordinates:
    """A non-uniform grid, as the 1-D array of its steps ``x[i+1] - x[i]`` (NumPy, or
    the input's own library, so that autograd reaches the coordinates)."""

    steps: Any
    is_complex: bool = False


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
            raise ValueError(msg)


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral)):
        msg = f"`{name}` must be a positive integer; got {value!r}."
        raise TypeError(msg)
    if value < 1:
        msg = f"`{name}` must be a positive integer; got {value!r}."
        raise ValueError(msg)
    return int(value)


def _per_dim(value: Any, n: int, name: str) -> list[Any]:
    """One value for every dim, or a list/tuple with one per dim."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            msg = f"`{name}` must be one value or one per differentiated dimension ({n}); got {value!r}."
            raise ValueError(msg)
        return list(value)
    return [value] * n


def make_specs(
    n: int,
    *,
    order: Any = 1,
    accuracy: Any = 2,
    edge_order: Any = None,
    boundary: Any = "one-sided",
    period: Any = None,
    default_edge: str = "torch",
) -> list[AxisSpec]:
    """Validate the stencil arguments and give one :class:`AxisSpec` per dim.

    ``edge_order`` None means 1 at accuracy 2 and the interior accuracy otherwise
    (``default_edge="torch"``, gradient's rule) or always the interior accuracy
    (``default_edge="accuracy"``, derivative's rule).
    """
    if isinstance(accuracy, (bool, np.bool_)) or not isinstance(accuracy, numbers.Integral):
        msg = f"`accuracy` must be an even integer >= 2; got {accuracy!r}."
        raise TypeError(msg)
    if accuracy < 2 or accuracy % 2:
        msg = f"`accuracy` must be an even integer >= 2; got {accuracy!r}."
        raise ValueError(msg)
    p = int(accuracy)
    if edge_order is None:
        e = 1 if (p == 2 and default_edge == "torch") else p
    elif p == 2:
        e = check_edge_order(edge_order)
    else:
        if isinstance(edge_order, (bool, np.bool_)) or edge_order not in range(1, p + 1):
            msg = f"`edge_order` must be an integer from 1 to accuracy={p}; got {edge_order!r}."
            raise ValueError(msg)
        e = int(edge_order)
    orders = [_positive_int(m, "order") for m in _per_dim(order, n, "order")]
    boundaries = _per_dim(boundary, n, "boundary")
    for b in boundaries:
        if b not in ("one-sided", "periodic"):
            msg = f"`boundary` must be 'one-sided' or 'periodic'; got {b!r}."
            raise ValueError(msg)
    periods = _per_dim(period, n, "period")
    for t in periods:
        if t is None:
            continue
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (numbers.Real, np.floating)):
            msg = f"`period` must be a positive real number; got {t!r}."
            raise TypeError(msg)
        if not (np.isfinite(float(t)) and float(t) > 0):
            msg = f"`period` must be a positive real number; got {t!r}."
            raise ValueError(msg)
    return [AxisSpec(m, p, e, b == "periodic", t) for m, b, t in zip(orders, boundaries, periods)]


def check_known_shape(shape: tuple[Any, ...], name: str) -> tuple[int, ...]:
    """The shape as ints, or raise if a size is unknown (a lazy array's NaN chunk sizes)."""
    if any(not isinstance(n, numbers.Integral) for n in shape):
        msg = (
            f"`{name}` must have a known shape; got shape {shape} (unknown sizes are NaN). "
            "For a dask array, call `.compute_chunk_sizes()` on it first."
        )
        raise ValueError(msg)
    return tuple(int(n) for n in shape)


# --------------------------------------------------------------------------- spacing


def _is_python_scalar(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, np.generic)


def _is_foreign_array(value: Any) -> bool:
    """An array of another library than NumPy (torch, JAX, CuPy, Dask, array-api-strict)."""
    return is_array_api_obj(value) and not isinstance(value, (np.ndarray, np.generic))


def host_copy(value: Any) -> np.ndarray | None:
    """A NumPy copy of an array of any library, for value checks only, never for the data
    path; None when its values cannot be seen (an abstract tracer under ``jax.jit``)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    if is_torch_array(value):
        return value.detach().cpu().numpy()
    if is_cupy_array(value):
        return value.get()
    try:
        return np.asarray(value)
    except Exception:
        try:
            return np.from_dlpack(value)
        except Exception:
            return None


def _scalar_step(value: Any, where: str, weak: bool) -> Step:
    """A scalar step; ``weak`` turns NumPy scalars into Python ones (torch semantics)."""
    if isinstance(value, (bool, np.bool_)):
        msg = f"`{where}` must be a real or complex number; got the bool {value!r}."
        raise TypeError(msg)
    if _is_python_scalar(value):
        step: Any = float(value) if isinstance(value, numbers.Integral) else value
    else:
        arr = host_copy(value)
        if arr is None:  # a traced 0-d array: its value is only known at run time
            return Step(value, is_complex=_foreign_kind(value, where) == "c")
        kind = arr.dtype.kind
        if kind in "ium":  # timedeltas count in their own unit, as numpy does
            arr = arr.astype(np.float64)
        elif kind not in "fc":
            msg = f"`{where}` must be a real or complex number; got {value!r} (dtype {arr.dtype})."
            raise TypeError(msg)
        step = arr[()]
        if weak or _is_foreign_array(value):
            step = step.item()
    if not (np.isfinite(step) and step != 0):
        msg = f"`{where}` must be a finite, nonzero step; got {value!r}."
        raise ValueError(msg)
    return Step(step, is_complex=isinstance(step, (complex, np.complexfloating)))


def _check_length(shape: tuple[int, ...], where: str, dim: int, size: int) -> None:
    if len(shape) != 1:
        msg = f"`{where}` must be a scalar or 1-D coordinates; got an array of shape {shape}."
        raise ValueError(msg)
    if shape[0] != size:
        msg = (
            f"`{where}` has {shape[0]} coordinates but dimension {dim} of the input has "
            f"{size} samples; they must match."
        )
        raise ValueError(msg)


def _check_values(x: np.ndarray, where: str) -> None:
    """Coordinates must be finite (no NaN, inf or NaT) and distinct."""
    kind = x.dtype.kind
    if kind in "mM" and np.isnat(x).any():
        msg = f"`{where}` coordinates must not contain NaT; got {x!r}."
        raise ValueError(msg)
    if kind in "fc" and not np.isfinite(x).all():
        msg = f"`{where}` coordinates must be finite (no NaN or inf); got {x!r}."
        raise ValueError(msg)
    uniq, counts = np.unique(x, return_counts=True)
    if uniq.size != x.size:
        msg = (
            f"`{where}` coordinates must be distinct (a repeated value is a zero step); "
            f"{uniq[counts > 1][0]!r} appears {int(counts.max())} times."
        )
        raise ValueError(msg)


def _foreign_kind(x: Any, where: str) -> str:
    """'i', 'f' or 'c' for an array of another library; TypeError for anything else."""
    xp = array_namespace(x)
    for kind, name in (("c", "complex floating"), ("f", "real floating"), ("i", "integral")):
        if xp.isdtype(x.dtype, name):
            return kind
    msg = f"`{where}` must hold real or complex numbers; got dtype {x.dtype}."
    raise TypeError(msg)


def _foreign_coordinates(x: Any, where: str, dim: int, size: int) -> Step | Coordinates:
    """Coordinates of another library: steps computed in that library (dtype, device and
    autograd kept, as torch.gradient does), values checked on a host copy."""
    _check_length(tuple(x.shape), where, dim, size)
    kind = _foreign_kind(x, where)
    host = host_copy(x)
    if host is not None:
        _check_values(host, where)
    xp = array_namespace(x)
    if kind == "i":  # integer coordinates difference in the default float type
        x = xp.astype(x, xp.__array_namespace_info__().default_dtypes()["real floating"])
        host = None if host is None else host.astype(np.float64)
    steps = x[1:] - x[:-1]
    if host is not None and not getattr(x, "requires_grad", False):
        host_steps = np.diff(host)
        if (host_steps == host_steps[0]).all():  # evenly spaced: the uniform formula
            return Step(host_steps[0].item(), is_complex=kind == "c", promote=x.dtype, steps=steps)
    return Coordinates(steps, is_complex=kind == "c")


def _spacing_entry(
    value: Any, where: str, dim: int, size: int, weak: bool, native: bool
) -> Step | Coordinates:
    """One dim's spacing: a scalar step or a 1-D array of coordinates. ``native``: arrays
    of the input's own (non-NumPy) library stay in it."""
    if _is_python_scalar(value) or isinstance(value, (bool, np.bool_)) or np.ndim(value) == 0:
        return _scalar_step(value, where, weak)
    if native and _is_foreign_array(value):
        return _foreign_coordinates(value, where, dim, size)
    try:
        x = host_copy(value) if _is_foreign_array(value) else np.asarray(value)
    except (TypeError, ValueError) as exc:
        msg = f"`{where}` must be a scalar or 1-D coordinates; got {value!r} ({exc})."
        raise TypeError(msg) from None
    if x is None:
        msg = f"`{where}` coordinates must be concrete values here; got a traced array."
        raise TypeError(msg)
    _check_length(x.shape, where, dim, size)
    kind = x.dtype.kind
    if kind not in "iufcmM":
        msg = (
            f"`{where}` coordinates must be numbers, datetimes or timedeltas; got dtype {x.dtype}."
        )
        raise TypeError(msg)
    _check_values(x, where)
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
        return Step(first.item() if weak else first, is_complex=kind == "c", steps=steps)
    return Coordinates(steps, is_complex=kind == "c")


def torch_spacing(
    spacing: Any, dims: tuple[int, ...], shape: tuple[int, ...], native: bool = False
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
            _spacing_entry(s, f"spacing[{i}]", d, shape[d], weak=True, native=native)
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
        _spacing_entry(v, f"varargs[{i}]", a, shape[a], weak=False, native=False)
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
        runs.append(Run(start - origin, stop - origin, terms, _cut(run.scale, a, b)))
    return AxisPlan(ax.axis, hi - lo, tuple(runs), ax.dtype)  # ghost cells replace the halo
