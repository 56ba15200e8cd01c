"""Public functions. Each one finds the array namespace, builds the plan, runs one engine."""

from __future__ import annotations

from typing import Any

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj

from gridgrad import _ndarray
from gridgrad._engines import array_api
from gridgrad._plan import (
    GradientPlan,
    build_plan,
    check_edge_order,
    check_out,
    check_sizes,
    normalize_dims,
    numpy_dtypes,
    numpy_spacing,
    torch_spacing,
)

__all__ = ["gradient", "numpy_gradient"]

# The Numba engine runs on NumPy arrays of at least this many elements (below it,
# its thread start-up costs more than it saves; measured by ``python -m gridgrad.bench``).
_KERNEL_MIN_SIZE = 1 << 16
_KERNEL_DTYPES = frozenset("fdFDe")  # float32, float64, complex64, complex128, float16
_kernels: Any = None  # the numba_cpu module once imported; False if numba is missing


def _kernel_engine(x: np.ndarray, plan: GradientPlan) -> Any:
    """The numba_cpu module if its guard holds for ``x`` and ``plan``, else None."""
    global _kernels
    if x.size < _KERNEL_MIN_SIZE or type(x) is not np.ndarray:
        return None
    if x.dtype.char not in _KERNEL_DTYPES or plan.value_dtype != x.dtype:
        return None
    if np.dtype(plan.out_dtype).kind not in "fc":
        return None
    if _kernels is None:
        try:
            from gridgrad._engines import numba_cpu
        except ImportError:  # numba missing or broken: the reference engine runs
            _kernels = False
        else:
            _kernels = numba_cpu
    return _kernels or None


def _as_numpy(f: Any, name: str) -> np.ndarray:
    """Array-likes that are not arrays of another library become NumPy arrays."""
    if isinstance(f, np.ndarray):
        return f
    try:
        return np.asarray(f)
    except (TypeError, ValueError) as exc:
        msg = f"`{name}` must be an array or a nested sequence of numbers; got {type(f).__name__} ({exc})."
        raise TypeError(msg) from None


def _generic_dtypes(xp: Any, dtype: Any) -> tuple[Any, Any]:
    """``(value_dtype, out_dtype)`` for a non-NumPy array, following its own library."""
    if xp.isdtype(dtype, "bool") or not xp.isdtype(dtype, "numeric"):
        msg = f"`input` must hold real or complex numbers; got dtype {dtype}."
        raise TypeError(msg)
    if xp.isdtype(dtype, "integral"):
        return xp.__array_namespace_info__().default_dtypes()["real floating"], None
    return None, None


def gradient(
    input: Any,
    *,
    spacing: Any = None,
    dim: Any = None,
    edge_order: int = 1,
    axis: Any = None,
    out: tuple[np.ndarray, ...] | None = None,
) -> tuple[Any, ...]:
    r"""Estimate the gradient of a function sampled on a grid, as torch.gradient does.

    Each partial derivative is estimated independently with second-order central
    differences in the interior and first- or second-order one-sided differences
    at the two edges of every differentiated dimension.

    Parameters
    ----------
    input : array_like
        Samples of the function. NumPy arrays (and subclasses such as masked
        arrays), nested sequences of numbers, and Array-API arrays are accepted;
        results come back in the input's library.
    spacing : scalar or sequence, optional
        Sample spacing. None (default) means 1 along every dimension. One real
        or complex scalar is the step along every differentiated dimension. A
        list or tuple has one entry per differentiated dimension, each a scalar
        step or the 1-D coordinates of that dimension's samples (any order,
        distinct, finite values; evenly spaced coordinates use the uniform formula).
    dim : int or sequence of int, optional
        The dimension(s) to differentiate along; None (default) means all, in
        order. Negative values count from the end. ``axis`` is an alias.
    edge_order : {1, 2}, optional
        Accuracy order of the one-sided differences at the edges (default 1).
    axis : int or sequence of int, optional
        Alias of ``dim`` (give one of them).
    out : tuple of numpy.ndarray, optional
        Arrays to write the results into, one per differentiated dimension, each
        of the input's shape and the result dtype, writeable and sharing no memory
        with the input or with each other (checked before any work). NumPy input
        only.

    Returns
    -------
    tuple of arrays
        One array per differentiated dimension, in the order of ``dim``, each
        the shape of ``input`` (``out`` itself when given). Integer input gives
        float64 (NumPy; the library's default float type elsewhere), computed
        without integer overflow; complex spacing gives a complex result.

    Raises
    ------
    TypeError
        Non-numeric or bool input, a non-integer ``dim``, a non-numeric or bool
        spacing, or both ``dim`` and ``axis``; ``out`` not a tuple of ndarrays of
        the result dtype, or given for an input that is not a plain ndarray.
    ValueError
        ``edge_order`` not 1 or 2; a differentiated dimension with fewer than
        ``edge_order + 1`` samples; a spacing list of the wrong length; repeated
        dims; coordinates that are not 1-D, have the wrong length, are not
        finite, or repeat a value; a zero or non-finite step; ``out`` of the
        wrong length or shape, read-only, or overlapping the input or each other.
    numpy.exceptions.AxisError
        A dim out of range (an ``IndexError`` and a ``ValueError``).

    See Also
    --------
    numpy_gradient : the same engine with numpy.gradient's signature.

    Notes
    -----
    With a uniform step :math:`h` the interior estimate is
    :math:`(f_{i+1} - f_{i-1}) / 2h`. On coordinates with :math:`h_l = x_i - x_{i-1}`
    and :math:`h_r = x_{i+1} - x_i` it is :math:`a f_{i-1} + b f_i + c f_{i+1}` with

    .. math::

        a = \frac{-h_r}{h_l (h_l + h_r)}, \quad
        b = \frac{h_r - h_l}{h_l h_r}, \quad
        c = \frac{h_l}{h_r (h_l + h_r)}.

    At the edges, ``edge_order=1`` uses :math:`(f_1 - f_0)/h` (and its mirror),
    ``edge_order=2`` the three-point one-sided formula
    :math:`(-3 f_0 + 4 f_1 - f_2) / 2h` or its non-uniform counterpart. Stencil
    weights come from Fornberg's algorithm [1]_. Unlike torch.gradient, integer
    input never overflows, coordinates are checked, and evenly spaced
    coordinates use the uniform formula (so an ``inf`` at one interior sample
    does not turn its own derivative into NaN).

    Large float32/64 and complex64/128 NumPy arrays run on parallel Numba kernels
    (one pass per dim, each output written once); everything else, and any machine
    without numba, runs on the reference Array-API engine. Both give the same
    numbers.

    References
    ----------
    .. [1] B. Fornberg, "Generation of finite difference formulas on arbitrarily
       spaced grids", Mathematics of Computation 51 (1988), 699-706.

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad
    >>> gridgrad.gradient([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    (array([[3., 3., 3.],
           [3., 3., 3.],
           [3., 3., 3.]]), array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]]))
    >>> gridgrad.gradient([0.0, 0.25, 1.0, 2.25], spacing=(0.5,))
    (array([0.5, 1. , 2. , 2.5]),)

    Coordinates of a non-uniform grid, and a second-order edge:

    >>> x = np.array([0.0, 1.0, 1.5, 3.5])
    >>> gridgrad.gradient(x**2, spacing=(x,), edge_order=2)
    (array([0., 2., 3., 7.]),)

    One dimension only:

    >>> gridgrad.gradient(np.arange(27.0).reshape(3, 3, 3), dim=-1)[0][0, 0]
    array([1., 1., 1.])

    Into preallocated arrays:

    >>> f = np.arange(12.0).reshape(3, 4) ** 2
    >>> out = (np.empty((3, 4)),)
    >>> gridgrad.gradient(f, dim=1, out=out)[0] is out[0]
    True
    """
    if axis is not None:
        if dim is not None:
            msg = "give `dim` or its alias `axis`, not both."
            raise TypeError(msg)
        dim = axis
    if is_array_api_obj(input) and not isinstance(input, np.ndarray):
        if out is not None:
            msg = f"`out` is supported for NumPy input only; got {type(input).__name__} input."
            raise TypeError(msg)
        return _gradient_generic(input, spacing, dim, edge_order)
    f = _as_numpy(input, "input")
    edge_order = check_edge_order(edge_order)
    numpy_dtypes(f.dtype, False)  # reject non-numeric input first
    dims = normalize_dims(dim, f.ndim, "dim")
    check_sizes(f.shape, dims, edge_order, "dim")
    spacings = torch_spacing(spacing, dims, f.shape)
    return _gradient_ndarray(f, dims, spacings, edge_order, out)


def _gradient_ndarray(
    f: np.ndarray, dims: Any, spacings: Any, edge_order: int, out: Any = None
) -> tuple[Any, ...]:
    value_dtype, out_dtype = numpy_dtypes(f.dtype, any(s.is_complex for s in spacings))
    plan = build_plan(f.shape, dims, spacings, edge_order, value_dtype, out_dtype)
    outs = check_out(out, f, plan)
    x = _ndarray.as_values(f, plan)
    kernels = _kernel_engine(x, plan)
    if kernels is not None:
        results = kernels.gradient(plan, x, outs)
        return results if outs is not None else _ndarray.restore(f, plan, results)
    results = array_api.gradient(plan, x, array_namespace(x))
    if outs is None:
        return _ndarray.restore(f, plan, results)
    for o, r in zip(outs, results):
        o[...] = r
    return outs


def _gradient_generic(f: Any, spacing: Any, dim: Any, edge_order: int) -> tuple[Any, ...]:
    xp = array_namespace(f)
    edge_order = check_edge_order(edge_order)
    value_dtype, out_dtype = _generic_dtypes(xp, f.dtype)
    shape = tuple(f.shape)
    dims = normalize_dims(dim, len(shape), "dim")
    check_sizes(shape, dims, edge_order, "dim")
    spacings = torch_spacing(spacing, dims, shape)
    plan = build_plan(shape, dims, spacings, edge_order, value_dtype, out_dtype)
    return array_api.gradient(plan, f, xp)


def numpy_gradient(
    f: Any,
    *varargs: Any,
    axis: Any = None,
    edge_order: int = 1,
    out: tuple[np.ndarray, ...] | None = None,
) -> Any:
    """Drop-in replacement for :func:`numpy.gradient`, on gridgrad's engine.

    Same signature, return convention, results and dtypes as numpy.gradient,
    with clear errors where numpy fails silently (a zero or repeated
    coordinate, ``edge_order`` 0, NaN coordinates).

    Parameters
    ----------
    f : array_like
        Samples of the function: numbers, datetime64 or timedelta64 values.
        ndarray subclasses (masked arrays included) keep their class.
    *varargs : scalar or array_like, optional
        Spacing: nothing (unit spacing), one scalar for every axis, or one
        entry per axis, each a scalar step or 1-D coordinates (numbers,
        datetime64 or timedelta64; time coordinates count in their own unit).
    axis : None or int or tuple of ints, optional
        Axes to differentiate along; None (default) means all.
    edge_order : {1, 2}, optional
        Accuracy order of the one-sided differences at the edges (default 1).
    out : tuple of ndarray, optional
        Arrays to write the results into, one per axis (a tuple even for one
        axis), as for :func:`gradient`. Not in numpy.gradient.

    Returns
    -------
    ndarray or tuple of ndarray
        One array per axis; a single array when exactly one axis is
        differentiated. With ``out``, its arrays. Integer input gives float64;
        datetime64 input gives timedelta64 of the same unit; other dtypes are
        kept.

    Raises
    ------
    TypeError
        Non-numeric or bool input, or a number of spacings that is neither 0,
        1 nor the number of axes.
    ValueError
        ``edge_order`` not 1 or 2, too few samples, repeated axes, or bad
        coordinates (not 1-D, wrong length, NaN/inf/NaT, repeated values); a
        bad ``out`` (see :func:`gradient`).
    numpy.exceptions.AxisError
        An axis out of range.

    See Also
    --------
    gradient : the same engine with torch.gradient's signature.

    Notes
    -----
    The formulas are those of :func:`gradient`. A masked input gives a masked
    result in which every point whose stencil reads a masked sample is masked.

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad
    >>> f = np.array([1, 2, 4, 7, 11, 16])
    >>> gridgrad.numpy_gradient(f)
    array([1. , 1.5, 2.5, 3.5, 4.5, 5. ])
    >>> gridgrad.numpy_gradient(f, 2.0)
    array([0.5 , 0.75, 1.25, 1.75, 2.25, 2.5 ])
    >>> x = np.array([0.0, 1.0, 1.5, 3.5, 4.0, 6.0])
    >>> gridgrad.numpy_gradient(f, x)
    array([1. , 3. , 3.5, 6.7, 6.9, 2.5])
    >>> gridgrad.numpy_gradient(np.array([[1, 2, 6], [3, 4, 5]]), axis=0)
    array([[ 2.,  2., -1.],
           [ 2.,  2., -1.]])
    """
    f = _as_numpy(f, "f")
    edge_order = check_edge_order(edge_order)
    numpy_dtypes(f.dtype, False)
    axes = normalize_dims(axis, f.ndim, "axis")
    check_sizes(f.shape, axes, edge_order, "axis")
    spacings = numpy_spacing(varargs, axes, f.shape)
    results = _gradient_ndarray(f, axes, spacings, edge_order, out)
    return results[0] if len(axes) == 1 else results
