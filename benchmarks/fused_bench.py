"""Issue 11's fused operators, side by side in one process (best of ``--repeat``):

- ``laplacian(f)`` against ``gradient(f, dim=0)`` (one read, one write), the composed
  path of before (each second derivative on its own, then added), the NumPy
  expression ``sum(np.gradient(np.gradient(f, axis=i), axis=i))`` and findiff's
  operator (``findiff.Laplacian``, ``Divergence``, ``Curl``) where installed;
- ``divergence([u, v, w])`` against the same, with ``sum(np.gradient(u_i, axis=i))``;
- ``curl([u, v, w])`` against the composed path and numpy's expression;
- the gradient over all dims in one pass (``ONE_PASS``) against one pass per dim
  and the copy floor (two threads copying the input into each output), into
  preallocated ``out=`` arrays and into fresh ones.

Run: ``PYTHONPATH=src python benchmarks/fused_bench.py [--n 256] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

import gridgrad
from gridgrad._engines import numba as numba_engine
from gridgrad._engines.numba import loader
from gridgrad.bench import _floor, _side_by_side

_POOL = ThreadPoolExecutor(2)


def _copy_into(f: np.ndarray, outs: tuple[np.ndarray, ...]) -> None:
    """Two threads copy the input into each of the given arrays."""
    src = f.reshape(-1)
    half = src.shape[0] // 2
    for o in outs:
        dst = o.reshape(-1)
        pairs = [(dst[:half], src[:half]), (dst[half:], src[half:])]
        list(_POOL.map(lambda pair: np.copyto(*pair), pairs))


def _line(name: str, ms: dict[str, float], base: str, width: int = 12) -> str:
    """One row: each time, then each time over ``base``'s."""
    cells = [f"{k} {v * 1e3:7.1f} ms" for k, v in ms.items()]
    ratios = [f"{k}/{base} {v / ms[base]:5.2f}x" for k, v in ms.items() if k != base]
    return f"{name:<{width}} " + " | ".join(cells) + "   (" + ", ".join(ratios) + ")"


def _findiff(ndim: int) -> dict[str, Any]:
    """findiff's operators (unit steps, accuracy 2) where it is installed."""
    try:
        import findiff
    except ImportError:
        return {}
    h = [1.0] * ndim
    return {
        "laplacian": findiff.Laplacian(h=h, acc=2),
        "divergence": findiff.Divergence(h=h, acc=2),
        "curl": findiff.Curl(h=h, acc=2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=256, help="size of each of the 3 dims")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    loader.load()
    rng = np.random.default_rng(0)
    shape = (args.n,) * 3
    f = rng.standard_normal(shape)
    u = [rng.standard_normal(shape) for _ in range(3)]
    r = args.repeat
    print(
        f"{shape} float64, best of {r} rounds (the calls of a row take turns); ratios: "
        "each time over the last-named base"
    )

    def g0() -> Any:
        return gridgrad.gradient(f, dim=0)

    def lap_before() -> np.ndarray:
        out = gridgrad.derivative(f, 0, order=2)
        for k in range(1, 3):
            out = out + gridgrad.derivative(f, k, order=2)
        return out

    fd = _findiff(3)
    calls: dict[str, Callable[[], Any]] = {
        "laplacian": lambda: gridgrad.laplacian(f),
        "gradient dim0": g0,
        "before": lap_before,
        "numpy": lambda: sum(np.gradient(np.gradient(f, axis=i), axis=i) for i in range(3)),
    }
    if fd:
        calls["findiff"] = lambda: fd["laplacian"](f)
    lap = _side_by_side(calls, r)
    print(_line("laplacian", lap, "laplacian"))

    def div_before() -> np.ndarray:
        out = gridgrad.derivative(u[0], 0)
        for k in range(1, 3):
            out = out + gridgrad.derivative(u[k], k)
        return out

    calls = {
        "divergence": lambda: gridgrad.divergence(u),
        "gradient dim0": g0,
        "before": div_before,
        "numpy": lambda: sum(np.gradient(u[i], axis=i) for i in range(3)),
    }
    if fd:
        stacked = np.stack(u)  # findiff takes the components stacked (not timed)
        calls["findiff"] = lambda: fd["divergence"](stacked)
    div = _side_by_side(calls, r)
    print(_line("divergence", div, "divergence"))

    def d(a: np.ndarray, k: int) -> np.ndarray:
        return gridgrad.derivative(a, k)

    def curl_numpy() -> tuple[np.ndarray, ...]:
        g = np.gradient
        return (g(u[2], axis=1) - g(u[1], axis=2), g(u[0], axis=2) - g(u[2], axis=0),
                g(u[1], axis=0) - g(u[0], axis=1))  # fmt: skip

    calls = {
        "curl": lambda: gridgrad.curl(u),
        "gradient dim0": g0,
        "before": lambda: (
            d(u[2], 1) - d(u[1], 2),
            d(u[0], 2) - d(u[2], 0),
            d(u[1], 0) - d(u[0], 1),
        ),
        "numpy": curl_numpy,
    }
    if fd:
        calls["findiff"] = lambda: fd["curl"](stacked)
    print(_line("curl", _side_by_side(calls, r), "curl"))

    outs = tuple(np.empty_like(f) for _ in range(3))
    before = numba_engine.ONE_PASS

    def gradient(one_pass: bool, out: Any) -> Callable[[], Any]:
        def call() -> Any:
            numba_engine.ONE_PASS = one_pass
            return gridgrad.gradient(f, out=out)

        return call

    try:
        into = _side_by_side(
            {"one pass": gradient(True, outs), "per axis": gradient(False, outs),
             "copy floor": lambda: _copy_into(f, outs)},
            r,
        )  # fmt: skip
        fresh = _side_by_side(
            {"one pass": gradient(True, None), "per axis": gradient(False, None),
             "copy floor": lambda: _floor(f, 3)},
            r,
        )  # fmt: skip
    finally:
        numba_engine.ONE_PASS = before
    print(_line("all, out=", into, "copy floor"))
    print(_line("all, fresh", fresh, "copy floor"))
    print(
        f"targets: laplacian <= 1.5x gradient dim0 (got {lap['laplacian'] / lap['gradient dim0']:.2f}x), "
        f">= 8x numpy (got {lap['numpy'] / lap['laplacian']:.1f}x); divergence <= 2.5x "
        f"(got {div['divergence'] / div['gradient dim0']:.2f}x), >= 6x numpy (got "
        f"{div['numpy'] / div['divergence']:.1f}x); one pass into out= <= 0.8x floor "
        f"(got {into['one pass'] / into['copy floor']:.2f}x), fresh <= 1.0x (got "
        f"{fresh['one pass'] / fresh['copy floor']:.2f}x)"
    )


if __name__ == "__main__":
    main()
