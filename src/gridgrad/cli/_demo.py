"""``gridgrad demo``: worked examples, a convergence table and the showcase figure."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from gridgrad.cli._publish import check_output, publish, staged

__all__ = ["demo"]


def demo(args: argparse.Namespace) -> int:
    from gridgrad import _demo

    target = None
    if args.plot:
        from gridgrad import _plot

        _plot.pyplot()  # fail early with the install hint when matplotlib is missing
        target = check_output(args.plot, [], overwrite=args.overwrite, store=False, role="--plot")

    out = sys.stdout
    if getattr(args, "topic", None) == "sphere":
        return _sphere(out, target, args)
    print("gridgrad demo: derivatives of sampled data by finite differences\n", file=out)
    with np.printoptions(precision=4, suppress=True):
        for title, call, result in _demo.run_examples():
            print(f"# {title}\n>>> {call}", file=out)
            for k, r in enumerate(result):
                print(f"[{k}]\n{r}", file=out)
            print(file=out)
    print(
        "# Convergence: max |error| over all points of grad(sin(3x) exp(y)) on [0, 2]^2", file=out
    )
    rows = _demo.convergence_table()
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
    _showcase(out)
    if target is not None:
        from gridgrad import _plot

        with staged(target) as staging:
            _plot.demo_figure(staging.path, _demo.showcase_fields(), _demo.accuracy_table())
            publish(staging, overwrite=args.overwrite)
        print(f"\nwrote {args.plot}", file=out)
    return 0


def _showcase(out: Any) -> None:
    from gridgrad import _demo

    rows = _demo.accuracy_table()
    ps = [k for k in rows[0] if isinstance(k, int)]
    print(f"\n# Showcase: {_demo.SHOWCASE}", file=out)
    print(
        "# max |error| of the gradient and of the Laplacian (lap f = -8 f) against the exact\n"
        "# derivatives, for each accuracy p (gradient(..., accuracy=p, edge_order=p), "
        "laplacian(..., accuracy=p))",
        file=out,
    )
    print(f"{'n':>5} " + " ".join(f"{f'p={p} grad':>12} {f'p={p} lap':>12}" for p in ps), file=out)
    for row in rows:
        cells = " ".join(f"{row[p][0]:12.3e} {row[p][1]:12.3e}" for p in ps)
        print(f"{row['n']:>5} {cells}", file=out)


def _sphere(out: Any, target: Any, args: argparse.Namespace) -> int:
    from gridgrad import _sphere_demo

    print("gridgrad demo sphere: vorticity on a latitude-longitude grid\n", file=out)
    print(
        "# A Rossby-Haurwitz wave (Williamson et al. 1992, test 6) on the Earth, global grids\n"
        "# with pole rows, north to south, cyclic longitude:\n"
        ">>> import gridgrad.sphere as gs\n"
        ">>> zeta = gs.vorticity(u, v, lat, lon, accuracy=p)   # s-1, lat/lon in degrees\n",
        file=out,
    )
    print("# max |error| / max |vorticity| over all points (pole rows included)", file=out)
    rows = _sphere_demo.accuracy_table()
    print(
        f"{'step':>7} " + " ".join(f"{f'accuracy {p}':>14} {'order':>6}" for p in (2, 4, 6)),
        file=out,
    )
    for row in rows:
        cells = []
        for p in (2, 4, 6):
            err, order = row[p]
            cells.append(f"{err:14.3e} {'' if order is None else f'{order:6.2f}':>6}")
        print(f"{row['step']:>6g}d " + " ".join(cells), file=out)
    if target is not None:
        with staged(target) as staging:
            _sphere_demo.figure(staging.path)
            publish(staging, overwrite=args.overwrite)
        print(f"\nwrote {args.plot}", file=out)
    return 0
