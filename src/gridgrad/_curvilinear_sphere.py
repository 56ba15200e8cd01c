r"""The latitude-longitude functions of :mod:`gridgrad.curvilinear`: gradient,
divergence, vorticity and Laplacian per metre on grids given by ``lat(y, x)`` and
``lon(y, x)`` (rotated-pole, projected, polar caps, global bands).

The grid is the map from the index to the point :math:`P = (\cos\varphi\cos\lambda,
\cos\varphi\sin\lambda, \sin\varphi)` of the unit sphere, which is smooth wherever
the grid is, poles and the 0/360 seam included (the longitude enters through its
cosine and sine only). Its index-space derivatives :math:`P_b` projected on the local
east and north unit vectors :math:`E, N` make the 2x2 Jacobian matrix
:math:`M_{ab}` (:math:`a`: east, north; :math:`b`: the index dims), whose determinant
is :math:`P \cdot (P_0 \times P_1)`; the operators are the chain rule through
:math:`M^{-1}` and the divergence form :math:`\frac{1}{J}\partial_b (J V^b)`. A regular
latitude-longitude grid given as 2-D arrays is handed to :mod:`gridgrad.sphere`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from array_api_compat import is_array_api_obj

from gridgrad._sphere_grid import EARTH_RADIUS

__all__ = ["sphere_divergence", "sphere_gradient", "sphere_laplacian", "sphere_vorticity"]


@dataclass(frozen=True)
class _Sphere:
    """The metric of one call on the unit sphere: ``m[a][b]`` (a: east, north; b: the
    index dims), its determinant ``det`` (checked) and ``grid`` (the inverse)."""

    m: tuple[tuple[Any, Any], tuple[Any, Any]]
    det: Any
    grid: Any  # curvilinear._Grid


def _radius(radius: Any) -> float:
    if isinstance(radius, bool) or not isinstance(radius, (int, float, np.integer, np.floating)):
        msg = f"`radius` must be a real number; got {type(radius).__name__}."
        raise TypeError(msg)
    if not (math.isfinite(radius) and radius > 0):
        msg = f"`radius` must be positive and finite; got {radius!r}."
        raise ValueError(msg)
    return float(radius)


def _check_lat(lat: Any) -> None:
    """Latitudes beyond a pole are refused (NumPy values; other libraries' are not read)."""
    if is_array_api_obj(lat) and not isinstance(lat, np.ndarray):
        return
    host = np.asarray(lat)
    if host.size and bool((np.abs(host) > 90).any()):
        where = tuple(int(i) for i in np.argwhere(np.abs(host) > 90)[0])
        msg = f"`lat` must be within [-90, 90] degrees; got {float(host[where])!r} at index {where}."  # fmt: skip
        raise ValueError(msg)


def _setup(first: Any, lat: Any, lon: Any, dim: Any, radius: Any, accuracy: Any, edge_order: Any, boundary: Any) -> tuple[Any, float, dict[str, Any] | None, Any]:  # fmt: skip
    """Check everything: (the first field as an array, the radius, the arguments of
    :mod:`gridgrad.sphere` when the grid is a regular latitude-longitude one (else
    None), the inputs of the general path)."""
    r = _radius(radius)
    _check_lat(lat)
    f, xp, arrays, dims = _c._inputs(first, (lat, lon), dim)
    opts = _c._options(2, accuracy, edge_order, boundary, None)  # no wrap: P is smooth
    lon_wrapped = _c._Options(opts.accuracy, opts.edge_order, opts.boundary, (360.0, None))
    sep = _c._separable(_c._host((lon, lat), arrays[::-1]), dims, lon_wrapped)
    regular = None
    if sep is not None and edge_order in (None, accuracy):
        (d_lon, lon1), (d_lat, lat1) = sep
        if opts.boundary[dims.index(d_lat)] == "one-sided" and lon1[-1] - lon1[0] < 360.0:
            regular = {
                "lat": lat1,
                "lon": lon1,
                "lat_dim": d_lat,
                "lon_dim": d_lon,
                "radius": r,
                "accuracy": accuracy,
                "cyclic": opts.boundary[dims.index(d_lon)] == "periodic",
            }
    return f, r, regular, (xp, arrays, dims, opts)


def _metric(inputs: Any) -> _Sphere:
    """The Jacobian matrix of (east, north) on the unit sphere with respect to the
    index, checked: finite, of one sign (else the grid folds)."""
    xp, (lat, lon), dims, opts = inputs
    phi, lam = lat * (math.pi / 180.0), lon * (math.pi / 180.0)
    cp, sp, cl, sl = xp.cos(phi), xp.sin(phi), xp.cos(lam), xp.sin(lam)
    px, py, pz = cp * cl, cp * sl, sp
    m0, m1 = [], []
    for k, d in enumerate(dims):
        dx, dy, dz = (_c._d(c, d, opts, k) for c in (px, py, pz))
        m0.append(cl * dy - sl * dx)  # E . P_b, E = (-sin lon, cos lon, 0)
        m1.append(cp * dz - sp * (cl * dx + sl * dy))  # N . P_b
    det = m0[0] * m1[1] - m0[1] * m1[0]
    det = _c._checked(det, xp, dims, "east, north", "`lat` and `lon`")
    adj = [[m1[1], -m0[1]], [-m1[0], m0[0]]]
    grid = _c._Grid(xp, dims, _c._inverse(det, adj), opts)
    return _Sphere(((m0[0], m0[1]), (m1[0], m1[1])), det, grid)


def _fields(first: Any, others: list[Any]) -> list[Any]:
    out = [first]
    for g in others:
        g = _c._as_array(g)[0]
        if tuple(g.shape) != tuple(first.shape):
            msg = f"the wind components must have one shape; got {tuple(first.shape)} and {tuple(g.shape)}."  # fmt: skip
            raise ValueError(msg)
        out.append(g)
    return out


def _gradient(f: Any, s: _Sphere) -> list[Any]:
    """(east, north) on the unit sphere."""
    g = _c._index_grad(f, s.grid)
    return [_c._physical(g, s.grid, a) for a in range(2)]


def _flux_divergence(f0: Any, f1: Any, s: _Sphere) -> Any:
    r""":math:`\frac{1}{J}(\partial_0 F^0 + \partial_1 F^1)`."""
    o, dims = s.grid.opts, s.grid.dims
    return (_c._d(f0, dims[0], o, 0) + _c._d(f1, dims[1], o, 1)) / s.det


def _divergence(u: Any, v: Any, s: _Sphere) -> Any:
    """On the unit sphere: the fluxes J V^b = adj(M) (u, v)."""
    (m00, m01), (m10, m11) = s.m
    return _flux_divergence(m11 * u - m01 * v, m00 * v - m10 * u, s)


# --------------------------------------------------------------------------- public

_PARAMS = """lat, lon : array_like
        The latitude and longitude of every sample in degrees, ``lat(y, x)`` and
        ``lon(y, x)``, of ``f``'s shape or broadcastable to it (as the coordinates
        of :func:`gradient`); latitudes within [-90, 90]. The longitude enters
        through its cosine and sine only: it may jump by 360 degrees anywhere (the
        dateline, the 0/360 seam) and is any value at a pole.
    dim : sequence of 2 int, optional
        The index dims the coordinates vary over (default: the last two).
    radius : float, optional
        Radius of the sphere in metres (default ``gridgrad.sphere.EARTH_RADIUS``,
        6371008.8 m).
    accuracy, edge_order : int, optional
        As :func:`gradient`: even order of the index-space stencils (default 2), of
        the one-sided ones at the edges (default ``accuracy``).
    boundary : {"one-sided", "periodic"} or sequence, optional
        Per index dim: "periodic" when the grid closes along it (a global band, a
        polar cap's circles), as :func:`gradient`."""

_METHOD = """The grid is the map from the index to the point
    :math:`P = (\\cos\\varphi\\cos\\lambda, \\cos\\varphi\\sin\\lambda, \\sin\\varphi)`
    of the unit sphere; the index-space derivatives :math:`P_b` (stencils of order
    ``accuracy``) projected on the local east and north make the Jacobian matrix
    :math:`M` of (east, north) with respect to the index, and the derivatives go
    through :math:`M^{-1}` (the chain rule of :func:`gradient` in the local tangent
    plane), divided by ``radius``. :math:`P` is smooth across the 0/360 seam and
    through the poles, so a grid that crosses or encloses a pole keeps the order
    ``accuracy`` there. The fold check is on :math:`\\det M = P\\cdot(P_0\\times P_1)`.

    Poles: a sample at :math:`|\\varphi| = 90` exactly is an ordinary point of the
    grid (its derivatives come from its neighbours like everywhere else); its east
    and north are the limits along the meridian of its own ``lon`` (as on the pole
    rows of :mod:`gridgrad.sphere`): at the north pole, north points toward
    longitude ``lon + 180`` and east toward ``lon + 90``; at the south pole, north
    toward ``lon`` and east toward ``lon + 90``. Winds given at a pole point are read
    in those directions.

    A regular latitude-longitude grid given as 2-D arrays (NumPy coordinates, the
    latitude varying along one index dim only and the longitude, unwrapped, along
    the other) with ``edge_order`` None or ``accuracy`` and a one-sided latitude dim
    is handed to :mod:`gridgrad.sphere` (``cyclic`` when the longitude dim is
    periodic): its result, pole rows included, to round-off."""


def _doc(fn: Any) -> Any:
    fn.__doc__ = fn.__doc__.replace("PARAMS", _PARAMS).replace("METHOD", _METHOD)
    return fn


@_doc
def sphere_gradient(
    f: Any,
    lat: Any,
    lon: Any,
    *,
    dim: Any = None,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
) -> tuple[Any, Any]:
    r"""The gradient of a field on a curvilinear latitude-longitude grid (rotated-pole,
    projected): (eastward, northward), per metre.

    Parameters
    ----------
    f : array_like
        Samples of the field (any library :func:`gradient` supports).
    PARAMS

    Returns
    -------
    (eastward, northward) : tuple of arrays
        :math:`\frac{1}{R\cos\varphi}\frac{\partial f}{\partial\lambda}` and
        :math:`\frac{1}{R}\frac{\partial f}{\partial\varphi}` along the local
        geographic east and north, each of ``f``'s shape and library, in units of
        ``f`` per metre (the conventions of :func:`gridgrad.sphere.gradient`).

    Raises
    ------
    ValueError
        As :func:`gradient` (a folded grid: the Jacobian of (east, north) with
        respect to the index vanishes or changes sign), a non-positive ``radius``, a
        latitude beyond a pole.
    TypeError
        As :func:`gradient`, a ``radius`` that is not a real number.

    See Also
    --------
    gridgrad.sphere.gradient : regular latitude-longitude grids (1-D coordinates).

    Notes
    -----
    METHOD

    Examples
    --------
    A rotated-pole grid (pole tilted by 40 degrees, across the dateline) and
    :math:`f = \sin\varphi`, whose gradient is :math:`(0, \cos\varphi / R)`:

    >>> import numpy as np
    >>> import gridgrad.curvilinear as gc
    >>> rlat, rlon = np.meshgrid(np.radians(np.linspace(-10, 10, 41)),
    ...                          np.radians(np.linspace(-15, 15, 61)), indexing="ij")
    >>> px, py, pz = np.cos(rlat) * np.cos(rlon), np.cos(rlat) * np.sin(rlon), np.sin(rlat)
    >>> b = np.radians(40)                       # rotate about the y axis
    >>> x, z = np.cos(b) * px - np.sin(b) * pz, np.sin(b) * px + np.cos(b) * pz
    >>> lat = np.degrees(np.arcsin(z))
    >>> lon = (np.degrees(np.arctan2(py, x)) + 360) % 360 - 180   # jumps at 180
    >>> east, north = gc.sphere_gradient(np.sin(np.radians(lat)), lat, lon, accuracy=4)
    >>> R = 6371008.8                            # the default radius, in metres
    >>> float(np.abs(east).max() * R) < 1e-6
    True
    >>> float(np.abs(north - np.cos(np.radians(lat)) / R).max() * R) < 1e-6
    True
    """
    f, r, regular, inputs = _setup(f, lat, lon, dim, radius, accuracy, edge_order, boundary)
    if regular is not None:
        from gridgrad import sphere

        east, north = sphere.gradient(f, **regular)
        return east, north
    east, north = _gradient(f, _metric(inputs))
    return east / r, north / r


@_doc
def sphere_divergence(
    u: Any,
    v: Any,
    lat: Any,
    lon: Any,
    *,
    dim: Any = None,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
) -> Any:
    r"""The horizontal divergence of a vector field (u eastward, v northward) on a
    curvilinear latitude-longitude grid, per metre.

    Parameters
    ----------
    u, v : array_like
        The geographic eastward and northward components (not grid-relative ones:
        rotate a rotated-pole model's winds to geographic east and north first), one
        shape.
    PARAMS

    Returns
    -------
    array
        :math:`\frac{1}{R\cos\varphi}\left(\frac{\partial u}{\partial\lambda} +
        \frac{\partial (v\cos\varphi)}{\partial\varphi}\right)`, in units of ``u``
        per metre (the divergence of :func:`gridgrad.sphere.divergence`).

    Raises
    ------
    TypeError, ValueError
        As :func:`sphere_gradient`, and ``u``, ``v`` of different shapes.

    See Also
    --------
    sphere_vorticity, gridgrad.sphere.divergence

    Notes
    -----
    METHOD

    The divergence is computed in the flux form
    :math:`\frac{1}{RJ}\sum_b \partial_b (J V^b)`, :math:`J = \det M` and
    :math:`V^b = \sum_a (M^{-1})_{ba} V_a` the index-space components of
    :math:`(u, v)`: two index-space derivatives.

    Examples
    --------
    Solid-body rotation about any axis has no divergence:

    >>> import numpy as np
    >>> import gridgrad.curvilinear as gc
    >>> lat, lon = np.meshgrid(np.linspace(10, 50, 41), np.linspace(-20, 30, 51), indexing="ij")
    >>> phi, lam = np.radians(lat), np.radians(lon)
    >>> u = 10 * np.cos(phi)                              # about the polar axis
    >>> bool(np.abs(gc.sphere_divergence(u, 0 * u, lat, lon)).max() < 1e-15)
    True
    """
    first, r, regular, inputs = _setup(u, lat, lon, dim, radius, accuracy, edge_order, boundary)
    u, v = _fields(first, [v])
    if regular is not None:
        from gridgrad import sphere

        return sphere.divergence(u, v, **regular)
    return _divergence(u, v, _metric(inputs)) / r


@_doc
def sphere_vorticity(
    u: Any,
    v: Any,
    lat: Any,
    lon: Any,
    *,
    dim: Any = None,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
) -> Any:
    r"""The relative vorticity of a vector field (u eastward, v northward) on a
    curvilinear latitude-longitude grid, per metre.

    Parameters
    ----------
    u, v : array_like
        The geographic eastward and northward components, as
        :func:`sphere_divergence`.
    PARAMS

    Returns
    -------
    array
        :math:`\frac{1}{R\cos\varphi}\left(\frac{\partial v}{\partial\lambda} -
        \frac{\partial (u\cos\varphi)}{\partial\varphi}\right)`, in units of ``u``
        per metre (the vorticity of :func:`gridgrad.sphere.vorticity`).

    Raises
    ------
    TypeError, ValueError
        As :func:`sphere_divergence`.

    See Also
    --------
    sphere_divergence, gridgrad.sphere.vorticity

    Notes
    -----
    METHOD

    The vorticity is computed in the circulation form
    :math:`\frac{1}{RJ}(\partial_0 V_1 - \partial_1 V_0)`, :math:`V_b = \sum_a
    M_{ab} V_a` the covariant index-space components of :math:`(u, v)`: two
    index-space derivatives.

    Examples
    --------
    Solid-body rotation :math:`u = U\cos\varphi` has vorticity :math:`2U\sin\varphi/R`:

    >>> import numpy as np
    >>> import gridgrad.curvilinear as gc
    >>> lat, lon = np.meshgrid(np.linspace(10, 50, 41), np.linspace(-20, 30, 51), indexing="ij")
    >>> u = 10 * np.cos(np.radians(lat))
    >>> zeta = gc.sphere_vorticity(u, 0 * u, lat, lon, accuracy=4)
    >>> R = 6371008.8
    >>> bool(np.allclose(zeta * R, 20 * np.sin(np.radians(lat)), atol=1e-6))
    True
    """
    first, r, regular, inputs = _setup(u, lat, lon, dim, radius, accuracy, edge_order, boundary)
    u, v = _fields(first, [v])
    if regular is not None:
        from gridgrad import sphere

        return sphere.vorticity(u, v, **regular)
    s = _metric(inputs)
    (m00, m01), (m10, m11) = s.m
    o, dims = s.grid.opts, s.grid.dims
    cov0, cov1 = m00 * u + m10 * v, m01 * u + m11 * v
    return (_c._d(cov1, dims[0], o, 0) - _c._d(cov0, dims[1], o, 1)) / s.det / r


@_doc
def sphere_laplacian(
    f: Any,
    lat: Any,
    lon: Any,
    *,
    dim: Any = None,
    radius: float = EARTH_RADIUS,
    accuracy: int = 2,
    edge_order: int | None = None,
    boundary: Any = "one-sided",
) -> Any:
    r"""The Laplacian (Laplace-Beltrami operator) of a field on a curvilinear
    latitude-longitude grid, per square metre.

    Parameters
    ----------
    f : array_like
        Samples of the field (any library :func:`gradient` supports).
    PARAMS

    Returns
    -------
    array
        :math:`\frac{1}{R^2\cos^2\varphi}\frac{\partial^2 f}{\partial\lambda^2} +
        \frac{1}{R^2\cos\varphi}\frac{\partial}{\partial\varphi}\left(\cos\varphi
        \frac{\partial f}{\partial\varphi}\right)`, of ``f``'s shape and library, in
        units of ``f`` per square metre.

    Raises
    ------
    TypeError, ValueError
        As :func:`sphere_gradient`.

    See Also
    --------
    sphere_gradient, gridgrad.sphere.laplacian

    Notes
    -----
    METHOD

    The Laplacian is the divergence (flux form, as :func:`sphere_divergence`) of the
    gradient: :math:`\frac{1}{R^2 J}\sum_b \partial_b (J g^{bc} \partial_c f)`.
    Order ``accuracy`` where the stencils are centred; next to a one-sided edge the
    second pass differentiates the first one's edge error, so there the order is
    ``accuracy - 1`` (periodic dims keep ``accuracy``), as :func:`laplacian`.

    References
    ----------
    .. [1] B. Fornberg, "Generation of finite difference formulas on arbitrarily
       spaced grids", Mathematics of Computation 51 (1988), 699-706.

    Examples
    --------
    A polar cap around the north pole on a polar stereographic grid: the spherical
    harmonic :math:`f = \sin\varphi` (degree 1) has :math:`\Delta f = -2f/R^2`, at the
    pole too:

    >>> import numpy as np
    >>> import gridgrad.curvilinear as gc
    >>> X, Y = np.meshgrid(np.linspace(-0.5, 0.5, 41), np.linspace(-0.5, 0.5, 41), indexing="ij")
    >>> rho = np.hypot(X, Y)                    # stereographic from the south pole
    >>> lat = 90 - 2 * np.degrees(np.arctan(rho))
    >>> lon = np.degrees(np.arctan2(Y, X))
    >>> lat[20, 20]                             # the grid's centre is the pole
    np.float64(90.0)
    >>> f = np.sin(np.radians(lat))
    >>> lap = gc.sphere_laplacian(f, lat, lon, radius=1.0, accuracy=4)
    >>> round(float(lap[20, 20]), 4)             # -2 at the pole
    -2.0
    >>> bool(np.abs(lap + 2 * f).max() < 1e-3)  # the edges: order accuracy - 1
    True
    """
    f, r, regular, inputs = _setup(f, lat, lon, dim, radius, accuracy, edge_order, boundary)
    if regular is not None:
        from gridgrad import sphere

        return sphere.laplacian(f, **regular)
    s = _metric(inputs)
    east, north = _gradient(f, s)
    return _divergence(east, north, s) / (r * r)


# the helpers of the chain rule (imported last: gridgrad.curvilinear re-exports the
# functions above, so either module may be imported first)
from gridgrad import curvilinear as _c  # noqa: E402
