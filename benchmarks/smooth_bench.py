"""Derivatives of noisy samples: speed and accuracy of gridgrad.smooth (issue 16).

    python benchmarks/smooth_bench.py            # speed table + accuracy table
    python benchmarks/smooth_bench.py --speed    # speed only
    python benchmarks/smooth_bench.py --pynumdiff-methods savgoldiff,splinediff,butterdiff,rtsdiff

Speed: a (10000, 1000) float64 array, Savitzky–Golay along dim 1, degree 3, windows 11 and
51: gridgrad on evenly spaced samples against one ``scipy.signal.savgol_filter(...,
axis=1, mode="interp")`` call (best of 5), and gridgrad on non-uniform samples (where scipy
has nothing).

Accuracy: RMSE of the first derivative (every point, edges included) on pynumdiff's test
signals (tests/smooth_signals.py: sine, triangle, Lorenz x, population dynamics; noise 1%, 5%,
10% of the clean signal's standard deviation; 20 series each), for plain central
differences, ``smooth.derivative(method="auto")`` (nothing tuned) on the even samples and on
irregular samples of the same signals, the GCV spline, and -- when pynumdiff is installed --
pynumdiff's methods tuned by its own optimizer with the true derivative (on the first series;
the tuned parameters then run on all 20), the best of them per row.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import gridgrad
import smooth_signals as signals
from gridgrad import smooth


def _best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def speed() -> None:
    from scipy.signal import savgol_filter

    rng = np.random.default_rng(0)
    f = rng.standard_normal((10_000, 1_000))
    x = np.cumsum(rng.uniform(0.5, 1.5, 1_000))
    smooth.derivative(f[:2], 1, window=11)  # compile the kernels
    print("Savitzky–Golay, (10000, 1000) float64 along dim 1, degree 3, first derivative")
    print(
        f"{'window':>6}  {'scipy interp':>12}  {'gridgrad':>9}  {'ratio':>6}  {'non-uniform':>11}  {'ratio':>6}"
    )
    for window in (11, 51):
        t_scipy = _best(lambda w=window: savgol_filter(f, w, 3, deriv=1, axis=1, mode="interp"))
        t_ours = _best(lambda w=window: smooth.derivative(f, 1, window=w, degree=3))
        t_non = _best(lambda w=window: smooth.derivative(f, 1, spacing=x, window=w, degree=3))
        print(
            f"{window:>6}  {t_scipy:>11.3f}s  {t_ours:>8.3f}s  {t_ours / t_scipy:>5.2f}x"
            f"  {t_non:>10.3f}s  {t_non / t_scipy:>5.2f}x"
        )
    import numba

    print(f"(gridgrad threads: {numba.get_num_threads()}; scipy: one thread)")


def _rmse(d, v) -> float:
    return float(np.sqrt(np.mean((np.asarray(d) - v) ** 2)))


def _pynumdiff_methods(names: list[str]):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pynumdiff  # noqa: F401
        from pynumdiff import kalman_smooth, polynomial_fit, smooth_finite_difference
    table = {
        "savgoldiff": polynomial_fit.savgoldiff,
        "splinediff": polynomial_fit.splinediff,
        "polydiff": polynomial_fit.polydiff,
        "butterdiff": smooth_finite_difference.butterdiff,
        "kerneldiff": smooth_finite_difference.kerneldiff,
        "rtsdiff": kalman_smooth.rtsdiff,
    }
    return {n: table[n] for n in names}


def _pynumdiff_best(y, v, dt, methods) -> tuple[float, str]:
    from pynumdiff.optimize import optimize

    best = (np.inf, "")
    for name, func in methods.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params, _ = optimize(func, y[0], dt, dxdt_truth=v, parallel=False)
            est = np.stack([func(row, dt, **params)[1] for row in y])
        best = min(best, (_rmse(est, v), f"{name}"))
    return best


def accuracy(series: int, methods: list[str], spline: bool) -> None:
    try:
        chosen = _pynumdiff_methods(methods) if methods else {}
    except ImportError:
        chosen = {}
        print("(pynumdiff not installed: its columns are left out)")
    head = f"{'signal':>9} {'noise':>5}  {'gradient':>8}  {'auto':>7}  {'auto irr.':>9}"
    head += f"  {'spline':>7}" if spline else ""
    head += f"  {'pynumdiff best (tuned on truth)':>30}  {'auto/best':>9}" if chosen else ""
    print(f"\nRMSE of the derivative, {series} series per row, edges included")
    print(head)
    ratios = []
    for name in signals.SIGNALS:
        for noise in (0.01, 0.05, 0.1):
            t, y, v = signals.signal(name, noise, series)
            (plain,) = gridgrad.gradient(y, spacing=(t,), dim=1)
            auto = _rmse(smooth.derivative(y, 1, spacing=t, method="auto"), v)
            ti, yi, vi = signals.signal(name, noise, series, irregular=True)
            irr = _rmse(smooth.derivative(yi, 1, spacing=ti, method="auto"), vi)
            row = f"{name:>9} {noise:>5.2f}  {_rmse(plain, v):>8.3f}  {auto:>7.3f}  {irr:>9.3f}"
            if spline:
                row += f"  {_rmse(smooth.derivative(y, 1, spacing=t, method='spline'), v):>7.3f}"
            if chosen:
                best, which = _pynumdiff_best(y, v, signals.DT, chosen)
                ratios.append(auto / best)
                row += f"  {best:>19.3f} {which:>10}  {auto / best:>8.2f}x"
            print(row, flush=True)
    if ratios:
        print(f"auto / pynumdiff best: median {np.median(ratios):.2f}x, max {max(ratios):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed", action="store_true", help="the speed table only")
    parser.add_argument("--accuracy", action="store_true", help="the accuracy table only")
    parser.add_argument("--series", type=int, default=20)
    parser.add_argument("--no-spline", action="store_true", help="leave out the GCV spline column")
    parser.add_argument(
        "--pynumdiff-methods",
        default="savgoldiff,splinediff,butterdiff",
        help="pynumdiff methods to tune (comma-separated; '' for none; rtsdiff is slow)",
    )
    args = parser.parse_args()
    if not args.accuracy:
        speed()
    if not args.speed:
        methods = [m for m in args.pynumdiff_methods.split(",") if m]
        accuracy(args.series, methods, not args.no_spline)


if __name__ == "__main__":
    main()
