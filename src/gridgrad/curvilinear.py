r"""Derivatives on curvilinear grids: coordinates given as 2-D (N-D) arrays.

A curvilinear grid samples a field at points :math:`x_a(s_0, s_1, \dots)` given by
coordinate arrays over the index dims :math:`s_b` (WRF, ROMS and NEMO write
``x(j, i)``, ``y(j, i)``; polar, body-fitted and stretched meshes do the same). The
derivatives with respect to the physical coordinates go through the chain rule
with the grid's Jacobian matrix :math:`M_{ab} = \partial x_a / \partial s_b`:

.. math::

    \frac{\partial f}{\partial x_a} = \sum_b \frac{\partial f}{\partial s_b}
    \left(M^{-1}\right)_{ba},
    \qquad M^{-1} = \operatorname{adj}(M) / \det M .

Every index-space derivative (of the field and of the coordinates) is
:func:`gridgrad.derivative` with unit spacing, at the same ``accuracy`` and
``edge_order``; the rest is elementwise algebra in the input's array library, so
NumPy, PyTorch (autograd), JAX, Dask (lazily) and any Array-API array work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj, is_dask_array, is_jax_array

from gridgrad._calculus import derivative
from gridgrad._calculus import laplacian as _rectilinear_laplacian

__all__ = [
    "curl",
    "divergence",
    "gradient",
    "laplacian",
    "sphere_divergence",
    "sphere_gradient",
    "sphere_laplacian",
    "sphere_vorticity",
    "xarray_curl",
    "xarray_divergence",
    "xarray_gradient",
    "xarray_laplacian",
    "xarray_sphere_divergence",
    "xarray_sphere_gradient",
    "xarray_sphere_laplacian",
    "xarray_sphere_vorticity",
]


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class _Options:
    """The stencil options shared by every index-space derivative of one call."""

    accuracy: int
    edge_order: int | None
    boundary: tuple[str, ...]  # one per differentiated dim
    wrap: tuple[float | None, ...]  # one per coordinate


@dataclass(frozen=True)
class _Grid:
    """The metric of one call: index dims and the inverse Jacobian, ``inv[b][a]``
    :math:`= \\partial s_b / \\partial x_a` (shape: the coordinates' broadcast)."""

    xp: Any
    dims: tuple[int, ...]
    inv: tuple[tuple[Any, ...], ...]
    opts: _Options
    #: a rectilinear grid given as N-D arrays: (dim, 1-D coordinate) per coordinate
    sep: tuple[tuple[int, np.ndarray], ...] | None = None


def _options(n: int, accuracy: Any, edge_order: Any, boundary: Any, wrap: Any) -> _Options:
    if isinstance(boundary, str):
        bounds = (boundary,) * n
    elif isinstance(boundary, (list, tuple)) and len(boundary) == n:
        bounds = tuple(boundary)
    else:
        msg = f"`boundary` must be a string or a sequence of {n} strings (one per dim); got {boundary!r}."
        raise ValueError(msg)
    if wrap is None:
        wraps: tuple[float | None, ...] = (None,) * n
    elif isinstance(wrap, (list, tuple)) and len(wrap) == n:
        wraps = tuple(None if w is None else float(w) for w in wrap)
        if any(w is not None and not (math.isfinite(w) and w > 0) for w in wraps):
            msg = f"`wrap` entries must be None or a positive finite period; got {wrap!r}."
            raise ValueError(msg)
    else:
        msg = (
            f"`wrap` must be None or a sequence of {n} entries (one per coordinate); got {wrap!r}."
        )
        raise ValueError(msg)
    return _Options(accuracy, edge_order, bounds, wraps)


# --------------------------------------------------------------------------- inputs


def _dims(dim: Any, n: int, ndim: int) -> tuple[int, ...]:
    if dim is None:
        if n > ndim:
            msg = f"{n} `coords` need an array of at least {n} dimensions; `f` has {ndim}."
            raise ValueError(msg)
        return tuple(range(ndim - n, ndim))
    dims = tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)
    if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) for d in dims):
        msg = f"`dim` must be an int or a sequence of ints; got {dim!r}."
        raise TypeError(msg)
    if len(dims) != n:
        msg = f"`dim` must name one dimension per coordinate array ({n}); got {dim!r}."
        raise ValueError(msg)
    out = []
    for d in dims:
        if not -ndim <= d < ndim:
            raise np.exceptions.AxisError(int(d), ndim, "`dim`")
        out.append(int(d) % ndim)
    if len(set(out)) != n:
        msg = f"`dim` must not repeat a dimension; got {dim!r}."
        raise ValueError(msg)
    return tuple(out)


def _as_array(f: Any) -> tuple[Any, Any]:
    try:
        return f, array_namespace(f)
    except TypeError:
        a = np.asarray(f)
        return a, array_namespace(a)


def _inputs(f: Any, coords: Any, dim: Any) -> tuple[Any, Any, list[Any], tuple[int, ...]]:
    """The field and the coordinate arrays in the field's library, broadcast to the
    metric shape (the field's shape along the differentiated dims), checked."""
    f, xp = _as_array(f)
    if not isinstance(coords, (list, tuple)) or any(isinstance(c, (str, bytes)) for c in coords):
        msg = f"`coords` must be a list or tuple of coordinate arrays; got {type(coords).__name__}."
        raise TypeError(msg)
    n = len(coords)
    if n not in (1, 2, 3):
        msg = (
            f"`coords` must hold 1, 2 or 3 coordinate arrays (one per differentiated dim); got {n}."
        )
        raise ValueError(msg)
    shape = tuple(f.shape)
    dims = _dims(dim, n, len(shape))
    arrays = []
    for k, c in enumerate(coords):
        c = _like(c, f, xp)
        if xp.isdtype(c.dtype, ("complex floating", "bool")):
            msg = f"`coords[{k}]` must be real; got dtype {c.dtype}."
            raise TypeError(msg)
        cs = tuple(c.shape)
        try:
            ok = len(cs) <= len(shape) and np.broadcast_shapes(cs, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            msg = f"`coords[{k}]` of shape {cs} does not broadcast to the shape of `f`, {shape}."
            raise ValueError(msg)
        arrays.append(c)
    ndim = len(shape)
    pad = [(1,) * (ndim - len(c.shape)) + tuple(c.shape) for c in arrays]
    mshape = tuple(shape[i] if i in dims else max(p[i] for p in pad) for i in range(ndim))
    arrays = [xp.broadcast_to(xp.reshape(c, p), mshape) for c, p in zip(arrays, pad)]
    return f, xp, arrays, dims


def _host(coords: Any, arrays: list[Any]) -> list[np.ndarray] | None:
    """The coordinates as NumPy arrays broadcast to the metric shape, when they were
    given as NumPy arrays (or nested sequences); None for other libraries' arrays
    (their values may be lazy, traced or carry autograd)."""
    out = []
    for c, a in zip(coords, arrays):
        if not isinstance(c, np.ndarray) and is_array_api_obj(c):
            return None
        c = np.asarray(c)
        out.append(np.broadcast_to(c.reshape((1,) * (len(a.shape) - c.ndim) + c.shape), tuple(a.shape)))  # fmt: skip
    return out


def _constant_along(c: np.ndarray, d: int) -> bool:
    if c.shape[d] == 1 or c.strides[d] == 0:
        return True
    first = np.take(c, [0], axis=d)
    if not np.array_equal(np.take(c, [-1], axis=d), first):  # cheap: rules out most grids
        return False
    return bool((c == first).all())


def _separable(host: list[np.ndarray] | None, dims: tuple[int, ...], opts: _Options) -> tuple[tuple[int, np.ndarray], ...] | None:  # fmt: skip
    """A rectilinear grid given as N-D arrays: for each coordinate, the dim it varies
    along (one differentiated dim, each dim once) and its 1-D values (strictly
    monotonic once unwrapped by their ``wrap`` period, finite); None otherwise. A
    periodic dim qualifies when its coordinate has a ``wrap`` period longer than its
    span and increases (the period closes the circle: :func:`gridgrad.derivative`
    with ``period``); without one its values cannot be continuous across the seam."""
    if host is None:
        return None
    out = []
    for c, period in zip(host, opts.wrap):
        varying = [d for d in range(c.ndim) if not _constant_along(c, d)]
        if len(varying) != 1 or varying[0] not in dims:
            return None
        d = varying[0]
        line = np.asarray(c[tuple(slice(None) if k == d else 0 for k in range(c.ndim))], dtype=float)  # fmt: skip
        if period is not None:
            line = np.unwrap(line, period=period)
        step = np.diff(line)
        if not (np.isfinite(line).all() and ((step > 0).all() or (step < 0).all())):
            return None  # the chain rule reports it
        if opts.boundary[dims.index(d)] == "periodic":
            if period is None or not (step > 0).all() or not line[-1] - line[0] < period:
                return None
        out.append((d, line))
    if len({d for d, _ in out}) != len(out):
        return None
    return tuple(out)


def _like(c: Any, f: Any, xp: Any) -> Any:
    """A coordinate array in the field's library (and on its device); Dask coordinates
    are chunked like the field along the dims they share."""
    if is_dask_array(f):
        import dask.array as da

        c = da.asarray(c)
        ndim = f.ndim
        if c.ndim > ndim:
            return c  # the shape check reports it
        chunks = tuple(
            f.chunks[ndim - c.ndim + i] if c.shape[i] == f.shape[ndim - c.ndim + i] else -1
            for i in range(c.ndim)
        )
        return c.rechunk(chunks)
    try:
        if array_namespace(c) is xp:
            return c
    except TypeError:
        pass
    device = getattr(f, "device", None)
    arr = np.asarray(c)
    if device is not None and not isinstance(f, np.ndarray):
        try:
            return xp.asarray(arr, device=device)
        except TypeError:
            pass
    return xp.asarray(arr)


# --------------------------------------------------------------------------- metric


def _d(a: Any, d: int, opts: _Options, k: int) -> Any:
    """The index-space first derivative of ``a`` along dim ``d`` (the k-th dim)."""
    return derivative(
        a, d, accuracy=opts.accuracy, edge_order=opts.edge_order, boundary=opts.boundary[k]
    )


def _index_grad(a: Any, grid: _Grid) -> list[Any]:
    return [_d(a, d, grid.opts, k) for k, d in enumerate(grid.dims)]


def _coord_derivs(c: Any, xp: Any, dims: tuple[int, ...], opts: _Options, period: float | None) -> list[Any]:  # fmt: skip
    if period is None:
        return [_d(c, d, opts, k) for k, d in enumerate(dims)]
    # values that wrap (longitude): differentiate the point on the circle, which is
    # smooth across the jump, then d(theta) = cos * d(sin) - sin * d(cos)
    t = c * (2.0 * math.pi / period)
    cos, sin = xp.cos(t), xp.sin(t)
    scale = period / (2.0 * math.pi)
    return [
        (cos * _d(sin, d, opts, k) - sin * _d(cos, d, opts, k)) * scale for k, d in enumerate(dims)
    ]


def _metric(xp: Any, arrays: list[Any], dims: tuple[int, ...], opts: _Options) -> tuple[Any, Any]:
    """The Jacobian determinant and the adjugate, ``adj[b][a]`` (unchecked)."""
    n = len(dims)
    m = [_coord_derivs(c, xp, dims, opts, opts.wrap[a]) for a, c in enumerate(arrays)]
    if n == 1:
        return m[0][0], [[None]]
    if n == 2:
        det = m[0][0] * m[1][1] - m[0][1] * m[1][0]
        return det, [[m[1][1], -m[0][1]], [-m[1][0], m[0][0]]]
    adj: list[list[Any]] = [[None] * 3 for _ in range(3)]  # adj[b][a]: cofactor of m[a][b]
    for a in range(3):
        a1, a2 = (a + 1) % 3, (a + 2) % 3
        for b in range(3):
            b1, b2 = (b + 1) % 3, (b + 2) % 3
            adj[b][a] = m[a1][b1] * m[a2][b2] - m[a1][b2] * m[a2][b1]
    det = m[0][0] * adj[0][0] + m[0][1] * adj[1][0] + m[0][2] * adj[2][0]
    return det, adj


def _inverse(det: Any, adj: Any) -> tuple[tuple[Any, ...], ...]:
    n = len(adj)
    r = 1.0 / det
    return tuple(tuple(r if n == 1 else adj[b][a] * r for a in range(n)) for b in range(n))


def _grid(f: Any, coords: Any, dim: Any, *options: Any) -> tuple[Any, _Grid]:
    """Check everything, then compute the metric: ``options`` are (accuracy,
    edge_order, boundary, wrap)."""
    f, xp, arrays, dims = _inputs(f, coords, dim)
    opts = _options(len(dims), *options)
    sep = _separable(_host(coords, arrays), dims, opts)
    if sep is not None:
        return f, _Grid(xp, dims, (), opts, sep)
    return f, _checked_grid(xp, arrays, dims, opts)


def _checked_grid(xp: Any, arrays: list[Any], dims: tuple[int, ...], opts: _Options) -> _Grid:
    det, adj = _metric(xp, arrays, dims, opts)
    det = _checked(det, xp, dims)
    return _Grid(xp, dims, _inverse(det, adj), opts)


def _fold_message(idx: tuple[int, ...], value: float, ref: float, n: int, names: str | None = None, args: str = "`coords`") -> str:  # fmt: skip
    names = names or ", ".join("xyz"[:n] if n > 1 else "x")
    what = (
        "is not finite"
        if not math.isfinite(value)
        else "vanishes"
        if value == 0
        else "changes sign"
    )
    return (
        f"{args} do not form a valid grid: the Jacobian d({names})/d(index) {what} "
        f"at index {idx} (J = {value:.6g}; J = {ref:.6g} at the first point). The grid folds "
        f"there, repeats a point, or has a non-finite coordinate."
    )


def _checked(det: Any, xp: Any, dims: tuple[int, ...], names: str | None = None, args: str = "`coords`") -> Any:  # fmt: skip
    """``det`` after checking it is finite and of one sign (dask: when computed). The
    index in the message leaves out the size-1 dims that are not differentiated;
    ``names``, ``args``: what the message calls the coordinates (default x, y, z) and
    the arguments that give them."""
    n = len(dims)
    keep = tuple(k for k in range(det.ndim) if k in dims or det.shape[k] != 1)
    if is_dask_array(det):
        import dask.array as da

        ref = det[(0,) * det.ndim]
        return da.map_blocks(_check_block, det, ref, n, keep, names, args, dtype=det.dtype)
    if is_jax_array(det):
        import jax

        if isinstance(det, jax.core.Tracer):  # under jit: values unknown, no check
            return det
    ref = det[(0,) * det.ndim]
    bad = ~(det * xp.sign(ref) > 0) | ~xp.isfinite(det)
    if bool(xp.any(bad)):
        where = xp.nonzero(bad)
        idx = tuple(int(w[0]) for w in where)
        shown = tuple(idx[k] for k in keep)
        raise ValueError(_fold_message(shown, float(det[idx]), float(ref), n, names, args))
    return det


def _check_block(block: np.ndarray, ref: Any, n: int, keep: Any, names: str | None, args: str, block_info: Any = None) -> np.ndarray:  # fmt: skip
    ref = float(np.asarray(ref))
    bad = ~(block * np.sign(ref) > 0) | ~np.isfinite(block)
    if bad.any():
        local = np.unravel_index(int(np.argmax(bad)), block.shape)
        start = [s[0] for s in block_info[0]["array-location"]] if block_info else [0] * block.ndim
        idx = tuple(int(s + i) for s, i in zip(start, local))
        raise ValueError(_fold_message(tuple(idx[k] for k in keep), float(block[local]), ref, n, names, args))  # fmt: skip
    return block


def _phys_grad(a: Any, grid: _Grid, which: Sequence[int] | None = None) -> list[Any]:
    """The derivatives of ``a`` with respect to every physical coordinate: on a
    rectilinear grid given as N-D arrays, :func:`gridgrad.derivative` on the 1-D
    coordinates (the result of :func:`gridgrad.gradient`); otherwise the chain rule.
    ``which``: the coordinates wanted (default: all)."""
    ks = range(len(grid.dims)) if which is None else which
    if grid.sep is not None:
        return [derivative(a, grid.sep[k][0], **_sep_options(grid, k)) for k in ks]
    g = _index_grad(a, grid)
    return [_physical(g, grid, k) for k in ks]


def _sep_options(grid: _Grid, k: int) -> dict[str, Any]:
    """The keywords of :func:`gridgrad.derivative` along the k-th coordinate of a
    rectilinear grid: its 1-D values, and its period on a periodic dim."""
    assert grid.sep is not None
    o, (d, line) = grid.opts, grid.sep[k]
    periodic = o.boundary[grid.dims.index(d)] == "periodic"
    return {
        "accuracy": o.accuracy,
        "edge_order": o.edge_order,
        "spacing": (line,),
        "boundary": "periodic" if periodic else "one-sided",
        "period": o.wrap[k] if periodic else None,
    }


def _physical(g: Sequence[Any], grid: _Grid, a: int) -> Any:
    """:math:`\\partial/\\partial x_a` from the index-space derivatives ``g``."""
    out = g[0] * grid.inv[0][a]
    for b in range(1, len(g)):
        out = out + g[b] * grid.inv[b][a]
    return out


# --------------------------------------------------------------------------- public

_COMMON = """accuracy : int, optional
        Even order of accuracy of the index-space stencils (default 2), for the field
        and the coordinates alike.
    edge_order : int, optional
        Accuracy of the one-sided stencils at the edges, 1 to ``accuracy`` (default:
        ``accuracy``, as :func:`gridgrad.derivative`).
    boundary : {"one-sided", "periodic"} or sequence, optional
        "periodic" wraps an index dim around (a full circle of a polar grid); the
        coordinates must then be continuous across the seam (or use ``wrap``).
    wrap : sequence of float or None, optional
        One entry per coordinate: the period of its values where they jump (360 for
        longitude in degrees), or None (default). Such a coordinate is differentiated
        through :math:`(\\cos, \\sin)` of its angle, so the jump does no harm."""


def gradient(
    f: Any,
    coords: Any,
    *,
    dim: Any = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    wrap: Any = None,
) -> tuple[Any, ...]:
    r"""The derivatives of ``f`` with respect to the physical coordinates of a
    curvilinear grid.

    Parameters
    ----------
    f : array_like
        Samples of the field (NumPy, PyTorch, JAX, Dask or any Array-API array).
    coords : sequence of arrays
        The physical coordinates of every sample, one array per differentiated dim
        (``(x, y)`` or ``(x, y, z)``), each of ``f``'s shape or broadcastable to it
        (``(ny, nx)`` arrays serve an ``(nt, ny, nx)`` field). NumPy arrays are
        converted to ``f``'s library; Dask coordinates are rechunked like ``f``.
    dim : int or sequence of int, optional
        The index dims the coordinates vary over, one per coordinate (default: the
        last ``len(coords)`` dims).
    ACCURACY

    Returns
    -------
    tuple of arrays
        :math:`\partial f / \partial x_a`, one per coordinate, in the order of
        ``coords``, each of ``f``'s shape (and library).

    Raises
    ------
    TypeError
        ``coords`` not a list or tuple, complex coordinates, a non-integer ``dim``.
    ValueError
        The wrong number of coordinate arrays, a coordinate shape that does not
        broadcast to ``f``'s, a bad ``boundary`` or ``wrap``, and a grid whose
        Jacobian vanishes, changes sign (a folded grid) or is not finite: the message
        names the index of the first such point (for Dask arrays: when computed;
        under ``jax.jit`` the values are unknown and there is no check).
        Too few samples for the stencils, as :func:`gridgrad.derivative`.

    See Also
    --------
    gridgrad.gradient : rectilinear grids (1-D coordinates), torch's semantics.

    Notes
    -----
    In 2-D, with index-space derivatives :math:`f_i, f_j, x_i, \dots` and
    :math:`J = x_i y_j - x_j y_i`,

    .. math::

        \frac{\partial f}{\partial x} = \frac{f_i y_j - f_j y_i}{J}, \qquad
        \frac{\partial f}{\partial y} = \frac{f_j x_i - f_i x_j}{J};

    in 3-D the same with the cofactors of the 3x3 Jacobian matrix. Every index-space
    derivative is :func:`gridgrad.derivative` at the requested ``accuracy`` (edges
    at ``edge_order``), so the result has that order everywhere, edges included, on
    a smooth grid. A rectilinear grid given as N-D arrays (NumPy coordinates, each
    varying along one differentiated dim only, strictly monotonic) is detected and
    differentiated on its 1-D coordinates: the result of :func:`gridgrad.gradient`
    (with ``edge_order=accuracy``), uniform or not. On a periodic dim this needs the
    coordinate's ``wrap`` period (longer than its span, values increasing once
    unwrapped), which becomes :func:`gridgrad.gradient`'s ``period``; other periodic
    grids (a polar grid's full circle) take the chain rule with periodic stencils.

    References
    ----------
    .. [1] J. F. Thompson, Z. U. A. Warsi, C. W. Mastin, *Numerical Grid
       Generation*, North-Holland (1985), ch. 3.
    .. [2] B. Fornberg, "Generation of finite difference formulas on arbitrarily
       spaced grids", Mathematics of Computation 51 (1988), 699-706.

    Examples
    --------
    A polar grid: :math:`f = x^2 y` on :math:`r \in [1, 2]`, :math:`\theta \in [0, \pi/2]`.

    >>> import numpy as np
    >>> import gridgrad.curvilinear as gc
    >>> r, t = np.meshgrid(np.linspace(1, 2, 41), np.linspace(0, np.pi / 2, 61), indexing="ij")
    >>> x, y = r * np.cos(t), r * np.sin(t)
    >>> dfdx, dfdy = gc.gradient(x**2 * y, (x, y), accuracy=4)
    >>> bool(np.abs(dfdx - 2 * x * y).max() < 1e-4 and np.abs(dfdy - x**2).max() < 1e-4)
    True
    """
    f, xp, arrays, dims = _inputs(f, coords, dim)
    opts = _options(len(dims), accuracy, edge_order, boundary, wrap)
    sep = _separable(_host(coords, arrays), dims, opts)
    if sep is not None:
        return tuple(_phys_grad(f, _Grid(xp, dims, (), opts, sep)))
    from gridgrad._curvilinear_fused import fused as _fused

    fused = _fused(f, arrays, opts)
    if fused is not None:
        return fused
    grid = _checked_grid(xp, arrays, dims, opts)
    return tuple(_phys_grad(f, grid))


def _vector(components: Any, coords: Any) -> list[Any]:
    n = len(coords) if isinstance(coords, (list, tuple)) else None
    if not isinstance(components, (list, tuple)) or len(components) != n:
        got = (
            len(components) if isinstance(components, (list, tuple)) else type(components).__name__
        )
        msg = f"`components` must be a list or tuple of {n} arrays, one per coordinate; got {got}."
        raise ValueError(msg)
    comps = [_as_array(c)[0] for c in components]
    shapes = {tuple(c.shape) for c in comps}
    if len(shapes) != 1:
        msg = f"`components` must all have the same shape; got shapes {sorted(shapes)}."
        raise ValueError(msg)
    return comps


def divergence(
    components: Any,
    coords: Any,
    *,
    dim: Any = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    wrap: Any = None,
) -> Any:
    r"""The divergence :math:`\sum_a \partial F_a / \partial x_a` of a vector field on a
    curvilinear grid.

    Parameters
    ----------
    components : sequence of arrays
        The Cartesian components :math:`F_a` along the physical coordinates, one per
        entry of ``coords``, all of one shape.
    coords : sequence of arrays
        The physical coordinates, as in :func:`gradient`.
    dim : int or sequence of int, optional
        As in :func:`gradient`.
    ACCURACY

    Returns
    -------
    array

    Raises
    ------
    TypeError, ValueError
        As :func:`gradient`, and ``components`` not matching ``coords``.

    Notes
    -----
    The chain rule of :func:`gradient` applied to each component (the non-conservative
    form), of order ``accuracy`` everywhere on a smooth grid.

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad.curvilinear as gc
    >>> r, t = np.meshgrid(np.linspace(1, 2, 21), np.linspace(0, 1, 21), indexing="ij")
    >>> x, y = r * np.cos(t), r * np.sin(t)
    >>> div = gc.divergence((2 * x + y, 3 * y), (x, y))   # linear: exact to round-off
    >>> bool(np.allclose(div, 5.0))
    True
    >>> div = gc.divergence((x * y, y**2), (x, y), accuracy=4)   # y + 2 y
    >>> bool(np.abs(div - 3 * y).max() < 1e-4)
    True
    """
    comps = _vector(components, coords)
    _, grid = _grid(comps[0], coords, dim, accuracy, edge_order, boundary, wrap)
    out = None
    for a, c in enumerate(comps):
        (g,) = _phys_grad(c, grid, (a,))
        out = g if out is None else out + g
    return out


def curl(
    components: Any,
    coords: Any,
    *,
    dim: Any = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    wrap: Any = None,
) -> Any:
    r"""The curl of a 2-D (the scalar :math:`\partial F_y/\partial x - \partial F_x/\partial y`)
    or 3-D (three components) vector field on a curvilinear grid.

    Parameters
    ----------
    components : sequence of arrays
        The Cartesian components along the physical coordinates, 2 or 3.
    coords : sequence of arrays
        The physical coordinates, as in :func:`gradient` (as many as components).
    dim : int or sequence of int, optional
        As in :func:`gradient`.
    ACCURACY

    Returns
    -------
    array (2-D) or tuple of 3 arrays (3-D)

    Raises
    ------
    TypeError, ValueError
        As :func:`gradient`, and ``components`` not matching ``coords`` or not 2 or 3.

    Notes
    -----
    Each :math:`\partial F_a / \partial x_b` through the chain rule of :func:`gradient`.

    Examples
    --------
    Solid-body rotation :math:`(-y, x)` has curl 2:

    >>> import numpy as np
    >>> import gridgrad.curvilinear as gc
    >>> r, t = np.meshgrid(np.linspace(1, 2, 11), np.linspace(0, 1, 11), indexing="ij")
    >>> x, y = r * np.cos(t), r * np.sin(t)
    >>> bool(np.allclose(gc.curl((-y, x), (x, y)), 2.0))
    True
    """
    comps = _vector(components, coords)
    n = len(comps)
    if n not in (2, 3):
        msg = f"`components` must hold 2 or 3 arrays for a curl; got {n}."
        raise ValueError(msg)
    _, grid = _grid(comps[0], coords, dim, accuracy, edge_order, boundary, wrap)
    grads = [_phys_grad(c, grid) for c in comps]

    def d(a: int, b: int) -> Any:  # dF_a / dx_b
        return grads[a][b]

    if n == 2:
        return d(1, 0) - d(0, 1)
    return (d(2, 1) - d(1, 2), d(0, 2) - d(2, 0), d(1, 0) - d(0, 1))


def laplacian(
    f: Any,
    coords: Any,
    *,
    dim: Any = None,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
    wrap: Any = None,
) -> Any:
    r"""The Laplacian :math:`\nabla \cdot \nabla f` in the physical coordinates of a
    curvilinear grid.

    Parameters
    ----------
    f : array_like
        Samples of the field.
    coords : sequence of arrays
        The physical coordinates, as in :func:`gradient`.
    dim : int or sequence of int, optional
        As in :func:`gradient`.
    ACCURACY

    Returns
    -------
    array

    Raises
    ------
    TypeError, ValueError
        As :func:`gradient`.

    Notes
    -----
    ``divergence(gradient(f))``: the chain rule twice, with the metric computed once.
    Order ``accuracy`` at points whose stencils are centred; at the points of a
    one-sided edge the second application differentiates the first one's edge
    error, so there the order is ``accuracy - 1`` (``boundary="periodic"`` dims
    keep ``accuracy`` everywhere). Exact (to round-off) for linear ``f``. A
    rectilinear grid given as N-D arrays (detected as in :func:`gradient`) gives
    :func:`gridgrad.laplacian`'s result with the 1-D coordinates (second-derivative
    stencils, ``edge_order`` as given; periodic dims with the ``wrap`` period), to
    round-off.

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad.curvilinear as gc
    >>> r, t = np.meshgrid(np.linspace(1, 2, 41), np.linspace(0, 1, 41), indexing="ij")
    >>> x, y = r * np.cos(t), r * np.sin(t)
    >>> lap = gc.laplacian(x**2 + 3 * y**2, (x, y), accuracy=4)
    >>> bool(np.abs(lap - 8.0).max() < 1e-3)
    True
    """
    f, grid = _grid(f, coords, dim, accuracy, edge_order, boundary, wrap)
    if grid.sep is not None:  # second-derivative stencils: gridgrad.laplacian's result
        kws = [_sep_options(grid, k) for k in range(len(grid.dims))]
        return _rectilinear_laplacian(
            f,
            dim=tuple(d for d, _ in grid.sep),
            spacing=tuple(kw["spacing"][0] for kw in kws),
            accuracy=grid.opts.accuracy,
            edge_order=grid.opts.edge_order,
            boundary=tuple(kw["boundary"] for kw in kws),
            period=tuple(kw["period"] for kw in kws),
        )
    g = _phys_grad(f, grid)
    out = None
    for a in range(len(grid.dims)):
        (ga,) = _phys_grad(g[a], grid, (a,))
        out = ga if out is None else out + ga
    return out


for _fn in (gradient, divergence, curl, laplacian):
    _fn.__doc__ = (_fn.__doc__ or "").replace("ACCURACY", _COMMON)


# --------------------------------------------------------------------------- sphere, xarray

from gridgrad._curvilinear_sphere import (  # noqa: E402  (they call the functions above)
    sphere_divergence,
    sphere_gradient,
    sphere_laplacian,
    sphere_vorticity,
)
from gridgrad._curvilinear_xarray import (  # noqa: E402  (they call the functions above)
    xarray_curl,
    xarray_divergence,
    xarray_gradient,
    xarray_laplacian,
)
from gridgrad._curvilinear_xarray_sphere import (  # noqa: E402
    xarray_sphere_divergence,
    xarray_sphere_gradient,
    xarray_sphere_laplacian,
    xarray_sphere_vorticity,
)
