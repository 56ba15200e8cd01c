"""The argument parser of the ``gridgrad`` command."""

from __future__ import annotations

import argparse

from gridgrad._options import BOUNDARIES

__all__ = ["OPS", "parser"]

OPS = ("gradient", "laplacian", "divergence", "curl", "vorticity")


def parser() -> argparse.ArgumentParser:
    from gridgrad import __version__
    from gridgrad.cli._compute import compute
    from gridgrad.cli._demo import demo as run_demo

    p = argparse.ArgumentParser(
        prog="gridgrad", description="Derivatives of sampled data by finite differences."
    )
    p.add_argument("--version", action="version", version=f"gridgrad {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="worked examples, convergence and accuracy tables")
    demo.add_argument(
        "topic",
        nargs="?",
        choices=("sphere",),
        help="sphere: vorticity on the sphere (a Rossby-Haurwitz wave), its accuracy table, "
        "and with --plot a vorticity map",
    )
    demo.add_argument("--plot", metavar="FILE.png", help="also draw the showcase figure")
    demo.add_argument("--overwrite", action="store_true", help="replace an existing FILE.png")
    demo.set_defaults(func=run_demo)
    c = sub.add_parser(
        "compute",
        help="derivatives of variables in a .nc, .zarr, .npy, .npz or .csv file",
        description=(
            "Differentiate variables of a file; the format follows the extension. "
            "NetCDF/Zarr are processed in chunks through Dask (larger than memory works). "
            "The output is written under a private temporary name beside it and moved into "
            "place when complete; an existing output is replaced only with --overwrite."
        ),
    )
    c.add_argument("input", help="INPUT file (.nc, .zarr, .npy, .npz, .csv)")
    c.add_argument("-o", "--output", required=True, help="OUTPUT file, same family as INPUT")
    c.add_argument("--var", help="NAME[,NAME...]: variables, arrays or columns (default: all)")
    c.add_argument(
        "--dims",
        help="dims to differentiate along (names; axis numbers for .npy/.npz; "
        "the coordinate column for .csv)",
    )
    c.add_argument(
        "--op",
        choices=OPS,
        default="gradient",
        help="default: gradient; vorticity: of the wind given as --var u,v (on the plane, "
        "the 2-D curl)",
    )
    c.add_argument(
        "--geometry",
        choices=("cartesian", "sphere"),
        default=None,
        help="cartesian (default): per coordinate unit; sphere (NetCDF/Zarr): derivatives "
        "per metre on a latitude-longitude grid, the CF latitude/longitude found by their "
        "metadata (or named by --dims LAT,LON), cyclic longitude detected",
    )
    c.add_argument(
        "--radius",
        type=float,
        default=None,
        help="radius of the sphere in metres (--geometry sphere; default 6371008.8)",
    )
    c.add_argument("--order", type=int, default=1, help="derivative order (gradient; default 1)")
    c.add_argument("--accuracy", type=int, default=2, help="even order of accuracy (default 2)")
    c.add_argument(
        "--edge-order", type=int, default=None, help="edge accuracy (default: --accuracy)"
    )
    c.add_argument("--boundary", choices=BOUNDARIES, default="one-sided")
    c.add_argument("--period", help="domain length of periodic non-uniform coordinates")
    c.add_argument("--spacing", help="step(s) for .npy/.npz (one, or one per dim; default 1)")
    c.add_argument("--datetime-unit", default=None, help="unit of time coordinates (default s)")
    c.add_argument("--plot", metavar="FILE.png", help="also draw the first result")
    c.add_argument("--overwrite", action="store_true", help="replace an existing OUTPUT")
    c.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bar on stderr"
    )
    c.add_argument(
        "--progress-after",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="show the progress bar once a job has run this long (default 1; 0: always)",
    )
    c.add_argument(
        "--smooth",
        metavar="METHOD[:KEY=VALUE,...]",
        help="derivatives of noisy data (gradient): savgol:window=11,degree=3 | spline | "
        "auto[:cutoff=F] (gridgrad.smooth)",
    )
    c.add_argument(
        "--coords",
        metavar="NAME,NAME",
        help="NetCDF/Zarr: differentiate with respect to these coordinate variables, whatever "
        "dims they span (curvilinear grids, 2-D coordinates); writes d{var}_d{coord}",
    )
    c.add_argument(
        "--memory",
        type=float,
        default=None,
        metavar="MB",
        help="NetCDF/Zarr: results computed at once, in MB (default: an eighth of the "
        "available memory, 64 MB to 1 GB); peak memory follows this, not the file size",
    )
    c.set_defaults(func=compute)
    return p
