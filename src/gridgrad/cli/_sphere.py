"""``gridgrad compute --geometry sphere``: the operators of :mod:`gridgrad.xarray_sphere`
on the variables of a NetCDF/Zarr dataset, and the hint when CF latitude/longitude are
found without ``--geometry``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gridgrad.cli._common import CliError

__all__ = ["sphere_op", "suggest_sphere"]


def _lat_lon(ds: Any, dims: list[str] | None) -> tuple[Any, Any]:
    from gridgrad.xarray_sphere import find_lat_lon

    if dims:
        if len(dims) != 2:
            msg = f"--geometry sphere: --dims names the latitude and longitude dims (LAT,LON); got {','.join(dims)}"
            raise CliError(msg)
        return dims[0], dims[1]
    found = find_lat_lon(ds)
    if found is None:
        msg = (
            "--geometry sphere: no latitude/longitude coordinates found by their CF metadata "
            "(units degrees_north/degrees_east or standard_name latitude/longitude); "
            "name them with --dims LAT,LON"
        )
        raise CliError(msg)
    return found


def sphere_op(ds: Any, names: list[str], dims: list[str] | None, args: argparse.Namespace) -> Any:
    """The ``--op`` on the sphere: a Dataset of results (ValueError/TypeError for bad values)."""
    import xarray as xr

    from gridgrad import xarray_sphere as gxs

    for flag, given in (
        ("--order", args.order != 1),
        ("--edge-order", args.edge_order is not None),
        ("--boundary", args.boundary != "one-sided"),
        ("--period", args.period is not None),
    ):
        if given:
            msg = f"{flag} does not apply to --geometry sphere (edges follow --accuracy, a closing longitude is cyclic)"
            raise CliError(msg)
    if args.op == "curl":
        msg = "--geometry sphere: use --op vorticity (the vertical component of the curl)"
        raise CliError(msg)
    lat, lon = _lat_lon(ds, dims)
    kw: dict[str, Any] = {"lat": lat, "lon": lon, "accuracy": args.accuracy}
    if args.radius is not None:
        kw["radius"] = args.radius
    if args.op == "gradient":
        parts = [gxs.gradient(ds[n], **kw) for n in names]
        return xr.Dataset({k: v for g in parts for k, v in g.data_vars.items()})
    if args.op == "laplacian":
        return xr.Dataset({f"laplacian_{n}": gxs.laplacian(ds[n], **kw) for n in names})
    if len(names) != 2:
        msg = f"--op {args.op} needs two variables, eastward and northward (--var u,v); got {len(names)}"
        raise ValueError(msg)
    func = gxs.vorticity if args.op == "vorticity" else gxs.divergence
    return func(ds[names[0]], ds[names[1]], **kw).to_dataset()


def suggest_sphere(ds: Any, names: list[str], dims: list[str] | None) -> None:
    """One line on stderr when CF latitude/longitude are among the differentiated dims
    and no ``--geometry`` was given (the default stays per coordinate unit)."""
    try:
        from gridgrad.xarray_sphere import find_lat_lon

        found = find_lat_lon(ds[names])
    except Exception:  # a hint only: never the reason a run fails
        return
    if found is None:
        return
    wanted = dims or [d for n in names for d in ds[n].dims]
    if found[0] in wanted and found[1] in wanted:
        print(
            f"gridgrad compute: note: {found[0]!r} and {found[1]!r} are CF latitude/longitude; "
            "these derivatives are per degree: --geometry sphere gives per-metre derivatives "
            "on the sphere",
            file=sys.stderr,
        )
