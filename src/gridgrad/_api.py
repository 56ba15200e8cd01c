"""Public functions. Each one finds the array namespace, builds the plan, runs one engine."""

from __future__ import annotations

import functools
import math
import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from array_api_compat import (
    array_namespace,
    is_array_api_obj,
    is_dask_array,
    is_torch_array,
    is_torch_namespace,
)

from gridgrad import _ndarray
from gridgrad._engines import array_api, numpy_inplace
from gridgrad._layout import complex_weights
from gridgrad._plan import (
    GradientPlan,
    build_plan,
    check_edge_order,
    check_known_shape,
    check_out,
    check_sizes,
    make_specs,
    normalize_dims,
    numpy_dtypes,
    numpy_spacing,
    torch_spacing,
)
from gridgrad._spacing import check_integer_span

__all__ = ["gradient", "numpy_gradient"]

# The Numba engine runs on NumPy arrays of at least this many elements (below it the
# small-array engine's in-place ufuncs are as fast: 1-D 2**18, 512x512 and 64**3 faster,
# 2**19, 724x724 and 80**3 slower, measured against each other on the 2-core machine).
_KERNEL_MIN_SIZE = 1 << 19
# float16 stays on the NumPy engines: they round after each operation, as numpy and torch do
_KERNEL_DTYPES = frozenset("fdFD")  # float32, float64, complex64, complex128
# While the kernels load, calls with fewer outputs than this go to the reference
# engine instead of waiting (it takes about as long as the loading on such inputs).
_WAIT_SIZE = 1 << 25
_kernels: Any = None  # the numba_cpu module once loaded; False if numba is missing
_loader: threading.Thread | None = None


def _load_kernels() -> None:
    """Import the Numba engine and load its common kernels (from the disk cache)."""
    global _kernels
    try:
        from gridgrad._engines import numba_cpu
    except ImportError:  # numba missing or broken: the reference engine runs
        _kernels = False
        return
    try:
        for dtype in (np.float64, np.float32):  # C-contiguous, all dims of a 3-D array
            x = np.zeros((4, 4, 4), dtype)
            numba_cpu.gradient(prepare(x, None, None, {}).plan, x)
    except Exception:  # only a warm-up: the real call reports the error
        pass
    _kernels = numba_cpu


def _wait_for_kernels() -> None:
    if _loader is not None:
        _loader.join()


def load_kernels(wait: bool = True) -> Any:
    """The numba_cpu module (None if numba is missing), loaded on first use.

    Loading takes a second or so (numba's import and its kernel cache), so it runs
    in a background thread; ``wait=False`` starts it and returns None while it is
    not done, and the caller uses the reference engine, which gives the same
    results. A fork waits for the loading to end, so a child never inherits a
    half-done import.
    """
    global _loader
    if _kernels is None:
        if _loader is None:
            # Fork hooks run last registered first: the modules whose hooks take a
            # lock the loading needs register theirs before this one, which waits
            # for the loading before they take it.
            import concurrent.futures.thread  # noqa: F401
            import logging  # noqa: F401

            os.register_at_fork(before=_wait_for_kernels)
            _loader = threading.Thread(target=_load_kernels, name="gridgrad-kernels", daemon=True)
            _loader.start()
        if wait:
            _loader.join()
    return _kernels or None


_LATER = object()  # the kernels would run, but they are not loaded yet


def _kernel_engine(x: np.ndarray, plan: GradientPlan) -> Any:
    """The numba_cpu module if its guard holds for ``x`` and ``plan``, else None;
    :data:`_LATER` if it holds but the kernels are still to load (the caller runs
    the reference engine, then starts the loading, so that the loading does not
    compete with this call for the interpreter)."""
    if x.size < _KERNEL_MIN_SIZE or type(x) is not np.ndarray:
        return None
    if x.dtype.char not in _KERNEL_DTYPES or plan.value_dtype != x.dtype:
        return None
    if np.dtype(plan.out_dtype).kind not in "fc":
        return None
    if any(ax.halo for ax in plan.axes):  # periodic axes: the reference engine wraps them
        return None
    if x.dtype.kind == "c" and any(complex_weights(ax.runs) for ax in plan.axes):
        return None
    wait = x.size * len(plan.axes) >= _WAIT_SIZE
    if not wait and _kernels is None and _loader is None:
        return _LATER
    return load_kernels(wait)


def _as_numpy(f: Any, name: str) -> np.ndarray:
    """Array-likes that are not arrays of another library become NumPy arrays."""
    if isinstance(f, np.ndarray):
        return f
    try:
        return np.asarray(f)
    except (TypeError, ValueError) as exc:
        msg = f"`{name}` must be an array or a nested sequence of numbers; got {type(f).__name__} ({exc})."
        raise TypeError(msg) from None


def _generic_dtypes(xp: Any, dtype: Any, complex_spacing: bool) -> tuple[Any, Any]:
    """``(value_dtype, out_dtype)`` for a non-NumPy array, following its own library:
    integers become its default float type (torch: ``torch.get_default_dtype()``), complex
    spacing makes real input complex, and coordinate arrays take part in the library's
    type promotion (``out_dtype`` None)."""
    if xp.isdtype(dtype, "bool") or not xp.isdtype(dtype, "numeric"):
        msg = f"`input` must hold real or complex numbers; got dtype {dtype}."
        raise TypeError(msg)
    value = None
    if xp.isdtype(dtype, "integral"):
        if is_torch_namespace(xp):
            # as torch.gradient, but differenced in int64 so int8/int16 cannot wrap:
            # torch's own division rules then give its default float type
            return xp.int64, None
        value = dtype = xp.__array_namespace_info__().default_dtypes()["real floating"]
    if complex_spacing and xp.isdtype(dtype, "real floating"):
        value = xp.complex128 if dtype == xp.float64 else xp.complex64
    return value, None


def gradient(
    input: Any,
    *,
    spacing: Any = None,
    dim: Any = None,
    edge_order: int | None = None,
    axis: Any = None,
    accuracy: int = 2,
    boundary: str = "one-sided",
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
    specs = {
        "accuracy": accuracy,
        "edge_order": edge_order,
        "boundary": boundary,
        "period": period,
        "form": "torch",
    }
    return differentiate(input, dim, spacing, specs, out=out)


@dataclass(frozen=True, eq=False)
class Prepared:
    """A checked request, ready to run: the input, its kind and namespace, the plan."""

    kind: str  # "numpy", "dask" or "foreign"
    f: Any
    xp: Any
    plan: GradientPlan
    out: tuple[np.ndarray, ...] | None = None
    #: the plan compiled for the small-array engine (cached NumPy plans only), or None
    program: numpy_inplace.Program | None = None


_NO_KEY: Any = object()  # prepare's ``key`` when the caller has not computed it


def prepare(
    f: Any,
    dim: Any,
    spacing: Any,
    specs: Any,
    *,
    names: tuple[str, str] = ("input", "dim"),
    numpy_varargs: bool = False,
    out: Any = None,
    key: Any = _NO_KEY,
) -> Prepared:
    """Find the array library, check every argument and build the plan (``specs``: the
    keyword arguments of :func:`gridgrad._plan.make_specs`). ``spacing`` is torch's
    argument, or numpy's varargs tuple. No work on the data happens here.

    Plans for plain ndarrays with plain scalar arguments are cached (the same
    arguments always give the same plan), so small repeated calls skip the checks;
    with each cached plan goes its small-array program, where one applies. ``key``:
    the :func:`_cache_key` of these arguments, if the caller has it already."""
    if type(f) is np.ndarray:
        kind = "numpy"
    else:
        kind = "dask" if is_dask_array(f) else "foreign" if _is_foreign(f) else "numpy"
    if out is not None and kind != "numpy":
        msg = f"`out` is supported for NumPy input only; got {type(f).__name__} input."
        raise TypeError(msg)
    if key is _NO_KEY:
        key = _cache_key(f, dim, spacing, specs, names, numpy_varargs) if kind == "numpy" else None
    if key is not None:
        entry = _PLANS.get(key)
        if entry is not None:
            plan, program = entry
            return Prepared(kind, f, _numpy_xp(), plan, check_out(out, f, plan), program)
    if kind == "numpy":
        f = _as_numpy(f, names[0])
        shape = f.shape
    elif kind == "dask":
        shape = check_known_shape(f.shape, names[0])
    else:
        shape = tuple(f.shape)
    xp = _numpy_xp() if kind == "numpy" else array_namespace(f)
    numpy_rules = kind != "foreign"

    def dtypes(complex_spacing: bool) -> tuple[Any, Any]:
        if numpy_rules:
            return numpy_dtypes(f.dtype, complex_spacing)
        return _generic_dtypes(xp, f.dtype, complex_spacing)

    anchor = specs.get("form")  # the drop-ins' anchors: "torch" or "numpy"
    dims = normalize_dims(dim, len(shape), names[1], anchor)
    axis_specs = make_specs(len(dims), **specs)  # argument checks (edge_order, accuracy, ...)
    dtypes(False)  # reject non-numeric input first
    check_sizes(shape, dims, axis_specs, names[1])
    if numpy_varargs:
        spacings = numpy_spacing(spacing, dims, shape)
    else:
        even = [s.expression != "torch" for s in axis_specs]  # torch: coordinates stay
        spacings = torch_spacing(
            spacing, dims, shape, kind == "foreign", even, anchor, dim is not None, _device(f)
        )
    value_dtype, out_dtype = dtypes(any(s.is_complex for s in spacings))
    if kind == "foreign" and value_dtype is not None and is_torch_namespace(xp):
        if xp.isdtype(value_dtype, "integral"):  # torch: int64 differences must not wrap
            check_integer_span(f, max(s.edge for s in axis_specs))
    result_type = None
    if not numpy_rules:

        def result_type(a: Any, b: Any) -> Any:
            return xp.result_type(f.dtype if a is None else a, b)

    plan = build_plan(
        shape, dims, spacings, 1, value_dtype, out_dtype, result_type, specs=axis_specs
    )
    outs = check_out(out, f, plan) if kind == "numpy" else None
    program = None
    if key is not None:
        program = numpy_inplace.compile_plan(plan)
        if len(_PLANS) >= _PLAN_CACHE_SIZE:
            _PLANS.pop(next(iter(_PLANS)))
        _PLANS[key] = (plan, program)
    return Prepared(kind, f, xp, plan, outs, program)


#: cached plans of plain ndarrays, with their small-array programs (or None)
_PLANS: dict[Any, tuple[GradientPlan, numpy_inplace.Program | None]] = {}
_PLAN_CACHE_SIZE = 256
#: values that key as (type, value): equal values of one of these types mean the same
#: thing (NumPy scalars too, but not datetimes: 1 s equals 1000 ms)
_PLAIN = frozenset(
    {type(None), bool, int, float, str}
    | {np.dtype(c).type for c in "?" + np.typecodes["AllInteger"] + np.typecodes["Float"]}
)
#: complex values also key by the signs of their zeros (1+0j equals 1-0j, but a step
#: or coordinate of either gives different signed zeros in the results)
_COMPLEX = frozenset({complex} | {np.dtype(c).type for c in np.typecodes["Complex"]})


@functools.cache
def _numpy_xp() -> Any:
    """The namespace the reference engine uses for NumPy input: NumPy itself where it
    implements the Array API functions the engine calls (NumPy >= 2.1), else
    array-api-compat's wrapper (imported on first use: its import is slow)."""
    if all(hasattr(np, name) for name in ("concat", "astype")):
        return np
    return array_namespace(np.empty(0))


def _typed(value: Any) -> Any:
    """A hashable key that tells apart values that compare equal but mean different
    things (1, 1.0, True, np.float64(1.0), 1+0j and 1-0j); TypeError for anything else."""
    t = type(value)
    if t in _PLAIN:
        return (t, value)
    if t in _COMPLEX:
        return (t, value, math.copysign(1.0, value.real), math.copysign(1.0, value.imag))
    if isinstance(value, (list, tuple)):
        return (t, tuple(map(_typed, value)))
    raise TypeError("not a plain value")


def _cache_key(
    f: Any, dim: Any, spacing: Any, specs: dict[str, Any], names: Any, numpy_varargs: bool
) -> Any:
    """The plan cache's key for a plain ndarray and plain scalar arguments, else None."""
    if type(f) is not np.ndarray:
        return None
    # the usual call: plain scalars (a tuple of them for numpy's varargs), typed in one go
    if type(spacing) is tuple:
        values = (dim, *spacing, *specs.values())
    else:
        values = (dim, spacing, *specs.values())
    types = tuple(map(type, values))
    if _PLAIN.issuperset(types):
        return (f.shape, f.dtype, names, numpy_varargs, tuple(specs), type(spacing), values, types)
    try:
        values = (dim, spacing, *specs.values())
        key = (f.shape, f.dtype, names, numpy_varargs, tuple(specs), tuple(map(_typed, values)))
        hash(key)
    except TypeError:
        return None
    return key


def execute(req: Prepared, plan: GradientPlan | None = None, f: Any = None) -> tuple[Any, ...]:
    """Run ``plan`` (the prepared one by default) on ``f`` (the prepared input by
    default) with the engine for its kind: one result per axis plan."""
    plan = req.plan if plan is None else plan
    f = req.f if f is None else f
    if req.kind == "dask":
        from gridgrad._engines import dask as dask_engine

        x = f.view(plan.value_dtype) if f.dtype.kind == "M" else f
        return dask_engine.gradient(plan, x, array_api.gradient)
    if req.kind == "foreign":
        return array_api.gradient(plan, f, req.xp)
    x = _ndarray.as_values(f, plan)
    outs = req.out if plan is req.plan else None
    kernels = _kernel_engine(x, plan)
    if kernels is _LATER:
        try:
            return _reference(req, f, x, plan, outs)
        finally:
            load_kernels(wait=False)
    if kernels is not None:
        results = kernels.gradient(plan, x, outs)
        return results if outs is not None else _ndarray.restore(f, plan, results)
    return _reference(req, f, x, plan, outs)


def _reference(req: Prepared, f: Any, x: np.ndarray, plan: GradientPlan, outs: Any) -> tuple[Any, ...]:  # fmt: skip
    """The NumPy engines (the plan's program, else the reference engine), into
    ``outs`` or new arrays."""
    if req.program is not None and plan is req.plan and x is req.f:  # a plain ndarray
        return req.program(x, outs)
    xp = req.xp
    if outs is None:  # NumPy is mutable: the runs are written in place, not concatenated
        outs = tuple(np.empty(x.shape, plan.out_dtype) for _ in plan.axes)
        results = array_api.gradient(plan, x, xp, outs)
        return _ndarray.restore(f, plan, results)
    return array_api.gradient(plan, x, xp, outs)


def differentiate(
    f: Any,
    dim: Any,
    spacing: Any,
    specs: Any,
    *,
    names: tuple[str, str] = ("input", "dim"),
    numpy_varargs: bool = False,
    out: Any = None,
) -> tuple[Any, ...]:
    """The one path from arguments to results: :func:`prepare`, then :func:`execute`.

    A small plain ndarray whose plan is cached with a program goes straight to it:
    what :func:`prepare` would return for it, and :func:`execute` would run, without
    building the request (these calls are all overhead)."""
    key = None
    if type(f) is np.ndarray:
        key = _cache_key(f, dim, spacing, specs, names, numpy_varargs)
        entry = _PLANS.get(key) if out is None and key is not None else None
        if entry is not None and entry[1] is not None and f.size < _KERNEL_MIN_SIZE:
            return entry[1](f)
    req = prepare(
        f, dim, spacing, specs, names=names, numpy_varargs=numpy_varargs, out=out, key=key
    )
    return execute(req)


def _device(f: Any) -> Any:
    """A torch input's device (coordinate tensors must share it), else None."""
    return f.device if is_torch_array(f) else None


def _is_foreign(f: Any) -> bool:
    return is_array_api_obj(f) and not isinstance(f, (np.ndarray, np.generic))


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
    specs = {"edge_order": check_edge_order(edge_order, "numpy"), "form": "numpy"}
    results = differentiate(
        f, axis, varargs, specs, names=("f", "axis"), numpy_varargs=True, out=out
    )
    return results[0] if len(results) == 1 else results
