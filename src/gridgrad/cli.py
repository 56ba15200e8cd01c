"""The ``gridgrad`` command line: argument parsing and printing only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from gridgrad import _demo as demo

    out = sys.stdout
    print("gridgrad demo: derivatives of sampled data by finite differences\n", file=out)
    with np.printoptions(precision=4, suppress=True):
        for title, call, result in demo.run_examples():
            print(f"# {title}\n>>> {call}", file=out)
            for k, r in enumerate(result):
                print(f"[{k}]\n{r}", file=out)
            print(file=out)
    print(
        "# Convergence: max |error| over all points of grad(sin(3x) exp(y)) on [0, 2]^2", file=out
    )
    rows = demo.convergence_table()
    keys = [str(k) for k in rows[0] if k != "n"]
    header = f"{'n':>5} " + " ".join(f"{k:>24}" for k in keys)
    print(header, file=out)
    print(f"{'':>5} " + " ".join(f"{'max error':>14} {'order':>9}" for _ in keys), file=out)
    for row in rows:
        cells: list[str] = []
        for key in keys:
            err, order = row[key]
            shown = "" if order is None else f"{order:9.2f}"
            cells.append(f"{err:14.3e} {shown:>9}")
        print(f"{row['n']:>5} " + " ".join(cells), file=out)
    print(
        "\nedge_order=1 converges at first order (the edges dominate), edge_order=2 at "
        "second order,\non uniform and stretched (non-uniform) grids alike.",
        file=out,
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    from gridgrad import __version__

    parser = argparse.ArgumentParser(
        prog="gridgrad", description="Derivatives of sampled data by finite differences."
    )
    parser.add_argument("--version", action="version", version=f"gridgrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="worked examples and a convergence table (no files needed)")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return int(args.func(args))
