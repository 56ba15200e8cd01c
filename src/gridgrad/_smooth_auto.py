"""Parameters of the smoothing methods chosen from the data.

Without a cutoff frequency, Savitzky–Golay windows and degrees are chosen (per series, or
pooled over a sample of the series) by an estimate of the mean squared error of the derivative
(:func:`choose_mse`): the noise part is exact for a linear filter, ``sigma**2 * ||w_i||**2``
with ``sigma`` estimated from each sample's distance to the cubic through its four nearest
neighbours (:func:`noise_sigma`); the bias part is estimated by comparing the fit of degree
``p`` with the fit of degree ``p + 2`` on the same window (the a-posteriori error estimate of the finite-difference
stencils, ``|D_p - D_{p+2}|``), its noise part subtracted (known from the weights), and made
non-decreasing in the window (a wider window of the same degree is never less biased; this
keeps windows near the whole series, where both fits are equally poor, from looking good).
A pooled choice then chooses again for each end of the series (:func:`choose_edges`).

With a cutoff frequency, windows are chosen per series by the loss of van Breugel, Kutz and Brunton
(pynumdiff's optimizer without ground truth)::

    L(window) = RMSE(integral of the derivative + c, samples) + gamma * TV(derivative)

with ``gamma = exp(-5.1) * cutoff**-1.6 * dt**-0.71`` (their published heuristic, ``cutoff``
in cycles per unit of the coordinate, ``dt`` the mean step).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "EDGE_ROWS",
    "EDGE_Z",
    "POOL_ROWS",
    "candidate_windows",
    "choose",
    "choose_edges",
    "choose_mse",
    "gamma",
    "linear_mse",
    "loss",
    "noise_sigma",
    "pool_rows",
]


def candidate_windows(n: int, degree: int) -> list[int]:
    """Odd windows from the smallest that fits ``degree`` to ``n`` (or ``n - 1``), about
    geometrically spaced (ratio 1.25)."""
    lo = degree + 2
    lo += 1 - lo % 2
    hi = n if n % 2 else n - 1
    out: list[int] = []
    w = float(lo)
    while True:
        k = round(w)
        k += 1 - k % 2
        if k > hi:
            break
        if not out or k > out[-1]:
            out.append(k)
        w *= 1.25
    if not out:
        out.append(hi)
    return out


def gamma(cutoff: np.ndarray, dt: float) -> np.ndarray:
    """The published regularization weight (van Breugel et al. 2020, eq. 9)."""
    return np.exp(-5.1) * np.asarray(cutoff, dtype=np.float64) ** -1.6 * dt**-0.71


def _cumtrapz(d: np.ndarray, x: np.ndarray) -> np.ndarray:
    steps = np.diff(x)
    inc = 0.5 * (d[:, 1:] + d[:, :-1]) * steps
    out = np.zeros_like(d)
    np.cumsum(inc, axis=1, out=out[:, 1:])
    return out


def loss(y: np.ndarray, d: np.ndarray, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Per series: RMSE of the re-integrated derivative + gamma * TV of the derivative."""
    rec = _cumtrapz(d, x)
    r = y - rec
    r -= r.mean(axis=1, keepdims=True)
    rmse = np.sqrt(np.mean(r * r, axis=1))
    tv = np.abs(np.diff(d, axis=1)).sum(axis=1) / d.shape[1]
    return rmse + g * tv


def noise_sigma(y: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
    r"""Per series: a robust estimate of white-noise standard deviation.

    Each sample less the cubic through its four nearest neighbours (two on each side, at
    coordinates ``x``; evenly spaced without), :math:`r_i = y_i - \sum_j c_{ij} y_j` with
    :math:`c_{ij}` the Lagrange weights of the neighbours at :math:`x_i`, carries noise
    variance :math:`\sigma^2 (1 + \sum_j c_{ij}^2)` and no polynomial term up to degree
    3 on any spacing (a difference-based estimator, Hall, Kay & Titterington 1990: the
    signal leaks in only through its fourth derivative, so curved, fast signals do not
    pass for noise); :math:`\sigma` is the MAD of the normalized residuals. Series of
    fewer than 5 samples use the straight line through the two neighbours.
    """
    if np.iscomplexobj(y):  # independent noise in both parts: sigma^2 = re^2 + im^2
        return np.hypot(noise_sigma(y.real, x), noise_sigma(y.imag, x))
    n = y.shape[1]
    if x is None or n < 3:
        x = np.arange(n, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    reach = 2 if n >= 5 else 1
    centre = x[reach : n - reach]
    offsets = [k for k in range(-reach, reach + 1) if k]
    nodes = [x[reach + k : n - reach + k] for k in offsets]
    r = y[:, reach : n - reach].copy()
    norm = np.ones_like(centre)
    for j, k in enumerate(offsets):
        c = np.ones_like(centre)
        for i, other in enumerate(nodes):
            if i != j:
                c *= (centre - other) / (nodes[j] - other)
        r -= c * y[:, reach + k : n - reach + k]
        norm += c * c
    r /= np.sqrt(norm)
    mad = np.median(np.abs(r - np.median(r, axis=1, keepdims=True)), axis=1)
    return mad / 0.6745


def choose(
    y: np.ndarray,
    x: np.ndarray,
    windows: list[int],
    first_derivative: Callable[[int], np.ndarray],
    g: np.ndarray,
    pool: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Per series: the index into ``windows`` of the smallest loss, and that loss (with
    ``pool``, of the smallest mean loss over the series, the same for all)."""
    best = np.full(y.shape[0], np.inf)
    pick = np.zeros(y.shape[0], dtype=np.int64)
    for k, w in enumerate(windows):
        value = loss(y, first_derivative(w), x, g)
        value = np.where(np.isfinite(value), value, np.inf)
        if pool:
            value = np.full(y.shape[0], value.mean())
        better = value < best
        best = np.where(better, value, best)
        pick = np.where(better, k, pick)
    return pick, best


SIGNIFICANCE = 10.0
#: the bias of the fit of degree p is estimated against the fit of degree p + REF_DEGREE
REF_DEGREE = 2
#: a pooled choice looks at this many series at most, evenly spaced through the batch
POOL_ROWS = 32


def pool_rows(m: int) -> np.ndarray:
    """The rows a pooled choice looks at: all of them up to ``POOL_ROWS``, else
    ``POOL_ROWS`` evenly spaced ones (first and last included)."""
    if m <= POOL_ROWS:
        return np.arange(m)
    return np.unique(np.linspace(0, m - 1, POOL_ROWS).round().astype(np.int64))


def choose_mse(
    y: np.ndarray,
    x: np.ndarray,
    degrees: tuple[int, ...],
    max_window: int,
    fit: Callable[[int, int], tuple[np.ndarray, np.ndarray]],
    pool: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per series (rows of ``y``): the (window, degree) of the smallest estimated mean
    squared error of the derivative, that estimate, and the noise estimate.

    ``fit(window, degree)`` gives (weights table (n, window), derivatives (m, n)); ``x``
    are the coordinates. With ``pool``, one (window, degree) for all rows: the estimate
    is the mean over the rows (their total squared error), and so is the bias floor, with
    its significance margin the standard error of that mean (``1/sqrt(m)`` of one row's);
    every row gets the same window, degree and pooled estimate.
    """
    m, n = y.shape
    sigma2 = noise_sigma(y, x) ** 2
    best = np.full(m, np.inf)
    window = np.zeros(m, dtype=np.int64)
    degree = np.zeros(m, dtype=np.int64)
    cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def get(w: int, p: int) -> tuple[np.ndarray, np.ndarray]:
        if (w, p) not in cache:
            cache[(w, p)] = fit(w, p)
        return cache[(w, p)]

    for p in degrees:
        bias2 = np.zeros(m)
        q = p + REF_DEGREE
        for w in candidate_windows(n, q):
            if w > max_window or w <= q:  # the degree q fit needs q + 1 samples
                break
            tp, dp = get(w, p)
            tq, dq = get(w, q)
            var = float((tp * tp).sum(axis=1).mean())
            dvar = float(((tp - tq) ** 2).sum(axis=1).mean())
            raw = np.mean(np.abs(dp - dq) ** 2, axis=1) - sigma2 * dvar
            # the bias of a wider window is at least what was significant at a narrower one
            spread = SIGNIFICANCE * sigma2 * dvar * np.sqrt(2.0 * w / n)
            noise2 = sigma2 * var
            if pool:  # the mean over the rows; its spread that of a mean of m rows
                raw = np.full(m, raw.mean())
                spread = np.full(m, spread.mean() / np.sqrt(m))
                noise2 = np.full(m, noise2.mean())
            mse = np.maximum(raw, bias2) + noise2
            bias2 = np.maximum(bias2, raw - spread)
            mse = np.where(np.isfinite(mse), mse, np.inf)
            better = mse < best
            best = np.where(better, mse, best)
            window = np.where(better, w, window)
            degree = np.where(better, p, degree)
        for key in [k for k in cache if k[1] <= p]:
            del cache[key]
    return window, degree, best, np.sqrt(sigma2)


#: an end gets its own (window, degree) when the estimated saving exceeds this many of
#: its standard errors
EDGE_Z = 2.0
#: the fewest series that give an end its own choice (a standard error needs several)
EDGE_ROWS = 8


def choose_edges(
    y: np.ndarray,
    degrees: tuple[int, ...],
    window: int,
    degree: int,
    fit: Callable[[int, int], tuple[np.ndarray, np.ndarray]],
    sigma2: np.ndarray,
) -> tuple[tuple[int, int], tuple[int, int], float]:
    r"""The (window, degree) for each end of the series, pooled over the rows of ``y``, and
    the estimated saving in the mean squared error (per sample) over using ``(window,
    degree)`` there too.

    The ends are the ``window // 2`` samples at either end, where the fit of ``(window,
    degree)`` is evaluated off the centre of its (shifted) window: its noise and bias are
    larger there and grow differently with the window than in the interior, so each end
    may get its own choice (a boundary bandwidth; Rice 1984, Fan & Gijbels 1996) among
    the windows no wider than ``window``, by the same estimate as :func:`choose_mse`
    summed over the end's samples: per sample the noise part ``sigma**2 * ||w_i||**2``,
    the bias part ``|D_p - D_{p+2}|**2`` less its noise part. An end's few samples make
    that estimate noisy, so each series gives its own estimate of the saving over
    ``(window, degree)``; a candidate replaces it only where the mean saving less
    ``EDGE_Z`` standard errors of that mean is positive (the largest such bound wins).
    The standard error is the larger of the spread between the series and the spread
    the noise alone gives a series' estimate, exact for Gaussian noise: the estimate's
    random part is a quadratic form :math:`e^T Q e`, :math:`Q = A^T A - B^T B` (``A``,
    ``B`` the end's rows of ``D_p - D_{p+2}`` of the two candidates), of variance
    :math:`2 \sigma^4 \lVert Q \rVert_F^2` -- the spread between a few series can
    come out small by chance where the stencils amplify noise most (high degrees on short
    shifted windows). With fewer than ``EDGE_ROWS`` series, the ends keep ``(window,
    degree)``.
    """
    m, n = y.shape
    half = window // 2
    keep = ((window, degree), (window, degree), 0.0)
    if half == 0 or m < EDGE_ROWS:
        return keep
    ends = (slice(0, half), slice(n - half, n))
    s2 = np.asarray(sigma2, dtype=np.float64)[:, None]
    cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def get(w: int, p: int) -> tuple[np.ndarray, np.ndarray]:
        if (w, p) not in cache:
            cache[(w, p)] = fit(w, p)
        return cache[(w, p)]

    def per_row(w: int, p: int) -> list[np.ndarray]:
        """Per end, per series: the estimated squared error of (w, p) summed over the end."""
        tp, dp = get(w, p)
        tq, dq = get(w, p + REF_DEGREE)
        est = np.abs(dp - dq) ** 2 - s2 * ((tp - tq) ** 2).sum(axis=1) + s2 * (tp * tp).sum(axis=1)
        return [est[:, end].sum(axis=1) for end in ends]

    def operator(w: int, p: int, k: int) -> np.ndarray:
        """End ``k``'s rows of ``D_p - D_{p+2}`` of (w, p) as a dense operator on the
        ``window + half`` samples nearest that end (all its windows lie there)."""
        tp, tq = get(w, p)[0], get(w, p + REF_DEGREE)[0]
        width = min(window + half, n)
        starts = np.clip(np.arange(n) - w // 2, 0, n - w)[ends[k]]  # shifted windows
        if k == 1:
            starts = starts - (n - width)
        op = np.zeros((half, width))
        op[np.arange(half)[:, None], starts[:, None] + np.arange(w)] = (tp - tq)[ends[k]]
        return op

    def fro2(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.sum((a @ b.T) ** 2))

    current = per_row(window, degree)
    cur_ops = [operator(window, degree, k) for k in range(2)]
    s4 = float(np.mean(sigma2)) ** 2
    best = [(0.0, window, degree, 0.0), (0.0, window, degree, 0.0)]
    for p in degrees:
        q = p + REF_DEGREE
        for w in candidate_windows(n, q):
            if w > window or w <= q:
                break
            if (w, p) == (window, degree):
                continue
            for k, est in enumerate(per_row(w, p)):
                gain = current[k] - est
                mean = float(np.mean(gain))
                bound = mean - EDGE_Z * np.sqrt(float(np.var(gain, ddof=1)) / m)
                if not (np.isfinite(bound) and bound > best[k][0]):
                    continue  # the exact noise spread can only lower the bound further
                a, b = cur_ops[k], operator(w, p, k)
                noise_var = 2.0 * s4 * max(fro2(a, a) + fro2(b, b) - 2.0 * fro2(a, b), 0.0)
                bound = min(bound, mean - EDGE_Z * np.sqrt(noise_var / m))
                if bound > best[k][0]:
                    best[k] = (bound, w, p, mean)
        for key in [k for k in cache if k[1] <= p and k != (window, degree)]:
            del cache[key]
    (_, wl, pl, gl), (_, wr, pr, gr) = best
    return (wl, pl), (wr, pr), (gl + gr) / n


#: up to this many samples, linear_mse computes the norms of the operators exactly
EXACT_NORMS = 1024


def linear_mse(
    d: np.ndarray,
    apply: Callable[[np.ndarray], np.ndarray],
    ref: np.ndarray,
    apply_ref: Callable[[np.ndarray], np.ndarray],
    sigma2: np.ndarray,
    probes: int = 64,
) -> float:
    """The pooled estimated mean squared error of any linear derivative ``d = W y`` (rows
    of ``y``), against a reference ``ref = R y`` of small bias: the bias part
    ``mean ||(W - R) y||^2 - sigma^2 ||W - R||_F^2 / n`` (at least 0), plus the noise part
    ``sigma^2 ||W||_F^2 / n``. The Frobenius norms are exact (``W`` on the unit vectors)
    up to ``EXACT_NORMS`` samples, else estimated with ``probes`` random sign vectors (a
    fixed seed, so that the choice repeats); ``apply(z)`` is ``W`` on the rows of ``z``.
    """
    n = d.shape[1]
    if n <= EXACT_NORMS:
        z, weight = np.eye(n), 1.0 / n  # sum over unit vectors: ||W||_F^2
    else:  # E ||W z||^2 = ||W||_F^2 for random signs
        z = np.random.default_rng(0).choice((-1.0, 1.0), size=(probes, n))
        weight = 1.0 / (n * probes)
    wz = apply(z)
    fro_w = float(np.sum(wz * wz)) * weight
    fro_diff = float(np.sum((wz - apply_ref(z)) ** 2)) * weight
    s2 = float(np.mean(sigma2))
    bias2 = max(float(np.mean((d - ref) ** 2)) - s2 * fro_diff, 0.0)
    return bias2 + s2 * fro_w
