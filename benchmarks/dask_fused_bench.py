"""Issue 11's fused operators on dask arrays, side by side in one process (best of
``--repeat``, each a ``.compute()`` on dask's default threaded scheduler):

- ``laplacian(x)`` on a dask array (one graph: the input overlapped once, one task per
  block on the fused NumPy path) against the composed path of before (each second
  derivative its own graph, then added: ``sum(derivative(x, i, order=2))``, what the
  dask path ran until the operators were fused on dask), the same call on the NumPy
  array in memory, and the NumPy expression ``sum(np.gradient(np.gradient(f, axis=i),
  axis=i))``;
- ``divergence([u, v, w])`` against the same, with ``sum(np.gradient(u_i, axis=i))``.

Two chunkings of the (n, n, n) float64 arrays: slabs (n/4, n, n) and cubes (n/2,)*3.

Run: ``PYTHONPATH=src python benchmarks/dask_fused_bench.py [--n 256] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
from typing import Any

import dask.array as da
import numpy as np
from fused_bench import _line  # benchmarks/ is the script's folder

import gridgrad
from gridgrad._engines.numba import loader
from gridgrad.bench import _best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=256, help="size of each of the 3 dims")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    loader.load()
    n, r = args.n, args.repeat
    rng = np.random.default_rng(0)
    shape = (n,) * 3
    f = rng.standard_normal(shape)
    u = [rng.standard_normal(shape) for _ in range(3)]
    print(f"{shape} float64, best of {r}; ratios: each time over the fused dask call")

    def numpy_laplacian() -> Any:
        return sum(np.gradient(np.gradient(f, axis=i), axis=i) for i in range(3))

    def numpy_divergence() -> Any:
        return sum(np.gradient(u[i], axis=i) for i in range(3))

    in_memory = {
        "laplacian": _best(lambda: gridgrad.laplacian(f), r),
        "divergence": _best(lambda: gridgrad.divergence(u), r),
    }
    numpy = {"laplacian": _best(numpy_laplacian, r), "divergence": _best(numpy_divergence, r)}
    for chunks in [(n // 4, n, n), (n // 2,) * 3]:
        x = da.from_array(f, chunks=chunks)
        xs = [da.from_array(c, chunks=chunks) for c in u]

        def lap_before(x: Any = x) -> Any:
            return sum(gridgrad.derivative(x, i, order=2) for i in range(3)).compute()

        def div_before(xs: Any = xs) -> Any:
            return sum(gridgrad.derivative(xs[i], i) for i in range(3)).compute()

        lap = {
            "fused": _best(lambda x=x: gridgrad.laplacian(x).compute(), r),
            "before": _best(lap_before, r),
            "numpy array": in_memory["laplacian"],
            "numpy expr": numpy["laplacian"],
        }
        print(_line(f"laplacian  {chunks}", lap, "fused", 26))
        div = {
            "fused": _best(lambda xs=xs: gridgrad.divergence(xs).compute(), r),
            "before": _best(div_before, r),
            "numpy array": in_memory["divergence"],
            "numpy expr": numpy["divergence"],
        }
        print(_line(f"divergence {chunks}", div, "fused", 26))


if __name__ == "__main__":
    main()
