"""Curvilinear gradient (2-D coordinate arrays) against the rectilinear gradient
(1-D coordinates) on the same array, side by side in one process (issue 17's target:
within 2.5x).

    python benchmarks/curvilinear_bench.py            # 4096 x 4096 float64
    python benchmarks/curvilinear_bench.py --n 1024 --repeat 3
    python benchmarks/curvilinear_bench.py --periodic # a closed annulus, periodic dim 1
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import gridgrad
import gridgrad.curvilinear as gc


def best(fn, repeat: int) -> float:
    fn()  # warm-up (and the numba kernels' loading)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--accuracy", type=int, default=2)
    ap.add_argument("--periodic", action="store_true", help="a closed annulus, periodic dim 1")
    args = ap.parse_args()
    n, p = args.n, args.accuracy
    from gridgrad._engines.numba import loader

    loader.load(wait=True)  # the rectilinear kernels, loaded before timing
    s = np.linspace(0.0, 1.0, n)
    if args.periodic:  # (r, theta) and the distorted annulus they map to
        xs = 1.0 + s + 0.02 * np.sin(3 * s)
        ys = np.arange(n) * (2 * np.pi / n)
        R, T = np.meshgrid(xs, ys, indexing="ij")
        f = np.sin(5 * R) * np.cos(3 * T)
        Xc = R * np.cos(T + 0.05 * np.sin(T) * R)
        Yc = (R + 0.02 * np.cos(2 * T)) * np.sin(T + 0.05 * np.sin(T) * R)
        kw = {"boundary": ("one-sided", "periodic")}
        rect_kw = {**kw, "period": (None, 2 * np.pi)}
    else:
        xs, ys = s + 0.02 * np.sin(3 * s), 1.5 * s + 0.01 * s**2  # non-uniform 1-D
        X, Y = np.meshgrid(xs, ys, indexing="ij")
        f = np.sin(5 * X) * np.cos(3 * Y)
        # a distorted grid (same cost as any 2-D coordinates)
        Xc = X + 0.01 * np.sin(2 * np.pi * Y)
        Yc = Y + 0.01 * np.sin(2 * np.pi * X)
        kw, rect_kw = {}, {}

    def rect():
        return gridgrad.gradient(f, spacing=(xs, ys), accuracy=p, edge_order=p, **rect_kw)

    def curvi():
        return gc.gradient(f, (Xc, Yc), accuracy=p, **kw)

    t_rect = best(rect, args.repeat)
    t_curvi = best(curvi, args.repeat)
    what = ", periodic dim 1 (a closed annulus)" if args.periodic else ""
    print(f"{n}x{n} float64, accuracy {p}{what}, best of {args.repeat} after a warm-up:")
    print(f"  rectilinear gridgrad.gradient, 1-D coordinates : {t_rect * 1e3:8.1f} ms")
    print(f"  curvilinear.gradient, 2-D coordinates          : {t_curvi * 1e3:8.1f} ms")
    print(f"  ratio                                          : {t_curvi / t_rect:8.2f}x  (target <= 2.5x)")  # fmt: skip


if __name__ == "__main__":
    main()
