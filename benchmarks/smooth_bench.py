"""Derivatives of noisy samples: speed and accuracy of gridgrad.smooth (issue 16).

    python benchmarks/smooth_bench.py            # speed table + accuracy table
    python benchmarks/smooth_bench.py --speed    # speed only
    python benchmarks/smooth_bench.py --pynumdiff-methods savgoldiff,splinediff,butterdiff,rtsdiff
    python benchmarks/smooth_bench.py --refresh-pynumdiff   # re-run pynumdiff's optimizer
    python benchmarks/smooth_bench.py --held-out   # auto on cases the targets do not use

pynumdiff's optimizer takes minutes per table, so its results (tuned parameters and RMSE per
row and method) are cached in benchmarks/smooth_pynumdiff_cache.json, computed by this script
(``--refresh-pynumdiff``) and read back by it when the signals, series count and methods match.
The cache holds pynumdiff's numbers only; every gridgrad column is computed on each run.

Speed: a (10000, 1000) float64 array, Savitzky–Golay along dim 1, degree 3, windows 11 and
51: gridgrad on evenly spaced samples against one ``scipy.signal.savgol_filter(...,
axis=1, mode="interp")`` call (best of 5), and gridgrad on non-uniform samples (where scipy
has nothing); then ``method="auto"`` on a (1000, 1000) array (its choice looks at 32 of the
1000 series).

Accuracy: RMSE of the first derivative (every point, edges included) on pynumdiff's test
signals (tests/smooth_signals.py: sine, triangle, Lorenz x, population dynamics; noise 1%, 5%,
10% of the clean signal's standard deviation; 20 series each), for plain central
differences, ``smooth.derivative(method="auto")`` (nothing tuned) on the even samples and on
irregular samples of the same signals (and their ratio), the GCV spline, and -- when pynumdiff is installed --
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
    g = np.sin(np.linspace(0, 20, 1_000)) + 0.05 * rng.standard_normal((1_000, 1_000))
    t_auto = _best(lambda: smooth.derivative(g, 1, method="auto"), repeat=2)
    print(f"method='auto', (1000, 1000) along dim 1 (pooled choice on 32 series): {t_auto:.2f}s")


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


CACHE = Path(__file__).with_name("smooth_pynumdiff_cache.json")


def _pynumdiff_run(y, v, dt, methods) -> dict:
    """pynumdiff's optimizer per method (tuned on the first series with the true
    derivative), then the tuned parameters on every series: {method: {params, rmse}}."""
    from pynumdiff.optimize import optimize

    out = {}
    for name, func in methods.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params, _ = optimize(func, y[0], dt, dxdt_truth=v, parallel=False)
            est = np.stack([func(row, dt, **params)[1] for row in y])
        out[name] = {"params": {k: float(p) for k, p in params.items()}, "rmse": _rmse(est, v)}
    return out


def _cache_key(series: int) -> str:
    import hashlib

    _, y, v = signals.signal("lorenz_x", 0.05, series)
    return hashlib.sha256(np.ascontiguousarray(np.c_[y.T, v]).tobytes()).hexdigest()[:16]


def _pynumdiff_table(series: int, names: list[str], refresh: bool) -> dict:
    """{"signal noise": {method: {params, rmse}}} from the cache, computing what is missing
    (all of it with ``refresh``) and writing it back."""
    import json

    key = f"{_cache_key(series)}/{series}"
    cache = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    table = {} if refresh else cache.get(key, {})
    missing = [
        (name, noise)
        for name in signals.SIGNALS
        for noise in (0.01, 0.05, 0.1)
        if not set(names) <= set(table.get(f"{name} {noise}", {}))
    ]
    if missing:
        methods = _pynumdiff_methods(names)
        for name, noise in missing:
            _, y, v = signals.signal(name, noise, series)
            row = table.setdefault(f"{name} {noise}", {})
            todo = {m: f for m, f in methods.items() if m not in row}
            row.update(_pynumdiff_run(y, v, signals.DT, todo))
            print(f"(pynumdiff tuned: {name} {noise})", flush=True)
        cache[key] = table
        cache["_about"] = (
            "pynumdiff's optimizer (pynumdiff.optimize.optimize, dxdt_truth given, tuned on "
            "series 0, then run on all) per signal, noise and method; written by "
            "benchmarks/smooth_bench.py --refresh-pynumdiff; keyed by a hash of the signals "
            "and the number of series. Reference numbers only: nothing of gridgrad's."
        )
        CACHE.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
    return table


def accuracy(series: int, methods: list[str], spline: bool, refresh: bool = False) -> None:
    try:
        chosen = _pynumdiff_table(series, methods, refresh) if methods else {}
    except ImportError:
        chosen = {}
        print("(pynumdiff not installed and not cached: its columns are left out)")
    head = f"{'signal':>9} {'noise':>5}  {'gradient':>8}  {'auto':>7}  {'auto chose':>24}"
    head += f"  {'auto irr.':>9}  {'irr/even':>8}"
    head += f"  {'spline':>7}" if spline else ""
    head += f"  {'pynumdiff best (tuned on truth)':>30}  {'auto/best':>9}" if chosen else ""
    print(f"\nRMSE of the derivative, {series} series per row, edges included")
    print(head)
    if chosen:
        print(f"(pynumdiff columns read from {CACHE.name}; --refresh-pynumdiff re-runs them)")
    ratios, irregular = [], []
    for name in signals.SIGNALS:
        for noise in (0.01, 0.05, 0.1):
            t, y, v = signals.signal(name, noise, series)
            (plain,) = gridgrad.gradient(y, spacing=(t,), dim=1)
            d, info = smooth.derivative(y, 1, spacing=t, method="auto", return_info=True)
            auto = _rmse(d, v)
            ti, yi, vi = signals.signal(name, noise, series, irregular=True)
            irr = _rmse(smooth.derivative(yi, 1, spacing=ti, method="auto"), vi)
            chose = f"{info.method}" + (f" {info.window},{info.degree}" if info.window else "")
            if info.edges and info.edges != ((info.window, info.degree),) * 2:
                (wl, pl), (wr, pr) = info.edges  # the ends' own choices
                chose += f" [{wl},{pl}|{wr},{pr}]"
            irregular.append(irr / auto)
            row = f"{name:>9} {noise:>5.2f}  {_rmse(plain, v):>8.3f}  {auto:>7.3f}  {chose:>24}"
            row += f"  {irr:>9.3f}  {irr / auto:>7.3f}x"
            if spline:
                row += f"  {_rmse(smooth.derivative(y, 1, spacing=t, method='spline'), v):>7.3f}"
            if chosen:
                row_ref = chosen[f"{name} {noise}"]
                best, which = min((row_ref[m]["rmse"], m) for m in methods)
                ratios.append(auto / best)
                row += f"  {best:>19.3f} {which:>10}  {auto / best:>8.2f}x"
            print(row, flush=True)
    if ratios:
        print(f"auto / pynumdiff best: median {np.median(ratios):.2f}x, max {max(ratios):.2f}x")
    worse = sum(r > 1 for r in irregular)
    print(
        f"auto on irregular / on even samples: max {max(irregular):.3f}x;"
        f" irregular worse in {worse} of {len(irregular)} rows"
    )
    print("(auto chose: window,degree [start's|end's own window,degree where they differ])")


def _in_family_best(t, y, v) -> tuple[float, str]:
    """The smallest true RMSE of a fixed Savitzky–Golay filter (odd windows spaced by about
    1.25, degrees 2 to 8) or of the per-series GCV spline: what a perfect choice among
    gridgrad's own methods would reach."""
    from gridgrad._smooth_auto import candidate_windows

    best = (_rmse(smooth.derivative(y, 1, spacing=t, method="spline"), v), "spline")
    for p in range(2, 9):
        for w in candidate_windows(t.size, p):
            if w > t.size // 2:
                break
            d = smooth.derivative(y, 1, spacing=t, window=w, degree=p)
            best = min(best, (_rmse(d, v), f"savgol {w},{p}"))
    return best


def held_out(series: int) -> None:
    """``method="auto"`` on cases the accuracy targets do not use: the benchmark's signals
    at other noise levels and seeds, and other signals, against the best of gridgrad's own
    methods tuned on the truth (a fixed filter or the GCV spline)."""
    cases = [(n, z, 1) for n in signals.SIGNALS for z in (0.02, 0.2)]
    cases += [(n, 0.05, s) for n in signals.SIGNALS for s in (1, 2)]
    cases += [(n, z, 3) for n in signals.HELD_OUT for z in (0.01, 0.05, 0.1)]
    print(f"\nHeld-out cases, {series} series each: auto against the best fixed filter or spline")
    print(
        f"{'signal':>9} {'noise':>5} {'seed':>4}  {'auto':>7}  {'auto chose':>24}  {'best':>7}  {'best is':>14}  {'ratio':>6}"
    )
    ratios = []
    for name, noise, seed in cases:
        t, y, v = signals.signal(name, noise, series, seed=seed)
        d, info = smooth.derivative(y, 1, spacing=t, method="auto", return_info=True)
        chose = f"{info.method}" + (f" {info.window},{info.degree}" if info.window else "")
        if info.edges and info.edges != ((info.window, info.degree),) * 2:
            (wl, pl), (wr, pr) = info.edges
            chose += f" [{wl},{pl}|{wr},{pr}]"
        best, which = _in_family_best(t, y, v)
        ratios.append(_rmse(d, v) / best)
        print(
            f"{name:>9} {noise:>5.2f} {seed:>4}  {_rmse(d, v):>7.4f}  {chose:>24}  {best:>7.4f}"
            f"  {which:>14}  {ratios[-1]:>5.2f}x",
            flush=True,
        )
    geo = float(np.exp(np.mean(np.log(ratios))))
    print(f"auto / best fixed: geometric mean {geo:.3f}x, max {max(ratios):.3f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed", action="store_true", help="the speed table only")
    parser.add_argument("--accuracy", action="store_true", help="the accuracy table only")
    parser.add_argument("--series", type=int, default=20)
    parser.add_argument(
        "--refresh-pynumdiff",
        action="store_true",
        help="re-run pynumdiff's optimizer instead of reading " + CACHE.name,
    )
    parser.add_argument("--no-spline", action="store_true", help="leave out the GCV spline column")
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="auto on cases the targets do not use (other seeds, noise levels and signals; minutes)",
    )
    parser.add_argument(
        "--pynumdiff-methods",
        default="savgoldiff,splinediff,butterdiff",
        help="pynumdiff methods to tune (comma-separated; '' for none; rtsdiff is slow)",
    )
    args = parser.parse_args()
    if args.held_out:
        held_out(args.series)
        return
    if not args.accuracy:
        speed()
    if not args.speed:
        methods = [m for m in args.pynumdiff_methods.split(",") if m]
        accuracy(args.series, methods, not args.no_spline, args.refresh_pynumdiff)


if __name__ == "__main__":
    main()
