"""Public functions: find the input's library, check the arguments, run one engine.

Every entry point (these two, and the calculus functions) goes through :func:`checked`
(the arguments become a request, and the request a plan, found in the plan cache when
the same arguments came before) and :func:`run` (the engine :func:`gridgrad._engines.select`
chooses runs the plan).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from gridgrad import _cache, _engines, _ndarray
from gridgrad._options import Boundary, Options
from gridgrad._plan import GradientPlan, check_out
from gridgrad._request import Library, Request, gradient_request, numpy_request

__all__ = ["Call", "checked", "gradient", "numpy_gradient", "run"]

#: a validation function of :mod:`gridgrad._request`: ``(f, dim, spacing, options,
#: order, out) -> (input, request)``
Validate = Callable[..., tuple[Any, Request]]


class Call(NamedTuple):
    """A checked call, ready to run: the plan, the input (array-likes as NumPy arrays),
    its library and the checked ``out`` arrays."""

    plan: GradientPlan
    f: Any
    library: Library
    out: tuple[np.ndarray, ...] | None = None


def checked(
    validate: Validate,
    f: Any,
    dim: Any,
    spacing: Any,
    options: tuple[Any, ...],
    order: Any = 1,
    out: Any = None,
) -> Call:
    """Every check of a call (``validate``), and its plan; no work on the data.

    A call whose plain arguments came before finds its plan in the cache (the same
    arguments always give the same plan) and skips the checks but ``out``'s. A plan
    the cache keeps will be reused: the engines prepare for it.
    """
    plan = _cache.lookup(validate, f, dim, spacing, options, order)
    if plan is not None and type(f) is np.ndarray:  # a plain ndarray
        return Call(plan, f, Library.NUMPY, None if out is None else check_out(out, f, plan))
    if plan is not None and out is None:  # a plain torch tensor (_cache.TENSOR_ENTRIES)
        return Call(plan, f, Library.ARRAY_API, None)
    return _build(validate, f, dim, spacing, options, order, out)


def _build(
    validate: Validate,
    f: Any,
    dim: Any,
    spacing: Any,
    options: tuple[Any, ...],
    order: Any,
    out: Any,
) -> Call:
    """:func:`checked` for a call whose plan is not in the cache."""
    array, request = validate(f, dim, spacing, Options(*options), order, out)
    plan = request.plan()
    if _cache.store(validate, f, dim, spacing, options, order, plan):
        _engines.prepare(plan)
    return Call(plan, array, request.library, request.out)


_cache.TENSOR_ENTRIES.add(gradient_request)  # see gradient(): tensors' plans are kept


def _run_plain(plan: GradientPlan, f: np.ndarray) -> tuple[Any, ...]:
    """:func:`run` for a plain ndarray whose plan came from the cache, without ``out``:
    the same steps, without the ones that do nothing here (small calls are all
    overhead)."""
    x = _ndarray.as_values(f, plan, plain=False)
    results: tuple[Any, ...] = _engines.select(plan, x).run(plan, x, None)
    return results


def run(plan: GradientPlan, f: Any, library: Library, out: Any = None) -> tuple[Any, ...]:
    """Run ``plan`` on ``f`` with the engine :func:`gridgrad._engines.select` chooses:
    one result per axis of the plan, written into ``out`` if given. NumPy results take
    the input's class (a masked input gives masked results)."""
    if library is Library.ARRAY_API:
        x = f
    else:
        x = _ndarray.as_values(f, plan, plain=library is Library.NUMPY)
    results = _engines.select(plan, x).run(plan, x, out)
    if library is Library.NUMPY and out is None:
        return _ndarray.restore(f, plan, results)
    return results


def _compiling(f: Any) -> bool:
    """Whether ``f`` (or the first of a list) is a torch tensor that ``torch.compile``
    is tracing, outside a call :mod:`gridgrad._compile` handed over."""
    if isinstance(f, (list, tuple)) and f:
        f = f[0]
    if not type(f).__module__.startswith("torch"):
        return False
    import torch

    if not torch.compiler.is_compiling():
        return False
    from gridgrad import _compile

    return not _compile.inside()


def gradient(
    input: Any,
    *,
    spacing: Any = None,
    dim: Any = None,
    edge_order: int | None = None,
    axis: Any = None,
    accuracy: int = 2,
    boundary: Boundary | Sequence[Boundary] = "one-sided",
    period: Any = None,
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
        results come back in the input's library. Dask arrays stay lazy (see
        Notes) and follow NumPy's dtype rules.
    spacing : scalar or sequence, optional
        Sample spacing. None (default) means 1 along every dimension. One real
        or complex scalar is the step along every differentiated dimension. A
        list or tuple has one entry per differentiated dimension, each a scalar
        step or the 1-D coordinates of that dimension's samples (any order,
        distinct, finite values; torch's coordinate formula, evenly spaced or not).
    dim : int or sequence of int, optional
        The dimension(s) to differentiate along; None (default) means all, in
        order. Negative values count from the end. ``axis`` is an alias.
    edge_order : int, optional
        Accuracy order of the one-sided differences at the edges: 1 or 2 at
        accuracy 2 (default 1, as torch), 1 to ``accuracy`` otherwise (default
        ``accuracy``).
    axis : int or sequence of int, optional
        Alias of ``dim`` (give one of them).
    accuracy : int, optional
        Even order of accuracy of the interior stencils (default 2: torch's
        central differences). Higher orders use wider centred stencils.
    boundary : {"one-sided", "periodic"} or sequence, optional
        "periodic" wraps each dimension around (longitude, periodic boxes): every
        point gets the centred stencil. One value for all dims or one per dim.
    period : float or sequence, optional
        Domain length of periodic dimensions given by coordinates (required
        there: the step from the last coordinate back to the first is
        ``period - (x[-1] - x[0])``).
    out : tuple of numpy.ndarray, optional
        Arrays to write the results into, one per differentiated dimension, each
        of the input's shape and the result dtype, writeable and sharing no memory
        with the input or with each other (checked before any work). NumPy input
        only.

    Returns
    -------
    tuple of arrays
        One array per differentiated dimension, in the order of ``dim``, each
        the shape of ``input``. Integer input gives float64 (NumPy, converted
        first; the library's default float type elsewhere: torch's expressions on
        int64 values, a ``ValueError`` where their differences would overflow);
        complex spacing gives a complex result.

    Raises
    ------
    TypeError
        Non-numeric or bool input, a non-integer ``dim``, a non-numeric or bool
        spacing, or both ``dim`` and ``axis``.
    ValueError
        ``edge_order`` not 1 or 2; a differentiated dimension with fewer than
        ``edge_order + 1`` samples; a spacing list of the wrong length; repeated
        dims; coordinates that are not 1-D, have the wrong length, are not
        finite, or repeat a value; a zero or non-finite step.
    numpy.exceptions.AxisError
        A dim out of range (an ``IndexError`` and a ``ValueError``).

    See Also
    --------
    numpy_gradient : the same engine with numpy.gradient's signature.

    Notes
    -----
    With a uniform step :math:`h` the interior estimate is
    :math:`((f_{i+1} - f_{i-1}) / h) / 2`, torch's expression. On coordinates with :math:`h_l = x_i - x_{i-1}`
    and :math:`h_r = x_{i+1} - x_i` it is :math:`a f_{i-1} + b f_i + c f_{i+1}` with

    .. math::

        a = \frac{-h_r}{h_l (h_l + h_r)}, \quad
        b = \frac{h_r - h_l}{h_l h_r}, \quad
        c = \frac{h_l}{h_r (h_l + h_r)}.

    At the edges, ``edge_order=1`` uses :math:`(f_1 - f_0)/h` (and its mirror),
    ``edge_order=2`` the three-point one-sided formula
    :math:`(-1.5 f_0 + 2 f_1 - 0.5 f_2) / h` or its non-uniform counterpart. These
    are torch.gradient's expressions, evaluated in its order, so the results are
    bitwise torch's wherever torch accepts the call; unlike torch.gradient,
    coordinates are checked and int8/int16 differences do not wrap around. Higher
    accuracies and periodic axes use Fornberg's weights [1]_ in difference form.

    A dask array gives dask arrays and computes nothing: each block is
    differentiated with ghost cells borrowed from its neighbours along the
    differentiated dimension only (as many as the stencils reach), and the
    one-sided formulas at the array's own edges; the results equal the NumPy
    path's bitwise. Chunks narrower than that reach (1 sample; 2 with
    ``edge_order=2``) along a differentiated dimension are first merged with a
    neighbour, so the results may have fewer chunks than the input. Coordinates
    given as dask arrays are computed at call time (they are small).

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
    """
    if axis is not None:
        if dim is not None:
            msg = "give `dim` or its alias `axis`, not both."
            raise TypeError(msg)
        dim = axis
    options = (accuracy, edge_order, boundary, period)  # Options, as a plain tuple: cheaper
    if out is None and _compiling(input):
        from gridgrad import _compile

        return _compile.gradient(input, spacing, dim, options)
    plan = _cache.lookup(gradient_request, input, dim, spacing, options, 1)
    if plan is None or (out is not None and type(input) is not np.ndarray):
        return run(*_build(gradient_request, input, dim, spacing, options, 1, out))
    if type(input) is not np.ndarray:  # a torch tensor's (its checks are its plan's)
        return run(plan, input, Library.ARRAY_API)
    if out is None:
        return _run_plain(plan, input)
    return run(plan, input, Library.NUMPY, check_out(out, input, plan))


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
        differentiated. Integer input gives float64; datetime64 input gives
        timedelta64 of the same unit; other dtypes are kept. A dask array
        gives lazy dask arrays, as in :func:`gradient`.

    Raises
    ------
    TypeError
        Non-numeric or bool input, or a number of spacings that is neither 0,
        1 nor the number of axes.
    ValueError
        ``edge_order`` not 1 or 2, too few samples, repeated axes, or bad
        coordinates (not 1-D, wrong length, NaN/inf/NaT, repeated values).
    numpy.exceptions.AxisError
        An axis out of range.

    See Also
    --------
    gradient : the same engine with torch.gradient's signature.

    Notes
    -----
    numpy.gradient's expressions, in its order: ``(f[i+1] - f[i-1]) / (2. * h)``
    inside, ``a * f[0] + b * f[1] + c * f[2]`` with ``a = -1.5 / h``, ``b = 2. / h``,
    ``c = -0.5 / h`` at second-order edges, the uniform formula for evenly spaced
    coordinates (exact equality of the steps), so the results are bitwise numpy's.
    A masked input gives a masked result in which every point whose stencil reads a
    masked sample is masked.

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
    options = (2, edge_order, "one-sided", None)  # Options, as a plain tuple: cheaper
    plan = _cache.lookup(numpy_request, f, axis, varargs, options, 1)
    if plan is None:
        results = run(*_build(numpy_request, f, axis, varargs, options, 1, out))
    elif out is None:
        results = _run_plain(plan, f)
    else:
        results = run(plan, f, Library.NUMPY, check_out(out, f, plan))
    return results[0] if len(results) == 1 else results
