r"""Beyond torch.gradient: any derivative order and accuracy, mixed partials, error
estimates, vector calculus and stencil weights, all on the one plan -> engine path."""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import lru_cache
from typing import Any, TypeVar, cast

import numpy as np

from gridgrad import _cache, _engines
from gridgrad._api import Call, _compiling, checked, run
from gridgrad._combination import Combination, Term
from gridgrad._options import Options
from gridgrad._plan import normalize_dims
from gridgrad._request import derivative_request
from gridgrad._spacing import check_spacing_length, one_dim_spacing
from gridgrad._stencils import fornberg

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["curl", "derivative", "divergence", "fd_weights", "hessian", "jacobian", "laplacian"]


# --------------------------------------------------------------------------- weights


@lru_cache(maxsize=512)
def _weights(offsets: tuple[Any, ...], order: int, x0: Any) -> tuple[float, ...]:
    exact = all(isinstance(v, (int, Fraction)) for v in (*offsets, x0))
    if exact:
        return tuple(
            float(w) for w in fornberg([Fraction(o) for o in offsets], order, Fraction(x0))
        )
    pts = np.asarray(offsets, dtype=np.float64) - float(x0)
    scale = float(np.abs(pts).max()) or 1.0
    w = fornberg(list(pts / scale), order)
    return tuple(float(v) / scale**order for v in w)


def fd_weights(offsets: Any, order: int = 1, x0: float = 0.0) -> np.ndarray:
    """Finite-difference weights for the ``order``-th derivative at ``x0``.

    Fornberg's algorithm on arbitrary, also non-uniform, stencil points: exact
    rational arithmetic for integer points, float64 on normalised offsets
    otherwise. Results are cached.

    Parameters
    ----------
    offsets : sequence of real numbers
        The stencil points (distinct, finite), in units of the grid step.
    order : int, optional
        Derivative order, ``0 <= order < len(offsets)`` (default 1).
    x0 : float, optional
        Where the derivative is taken (default 0).

    Returns
    -------
    numpy.ndarray
        float64 weights ``w`` with ``f^(order)(x0) ~ sum(w * f(offsets)) / h**order``.

    Raises
    ------
    TypeError
        Non-numeric offsets, or a non-integer order.
    ValueError
        Fewer than ``order + 1`` points, repeated or non-finite points, negative order.

    Notes
    -----
    A stencil of n points is exact for polynomials of degree up to n - 1.

    References
    ----------
    .. [1] B. Fornberg, "Generation of finite difference formulas on arbitrarily
       spaced grids", Mathematics of Computation 51 (1988), 699-706.

    Examples
    --------
    >>> import gridgrad
    >>> gridgrad.fd_weights([-1, 0, 1])
    array([-0.5,  0. ,  0.5])
    >>> gridgrad.fd_weights([-2, -1, 0, 1, 2], order=2) * 12
    array([ -1.,  16., -30.,  16.,  -1.])
    >>> gridgrad.fd_weights([0.0, 0.5, 2.0], x0=0.0)
    array([-2.5       ,  2.66666667, -0.16666667])
    """
    if isinstance(order, (bool, np.bool_)) or not isinstance(order, (int, np.integer)):
        msg = f"`order` must be a non-negative integer; got {order!r}."
        raise TypeError(msg)
    pts = np.asarray(offsets)
    if pts.dtype == object and pts.ndim == 1 and all(isinstance(o, numbers.Integral) for o in pts):
        msg = f"`offsets` integers must fit in int64 (|offset| < 2**63); got {offsets!r}."
        raise ValueError(msg)
    if pts.ndim != 1 or pts.dtype.kind not in "iuf":
        msg = f"`offsets` must be a 1-D sequence of real numbers; got {offsets!r}."
        raise TypeError(msg)
    if not np.isfinite(pts).all() or np.unique(pts).size != pts.size:
        msg = f"`offsets` must be finite and distinct; got {offsets!r}."
        raise ValueError(msg)
    if order < 0 or order >= pts.size:
        msg = f"`order` must be from 0 to len(offsets) - 1 = {pts.size - 1}; got {order}."
        raise ValueError(msg)
    if isinstance(x0, (bool, np.bool_)) or not isinstance(x0, numbers.Real):
        msg = f"`x0` must be a real number; got {x0!r}."
        raise TypeError(msg)
    if not math.isfinite(x0):
        msg = f"`x0` must be finite; got {x0!r}."
        raise ValueError(msg)
    integer = pts.dtype.kind in "iu" or (pts == np.round(pts)).all()
    key = tuple(int(o) for o in pts) if integer else tuple(float(o) for o in pts)
    x = int(x0) if integer and float(x0).is_integer() else float(x0)
    return np.array(_weights(key, int(order), x))


# --------------------------------------------------------------------------- derivative


_SKIP = object()


def _compilable(shape: Callable[[Any, dict[str, Any]], Any]) -> Callable[[F], F]:
    """Under ``torch.compile``, the decorated function is one opaque call for Dynamo
    (:func:`gridgrad._compile.call`). ``shape(first, arguments)`` says how its results
    come back (None: one tensor, ``k``: a tuple, ``(n, m)``: rows), or ``_SKIP`` to
    let Dynamo trace the call as usual; outside ``torch.compile`` nothing changes."""

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)
        first_name = next(iter(signature.parameters))

        @functools.wraps(fn)
        def wrapper(first: Any, *args: Any, **kwargs: Any) -> Any:
            if _compiling(first):
                bound = signature.bind(first, *args, **kwargs)
                bound.apply_defaults()
                arguments = dict(bound.arguments)
                del arguments[first_name]
                how = shape(first, arguments)
                if how is not _SKIP:
                    from gridgrad import _compile

                    done = _compile.call(wrapper, first, arguments, how)
                    if done is not None:
                        return done
            return fn(first, *args, **kwargs)

        return cast(F, wrapper)

    return decorate


def _count(components: Any) -> int:
    return len(components) if isinstance(components, (list, tuple)) else 0


def _dims(f: Any, arguments: dict[str, Any]) -> int:
    dim = arguments["dim"]
    return f.ndim if dim is None else len(dim) if isinstance(dim, (list, tuple)) else 1


_cache.TENSOR_ENTRIES.add(derivative_request)  # plain tensors' plans are kept (see _cache)


def _checked(f: Any, dim: Any, spacing: Any, options: Options, order: Any = 1) -> Call:
    """Every check of one derivative request, and its plan."""
    return checked(derivative_request, f, dim, spacing, options, order)


def _run(call: Call) -> tuple[Any, ...]:
    return run(*call)


def _combined(
    calls: Sequence[Call], sources: tuple[int, ...], outputs: tuple[tuple[Term, ...], ...]
) -> tuple[Any, ...]:
    """Outputs that are signed sums of the calls' derivatives (``sources``: the input
    each call differentiates): in one pass where an engine fuses them, else composed
    from the derivatives computed one by one; the same numbers."""
    comb = Combination(tuple(call.plan for call in calls), sources, outputs)
    inputs = {s: call.f for s, call in zip(sources, calls)}
    xs = tuple(inputs[k] for k in range(len(inputs)))
    engine = _engines.fused(comb, xs)
    if engine is not None:
        return engine.run(comb, xs)
    return comb.compose([_run(call) for call in calls])


def _sequential(call: Call, indices: Sequence[int] | None = None) -> Any:
    """Apply the plan's axes (those at ``indices``) one after another: a mixed partial."""
    plan = call.plan
    steps = plan.steps if indices is None else [plan.part(i) for i in indices]
    g = call.f
    for step in steps:
        (g,) = run(step, g, call.library)
    return g


@_compilable(lambda f, a: _SKIP if a["return_error"] else None)
def derivative(
    f: Any,
    dim: Any,
    *,
    order: Any = 1,
    accuracy: int = 2,
    spacing: Any = None,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    period: Any = None,
    return_error: bool = False,
) -> Any:
    r"""The ``order``-th derivative of sampled data along ``dim`` (mixed partials too).

    Parameters
    ----------
    f : array_like
        Samples of the function (any array library, as :func:`gradient`).
    dim : int or tuple of int
        The dimension(s) to differentiate along; a tuple gives a mixed partial,
        e.g. ``dim=(0, 1)`` is :math:`\partial^2 f / \partial x_0 \partial x_1`.
    order : int or tuple of int, optional
        Derivative order, one for all dims or one per dim (default 1).
    accuracy : int, optional
        Even order of accuracy of the interior stencils (default 2).
    spacing : scalar, array or sequence, optional
        As in :func:`gradient`: one step for all dims, or one entry (step or
        coordinates) per dim of ``dim``. With one int ``dim``, a 1-D array or list
        as long as that dim is its coordinates (``spacing=x``), a length-1 value
        its step.
    edge_order : int, optional
        Accuracy of the one-sided stencils where the centred one does not fit;
        by default the interior ``accuracy``.
    boundary : {"one-sided", "periodic"} or sequence, optional
        "periodic" wraps the axis around (on coordinates it needs ``period``).
    period : float or sequence, optional
        Domain length of periodic coordinates.
    return_error : bool, optional
        Also return :math:`|D_p - D_{p+2}|` per point, the a-posteriori estimate of
        the truncation error of the accuracy-p result.

    Returns
    -------
    array, or (array, array) with ``return_error``

    Raises
    ------
    TypeError, ValueError, IndexError
        As :func:`gradient`, plus a bad ``order``, ``accuracy``, ``boundary`` or
        ``period``, repeated dims, or too few samples for the stencils.

    Notes
    -----
    Uniform grids use exact integer stencils; non-uniform grids use per-point
    Fornberg weights with ``order + accuracy`` points, so even derivatives keep the
    requested order on non-uniform grids too.

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad
    >>> x = np.linspace(0, 1, 11)
    >>> d2 = gridgrad.derivative(x**3, 0, order=2, spacing=0.1)
    >>> bool(np.allclose(d2, 6 * x))
    True
    >>> f = np.outer(x, x**2)  # f = x y^2, d2f/dxdy = 2y
    >>> bool(np.allclose(gridgrad.derivative(f, (0, 1), spacing=0.1), 2 * x[None, :]))
    True
    """
    spacing = one_dim_spacing(spacing, dim, f)  # one int dim: its coordinates or step
    dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    call = _checked(f, dims, spacing, Options(accuracy, edge_order, boundary, period), order)
    if return_error:  # checked by now: accuracy is an even int, edge_order None or an int
        edge = None if edge_order is None else edge_order + 2
        finer = _checked(f, dims, spacing, Options(accuracy + 2, edge, boundary, period), order)
    value = _sequential(call)
    if not return_error:
        return value
    return value, abs(value - _sequential(finer))


def _check_many(items: Sequence[tuple[Any, Any, Any, Options]]) -> list[Call]:
    """Check every (array, dims, spacing, options) before any work."""
    return [_checked(f, d, s, options) for f, d, s, options in items]


def _pick(value: Any, k: int) -> Any:
    """The k-th dim's entry of a per-dim argument (a shared value as it is)."""
    return value[k] if isinstance(value, (list, tuple)) else value


def _options_of(k: int, accuracy: Any, edge_order: Any, boundary: Any, period: Any) -> Options:
    """The options of the k-th dim (per-dim boundaries and periods picked)."""
    return Options(accuracy, edge_order, _pick(boundary, k), _pick(period, k))


def _components(
    components: Any, dim: Any, name: str = "components"
) -> tuple[list[Any], tuple[int, ...]]:
    if not isinstance(components, (list, tuple)) or not components:
        msg = f"`{name}` must be a non-empty list or tuple of arrays; got {type(components).__name__}."
        raise TypeError(msg)
    comps = list(components)
    shapes = {tuple(np.shape(c)) if not hasattr(c, "shape") else tuple(c.shape) for c in comps}
    if len(shapes) != 1:
        msg = f"`{name}` must all have the same shape; got shapes {sorted(shapes)}."
        raise ValueError(msg)
    ndim = len(next(iter(shapes)))
    if dim is None:
        if len(comps) > ndim:
            msg = f"{len(comps)} `{name}` need at least {len(comps)} dimensions; the arrays have {ndim}."
            raise ValueError(msg)
        dims = tuple(range(ndim - len(comps), ndim))
    else:
        dims = normalize_dims(dim, ndim, "dim")
        if len(dims) != len(comps):
            msg = f"`dim` must name one dimension per component ({len(comps)}); got {dim!r}."
            raise ValueError(msg)
    return comps, dims


def _entry(spacing: Any, k: int) -> Any:
    """The spacing of the k-th dim, as a one-dim spacing argument."""
    if spacing is None or not isinstance(spacing, (list, tuple)):
        return spacing
    return (spacing[k],)


@_compilable(lambda f, a: None)
def laplacian(
    f: Any,
    *,
    spacing: Any = None,
    dim: Any = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    period: Any = None,
) -> Any:
    r"""The Laplacian :math:`\sum_k \partial^2 f / \partial x_k^2` over ``dim`` (all dims).

    Arguments as :func:`derivative`. Returns one array.

    Notes
    -----
    The second derivatives are added left to right, in the order of ``dim``. On a
    large NumPy array of float32/float64 (up to 4 dims) the Numba kernels compute
    the sum in one pass: the input read once, the result written once, no
    intermediate arrays; the numbers are those of the derivatives computed one by
    one and then added, bit for bit. On a dask array it is one graph: the input
    overlapped once with the ghost cells of every dim of ``dim``, one task per block
    computing the sum on the NumPy path, lazily; the results have the input's chunks
    (those narrower than the stencils' reach merged with a neighbour) and the NumPy
    array's numbers, bitwise.

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad
    >>> x = np.linspace(-1, 1, 21)
    >>> X, Y = np.meshgrid(x, x, indexing="ij")
    >>> bool(np.allclose(gridgrad.laplacian(X**2 + 3 * Y**2, spacing=0.1), 8.0))
    True
    """
    call = _checked(f, dim, spacing, Options(accuracy, edge_order, boundary, period), 2)
    terms = tuple((0, a, 1) for a in range(len(call.plan.axes)))
    (out,) = _combined([call], (0,), (terms,))
    return out


@_compilable(lambda c, a: None)
def divergence(
    components: Any,
    *,
    spacing: Any = None,
    dim: Any = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    period: Any = None,
) -> Any:
    r"""The divergence :math:`\sum_k \partial F_k / \partial x_k` of a vector field.

    ``components`` are the arrays :math:`F_k`, one per dim of ``dim`` (by default the
    last ``len(components)`` dims); other arguments as :func:`derivative`.

    Notes
    -----
    On large NumPy arrays the Numba kernels read each component once and write the
    sum once (see :func:`laplacian`); the same numbers as the composed sum. Dask
    components (rechunked to the first's chunks) are one graph with one task per
    block, as in :func:`laplacian`.

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad
    >>> x = np.linspace(0, 1, 11)
    >>> X, Y = np.meshgrid(x, x, indexing="ij")
    >>> bool(np.allclose(gridgrad.divergence([X * Y, Y**2], spacing=0.1), 3 * Y))
    True
    """
    comps, dims = _components(components, dim)
    check_spacing_length(spacing, dims)
    calls = _check_many(
        [
            (c, d, _entry(spacing, k), _options_of(k, accuracy, edge_order, boundary, period))
            for k, (c, d) in enumerate(zip(comps, dims))
        ]
    )
    (out,) = _combined(
        calls, tuple(range(len(calls))), (tuple((k, 0, 1) for k in range(len(calls))),)
    )
    return out


@_compilable(lambda c, a: {2: None, 3: 3}.get(_count(c), _SKIP))
def curl(
    components: Any,
    *,
    spacing: Any = None,
    dim: Any = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    period: Any = None,
) -> Any:
    r"""The curl of a 2-D (a scalar, :math:`\partial F_y/\partial x - \partial F_x/\partial y`)
    or 3-D vector field (its three components).

    Notes
    -----
    On large NumPy arrays the Numba kernels compute every output in one pass that
    reads each component once (see :func:`laplacian`); the same numbers as the
    differences of the derivatives computed one by one. Dask components (rechunked
    to the first's chunks) are one graph whose tasks, one per block, compute every
    output (see :func:`laplacian`).

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad
    >>> x = np.linspace(0, 1, 11)
    >>> X, Y = np.meshgrid(x, x, indexing="ij")
    >>> bool(np.allclose(gridgrad.curl([-Y, X], spacing=0.1), 2.0))
    True
    """
    comps, dims = _components(components, dim)
    if len(comps) not in (2, 3):
        msg = f"`components` must hold 2 or 3 arrays for a curl; got {len(comps)}."
        raise ValueError(msg)
    check_spacing_length(spacing, dims)
    n = len(comps)
    pairs = [(1, 0), (0, 1)] if n == 2 else [(2, 1), (1, 2), (0, 2), (2, 0), (1, 0), (0, 1)]
    calls = _check_many(
        [
            (
                comps[i],
                dims[j],
                _entry(spacing, j),
                _options_of(j, accuracy, edge_order, boundary, period),
            )
            for i, j in pairs
        ]
    )
    # each output is d[2k] - d[2k + 1]: computed in one pass where an engine fuses it
    outputs = tuple(((2 * k, 0, 1), (2 * k + 1, 0, -1)) for k in range(len(pairs) // 2))
    results = _combined(calls, tuple(i for i, _ in pairs), outputs)
    return results[0] if n == 2 else results


@_compilable(lambda c, a: (_count(c), _count(c)) if _count(c) else _SKIP)
def jacobian(
    components: Any,
    *,
    spacing: Any = None,
    dim: Any = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    period: Any = None,
) -> tuple[tuple[Any, ...], ...]:
    r"""The Jacobian :math:`J_{ij} = \partial F_i / \partial x_j` as a tuple of rows.

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad
    >>> x = np.linspace(0, 1, 6)
    >>> X, Y = np.meshgrid(x, x, indexing="ij")
    >>> J = gridgrad.jacobian([X + 2 * Y, 3 * X], spacing=0.2)
    >>> [[round(float(J[i][j].mean()), 6) for j in range(2)] for i in range(2)]
    [[1.0, 2.0], [3.0, 0.0]]
    """
    comps, dims = _components(components, dim)
    check_spacing_length(spacing, dims)
    options = Options(accuracy, edge_order, boundary, period)
    calls = _check_many([(c, list(dims), spacing, options) for c in comps])
    return tuple(tuple(_run(call)) for call in calls)


@_compilable(lambda f, a: (_dims(f, a), _dims(f, a)))
def hessian(
    f: Any,
    *,
    spacing: Any = None,
    dim: Any = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    period: Any = None,
) -> tuple[tuple[Any, ...], ...]:
    r"""The Hessian :math:`H_{ij} = \partial^2 f / \partial x_i \partial x_j` as a tuple of
    rows (symmetric: the mixed partials are computed once).

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad
    >>> x = np.linspace(0, 1, 11)
    >>> X, Y = np.meshgrid(x, x, indexing="ij")
    >>> H = gridgrad.hessian(X**2 * Y, spacing=0.1)
    >>> bool(np.allclose(H[0][0], 2 * Y) and np.allclose(H[0][1], 2 * X))
    True
    """
    options = Options(accuracy, edge_order, boundary, period)
    pure = _checked(f, dim, spacing, options, 2)
    first = _checked(f, dim, spacing, options, 1)
    diag = _run(pure)
    n = len(first.plan.axes)
    rows: list[list[Any]] = [[None] * n for _ in range(n)]
    # one call per input: the first derivatives along all dims but the last, then
    # each of them along the dims after its own (each derivative as _sequential's)
    plan = first.plan
    grads = run(plan.part(*range(n - 1)), first.f, first.library) if n > 1 else ()
    for i in range(n):
        rows[i][i] = diag[i]
        if i < n - 1:
            mixed = run(plan.part(*range(i + 1, n)), grads[i], first.library)
            for j, m in zip(range(i + 1, n), mixed):
                rows[i][j] = rows[j][i] = m
    return tuple(tuple(r) for r in rows)
