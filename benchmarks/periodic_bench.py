"""Periodic axes on the Numba kernels against one-sided edges (issue 11).

    python benchmarks/periodic_bench.py              # 256^3 float64, best of 5
    python benchmarks/periodic_bench.py --size 128 --repeat 7

Each row times ``gridgrad.gradient`` over all dims with ``boundary="periodic"`` and the
same call with one-sided edges, in the same run, the two calls interleaved (so a busy
machine slows both alike), best of ``--repeat``; and, for reference, the periodic call
forced onto the reference engine (which pads each axis with wrapped samples: what
periodic calls ran on before the kernels read wrapped indices).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import gridgrad


def _best(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    best = dict.fromkeys(fns, float("inf"))
    for fn in fns.values():  # warm-up: compilation and first-touch
        fn()
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def _reference(fn: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with gridgrad.use_engine("reference"):
            return fn()

    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-reference", action="store_true", help="skip the reference rows")
    args = parser.parse_args(argv)
    from gridgrad._engines.numba import loader

    loader.load()
    n = args.size
    f = np.random.default_rng(0).standard_normal((n, n, n))
    x = np.cumsum(np.random.default_rng(1).uniform(0.5, 1.5, n))
    period = float(x[-1] - x[0]) + 1.0
    print(f"gridgrad {gridgrad.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    print(f"{n}^3 float64, all dims, best of {args.repeat}, times in ms")
    cases = [
        ("uniform, accuracy 2", {}),
        ("uniform, accuracy 4", {"accuracy": 4}),
        ("coordinates, accuracy 2", {"spacing": (x, x, x)}),
    ]
    print(f"{'case':<26}{'periodic':>10}{'one-sided':>11}{'ratio':>8}{'reference':>11}")
    for label, kw in cases:
        extra = {"period": period} if "spacing" in kw else {}
        fns: dict[str, Callable[[], Any]] = {
            "periodic": lambda kw=kw, extra=extra: gridgrad.gradient(
                f, boundary="periodic", **kw, **extra
            ),
            "one-sided": lambda kw=kw: gridgrad.gradient(f, **kw),
        }
        if not args.no_reference:
            fns["reference"] = _reference(fns["periodic"])
        t = _best(fns, args.repeat)
        ref = f"{t['reference'] * 1e3:11.1f}" if "reference" in t else f"{'-':>11}"
        print(
            f"{label:<26}{t['periodic'] * 1e3:10.1f}{t['one-sided'] * 1e3:11.1f}"
            f"{t['periodic'] / t['one-sided']:7.2f}x{ref}"
        )


if __name__ == "__main__":
    main()
