"""Cubic smoothing splines with the smoothing chosen by generalized cross-validation.

scipy's ``make_smoothing_spline`` (imported here, on first use) fits every series of a batch
at once, each with its own GCV parameter; series with NaN gaps are fitted on their finite
samples, grouped by gap pattern.
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


def _fit(x: np.ndarray, y: np.ndarray, order: int) -> np.ndarray:
    """Derivatives at ``x`` of the GCV splines of the columns of ``y`` (n, m); x ascending."""
    make = _scipy()
    spline = make(x, y)
    return spline.derivative(order)(x) if order else spline(x)


def spline_derivative(f2: np.ndarray, x: np.ndarray, order: int, min_samples: int) -> np.ndarray:
    """``f2`` (m series, n samples) float64 -> the ``order``-th derivative of each series.

    ``x`` are the coordinates (strictly monotonic). Series with NaN samples are fitted
    on their finite samples; the NaN positions stay NaN, and a series with fewer than
    ``min_samples`` finite samples gives NaN throughout.
    """
    m, n = f2.shape
    flip = x[0] > x[-1]
    if flip:
        x, f2 = x[::-1], f2[:, ::-1]
    out = np.full((m, n), np.nan)
    finite = np.isfinite(f2)
    full = finite.all(axis=1)
    if full.any():
        out[full] = _fit(x, f2[full].T, order).T
    gappy = np.flatnonzero(~full)
    if gappy.size:
        keys, inverse = np.unique(np.packbits(finite[gappy], axis=1), axis=0, return_inverse=True)
        for k in range(keys.shape[0]):
            rows = gappy[inverse.ravel() == k]
            mask = finite[rows[0]]
            if mask.sum() < min_samples:
                continue
            sub = _fit(x[mask], f2[np.ix_(rows, np.flatnonzero(mask))].T, order).T
            out[np.ix_(rows, np.flatnonzero(mask))] = sub
    return out[:, ::-1] if flip else out
