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

__all__ = [
    "Coordinates",
    "Step",
    "check_spacing_length",
    "even_step",
    "host_copy",
    "numpy_spacing",
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
        even = even_step(np.diff(host))
        if even is not None:  # evenly spaced: the uniform formula
            return Step(even.item(), is_complex=kind == "c", promote=x.dtype, steps=steps)
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
    first = even_step(steps)
    if first is not None:  # evenly spaced: the uniform formula, as numpy does
        return Step(first.item() if weak else first, is_complex=kind == "c", steps=steps)
    return Coordinates(steps, is_complex=kind == "c")


def check_spacing_length(spacing: Any, dims: tuple[int, ...]) -> None:
    """A spacing list or tuple must have one entry per differentiated dim."""
    if isinstance(spacing, (list, tuple)) and len(spacing) != len(dims):
        msg = (
            f"`spacing` must be a scalar or a list/tuple with one entry per differentiated "
            f"dimension ({len(dims)}: {dims}); got a {type(spacing).__name__} of length "
            f"{len(spacing)}."
        )
        raise ValueError(msg)


def torch_spacing(
    spacing: Any, dims: tuple[int, ...], shape: tuple[int, ...], native: bool = False
) -> list[Step | Coordinates]:
    """torch.gradient's ``spacing``: None, one scalar, or one entry per differentiated dim."""
    if spacing is None:
        return [Step(1.0)] * len(dims)
    if isinstance(spacing, (list, tuple)):
        check_spacing_length(spacing, dims)
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
