"""Time vs size of gridgrad and its peers, for the docs' performance page.

Differentiates float64 cubes of n**3 samples along all three dims, uniform unit
spacing, on ``--threads`` threads (default 1), with each library that is installed
(numpy.gradient, torch.gradient, jax.numpy.gradient, findiff); each cell is the best
of ``--rounds`` sweeps (``--repeat`` runs each, after a warm-up; ``--merge`` adds the
sweeps of earlier outputs). Writes one row per (case, library, size) to a CSV that the
docs plot at build time (measuring there would be too slow for CI)::

    python benchmarks/time_vs_size.py                 # writes benchmarks/time_vs_size.csv
    python benchmarks/time_vs_size.py --quick -o /tmp/t.csv
    python benchmarks/time_vs_size.py --merge old.csv     # best of this run and old.csv

Two cases: ``edge_order=1`` (gridgrad, numpy, torch, jax: jax.numpy.gradient has
first-order edges only) and ``edge_order=2`` (gridgrad, numpy, torch, findiff: findiff's
one-sided edges have the stencil's accuracy).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import gridgrad
from gridgrad.bench import _best  # best of repeats after a warm-up, as the table

SIZES = [8, 16, 32, 48, 64, 96, 128, 192, 256]
QUICK = [8, 16, 32, 64]


def _calls(f: np.ndarray, edge_order: int) -> dict[str, Callable[[], Any]]:
    """One callable per installed library, each computing the three partial derivatives."""
    calls: dict[str, Callable[[], Any]] = {
        "gridgrad": lambda: gridgrad.gradient(f, edge_order=edge_order),
        "numpy": lambda: np.gradient(f, edge_order=edge_order),
    }
    try:
        import torch

        t = torch.from_numpy(f)
        calls["torch"] = lambda: torch.gradient(t, edge_order=edge_order)
    except ImportError:
        pass
    if edge_order == 1:
        try:
            import jax

            jax.config.update("jax_enable_x64", True)
            import jax.numpy as jnp

            jf = jnp.asarray(f)

            def run_jax() -> Any:
                out = jnp.gradient(jf)
                for o in out:
                    o.block_until_ready()
                return out

            calls["jax"] = run_jax
        except ImportError:
            pass
    else:
        try:
            import findiff

            ops = [findiff.Diff(d, 1.0, acc=2) for d in range(f.ndim)]
            calls["findiff"] = lambda: [op(f) for op in ops]
        except ImportError:
            pass
    return calls


def _load_kernels() -> None:
    """Time the Numba engine, not its loading: wait until it is loaded."""
    big = np.zeros((128, 128, 64))
    gridgrad.gradient(big)  # starts the loading in the background
    try:
        from gridgrad._api import load_kernels  # private: the waiting point

        load_kernels(wait=True)
    except ImportError:
        time.sleep(5)
    gridgrad.gradient(big)


def _sweeps(header: str) -> int:
    """How many sweeps an earlier CSV holds: its header ends "best of N sweeps" (or, in
    the first outputs of this script, "best of R" for one sweep of R runs)."""
    tail = header.rsplit("best of ", 1)[-1].split()
    return int(tail[0]) if len(tail) > 1 and tail[1] == "sweeps" else 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(Path(__file__).with_suffix(".csv")))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="whole sweeps; best kept")
    parser.add_argument(
        "--merge",
        nargs="*",
        default=[],
        metavar="CSV",
        help="earlier outputs of this script: keep each cell's best over them too",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per library (default 1: reproducible on a shared machine)",
    )
    args = parser.parse_args(argv)
    # before numba and jax are imported (gridgrad imports numba on first large call)
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
    if args.threads == 1:
        os.environ.setdefault(
            "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        pass
    _load_kernels()
    # Whole sweeps, repeated: each cell keeps its best time over all rounds, so a burst
    # of load from other processes during one round does not show in the figure.
    best: dict[tuple[int, str, int], float] = {}
    sizes = QUICK if args.quick else SIZES
    for r in range(args.rounds):
        for n in sizes:
            f = np.random.default_rng(0).standard_normal((n, n, n))
            for edge_order in (1, 2):
                for lib, fn in _calls(f, edge_order).items():
                    key = (edge_order, lib, n)
                    best[key] = min(best.get(key, np.inf), _best(fn, args.repeat))
                    print(
                        f"round {r} eo{edge_order} {n:4d}^3 {lib:9s} {best[key] * 1e3:10.3f} ms",
                        flush=True,
                    )
    sweeps = args.rounds
    for path in args.merge:
        with open(path) as fh:
            sweeps += _sweeps(fh.readline())
            for r in csv.DictReader(fh):
                key = (int(r["edge_order"]), r["library"], int(r["n"]))
                if key in best:
                    best[key] = min(best[key], float(r["seconds"]))
    rows = [
        {"edge_order": eo, "library": lib, "n": n, "elements": n**3, "seconds": f"{t:.6g}"}
        for (eo, lib, n), t in sorted(best.items(), key=lambda kv: (kv[0][2], kv[0][0]))
    ]
    with open(args.output, "w", newline="") as fh:
        fh.write(
            f"# gridgrad {gridgrad.__version__}, numpy {np.__version__}, "
            f"{os.cpu_count()} CPUs ({args.threads} thread(s) per library), "
            f"{platform.machine()}, best of {sweeps} sweeps\n"
        )
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print("wrote", args.output)


if __name__ == "__main__":
    main()
