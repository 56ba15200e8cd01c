"""Cubic smoothing splines with the smoothing chosen by generalized cross-validation.

scipy's ``make_smoothing_spline`` (imported here, on first use) fits every series of a batch
at once, each with its own GCV parameter (scipy >= 1.16 loops ``minimize_scalar`` over the
columns: the same spline and parameter as a 1-D call on each series alone); series with NaN
gaps are fitted on their finite samples, grouped by gap pattern. scipy does not return the
parameter; it is read back from the fit (:func:`_lam`).

scipy searches the parameter on ``(0, n)`` by bounded Brent with its default absolute
tolerance ``xatol=1e-5``, so values below about 1e-5 (in the units of ``x``; the parameter
scales with the cube of the coordinate unit) are not resolved: series of similar shape and
noise then get the same parameter to every digit. That is scipy's choice for each series,
kept as is (the contract is scipy's spline).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["spline_derivative"]


def _scipy() -> Any:
    try:
        from scipy.interpolate import make_smoothing_spline
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = "method='spline' needs scipy: pip install 'gridgrad[smooth]'."
        raise ImportError(msg) from exc
    return make_smoothing_spline


def _lam(x: np.ndarray, y: np.ndarray, g: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    r"""The smoothing parameter of fitted cubic smoothing splines, per column.

    The minimizer of :math:`\sum_i (y_i - g(x_i))^2 + \lambda \int g''^2` satisfies
    :math:`y - g = \lambda Q \gamma` (Green & Silverman 1994, thm. 2.1), with :math:`\gamma`
    the second derivatives at the interior samples and :math:`Q` the tridiagonal
    (n, n - 2) matrix of divided differences; :math:`\lambda` is the least-squares ratio.
    ``y``, ``g`` (values) and ``gamma`` (second derivatives) are (n, m) at ``x``.
    """
    h = np.diff(x)[:, None]
    inner = gamma[1:-1]
    q = np.zeros_like(y)
    q[:-2] += inner / h[:-1]
    q[1:-1] -= (1.0 / h[:-1] + 1.0 / h[1:]) * inner
    q[2:] += inner / h[1:]
    denom = (q * q).sum(axis=0)
    num = ((y - g) * q).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, num / denom, np.inf)  # a straight line: no curvature


def _fit(
    x: np.ndarray, y: np.ndarray, order: int, lam: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Derivatives at ``x`` of the splines of the columns of ``y`` (n, m), x ascending,
    and their smoothing parameters (m,): chosen by GCV, or ``lam`` for all."""
    make = _scipy()
    if lam is not None:
        spline = make(x, y, lam=lam)
        return (spline.derivative(order)(x) if order else spline(x)), np.full(y.shape[1], lam)
    spline = make(x, y)
    lam_ = _lam(x, y, spline(x), spline.derivative(2)(x))
    return (spline.derivative(order)(x) if order else spline(x)), lam_


def spline_derivative(
    f2: np.ndarray, x: np.ndarray, order: int, min_samples: int, lam: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``f2`` (m series, n samples) float64 -> the ``order``-th derivative of each series
    and its smoothing parameter (m,), NaN where a series was not fitted.

    ``x`` are the coordinates (strictly monotonic). Series with NaN samples are fitted
    on their finite samples; the NaN positions stay NaN, and a series with fewer than
    ``min_samples`` finite samples gives NaN throughout. The smoothing is chosen per
    series by GCV, or ``lam`` for every series.
    """
    m, n = f2.shape
    flip = x[0] > x[-1]
    if flip:
        x, f2 = x[::-1], f2[:, ::-1]
    out = np.full((m, n), np.nan)
    lams = np.full(m, np.nan)
    finite = np.isfinite(f2)
    full = finite.all(axis=1)
    if full.any():
        d, lams[full] = _fit(x, f2[full].T, order, lam)
        out[full] = d.T
    gappy = np.flatnonzero(~full)
    if gappy.size:
        keys, inverse = np.unique(np.packbits(finite[gappy], axis=1), axis=0, return_inverse=True)
        for k in range(keys.shape[0]):
            rows = gappy[inverse.ravel() == k]
            mask = finite[rows[0]]
            if mask.sum() < min_samples:
                continue
            sub, lams[rows] = _fit(x[mask], f2[np.ix_(rows, np.flatnonzero(mask))].T, order, lam)
            out[np.ix_(rows, np.flatnonzero(mask))] = sub.T
    return (out[:, ::-1] if flip else out), lams


def operator(x: np.ndarray, order: int, lam: float) -> Any:
    """``z (k, n) -> `` the ``order``-th derivatives at ``x`` of the splines with smoothing
    ``lam`` through the rows of ``z`` (a linear map of the rows)."""

    def apply(z: np.ndarray) -> np.ndarray:
        return spline_derivative(z, x, order, 5, lam)[0]

    return apply
