"""``gridgrad compute``: check everything, compute into a private staging path, publish."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gridgrad.cli._common import CliError
from gridgrad.cli._extras import check_extras
from gridgrad.cli._formats import (
    FAMILY,
    check_input,
    compute_csv,
    compute_numpy,
    compute_xarray,
    memory_budget,
)
from gridgrad.cli._publish import check_output, publish, staged

__all__ = ["compute"]

_RUN = {"xarray": compute_xarray, "numpy": compute_numpy, "csv": compute_csv}


def _ext(path: Path, role: str) -> str:
    ext = path.suffix.lower()
    if ext not in FAMILY:
        msg = (
            f"unsupported {role} extension {ext or '(none)'!r} for {str(path)!r}; "
            f"expected one of {', '.join(FAMILY)}"
        )
        raise CliError(msg)
    return ext


def compute(args: argparse.Namespace) -> int:
    src, dst = Path(args.input), Path(args.output)
    in_ext, out_ext = _ext(src, "input"), _ext(dst, "output")
    check_input(src)
    if FAMILY[in_ext] != FAMILY[out_ext]:
        msg = f"cannot write {in_ext} input as {out_ext}; .nc and .zarr go together, .npy and .npz, .csv alone"
        raise CliError(msg)
    if args.order < 1:
        msg = f"--order must be a positive integer; got {args.order}"
        raise CliError(msg)
    if args.order != 1 and args.op != "gradient":
        msg = f"--order applies to --op gradient only; got --op {args.op}"
        raise CliError(msg)
    if (args.geometry == "sphere" or args.radius is not None) and FAMILY[in_ext] != "xarray":
        msg = (
            "--geometry sphere and --radius need a NetCDF (.nc) or Zarr (.zarr) file with "
            f"latitude/longitude coordinates; got {in_ext}"
        )
        raise CliError(msg)
    if args.radius is not None and args.geometry != "sphere":
        msg = "--radius applies to --geometry sphere only"
        raise CliError(msg)
    check_extras(args, FAMILY[in_ext])
    memory_budget(args)  # --memory, checked before any work
    if not args.progress_after >= 0:
        msg = f"--progress-after must be a number of seconds >= 0; got {args.progress_after}"
        raise CliError(msg)
    target = check_output(dst, [src], overwrite=args.overwrite, store=out_ext == ".zarr")
    plot_target = None
    if args.plot:
        from gridgrad import _plot

        _plot.pyplot()  # fail early, before any work, when matplotlib is missing
        if Path(args.plot).suffix.lower() != ".png":
            msg = f"--plot must name a .png file; got {args.plot!r}"
            raise CliError(msg)
        plot_target = check_output(
            args.plot, [src, dst], overwrite=args.overwrite, store=False, role="--plot"
        )
    with staged(target) as staging:
        plot = _RUN[FAMILY[in_ext]](args, staging.path)
        publish(staging, overwrite=args.overwrite)
    print(f"wrote {dst}", file=sys.stderr)
    if plot is not None and plot_target is not None:
        with staged(plot_target) as staging:
            plot(staging.path)
            publish(staging, overwrite=args.overwrite)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0
