"""The ``gridgrad`` command line: argument parsing and printing only."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from gridgrad import _demo as demo

    if args.plot:
        from gridgrad import _plot

        _plot.pyplot()  # fail early with the install hint when matplotlib is missing

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
    _showcase(out)
    if args.plot:
        from gridgrad import _plot

        _plot.demo_figure(args.plot, demo.showcase_fields(), demo.accuracy_table())
        print(f"\nwrote {args.plot}", file=out)
    return 0


def _showcase(out: Any) -> None:
    from gridgrad import _demo as demo

    rows = demo.accuracy_table()
    ps = [k for k in rows[0] if isinstance(k, int)]
    print(f"\n# Showcase: {demo.SHOWCASE}", file=out)
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


# --------------------------------------------------------------------------- compute


class CliError(Exception):
    """A bad command line or input file: printed as one line, exit status 2."""


_FAMILY = {".nc": "xarray", ".zarr": "xarray", ".npy": "numpy", ".npz": "numpy", ".csv": "csv"}
_OPS = ("gradient", "laplacian", "divergence", "curl")


def _ext(path: Path, role: str) -> str:
    ext = path.suffix.lower()
    if ext not in _FAMILY:
        msg = (
            f"unsupported {role} extension {ext or '(none)'!r} for {str(path)!r}; "
            f"expected one of {', '.join(_FAMILY)}"
        )
        raise CliError(msg)
    return ext


def _split(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


def _numbers(text: str | None, option: str) -> list[float]:
    try:
        return [float(t) for t in _split(text)]
    except ValueError:
        msg = f"{option} must be numbers separated by commas; got {text!r}"
        raise CliError(msg) from None


def _options(args: argparse.Namespace) -> dict[str, Any]:
    periods = _numbers(args.period, "--period")
    if len(periods) > 1:
        msg = f"--period takes one domain length; got {args.period!r}"
        raise CliError(msg)
    return {
        "accuracy": args.accuracy,
        "edge_order": args.edge_order,
        "boundary": args.boundary,
        "period": periods[0] if len(periods) == 1 else None,
    }


def _tmp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid()}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _publish(tmp: Path, target: Path) -> None:
    """Move the finished temporary output into place (replacing an old one)."""
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    os.replace(tmp, target)


# ---- xarray files (.nc, .zarr)


def _xarray_op(ds: Any, names: list[str], dims: list[str] | None, args: argparse.Namespace) -> Any:
    import xarray as xr

    from gridgrad import xarray as gx

    kw = {**_options(args), "datetime_unit": args.datetime_unit}
    if args.op == "gradient":
        return gx.gradient(ds[names], dims, order=args.order, **kw)
    if args.op == "laplacian":
        return xr.Dataset({f"laplacian_{n}": gx.laplacian(ds[n], dims, **kw) for n in names})
    func = gx.divergence if args.op == "divergence" else gx.curl
    result = func([ds[n] for n in names], dims, **kw)
    return result if isinstance(result, xr.Dataset) else result.to_dataset()


def _check_names(names: Sequence[Any], available: Sequence[Any], what: str, where: str) -> None:
    for n in names:
        if n not in available:
            shown = ", ".join(str(a) for a in available) or "none"
            msg = f"unknown {what} {n!r} in {where} (it has: {shown})"
            raise CliError(msg)


def _open_xarray(path: Path) -> Any:
    try:
        import xarray as xr
    except ImportError:
        msg = "NetCDF/Zarr files need xarray: pip install xarray netCDF4 zarr dask"
        raise CliError(msg) from None
    try:
        if path.suffix.lower() == ".zarr":
            with warnings.catch_warnings():  # stores without consolidated metadata are fine
                warnings.filterwarnings("ignore", "Failed to open Zarr store with consolidated")
                return xr.open_zarr(path)
        return xr.open_dataset(path, chunks="auto")
    except (OSError, ValueError) as exc:
        msg = f"cannot read {str(path)!r}: {exc}"
        raise CliError(msg) from None


def _compute_xarray(args: argparse.Namespace, tmp: Path) -> Callable[[Path], None] | None:
    from dask.diagnostics import ProgressBar

    ds = _open_xarray(Path(args.input))
    try:
        names = _split(args.var) or [str(v) for v in ds.data_vars]
        _check_names(names, list(ds.data_vars), "variable", args.input)
        dims = _split(args.dims) or None
        _check_names(dims or [], list(ds.dims), "dim", args.input)
        result = _xarray_op(ds, names, dims, args)
        if Path(args.output).suffix.lower() == ".zarr":
            job = result.to_zarr(tmp, mode="w", compute=False, consolidated=False)
        else:
            job = result.to_netcdf(tmp, compute=False)
        if args.progress:
            with ProgressBar(out=sys.stderr):
                job.compute()
        else:
            job.compute()
    finally:
        ds.close()
    first = next(iter(result.data_vars))
    return _xarray_plotter(result[first]) if args.plot else None


def _xarray_plotter(da: Any) -> Callable[[Path], None]:
    def plot(path: Path) -> None:
        from gridgrad import _plot

        units = da.attrs.get("units")
        title = f"{da.name} [{units}]" if units else str(da.name)
        section = da.isel({d: 0 for d in da.dims[:-2]}).load()
        coords = [
            np.asarray(section[d].values) if d in section.coords else np.arange(section.sizes[d])
            for d in section.dims
        ]
        _plot.result_figure(path, section.values, coords, [str(d) for d in section.dims], title)

    return plot


# ---- NumPy files (.npy, .npz)


def _compute_numpy(args: argparse.Namespace, tmp: Path) -> Callable[[Path], None] | None:
    import gridgrad

    path = Path(args.input)
    try:
        if path.suffix.lower() == ".npy":
            arrays = {(_split(args.var) or ["f"])[0]: np.load(path, mmap_mode="r")}
        else:
            with np.load(path) as z:
                names = _split(args.var) or list(z.files)
                _check_names(names, z.files, "array", args.input)
                arrays = {n: z[n] for n in names}
    except (OSError, ValueError) as exc:
        msg = f"cannot read {str(path)!r}: {exc}"
        raise CliError(msg) from None
    ndim = next(iter(arrays.values())).ndim
    try:
        dims = [int(d) for d in _split(args.dims)] or list(range(ndim))
    except ValueError:
        msg = f"--dims for NumPy files must be axis numbers (e.g. 0,1); got {args.dims!r}"
        raise CliError(msg) from None
    _check_names(dims, list(range(ndim)), "dim", f"{args.input} ({ndim}-D)")
    steps = _numbers(args.spacing, "--spacing") or [1.0]
    if len(steps) not in (1, len(dims)):
        msg = f"--spacing needs one step, or one per dim ({len(dims)}); got {args.spacing!r}"
        raise CliError(msg)
    spacing = steps * len(dims) if len(steps) == 1 else steps
    kw = _options(args)
    out: dict[str, Any] = {}
    if args.op == "gradient":
        for n, a in arrays.items():
            for d, h in zip(dims, spacing):
                key = f"d{n}_d{d}" if args.order == 1 else f"d{args.order}{n}_d{d}{args.order}"
                out[key] = gridgrad.derivative(a, d, order=args.order, spacing=h, **kw)
    elif args.op == "laplacian":
        for n, a in arrays.items():
            out[f"laplacian_{n}"] = gridgrad.laplacian(a, spacing=spacing, dim=dims, **kw)
    else:
        func = gridgrad.divergence if args.op == "divergence" else gridgrad.curl
        r = func(list(arrays.values()), spacing=spacing, dim=dims, **kw)
        parts = r if isinstance(r, tuple) else (r,)
        keys = [args.op] if len(parts) == 1 else [f"{args.op}_{d}" for d in dims]
        out.update(zip(keys, parts))
    with open(tmp, "wb") as fh:
        if Path(args.output).suffix.lower() == ".npz":
            np.savez(fh, **out)
        else:
            np.save(fh, next(iter(out.values())) if len(out) == 1 else np.stack(list(out.values())))
    if not args.plot:
        return None
    name, values = next(iter(out.items()))
    values = np.asarray(values)
    if values.ndim > 2:
        values = values[(0,) * (values.ndim - 2)]
    coords = [np.arange(s) for s in values.shape]
    labels = [f"axis {k}" for k in range(ndim - values.ndim, ndim)]
    return lambda p: _plot_result(p, values, coords, labels, name)


def _plot_result(path: Path, values: Any, coords: list[Any], labels: list[str], name: str) -> None:
    from gridgrad import _plot

    _plot.result_figure(path, values, coords, labels, name)


# ---- CSV


def _compute_csv(args: argparse.Namespace, tmp: Path) -> Callable[[Path], None] | None:
    import pandas as pd
    import xarray as xr

    path = Path(args.input)
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        msg = f"cannot read {str(path)!r}: {exc}"
        raise CliError(msg) from None
    dims = _split(args.dims)
    if len(dims) > 1:
        msg = f"--dims for a CSV file names one coordinate column; got {args.dims!r}"
        raise CliError(msg)
    dim = dims[0] if dims else "row"
    if dims:
        _check_names(dims, list(df.columns), "coordinate column", args.input)
        coord = df[dim].to_numpy()
        if coord.dtype == object:
            try:
                coord = pd.to_datetime(df[dim]).to_numpy()
            except (ValueError, TypeError):
                msg = f"coordinate column {dim!r} must be numbers or dates"
                raise CliError(msg) from None
        coords = {dim: coord}
    else:
        steps = _numbers(args.spacing, "--spacing") or [1.0]
        coords = {dim: np.arange(len(df)) * steps[0]}
    names = _split(args.var) or [str(c) for c in df.columns if c != dim]
    _check_names(names, list(df.columns), "column", args.input)
    for n in names:
        if df[n].dtype.kind not in "iuf":
            msg = f"column {n!r} must be numeric; got {df[n].dtype}"
            raise CliError(msg)
    ds = xr.Dataset({n: (dim, df[n].to_numpy(dtype=float)) for n in names}, coords=coords)
    if args.op in ("divergence", "curl"):
        msg = f"--op {args.op} needs 2 or more dims; a CSV file has one"
        raise CliError(msg)
    result = _xarray_op(ds, names, [dim], args)
    for v in result.data_vars:
        df[str(v)] = result[v].values
    df.to_csv(tmp, index=False)
    if not args.plot:
        return None
    first = str(next(iter(result.data_vars)))
    return lambda p: _plot_result(p, result[first].values, [ds[dim].values], [dim], first)


def _compute(args: argparse.Namespace) -> int:
    src, dst = Path(args.input), Path(args.output)
    in_ext, out_ext = _ext(src, "input"), _ext(dst, "output")
    if not src.exists():
        msg = f"input file not found: {str(src)!r}"
        raise CliError(msg)
    if _FAMILY[in_ext] != _FAMILY[out_ext]:
        msg = f"cannot write {in_ext} input as {out_ext}; .nc and .zarr go together, .npy and .npz, .csv alone"
        raise CliError(msg)
    if dst.exists() and not args.overwrite:
        msg = f"output {str(dst)!r} exists; pass --overwrite to replace it"
        raise CliError(msg)
    if src.resolve() == dst.resolve():
        msg = "the output must not be the input file"
        raise CliError(msg)
    if args.order < 1:
        msg = f"--order must be a positive integer; got {args.order}"
        raise CliError(msg)
    if args.order != 1 and args.op != "gradient":
        msg = f"--order applies to --op gradient only; got --op {args.op}"
        raise CliError(msg)
    if args.plot:
        from gridgrad import _plot

        _plot.pyplot()  # fail early, before any work, when matplotlib is missing
        if Path(args.plot).suffix.lower() != ".png":
            msg = f"--plot must name a .png file; got {args.plot!r}"
            raise CliError(msg)
    run = {"xarray": _compute_xarray, "numpy": _compute_numpy, "csv": _compute_csv}[_FAMILY[in_ext]]
    tmp = _tmp_name(dst)
    try:
        plot = run(args, tmp)
        _publish(tmp, dst)
    finally:
        _remove(tmp)
    print(f"wrote {dst}", file=sys.stderr)
    if plot is not None:
        plot(Path(args.plot))
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    from gridgrad import __version__

    parser = argparse.ArgumentParser(
        prog="gridgrad", description="Derivatives of sampled data by finite differences."
    )
    parser.add_argument("--version", action="version", version=f"gridgrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="worked examples, convergence and accuracy tables")
    demo.add_argument("--plot", metavar="FILE.png", help="also draw the showcase figure")
    demo.set_defaults(func=_demo)
    c = sub.add_parser(
        "compute",
        help="derivatives of variables in a .nc, .zarr, .npy, .npz or .csv file",
        description=(
            "Differentiate variables of a file; the format follows the extension. "
            "NetCDF/Zarr are processed in chunks through Dask (larger than memory works)."
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
    c.add_argument("--op", choices=_OPS, default="gradient", help="default: gradient")
    c.add_argument("--order", type=int, default=1, help="derivative order (gradient; default 1)")
    c.add_argument("--accuracy", type=int, default=2, help="even order of accuracy (default 2)")
    c.add_argument(
        "--edge-order", type=int, default=None, help="edge accuracy (default: --accuracy)"
    )
    c.add_argument("--boundary", choices=("one-sided", "periodic"), default="one-sided")
    c.add_argument("--period", help="domain length of periodic non-uniform coordinates")
    c.add_argument("--spacing", help="step(s) for .npy/.npz (one, or one per dim; default 1)")
    c.add_argument("--datetime-unit", default=None, help="unit of time coordinates (default s)")
    c.add_argument("--plot", metavar="FILE.png", help="also draw the first result")
    c.add_argument("--overwrite", action="store_true", help="replace an existing OUTPUT")
    c.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bar on stderr"
    )
    c.set_defaults(func=_compute)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # the reader went away (``gridgrad demo | head``): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)  # Python's documented recipe: no
        os.dup2(devnull, sys.stdout.fileno())  # second error when stdout is flushed at exit
        return 0
    except (CliError, ImportError, OSError, ValueError, TypeError, IndexError, KeyError) as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        print(f"gridgrad {args.command}: error: {text}", file=sys.stderr)
        return 2
