"""Every check of a call, before any work: the arguments become a typed, frozen request.

One validation function per kind of entry point (:func:`gradient_request` for
torch.gradient's arguments, :func:`derivative_request` for the calculus functions',
:func:`numpy_request` for numpy.gradient's), one policy per rule: the array library
(:func:`library_of`), dtypes (:func:`dtypes`), dims (:func:`gridgrad._plan.normalize_dims`),
lengths (:func:`gridgrad._plan.check_sizes`), spacing (:mod:`gridgrad._spacing`) and the
stencil options (:func:`gridgrad._options.schemes`). :meth:`Request.plan` builds the plan.
"""

from __future__ import annotations

import enum
from typing import Any, Literal, NamedTuple

import numpy as np
from array_api_compat import (
    array_namespace,
    is_array_api_obj,
    is_dask_array,
    is_torch_array,
    is_torch_namespace,
)

from gridgrad._layout import AxisSpec
from gridgrad._options import EdgeDefault, Form, Options, check_edge_order, schemes
from gridgrad._plan import (
    GradientPlan,
    build_plan,
    check_known_shape,
    check_out,
    check_sizes,
    normalize_dims,
)
from gridgrad._spacing import (
    Coordinates,
    Step,
    check_integer_span,
    numpy_spacing,
    torch_spacing,
)

__all__ = [
    "AxisRequest",
    "Library",
    "Request",
    "derivative_request",
    "dtypes",
    "gradient_request",
    "library_of",
    "numpy_request",
]


class Library(enum.Enum):
    """Which rules an input follows, and which engines may run it."""

    #: numpy.ndarray, its subclasses, and array-likes (numpy.gradient's dtype rules)
    NUMPY = "numpy"
    #: dask arrays (lazy; NumPy's dtype rules)
    DASK = "dask"
    #: any other Array-API library: torch, JAX, CuPy, array-api-strict (its own rules)
    ARRAY_API = "array-api"


def library_of(f: Any) -> Library:
    if type(f) is np.ndarray:
        return Library.NUMPY
    if is_dask_array(f):
        return Library.DASK
    if is_array_api_obj(f) and not isinstance(f, (np.ndarray, np.generic)):
        return Library.ARRAY_API
    return Library.NUMPY


class AxisRequest(NamedTuple):
    """One differentiated dim: where the samples lie and which stencils to use."""

    dim: int
    spacing: Step | Coordinates
    scheme: AxisSpec


class Request(NamedTuple):
    """A checked call. ``value_dtype``: the dtype the input is differenced in (None: its
    own); ``out_dtype``: the results' dtype (None: whatever the input's library gives).

    Immutable (a named tuple: built on every call that misses the plan cache, so it
    must be cheap to build; a frozen dataclass costs microseconds more)."""

    library: Library
    shape: tuple[int, ...]
    dtype: Any
    axes: tuple[AxisRequest, ...]
    value_dtype: Any
    out_dtype: Any
    out: tuple[np.ndarray, ...] | None = None
    #: the input's namespace (another library's rules promote dtypes with it)
    xp: Any = None

    def plan(self) -> GradientPlan:
        """The plan of this request: which stencil computes which point."""
        result_type = None
        if self.library is Library.ARRAY_API:
            xp, dtype = self.xp, self.dtype

            def result_type(a: Any, b: Any) -> Any:
                return xp.result_type(dtype if a is None else a, b)

        dims, spacings, specs = zip(*self.axes) if self.axes else ((), (), ())
        return build_plan(
            self.shape, dims, spacings, 1, self.value_dtype, self.out_dtype, result_type, specs
        )


# --------------------------------------------------------------------------- dtypes


def dtypes(library: Library, xp: Any, dtype: Any, complex_spacing: bool) -> tuple[Any, Any]:
    """``(value_dtype, out_dtype)`` of an input of ``dtype``, or TypeError.

    NumPy and Dask follow numpy.gradient: integers are differenced in float64 (no
    wrap-around), datetimes as timedeltas, complex spacing gives a complex result.
    Other libraries follow their own rules: integers become their default float type
    (torch: ``torch.get_default_dtype()``, differenced in int64 first so that int8/int16
    cannot wrap), complex spacing makes real input complex, and coordinate arrays take
    part in the library's type promotion (``out_dtype`` None).
    """
    if library is not Library.ARRAY_API:
        return _numpy_dtypes(np.dtype(dtype), complex_spacing)
    if xp.isdtype(dtype, "bool") or not xp.isdtype(dtype, "numeric"):
        msg = f"`input` must hold real or complex numbers; got dtype {dtype}."
        raise TypeError(msg)
    value = None
    if xp.isdtype(dtype, "integral"):
        if is_torch_namespace(xp):
            return xp.int64, None
        value = dtype = xp.__array_namespace_info__().default_dtypes()["real floating"]
    if complex_spacing and xp.isdtype(dtype, "real floating"):
        value = xp.complex128 if dtype == xp.float64 else xp.complex64
    return value, None


def _numpy_dtypes(dtype: np.dtype, complex_spacing: bool) -> tuple[np.dtype, np.dtype]:
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


# --------------------------------------------------------------------------- requests


def _as_numpy(f: Any, name: str) -> np.ndarray:
    """Array-likes that are not arrays of another library become NumPy arrays."""
    if isinstance(f, np.ndarray):
        return f
    try:
        return np.asarray(f)
    except (TypeError, ValueError) as exc:
        msg = f"`{name}` must be an array or a nested sequence of numbers; got {type(f).__name__} ({exc})."
        raise TypeError(msg) from None


#: the kinds of arguments: torch.gradient's (edges default to 1 at accuracy 2), the
#: calculus functions' (torch's, with edges of the interior accuracy by default), and
#: numpy.gradient's (``*varargs`` spacing, ``axis``, ``f``)
Style = Literal["torch", "accuracy", "numpy"]


def _request(
    f: Any, dim: Any, spacing: Any, options: Options, order: Any, out: Any, style: Style
) -> tuple[Any, Request]:
    """The checks, in the order their errors are reported; the input (array-likes as
    NumPy arrays) and its request."""
    names = ("f", "axis") if style == "numpy" else ("input", "dim")
    library = library_of(f)
    if out is not None and library is not Library.NUMPY:
        msg = f"`out` is supported for NumPy input only; got {type(f).__name__} input."
        raise TypeError(msg)
    xp: Any = np
    if library is Library.NUMPY:
        f = _as_numpy(f, names[0])
        shape = f.shape
    else:
        shape = check_known_shape(f.shape, names[0]) if library is Library.DASK else tuple(f.shape)
        xp = array_namespace(f)
    form: Form = "difference" if style == "accuracy" else style  # whose expressions
    anchor = None if form == "difference" else form  # whose words the errors hold too
    dims = normalize_dims(dim, len(shape), names[1], anchor)
    if style == "accuracy" and not dims:  # a derivative along no dim is no derivative
        msg = (
            f"`dim` must name at least one dimension; got {dim!r} (input of shape {tuple(shape)})."
        )
        raise ValueError(msg)
    # argument checks (edge_order, accuracy, ...)
    default_edge: EdgeDefault = "accuracy" if style == "accuracy" else "torch"
    specs = schemes(len(dims), options, order, default_edge, form)
    dtypes(library, xp, f.dtype, False)  # reject non-numeric input first
    check_sizes(shape, dims, specs, names[1])
    if style == "numpy":
        steps = numpy_spacing(spacing, dims, shape)
    else:
        even = [s.expression != "torch" for s in specs]  # torch: coordinates stay
        device = f.device if is_torch_array(f) else None  # coordinate tensors share it
        native = library is Library.ARRAY_API
        steps = torch_spacing(spacing, dims, shape, native, even, anchor, dim is not None, device)
    value, result = dtypes(library, xp, f.dtype, any(s.is_complex for s in steps))
    if native_torch_integers(library, xp, value):  # int64 differences must not wrap
        check_integer_span(f, max(s.edge for s in specs))
    axes = tuple(map(AxisRequest, dims, steps, specs))
    request = Request(library, tuple(shape), f.dtype, axes, value, result, None, xp)
    if out is not None:
        request = request._replace(out=check_out(out, f, request))
    return f, request


def native_torch_integers(library: Library, xp: Any, value: Any) -> bool:
    """torch integer input, differenced in int64 as torch does."""
    return (
        library is Library.ARRAY_API
        and value is not None
        and is_torch_namespace(xp)
        and xp.isdtype(value, "integral")
    )


def gradient_request(
    f: Any, dim: Any, spacing: Any, options: Options, order: Any = 1, out: Any = None
) -> tuple[Any, Request]:
    """torch.gradient's arguments (``spacing``: None, a scalar, or one entry per dim)."""
    return _request(f, dim, spacing, options, order, out, "torch")


def derivative_request(
    f: Any, dim: Any, spacing: Any, options: Options, order: Any = 1, out: Any = None
) -> tuple[Any, Request]:
    """The calculus functions' arguments: as :func:`gradient_request`, with edges of the
    interior accuracy by default."""
    return _request(f, dim, spacing, options, order, out, "accuracy")


def numpy_request(
    f: Any, axis: Any, varargs: Any, options: Options, order: Any = 1, out: Any = None
) -> tuple[Any, Request]:
    """numpy.gradient's arguments (``varargs``: its tuple of spacings; of the options
    only ``edge_order`` is numpy's, and it is checked first, as numpy does)."""
    edge_order = check_edge_order(options.edge_order, "numpy")
    return _request(f, axis, varargs, Options(edge_order=edge_order), order, out, "numpy")
