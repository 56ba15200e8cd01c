r"""Derivatives of noisy samples: Savitzky–Golay filters and GCV smoothing splines.

Finite differences amplify noise; these methods fit the samples first. Each works along one
dim of an N-D array, every series at once, with the shared coordinates of that dim (uniform
or not):

- ``method="savgol"``: the derivative of the least-squares polynomial of degree ``degree``
  through the ``window`` samples around each point (shifted windows at the edges, as
  scipy's ``savgol_filter(mode="interp")``). The weights are a stencil per point, applied by
  Numba kernels on NumPy arrays and by array arithmetic on every other library (torch, JAX,
  CuPy, Dask block by block).
- ``method="spline"``: the derivative of the cubic smoothing spline whose smoothing is chosen
  by generalized cross-validation, per series (scipy's ``make_smoothing_spline``; needs
  ``pip install 'gridgrad[smooth]'``).
- ``method="auto"``: Savitzky–Golay with the window and degree chosen from the data, or
  the smoothing spline where its estimated error is smaller: one choice for all series by
  their pooled estimated error (on at most 32 series, evenly spaced through the batch), or
  a window and degree per series (``per_series=True``).

Total-variation regularization and Kalman smoothing are planned (``method="tv"``,
``"kalman"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridgrad import _smooth_run as run
from gridgrad import _smooth_savgol as sg

__all__ = ["METHODS", "SmoothInfo", "derivative", "differentiate", "savgol_weights"]

#: the methods :func:`derivative` knows; "tv" and "kalman" are planned
METHODS = ("savgol", "spline", "auto")
_PLANNED = ("tv", "kalman")
_AUTO_DEGREES = (2, 3, 4, 5, 6, 7, 8)


@dataclass(frozen=True)
class SmoothInfo:
    """What :func:`derivative` did, returned with ``return_info=True``.

    Attributes
    ----------
    method : str
        The method that ran ("savgol" or "spline"; "auto" reports the one it chose).
    window : int or numpy.ndarray or None
        Savitzky–Golay window (samples): an int when given or chosen for all series,
        one per series with ``per_series=True`` (an array shaped like the input without
        ``dim``).
    degree : int or numpy.ndarray or None
        Savitzky–Golay polynomial degree, as ``window``.
    cutoff : float or numpy.ndarray or None
        The cutoff frequency (cycles per unit of the coordinate) behind a data-driven
        window: the one given, or one per series estimated from the data.
    gamma : float or numpy.ndarray or None
        The regularization weight the window was chosen with.
    noise : numpy.ndarray or None
        Per series, the estimated standard deviation of the noise in the samples (with
        a data-driven window or ``return_error``; not on Dask arrays, which stay lazy).
    rmse : float or numpy.ndarray or None
        The estimated root-mean-square error of the derivative (noise and bias) at the
        chosen window and degree (data-driven windows without ``cutoff``): over the
        series the choice looked at, or per series with ``per_series=True``.
    lam : float or numpy.ndarray or None
        ``method="spline"``: per series, the smoothing parameter (lambda) chosen by
        generalized cross-validation (NaN for a series with too few finite samples;
        ``inf`` for data on a straight line); not available for Dask arrays (lazy).
        scipy's search resolves lambda to about 1e-5 in the units of the coordinates
        (see :func:`derivative`, Notes): smaller values may be equal for similar series.
        When ``method="auto"`` chose the spline: the one smoothing parameter of all
        series (a float).
    edges : tuple or None
        A pooled data-driven Savitzky–Golay choice (no ``cutoff``): the ``(window,
        degree)`` of the first and of the last ``window // 2`` points, ``((w, p), (w,
        p))``, chosen for each end of the series (see Notes); the interior's own where
        the data do not show a significant saving. None otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from gridgrad import smooth
    >>> x = np.linspace(0, 1, 101)
    >>> d, info = smooth.derivative(x**2, 0, spacing=0.01, window=11, return_info=True)
    >>> info.method, info.window, info.degree
    ('savgol', 11, 3)
    >>> rng = np.random.default_rng(0)
    >>> y = np.sin(6 * x) + 0.01 * rng.standard_normal((3, x.size))
    >>> d, info = smooth.derivative(y, 1, spacing=0.01, method="spline", return_info=True)
    >>> info.lam.shape, bool((info.lam > 0).all())
    ((3,), True)
    """

    method: str
    window: Any = None
    degree: Any = None
    cutoff: Any = None
    gamma: Any = None
    noise: Any = None
    rmse: Any = None
    lam: Any = None
    edges: Any = None


# --------------------------------------------------------------------------- checks


def _int(value: Any, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        msg = f"`{name}` must be an integer; got {value!r}."
        raise TypeError(msg)
    if value < low or (high is not None and value > high):
        rule = f"from {low} to {high}" if high is not None else f"at least {low}"
        msg = f"`{name}` must be {rule}; got {value}."
        raise ValueError(msg)
    return int(value)


def _check_method(method: Any) -> str:
    if not isinstance(method, str):
        msg = f"`method` must be a string, one of {METHODS}; got {method!r}."
        raise TypeError(msg)
    if method in _PLANNED:
        msg = f"`method` {method!r} is planned but not implemented yet; use one of {METHODS}."
        raise ValueError(msg)
    if method not in METHODS:
        msg = f"`method` must be one of {METHODS}; got {method!r}."
        raise ValueError(msg)
    return method


def _coordinates(spacing: Any, n: int) -> tuple[np.ndarray, float | None]:
    """(coordinates float64, step or None when non-uniform)."""
    if spacing is None:
        return np.arange(n, dtype=np.float64), 1.0
    if np.ndim(spacing) == 0:
        try:
            h = float(spacing)
        except (TypeError, ValueError):
            msg = f"`spacing` must be a number or 1-D coordinates; got {spacing!r}."
            raise TypeError(msg) from None
        if not math.isfinite(h) or h == 0:
            msg = f"`spacing` step must be finite and non-zero; got {spacing!r}."
            raise ValueError(msg)
        return np.arange(n, dtype=np.float64) * h, h
    x = run.host(spacing)
    if x.ndim != 1 or x.dtype.kind not in "iuf":
        msg = f"`spacing` coordinates must be a 1-D array of real numbers; got shape {x.shape}, dtype {x.dtype}."
        raise TypeError(msg)
    if x.size != n:
        msg = (
            f"`spacing` coordinates must have one value per sample along `dim` ({n}); got {x.size}."
        )
        raise ValueError(msg)
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        msg = "`spacing` coordinates must be finite; got NaN or inf."
        raise ValueError(msg)
    steps = np.diff(x)
    if n > 1 and not ((steps > 0).all() or (steps < 0).all()):
        msg = "`spacing` coordinates must be strictly increasing or strictly decreasing."
        raise ValueError(msg)
    if n > 1 and np.allclose(steps, steps[0], rtol=1e-10, atol=0.0):
        h = float((x[-1] - x[0]) / (n - 1))  # evenly spaced: the uniform (cached) weights
        return x[0] + np.arange(n, dtype=np.float64) * h, h
    return x, None


def _kind(f: Any) -> str:
    if isinstance(f, np.ndarray) or not hasattr(f, "shape") or isinstance(f, np.generic):
        return "numpy"
    from array_api_compat import is_dask_array

    return "dask" if is_dask_array(f) else "xp"


def _result_dtype(dtype: np.dtype) -> np.dtype:
    if dtype.kind in "fc":
        return np.dtype(np.float32) if dtype == np.float16 else dtype.newbyteorder("=")
    if dtype.kind in "iub":
        return np.dtype(np.float64)
    msg = f"`f` must hold real or complex numbers; got dtype {dtype}."
    raise TypeError(msg)


# --------------------------------------------------------------------------- weights


def savgol_weights(
    spacing: Any, window: int, degree: int = 3, order: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    r"""The Savitzky–Golay weights of every point of an axis, as a table.

    Parameters
    ----------
    spacing : int or 1-D array_like
        The number of samples of an evenly spaced axis with unit step, or the
        coordinates of the samples (uniform or not).
    window : int
        Odd number of samples of each local fit.
    degree : int, optional
        Degree of the local polynomial, ``order <= degree < window`` (default 3).
    order : int, optional
        Derivative order (default 1).

    Returns
    -------
    weights : numpy.ndarray, shape (n, window)
        float64; the derivative at point ``i`` is ``weights[i] @ f[start[i]:start[i] + window]``.
    start : numpy.ndarray, shape (n,)
        The first sample of each point's window.

    Raises
    ------
    TypeError, ValueError
        Bad ``window``, ``degree``, ``order`` or coordinates.

    Notes
    -----
    Row ``i`` is the ``order``-th derivative at :math:`x_i` of the least-squares polynomial
    of degree ``degree`` through the window's samples: ``order! * pinv(V)[order]`` with the
    Vandermonde matrix ``V`` of the window's offsets :math:`(x_j - x_i)/s`, scaled by their
    largest magnitude ``s`` (well conditioned), divided by :math:`s^{order}`. Windows are
    centred where they fit and shifted inside the axis near the edges.

    References
    ----------
    .. [1] A. Savitzky, M. J. E. Golay, "Smoothing and differentiation of data by simplified
       least squares procedures", Analytical Chemistry 36 (1964), 1627-1639.

    Examples
    --------
    >>> from gridgrad import smooth
    >>> w, start = smooth.savgol_weights(7, window=5, degree=2)
    >>> (w[3] * 10).round(12)
    array([-2., -1.,  0.,  1.,  2.])
    >>> start
    array([0, 0, 0, 1, 2, 2, 2])
    """
    window = _int(window, "window", 1)
    degree = _int(degree, "degree", 0)
    order = _int(order, "order", 0)
    step: float | None
    if np.ndim(spacing) == 0:
        n = _int(spacing, "spacing", 1)
        x, step = np.arange(n, dtype=np.float64), 1.0
    else:
        n = int(np.size(spacing))
        x, step = _coordinates(spacing, n)
    _check_savgol(window, degree, order, n)
    if step is not None:
        return sg.table_uniform(n, window, degree, order, step)
    return sg.table_nonuniform(x, window, degree, order)


def _check_savgol(window: int, degree: int, order: int, n: int) -> None:
    if window % 2 == 0:
        msg = f"`window` must be odd (an even window has no centre sample); got {window}."
        raise ValueError(msg)
    if degree >= window:
        msg = f"`degree` must be less than `window` ({window}); got {degree}."
        raise ValueError(msg)
    if order > degree:
        msg = f"`order` must be at most `degree` ({degree}); got {order}."
        raise ValueError(msg)
    if window > n:
        msg = f"`window` must be at most the number of samples along `dim` ({n}); got {window}."
        raise ValueError(msg)


# --------------------------------------------------------------------------- public


def derivative(
    f: Any,
    dim: int,
    *,
    spacing: Any = None,
    method: str = "savgol",
    order: int = 1,
    window: int | None = None,
    degree: int | None = None,
    cutoff: float | None = None,
    per_series: bool = False,
    return_error: bool = False,
    return_info: bool = False,
) -> Any:
    r"""The ``order``-th derivative of noisy samples along ``dim``, smoothed by a local or
    global fit.

    Parameters
    ----------
    f : array_like
        Samples (NumPy, PyTorch, JAX, Dask, CuPy or any Array-API array). NaN samples are
        gaps: left out of the fits, NaN in the result. Gaps are fitted on the host (torch,
        JAX and CuPy arrays with NaN are copied there and back; a torch tensor that requires
        grad is refused, as are Dask arrays with gaps and ``dim`` split into several
        chunks: rechunk ``dim`` to one chunk). Inside ``jax.jit`` gaps cannot be seen.
    dim : int
        The dimension along which each series runs; every other dim indexes series.
    spacing : scalar or 1-D array_like, optional
        The step of evenly spaced samples, or their coordinates along ``dim`` (strictly
        monotonic, uniform or not). Default: step 1.
    method : {"savgol", "spline", "auto"}, optional
        "savgol" (default): Savitzky–Golay, the local least-squares polynomial.
        "spline": the cubic smoothing spline with the smoothing chosen per series by
        generalized cross-validation (needs scipy). "auto": Savitzky–Golay with window and
        degree chosen from the data, or the spline where its estimated error is smaller
        (see Notes and ``per_series``). ("tv" and "kalman" are planned.)
    order : int, optional
        Derivative order: 1 (default) or 2 (any ``order <= degree`` for "savgol", 0 is
        smoothing; at most 2 for "spline").
    window : int, optional
        Odd number of samples of each local fit ("savgol"). By default chosen from the
        data, as with "auto" for the given ``degree``.
    degree : int, optional
        Degree of the local polynomial ("savgol", default 3; "auto" tries 2 to 8).
    cutoff : float, optional
        The highest frequency of interest (cycles per unit of the coordinate), for the
        data-driven window: sets the regularization weight by the published heuristic
        :math:`\gamma = e^{-5.1} f_c^{-1.6} \Delta t^{-0.71}` [2]_. Estimated per series
        from the periodogram when not given.
    per_series : bool, optional
        With a data-driven window: False (default) chooses one window and degree for all
        series, the smallest estimated error pooled over at most 32 series evenly spaced
        through the batch (fast on big arrays; on Dask arrays only those series are
        computed to choose); True chooses per series (needs every series: NumPy and
        Array-API arrays only).
    return_error : bool, optional
        Also return, per point, the standard error of the result due to the noise:
        :math:`\hat\sigma \lVert w_i \rVert_2`, with :math:`\hat\sigma` the per-series noise
        estimate (MAD of each sample's distance to the line through its neighbours) and
        :math:`w_i` the point's weights ("savgol" and "auto"). It does not include the
        bias of the fit.
    return_info : bool, optional
        Also return a :class:`SmoothInfo`: the method, window, degree, cutoff and
        regularization weight used (per series with ``per_series=True``); the spline's
        smoothing parameter per series.

    Returns
    -------
    array, or a tuple (array, [error], [info])
        The derivative, same shape and library as ``f`` (floating point); then the error
        estimate with ``return_error``, then the info with ``return_info``.

    Raises
    ------
    TypeError
        Non-numeric ``f``, ``spacing``, or non-integer ``window``, ``degree``, ``order``;
        non-boolean ``per_series``, ``return_error``, ``return_info``.
    ValueError
        Unknown ``method``; an even ``window``, one larger than the axis or not larger than
        ``degree``; ``order`` above ``degree`` (or above 2 for "spline"); non-monotonic or
        non-finite coordinates; a non-positive ``cutoff``; options that do not apply to the
        method (``per_series`` with a given ``window`` or "spline"); what a Dask array
        cannot do lazily (``per_series=True``, ``return_error``, the spline's
        ``return_info``); NaN gaps in a torch tensor that requires grad; when computed,
        NaN gaps in a Dask array whose ``dim`` spans several chunks.
    IndexError
        ``dim`` out of range.

    Notes
    -----
    **Savitzky–Golay.** Point :math:`i`'s derivative is :math:`\sum_k w_{ik} f_{s_i + k}`,
    the ``order``-th derivative at :math:`x_i` of the least-squares polynomial of degree
    ``degree`` through the ``window`` samples around it: centred where they fit, the first
    or last ``window`` samples near the edges (shifted windows; on evenly spaced samples
    the same numbers as scipy's ``savgol_filter(mode="interp")``). On non-uniform samples
    each point has its own weights (:func:`savgol_weights`). Exact for polynomials up to
    degree ``degree``.

    **Spline.** The cubic spline :math:`s` minimizing
    :math:`\sum_i (f_i - s(x_i))^2 + \lambda \int s''(x)^2\,dx`, :math:`\lambda` by
    generalized cross-validation [3]_ per series (scipy's ``make_smoothing_spline``), and
    its derivative at the samples: for each series exactly scipy's spline of that series
    alone. scipy minimizes the GCV criterion over :math:`0 < \lambda < n` with an
    absolute tolerance of :math:`10^{-5}`, and :math:`\lambda` scales with the cube of the
    coordinate unit: on short coordinate ranges (fine steps) the chosen :math:`\lambda`
    is near that tolerance and series of similar shape and noise get the same value.
    Runs on the host: torch/JAX inputs are copied (no autograd), Dask arrays are
    rechunked to one chunk along ``dim``.

    **Data-driven windows** (no ``cutoff``) minimize an estimate of the mean squared
    error of the derivative over odd windows spaced by factors of about 1.25 and degrees 2
    to 8 ("auto"): the noise part :math:`\hat\sigma^2 \lVert w_i \rVert^2` is exact for
    the linear filter; the bias part is the difference to the fit of degree ``degree + 2``
    on the same window, its noise part subtracted, made non-decreasing in the window.
    Pooled (default): the mean of the estimates over the series looked at; per series
    with ``per_series=True`` (noisier: one series is a small sample). A pooled choice
    then chooses again for each end (the first and last ``window // 2`` points, whose
    windows are shifted), among windows no wider and any degree, by the same estimate
    summed over the end; it replaces the interior's choice there only where the mean
    saving over the series less two standard errors is positive (at least 8 series;
    ``info.edges``). :math:`\hat\sigma` is the median absolute deviation of each
    sample's distance to the cubic through its four nearest neighbours (exact for cubics
    on any spacing). With ``cutoff``,
    the windows minimize the loss of van Breugel et al. [2]_: the RMS misfit of the
    integrated derivative to the samples plus :math:`\gamma` times the total variation
    of the derivative (pooled in the same way). ``return_error`` then gives the noise
    error of the chosen window.

    **"auto" and the spline.** In a pooled choice without ``cutoff``, ``return_error``
    or autograd, the cubic smoothing spline competes with the chosen filter: one
    smoothing for all series (the median GCV choice of 4 of the series looked at), its
    estimated mean squared error by the same rule for any linear derivative :math:`W`
    against the filter of degree ``degree + 2`` the choice was made with (:math:`R`):
    :math:`\lVert (W - R) f \rVert^2 / n - \hat\sigma^2 \lVert W - R \rVert_F^2 / n +
    \hat\sigma^2 \lVert W \rVert_F^2 / n` (norms exact up to 1024 samples, else from 64
    random sign vectors). The smaller estimate wins; ``info.method`` says which.

    References
    ----------
    .. [1] A. Savitzky, M. J. E. Golay, Analytical Chemistry 36 (1964), 1627-1639.
    .. [2] F. van Breugel, J. N. Kutz, B. W. Brunton, "Numerical differentiation of noisy
       data: a unifying multi-objective optimization framework", IEEE Access 8 (2020).
    .. [3] G. Wahba, Spline models for observational data, SIAM (1990), ch. 4.

    Examples
    --------
    >>> import numpy as np
    >>> from gridgrad import smooth
    >>> rng = np.random.default_rng(0)
    >>> x = np.linspace(0, 2 * np.pi, 400)
    >>> y = np.sin(x) + 0.01 * rng.standard_normal(x.size)
    >>> d = smooth.derivative(y, 0, spacing=x[1] - x[0], window=81)
    >>> float(np.sqrt(np.mean((d - np.cos(x)) ** 2))) < 0.01      # plain differences: 0.45
    True

    Non-uniform samples, many series at once, the window chosen from the data:

    >>> x = np.sort(rng.uniform(0, 2 * np.pi, 300))
    >>> ys = np.sin(x) + 0.01 * rng.standard_normal((5, x.size))
    >>> d, info = smooth.derivative(ys, 1, spacing=x, method="auto", return_info=True)
    >>> d.shape, type(info.window), info.noise.shape
    ((5, 300), <class 'int'>, (5,))
    >>> bool(np.sqrt(np.mean((d - np.cos(x)) ** 2)) < 0.05)
    True

    One window per series, and the GCV spline's smoothing parameters:

    >>> d, info = smooth.derivative(ys, 1, spacing=x, method="auto", per_series=True,
    ...                             return_info=True)
    >>> info.window.shape
    (5,)
    >>> d, info = smooth.derivative(ys, 1, spacing=x, method="spline", return_info=True)
    >>> info.method, info.lam.shape
    ('spline', (5,))
    """
    method = _check_method(method)
    order = _int(order, "order", 0)
    for name, flag in (
        ("per_series", per_series),
        ("return_error", return_error),
        ("return_info", return_info),
    ):
        if not isinstance(flag, (bool, np.bool_)):
            msg = f"`{name}` must be a boolean; got {flag!r}."
            raise TypeError(msg)
    if cutoff is not None:
        try:
            c = float(cutoff)
        except (TypeError, ValueError):
            msg = f"`cutoff` must be a positive number; got {cutoff!r}."
            raise TypeError(msg) from None
        if not (math.isfinite(c) and c > 0):
            msg = f"`cutoff` must be a positive number; got {cutoff!r}."
            raise ValueError(msg)
        cutoff = c
    kind = _kind(f)
    arr = np.asarray(f) if kind == "numpy" else f
    shape = tuple(arr.shape)
    if len(shape) == 0:
        msg = "`f` must have at least one dimension; got a 0-d array."
        raise ValueError(msg)
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        msg = f"`dim` must be an integer; got {dim!r}."
        raise TypeError(msg)
    if not -len(shape) <= dim < len(shape):
        msg = f"`dim` {dim} is out of range for an array of {len(shape)} dimensions."
        raise IndexError(msg)
    axis = int(dim) % len(shape)
    n = shape[axis]
    dtype = _result_dtype(np.dtype(arr.dtype) if kind == "numpy" else _np_dtype(arr))
    x, step = _coordinates(spacing, n)

    if method == "spline":
        for name, value in (("window", window), ("degree", degree), ("cutoff", cutoff)):
            if value is not None:
                msg = f"`{name}` does not apply to method='spline' (its smoothing is chosen by GCV); got {value!r}."
                raise ValueError(msg)
        if order > 2:
            msg = f"`order` must be from 0 to 2 for method='spline'; got {order}."
            raise ValueError(msg)
        if return_error:
            msg = "`return_error` is available for method='savgol' and 'auto', not 'spline'."
            raise ValueError(msg)
        if n < 5:
            msg = f"method='spline' needs at least 5 samples along `dim`; got {n}."
            raise ValueError(msg)
        if per_series:
            msg = "`per_series` does not apply to method='spline' (always per series)."
            raise ValueError(msg)
        if kind == "dask" and return_info:
            msg = "`return_info` with method='spline' needs the data; not available for Dask arrays (compute first)."
            raise ValueError(msg)
        result, lam = run.spline(arr, kind, axis, x, order, dtype)
        return (result, SmoothInfo("spline", lam=lam)) if return_info else result

    if method == "auto" and (window is not None or degree is not None):
        msg = "method='auto' chooses `window` and `degree`; use method='savgol' to set them."
        raise ValueError(msg)
    if method == "auto":  # the degrees whose fits of degree + 2 the series can hold
        degrees = tuple(p for p in _AUTO_DEGREES if p + 3 <= n) or _AUTO_DEGREES[:1]
    else:
        degrees = (3 if degree is None else _int(degree, "degree", 0),)
    if window is not None:
        window = _int(window, "window", 1)
        _check_savgol(window, degrees[0], order, n)
        if per_series:
            msg = "`per_series` applies to a data-driven window; it does not apply with a given `window`."
            raise ValueError(msg)
    else:
        for deg in degrees:
            _check_savgol(deg + 1 + deg % 2, deg, min(order, deg), n)
        if order > max(degrees):
            _check_savgol(max(degrees) + 2, max(degrees), order, n)
        if kind == "dask" and per_series:
            msg = "`per_series=True` needs every series; not available for Dask arrays (compute first, or use the pooled choice)."
            raise ValueError(msg)
    if cutoff is not None and window is not None:
        msg = "`cutoff` chooses the window; it does not apply with a given `window`."
        raise ValueError(msg)
    if kind == "dask":
        if return_error:
            msg = "`return_error` is not available for Dask arrays yet."
            raise ValueError(msg)
        fields: dict[str, Any] = {"method": "savgol", "window": window, "degree": degrees[0]}
        if window is None:  # pooled: only the sampled series are computed
            sample = run.dask_sample_rows(arr, axis).astype(dtype, copy=False)
            spline = method == "auto" and cutoff is None
            fields.update(run.choose_pooled(sample, x, step, degrees, order, cutoff, spline))
        if fields["method"] == "spline":
            result = run.spline(arr, kind, axis, x, order, dtype, fields["lam"])[0]
        else:
            result = run.savgol_dask(
                arr,
                axis,
                x,
                step,
                fields["window"],
                fields["degree"],
                order,
                dtype,
                fields.get("edges"),
            )
        return (result, SmoothInfo(**fields)) if return_info else result
    if kind == "xp" and run.has_gaps(arr, kind):
        if getattr(arr, "requires_grad", False):
            msg = "`f` has NaN samples (gaps), which are fitted on the host, and requires grad: fill or drop the gaps first."
            raise ValueError(msg)
        from array_api_compat import array_namespace, device

        xp, dev = array_namespace(arr), device(arr)
        res = derivative(
            run.host(arr),
            axis,
            spacing=x if step is None else step,
            method=method,
            order=order,
            window=window,
            degree=degree,
            cutoff=cutoff,
            per_series=per_series,
            return_error=return_error,
            return_info=return_info,
        )
        items = list(res) if isinstance(res, tuple) else [res]
        items = [
            xp.asarray(np.ascontiguousarray(r), device=dev) if isinstance(r, np.ndarray) else r
            for r in items
        ]
        return items[0] if len(items) == 1 else tuple(items)
    # the spline competes in a pooled choice without cutoff and error estimate, where it
    # does not cut autograd (it runs on the host)
    spline = (
        method == "auto"
        and cutoff is None
        and not (per_series or return_error or getattr(arr, "requires_grad", False))
    )
    results, fields = run.savgol(
        arr,
        kind,
        axis,
        x,
        step,
        window,
        degrees,
        order,
        cutoff,
        dtype,
        return_error,
        per_series,
        spline,
    )
    if return_info:
        results.append(SmoothInfo(**fields))
    return results[0] if len(results) == 1 else tuple(results)


def _np_dtype(a: Any) -> np.dtype:
    """The NumPy dtype of a foreign array's dtype (torch.float32 -> float32, ...)."""
    try:
        return np.dtype(a.dtype)
    except TypeError:
        return np.dtype(str(a.dtype).rsplit(".", 1)[-1])


# --------------------------------------------------------------------------- xarray


def differentiate(
    obj: Any,
    dim: Any,
    *,
    method: str = "savgol",
    order: int = 1,
    window: int | None = None,
    degree: int | None = None,
    cutoff: float | None = None,
    per_series: bool = False,
    datetime_unit: str | None = None,
    return_info: bool = False,
) -> Any:
    r""":func:`derivative` of an xarray DataArray (or each variable of a Dataset) along a
    named dim, the samples' coordinates taken from the object.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
        NumPy- or dask-backed (dask stays lazy; a data-driven window computes only the
        series it is chosen on). Dataset variables without ``dim`` are kept as they are.
    dim : str
        The dim to differentiate along; its coordinate (numeric, datetime64 or
        timedelta64) gives the sample positions, unit steps without one.
    method, order, window, degree, cutoff, per_series
        As :func:`derivative` (``cutoff`` in cycles per unit of the coordinate).
    datetime_unit : str, optional
        Unit of datetime64/timedelta64 coordinates ("s" by default, as the functions of
        :mod:`gridgrad.xarray`; xarray's ``differentiate`` uses the coordinate's unit).
    return_info : bool, optional
        Also return the :class:`SmoothInfo` (DataArray only).

    Returns
    -------
    xarray.DataArray or xarray.Dataset, or (DataArray, SmoothInfo)
        Same dims, coords and name; ``attrs["units"]`` is ``"<units> / <coord units>^n"``
        when both are known.

    Raises
    ------
    ValueError
        ``dim`` is not a dimension of ``obj``, or bad options (as :func:`derivative`).
    TypeError
        ``obj`` is not an xarray object, or a coordinate that is neither numeric nor a time.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from gridgrad import smooth
    >>> t = np.linspace(0.0, 10.0, 201)
    >>> rng = np.random.default_rng(1)
    >>> v = xr.DataArray(np.sin(t) + 0.01 * rng.standard_normal(t.size), dims="t",
    ...                  coords={"t": t}, name="v", attrs={"units": "m"})
    >>> v["t"].attrs["units"] = "s"
    >>> a = smooth.differentiate(v, "t", window=31)
    >>> a.attrs["units"], bool(abs(a - np.cos(t)).mean() < 0.01)
    ('m / s', True)
    """
    import xarray as xr

    if isinstance(obj, xr.Dataset):
        if return_info:
            msg = "`return_info` is available for a DataArray, not a Dataset."
            raise ValueError(msg)
        if dim not in obj.dims:
            msg = (
                f"`dim` {dim!r} is not a dimension of the Dataset; its dims are {tuple(obj.dims)}."
            )
            raise ValueError(msg)

        def one(v: Any) -> Any:
            if dim not in v.dims:
                return v
            return differentiate(
                v,
                dim,
                method=method,
                order=order,
                window=window,
                degree=degree,
                cutoff=cutoff,
                per_series=per_series,
                datetime_unit=datetime_unit,
            )

        return obj.map(one, keep_attrs=True)
    if not isinstance(obj, xr.DataArray):
        msg = f"`obj` must be an xarray DataArray or Dataset; got {type(obj).__name__}."
        raise TypeError(msg)
    if dim not in obj.dims:
        msg = f"`dim` {dim!r} is not a dimension of the DataArray; its dims are {tuple(obj.dims)}."
        raise ValueError(msg)
    spacing: Any = None
    cunits = None
    if dim in obj.coords:
        coord = obj.coords[dim]
        values = np.asarray(coord.values)
        cunits = coord.attrs.get("units")
        if values.dtype.kind in "mM":
            unit = datetime_unit or "s"
            origin = values[0] if values.dtype.kind == "M" else np.timedelta64(0)
            values = (values - origin) / np.timedelta64(1, unit)  # type: ignore[call-overload]
            cunits = unit
        elif values.dtype.kind not in "iuf":
            msg = f"the coordinate {dim!r} must be numeric, datetime64 or timedelta64; got dtype {values.dtype}."
            raise TypeError(msg)
        spacing = values.astype(np.float64)
    res = derivative(
        obj.data,
        obj.get_axis_num(dim),
        spacing=spacing,
        method=method,
        order=order,
        window=window,
        degree=degree,
        cutoff=cutoff,
        per_series=per_series,
        return_info=return_info,
    )
    data, info = res if return_info else (res, None)
    out = obj.copy(data=data)
    out.encoding = {}
    out.attrs = {
        k: v for k, v in obj.attrs.items() if k not in ("units", "long_name", "standard_name")
    }
    units = obj.attrs.get("units")
    if units is not None and cunits is not None and order > 0:
        out.attrs["units"] = f"{units} / {cunits}" + (f"^{order}" if order > 1 else "")
    elif units is not None and order == 0:
        out.attrs["units"] = units
    return (out, info) if return_info else out
