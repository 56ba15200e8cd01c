"""Spacing arguments: scalar steps and coordinates of any array library, checked.

torch.gradient's ``spacing`` and numpy.gradient's ``*varargs`` become one
:class:`Step` or :class:`Coordinates` per differentiated dim. Coordinates of another
library than NumPy keep their library (dtype, device and autograd), their values are
checked on a host copy.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj, is_cupy_array, is_torch_array

from gridgrad._errors import error

__all__ = [
    "Coordinates",
    "Step",
    "check_integer_span",
    "check_spacing_length",
    "even_step",
    "host_copy",
    "numpy_spacing",
    "one_dim_spacing",
    "torch_spacing",
]


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


def even_step(steps: np.ndarray) -> Any:
    """The common step of coordinates whose steps (``np.diff``) are all exactly equal,
    else None: numpy.gradient's rule for "evenly spaced" (they get the uniform formula),
    the one gridgrad applies everywhere."""
    if steps.size and (steps == steps[0]).all():
        return steps[0]
    return None


def _is_python_scalar(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, np.generic)


def _is_foreign_array(value: Any) -> bool:
    """An array of another library than NumPy (torch, JAX, CuPy, Dask, array-api-strict)."""
    return is_array_api_obj(value) and not isinstance(value, (np.ndarray, np.generic))


def host_copy(value: Any, where: str = "spacing") -> np.ndarray | None:
    """A NumPy copy of an array of any library, for value checks only, never for the data
    path; None when its values cannot be seen (an abstract tracer under ``jax.jit``, a
    fake tensor under ``torch.compile``)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    if is_torch_array(value):
        return _torch_host_copy(value, where)
    if is_cupy_array(value):
        return value.get()
    try:
        return np.asarray(value)
    except Exception:
        try:
            return np.from_dlpack(value)
        except Exception:
            return None


def readable(t: Any) -> bool:
    """Whether the values of a torch tensor can be read now: not while ``torch.compile``
    traces (fake tensors), not on the ``meta`` device."""
    import torch

    if torch.compiler.is_compiling():
        return False
    from torch._subclasses.fake_tensor import is_fake

    return not is_fake(t) and t.device.type != "meta"


def _torch_host_copy(t: Any, where: str) -> np.ndarray | None:
    """A tensor's values as NumPy: dtypes NumPy lacks (bfloat16, float8, complex32) are
    widened exactly first; None under ``torch.compile``; a clear error on ``meta``."""
    import torch

    if not readable(t):
        if t.device.type == "meta" and not torch.compiler.is_compiling():
            msg = (
                f"`{where}` is a tensor on the 'meta' device, which holds no values; gridgrad "
                "checks coordinate values (finite, distinct) before any work: give them on a "
                "device with data (e.g. `.to('cpu')`)."
            )
            raise ValueError(msg)
        return None
    t = t.detach().cpu()
    try:
        return t.numpy()
    except TypeError:  # a dtype NumPy lacks: widened exactly
        wide = torch.complex64 if t.is_complex() else torch.float32
        if not (t.is_complex() or t.is_floating_point()):
            wide = torch.int64
        return t.to(wide).numpy()


def check_integer_span(f: Any, edge_order: int) -> None:
    """torch integer input is differenced in int64 (torch's expressions on its values):
    raise before any work where those differences (or ``2 * f`` of the second-order
    edges) would overflow, which torch wraps around silently."""
    if not readable(f) or f.numel() == 0:
        return
    lo, hi = int(f.min()), int(f.max())
    top = 2**63 - 1
    if hi - lo > top or (edge_order == 2 and (2 * hi > top or 2 * lo < -top - 1)):
        msg = (
            f"`input` holds integers from {lo} to {hi}: their differences overflow int64 "
            "(torch.gradient wraps around silently); convert it to a floating dtype first."
        )
        raise ValueError(msg)


def _scalar_step(value: Any, where: str, weak: bool) -> Step:
    """A scalar step; ``weak`` turns NumPy scalars into Python ones (torch semantics)."""
    if isinstance(value, (bool, np.bool_)):
        msg = f"`{where}` must be a real or complex number; got the bool {value!r}."
        raise TypeError(msg)
    if _is_python_scalar(value):
        # int -> float as numpy and torch do; other numbers (Fraction, ...) as Python's own
        if isinstance(value, (float, complex)):
            step: Any = value
        elif isinstance(value, numbers.Real):
            step = float(value)
        elif isinstance(value, numbers.Complex):
            step = complex(value)
        else:
            msg = f"`{where}` must be a real or complex number; got {value!r}."
            raise TypeError(msg)
    else:
        arr = host_copy(value, where)
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


def _check_length(
    shape: tuple[int, ...], where: str, dim: int, size: int, anchor: str | None = None
) -> None:
    if len(shape) != 1:
        msg = f"`{where}` must be a scalar or 1-D coordinates; got an array of shape {shape}."
        raise error(ValueError, msg, anchor, "coords_ndim", ndim=len(shape))
    if shape[0] != size:
        msg = (
            f"`{where}` has {shape[0]} coordinates but dimension {dim} of the input has "
            f"{size} samples; they must match."
        )
        raise error(ValueError, msg, anchor, "coords_length")


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


def _check_datetime_steps(x: np.ndarray, where: str) -> None:
    """Differences of datetimes are int64 counts: refuse those that overflow (numpy wraps
    them around silently)."""
    counts = x.view(np.int64).astype(np.float64)
    if (np.abs(np.diff(counts)) >= 2.0**63).any():
        msg = (
            f"`{where}` coordinates are too far apart: their differences overflow int64 "
            f"counts of {np.datetime_data(x.dtype)[0]} ({x!r})."
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


def _foreign_coordinates(
    x: Any, where: str, dim: int, size: int, even: bool = True, anchor: str | None = None
) -> Step | Coordinates:
    """Coordinates of another library: steps computed in that library (dtype, device and
    autograd kept, as torch.gradient does), values checked on a host copy."""
    _check_length(tuple(x.shape), where, dim, size, anchor)
    kind = _foreign_kind(x, where)
    host = host_copy(x, where)
    if host is not None:
        _check_values(host, where)
    xp = array_namespace(x)
    if kind == "i":  # integer coordinates difference in the default float type
        x = xp.astype(x, xp.__array_namespace_info__().default_dtypes()["real floating"])
        host = None if host is None else host.astype(np.float64)
    steps = x[1:] - x[:-1]
    if even and host is not None and not getattr(x, "requires_grad", False):
        first = even_step(np.diff(host))
        if first is not None:  # evenly spaced: the uniform formula
            return Step(first.item(), is_complex=kind == "c", promote=x.dtype, steps=steps)
    return Coordinates(steps, is_complex=kind == "c")


def _spacing_entry(
    value: Any,
    where: str,
    dim: int,
    size: int,
    weak: bool,
    native: bool,
    even: bool = True,
    anchor: str | None = None,
    device: Any = None,
) -> Step | Coordinates:
    """One dim's spacing: a scalar step or a 1-D array of coordinates. ``native``: arrays
    of the input's own (non-NumPy) library stay in it. ``even``: evenly spaced
    coordinates become a step (numpy's rule; torch keeps coordinates as they are)."""
    if _is_python_scalar(value) or isinstance(value, (bool, np.bool_)) or np.ndim(value) == 0:
        return _scalar_step(value, where, weak)
    if native and _is_foreign_array(value):
        if device is not None and is_torch_array(value) and value.device != device:
            msg = (
                f"`{where}` must be on the input's device ({device}); got a tensor on "
                f"{value.device}."
            )
            raise error(ValueError, msg, anchor, "device", a=device, b=value.device)
        return _foreign_coordinates(value, where, dim, size, even, anchor)
    try:
        x = host_copy(value, where) if _is_foreign_array(value) else np.asarray(value)
    except (TypeError, ValueError) as exc:
        msg = f"`{where}` must be a scalar or 1-D coordinates; got {value!r} ({exc})."
        raise TypeError(msg) from None
    if x is None:
        msg = f"`{where}` coordinates must be concrete values here; got a traced array."
        raise TypeError(msg)
    _check_length(x.shape, where, dim, size, anchor)
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
        _check_datetime_steps(x, where)
        steps = np.diff(x).astype(np.float64)
    else:
        steps = np.diff(x)
    if not np.isfinite(steps).all():
        msg = f"`{where}` coordinates are too far apart: their steps overflow ({x!r})."
        raise ValueError(msg)
    if kind in "iumM" and (steps == 0).any():  # distinct integers, equal in float64
        i = int(np.flatnonzero(steps == 0)[0])
        msg = (
            f"`{where}` coordinates {x[i]!r} and {x[i + 1]!r} are distinct but equal once "
            "converted to float64 (the arithmetic of the steps): a zero step."
        )
        raise ValueError(msg)
    first = even_step(steps) if even else None
    if first is not None:  # evenly spaced: the uniform formula, as numpy does
        return Step(first.item() if weak else first, is_complex=kind == "c", steps=steps)
    return Coordinates(steps, is_complex=kind == "c")


def one_dim_spacing(spacing: Any, dim: Any, f: Any) -> Any:
    """``derivative``'s ``spacing`` for a single int ``dim``, as a per-dim tuple: a 1-D
    array or list as long as that dim is its coordinates, a scalar or a 0-d or
    length-1 value its step; anything else a clear error. Other dims, spacings given
    per dim (a tuple), and dims out of range (reported later) pass unchanged."""
    if spacing is None or isinstance(spacing, tuple) or isinstance(dim, (bool, np.bool_)):
        return spacing
    if not isinstance(dim, numbers.Integral):
        return spacing
    shape = tuple(f.shape) if hasattr(f, "shape") else np.shape(f)
    dim = int(dim)
    if not -len(shape) <= dim < len(shape):
        return spacing
    if isinstance(spacing, list) and len(spacing) == 1:
        return tuple(spacing)  # one entry for the one dim
    try:
        ndim = np.ndim(spacing)
    except Exception:  # a ragged list
        ndim = None
    if ndim == 0:
        return spacing
    n = shape[dim]
    length = len(spacing) if ndim == 1 else None
    if length == n:
        return (spacing,)  # the dim's coordinates
    if length == 1:
        return (spacing[0],)  # a step given as a length-1 value
    what = (
        f"a 1-D value of length {length}"
        if length is not None
        else f"{type(spacing).__name__} with {ndim} dimension(s)"
    )
    msg = (
        f"`spacing` for `dim` {dim} must be a step (a scalar, 0-d or length-1 value) or the "
        f"{n} coordinates of that dimension; got {what}."
    )
    raise ValueError(msg)


def check_spacing_length(
    spacing: Any, dims: tuple[int, ...], anchor: str | None = None, given: bool = True
) -> None:
    """A spacing list or tuple must have one entry per differentiated dim (``given``:
    whether the caller named the dims, which torch's message tells apart)."""
    if isinstance(spacing, (list, tuple)) and len(spacing) != len(dims):
        msg = (
            f"`spacing` must be a scalar or a list/tuple with one entry per differentiated "
            f"dimension ({len(dims)}: {dims}); got a {type(spacing).__name__} of length "
            f"{len(spacing)}."
        )
        rule = "spacing_dims" if given else "spacing_ndim"
        raise error(ValueError, msg, anchor, rule, got=len(spacing), want=len(dims))


def torch_spacing(
    spacing: Any,
    dims: tuple[int, ...],
    shape: tuple[int, ...],
    native: bool = False,
    even: Sequence[bool] | None = None,
    anchor: str | None = None,
    given: bool = True,
    device: Any = None,
) -> list[Step | Coordinates]:
    """torch.gradient's ``spacing``: None, one scalar, or one entry per differentiated dim.
    ``even``: per dim, whether evenly spaced coordinates become a step (default yes);
    ``anchor``, ``given``: for the words of the errors; ``device``: the input's (torch),
    which coordinate tensors must share."""
    if spacing is None:
        return [Step(1.0)] * len(dims)
    if isinstance(spacing, (list, tuple)):
        check_spacing_length(spacing, dims, anchor, given)
        evens = [True] * len(dims) if even is None else even
        return [
            _spacing_entry(s, f"spacing[{i}]", d, shape[d], True, native, e, anchor, device)
            for i, (s, d, e) in enumerate(zip(spacing, dims, evens))
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
        raise error(TypeError, msg, "numpy", "nargs")
    return [
        _spacing_entry(v, f"varargs[{i}]", a, shape[a], False, False, anchor="numpy")
        for i, (v, a) in enumerate(zip(varargs, axes))
    ]
