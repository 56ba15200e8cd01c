"""``--smooth`` (derivatives of noisy data, :mod:`gridgrad.smooth`) and ``--coords``
(curvilinear grids, :mod:`gridgrad.curvilinear`) of ``gridgrad compute``: their checks,
before any work, and the operations they replace."""

from __future__ import annotations

import argparse
from collections.abc import Hashable
from typing import Any

from gridgrad.cli._common import CliError, split, unique

__all__ = ["check_extras", "coords_gradient", "smooth_gradient", "smooth_keywords"]


def _refuse(args: argparse.Namespace, option: str, flags: dict[str, bool]) -> None:
    for flag, given in flags.items():
        if given:
            msg = f"{option} does not go with {flag}"
            raise CliError(msg)


def check_extras(args: argparse.Namespace, family: str) -> None:
    """``--smooth`` and ``--coords``: what they go with, checked before any work."""
    if args.smooth is not None:
        if args.op != "gradient":
            msg = f"--smooth applies to --op gradient only; got --op {args.op}"
            raise CliError(msg)
        _refuse(
            args,
            "--smooth",
            {
                "--accuracy": args.accuracy != 2,
                "--edge-order": args.edge_order is not None,
                "--boundary periodic": args.boundary != "one-sided",
                "--period": args.period is not None,
                "--geometry sphere": args.geometry == "sphere",
                "--coords": args.coords is not None,
            },
        )
        smooth_keywords(args)  # the syntax, now
    if args.coords is not None:
        if family != "xarray":
            msg = "--coords needs a NetCDF (.nc) or Zarr (.zarr) file with coordinate variables"
            raise CliError(msg)
        if args.op != "gradient":
            msg = f"--coords applies to --op gradient only; got --op {args.op}"
            raise CliError(msg)
        _refuse(
            args,
            "--coords",
            {
                "--dims": args.dims is not None,
                "--order": args.order != 1,
                "--period": args.period is not None,
                "--geometry sphere": args.geometry == "sphere",
            },
        )
        unique(split(args.coords), "--coords")


def smooth_keywords(args: argparse.Namespace) -> dict[str, Any]:
    """``--smooth METHOD[:KEY=VALUE,...]`` as keywords of :func:`gridgrad.smooth.derivative`."""
    from gridgrad._smooth_spec import parse_spec

    try:
        return parse_spec(args.smooth)
    except ValueError as exc:
        raise CliError(str(exc).replace("`--smooth`", "--smooth")) from None


def _name(var: Hashable, dim: Hashable, order: int) -> str:
    return f"d{var}_d{dim}" if order == 1 else f"d{order}{var}_d{dim}{order}"


def smooth_gradient(ds: Any, names: list[str], dims: list[str] | None, args: argparse.Namespace) -> Any:  # fmt: skip
    """Each variable's smoothed derivative along each dim, named as ``--op gradient``'s."""
    import xarray as xr

    from gridgrad import smooth

    kw = smooth_keywords(args)
    out = {}
    for n in names:
        for d in dims or list(ds[n].dims):
            out[_name(n, d, args.order)] = smooth.differentiate(
                ds[n], d, order=args.order, datetime_unit=args.datetime_unit, **kw
            )
    return xr.Dataset(out)


def prepare_coords(ds: Any, args: argparse.Namespace, where: str) -> tuple[Any, list[str], list[Any]]:  # fmt: skip
    """The dataset with the ``--coords`` variables as coordinates, their names, and the dims
    they span (what the variables are differentiated along)."""
    coords = split(args.coords)
    for c in coords:
        if c not in ds.variables:
            shown = ", ".join(str(v) for v in ds.variables)
            msg = f"unknown coordinate variable {c!r} in {where} (it has: {shown})"
            raise CliError(msg)
    ds = ds.set_coords([c for c in coords if c in ds.data_vars])
    spanned = list(dict.fromkeys(d for c in coords for d in ds[c].dims))
    return ds, coords, spanned


def coords_gradient(ds: Any, names: list[str], coords: list[str], args: argparse.Namespace) -> Any:  # fmt: skip
    """Derivatives with respect to the coordinate variables (``d{var}_d{coord}``)."""
    from gridgrad import curvilinear

    return curvilinear.xarray_gradient(
        ds[names],
        coords,
        accuracy=args.accuracy,
        edge_order=args.edge_order,
        boundary=args.boundary,
    )
