"""The file formats of ``gridgrad compute``: read the input, compute, write to a given path.

Each ``compute_*`` function writes its output to ``path`` (a private staging path; the caller
publishes it) and returns the function that draws ``--plot``, or None.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import stat
import sys
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gridgrad.cli._common import CliError, numbers, options, split, unique

__all__ = ["FAMILY", "check_input", "compute_csv", "compute_numpy", "compute_xarray"]

FAMILY = {".nc": "xarray", ".zarr": "xarray", ".npy": "numpy", ".npz": "numpy", ".csv": "csv"}
Plotter = Callable[[Path], None] | None


def check_input(path: Path) -> None:
    """The input exists and is what its extension says: a regular file, or a directory for
    ``.zarr`` (a FIFO or a device named ``*.npy`` would block or never end)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        msg = f"input file not found: {str(path)!r}"
        raise CliError(msg) from None
    except OSError as exc:
        msg = f"cannot read {str(path)!r}: {exc.strerror}"
        raise CliError(msg) from None
    if path.suffix.lower() == ".zarr":
        if not stat.S_ISDIR(st.st_mode):
            msg = f"input {str(path)!r} is not a Zarr store (a directory)"
            raise CliError(msg)
    elif not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        msg = f"input {str(path)!r} is {kind}"
        raise CliError(msg)


def _unreadable(path: Path, exc: BaseException) -> CliError:
    text = str(exc) or type(exc).__name__
    return CliError(f"cannot read {str(path)!r}: {text}")


# --------------------------------------------------------------------------- memory


def available_memory() -> int:
    """Bytes this process may still use: MemAvailable, capped by a cgroup limit if any."""
    avail = None
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = 1 << 62
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        with contextlib.suppress(OSError, ValueError):
            limit = Path(limit_file).read_text().strip()
            if limit != "max":
                used = int(Path(usage_file).read_text().strip())
                avail = min(avail, int(limit) - used)
            break
    return max(avail, 0)


def _check_memory(needed: int, what: str) -> None:
    avail = available_memory()
    if needed > avail:
        msg = (
            f"{what} needs about {needed / 2**30:.2f} GiB of memory "
            f"(input and results, uncompressed); {avail / 2**30:.2f} GiB is available. "
            "Store it as .zarr or .nc to process it in chunks"
        )
        raise CliError(msg)


def _npz_members(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of each array of an .npz, read from the headers (nothing loaded)."""
    members: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with z.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
            members[info.filename[:-4]] = (tuple(shape), np.dtype(dtype))
    return members


# --------------------------------------------------------------------------- xarray files


def _xarray_op(ds: Any, names: list[str], dims: list[str] | None, args: argparse.Namespace) -> Any:
    import xarray as xr

    from gridgrad import xarray as gx

    if args.geometry == "sphere":
        from gridgrad.cli._sphere import sphere_op

        return sphere_op(ds, names, dims, args)
    if args.smooth is not None:
        from gridgrad.cli._extras import smooth_gradient

        return smooth_gradient(ds, names, dims, args)
    if args.coords is not None:
        from gridgrad.cli._extras import coords_gradient

        return coords_gradient(ds, names, split(args.coords), args)
    kw = {**options(args), "datetime_unit": args.datetime_unit}
    if args.op == "vorticity":  # on the plane: the 2-D curl
        if len(names) != 2:
            msg = f"--op vorticity needs two variables (--var u,v); got {len(names)}"
            raise ValueError(msg)
        return gx.curl([ds[n] for n in names], dims, **kw).rename("vorticity").to_dataset()
    if args.op == "gradient":
        return gx.gradient(ds[names], dims, order=args.order, **kw)
    if args.op == "laplacian":
        return xr.Dataset({f"laplacian_{n}": gx.laplacian(ds[n], dims, **kw) for n in names})
    func = gx.divergence if args.op == "divergence" else gx.curl
    result = func([ds[n] for n in names], dims, **kw)
    return result if isinstance(result, xr.Dataset) else result.to_dataset()


def check_names(names: Sequence[Any], available: Sequence[Any], what: str, where: str) -> None:
    for n in names:
        if n not in available:
            shown = ", ".join(str(a) for a in available) or "none"
            msg = f"unknown {what} {n!r} in {where} (it has: {shown})"
            raise CliError(msg)


def _open_xarray(path: Path) -> Any:
    try:
        import xarray as xr
    except ImportError:
        msg = "NetCDF/Zarr files need xarray: pip install 'gridgrad[xarray]'"
        raise CliError(msg) from None
    try:
        if path.suffix.lower() == ".zarr":
            with warnings.catch_warnings():  # stores without consolidated metadata are fine
                warnings.filterwarnings("ignore", "Failed to open Zarr store with consolidated")
                return xr.open_zarr(path)
        return xr.open_dataset(path, chunks="auto")
    except Exception as exc:  # any reader failure is a bad input file, said in one line
        raise _unreadable(path, exc) from None


def _absent_chunks(path: Path, names: list[str]) -> Iterator[tuple[str, int, int]]:
    """``(variable, absent, total)`` for variables of a Zarr store with chunks not written."""
    try:
        import zarr
    except ImportError:  # pragma: no cover - xarray's zarr backend needs it
        return
    try:
        group = zarr.open_group(str(path), mode="r")
    except Exception:  # not readable as a group: xarray already read it, nothing to add
        return
    for name in names:
        with contextlib.suppress(Exception):
            arr: Any = group[name]
            total, stored = int(arr.nchunks), int(arr.nchunks_initialized)
            if stored < total:
                yield name, total - stored, total


def _check_values(ds: Any, names: list[str], dims: list[str], where: str) -> None:
    """Each variable holds numbers and spans the dims it is differentiated along, named as the
    user named them (the library's own errors speak of positional dims)."""
    for n in names:
        var = ds[n]
        if var.dtype.kind not in "iufcmM":
            msg = f"variable {n!r} in {where} must hold numbers; got dtype {var.dtype}"
            raise CliError(msg)
        missing = [d for d in dims if d not in var.dims]
        if missing:
            msg = f"variable {n!r} in {where} has no dim {missing[0]!r} (its dims: {', '.join(map(str, var.dims))})"
            raise CliError(msg)


class _Progress:
    """A progress bar over several dask computations (the batches of one job), on stderr,
    shown only once the job has run ``minimum`` seconds (dask's ProgressBar draws one bar per
    computation)."""

    def __init__(self, enabled: bool, minimum: float, total: int) -> None:
        self.enabled, self.minimum, self.total = enabled, minimum, max(total, 1)
        self.done, self.start, self.shown = 0, time.perf_counter(), False

    def callback(self) -> Any:
        from dask.callbacks import Callback

        return Callback(posttask=self._posttask) if self.enabled else contextlib.nullcontext()

    def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        self.done += 1
        self.draw()

    def draw(self, end: bool = False) -> None:
        elapsed = time.perf_counter() - self.start
        if not self.enabled or (elapsed < self.minimum and not self.shown):
            return
        frac = min(self.done / self.total, 1.0)
        bar = "#" * int(40 * frac)
        sys.stderr.write(f"\r[{bar:<40}] | {frac:4.0%} Completed | {elapsed:.1f}s")
        self.shown = True
        if end:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            self.done = self.total
            self.draw(end=True)


def memory_budget(args: argparse.Namespace) -> int:
    """Bytes of results computed at once: ``--memory`` MB, or an eighth of what is available
    (at least 64 MB, at most 1 GB)."""
    if args.memory is not None:
        if not (args.memory > 0 and math.isfinite(args.memory)):
            msg = f"--memory must be a positive number of MB; got {args.memory}"
            raise CliError(msg)
        return int(args.memory * 2**20)
    return int(min(max(available_memory() // 8, 64 * 2**20), 2**30))


def _batches(
    shape: tuple[int, ...], chunks: tuple[tuple[int, ...], ...], itemsize: int, budget: int
) -> list[tuple[slice, ...]]:
    """Regions along the first dim, whole chunks each, of about ``budget`` bytes or one chunk."""
    if not shape:
        return [()]
    row = itemsize * int(np.prod(shape[1:], dtype=np.int64))
    regions, start, stop = [], 0, 0
    for c in chunks[0]:
        if stop > start and (stop + c - start) * row > budget:
            regions.append((slice(start, stop),))
            start = stop
        stop += c
    regions.append((slice(start, stop),))
    return [r + (slice(None),) * (len(shape) - 1) for r in regions]


def _write_xarray(result: Any, path: Path, args: argparse.Namespace) -> None:
    """Write ``result`` to ``path`` (.zarr or .nc) with memory bounded by the batch size.

    dask's scheduler, given xarray's whole write graph at once, reads ahead and keeps most of
    the input in memory (ghost cells make every input chunk feed three tasks). Here the lazy
    variables go to a Zarr store in batches of whole chunks along their first dim; a NetCDF
    output is then copied from that store chunk by chunk (a copy holds one chunk at a time).
    """
    import dask
    import dask.array as da
    import xarray as xr
    import zarr

    netcdf = path.suffix.lower() == ".nc"
    store = path.with_name(path.name + ".zarr") if netcdf else path
    budget = memory_budget(args)
    lazy = [str(v) for v in result.data_vars if dask.is_dask_collection(result[v].data)]
    result.to_zarr(store, mode="w-", compute=False, consolidated=False)  # metadata, eager data
    group = zarr.open_group(str(store), mode="r+")
    plan: list[tuple[Any, Any, tuple[slice, ...]]] = []
    for name in lazy:
        data = result[name].data
        for region in _batches(data.shape, data.chunks, data.dtype.itemsize, budget):
            plan.append((data[region], group[name], region))
    total = sum(len(src.__dask_graph__()) for src, _, _ in plan)
    bar = _Progress(args.progress, args.progress_after, total * (2 if netcdf else 1))
    try:
        with bar.callback():
            for src, target, region in plan:
                da.store(src, target, regions=region, lock=False)
            if netcdf:
                with xr.open_zarr(store, consolidated=False) as copy:
                    # one thread: netCDF writes are serialised, parallel reads would run ahead
                    copy.to_netcdf(path, compute=False).compute(scheduler="synchronous")
    finally:
        bar.close()


def compute_xarray(args: argparse.Namespace, path: Path) -> Plotter:
    source = Path(args.input)
    ds = _open_xarray(source)
    try:
        spanned: list[Any] = []
        if args.coords is not None:  # coordinate variables often open as data variables
            from gridgrad.cli._extras import prepare_coords

            ds, _, spanned = prepare_coords(ds, args, args.input)
        names = unique(split(args.var), "--var") or [str(v) for v in ds.data_vars]
        check_names(names, list(ds.data_vars), "variable", args.input)
        dims = unique(split(args.dims), "--dims") or None
        check_names(dims or [], list(ds.dims), "dim", args.input)
        _check_values(ds, names, dims or spanned, args.input)
        if source.suffix.lower() == ".zarr":
            for name, absent, total in _absent_chunks(source, names):
                print(
                    f"gridgrad compute: warning: {absent} of {total} chunks of variable "
                    f"{name!r} are absent from {args.input}; they read as the fill value",
                    file=sys.stderr,
                )
        if args.geometry is None:
            from gridgrad.cli._sphere import suggest_sphere

            suggest_sphere(ds, names, dims)
        try:
            result = _xarray_op(ds, names, dims, args)
        except (ValueError, TypeError, IndexError) as exc:
            where = ", ".join(names)
            msg = f"variable {where} along {', '.join(map(str, dims or ds.dims))}: {exc}"
            raise CliError(msg) from None
        start = time.perf_counter()
        try:
            _write_xarray(result, path, args)
        except (KeyboardInterrupt, MemoryError, CliError):
            raise
        except ValueError as exc:  # raised while computing: a folded grid, bad values
            text = " ".join(str(exc).split())
            msg = f"variable {', '.join(names)}: {text}"
            raise CliError(msg) from None
        except Exception as exc:  # a corrupt chunk, a codec failure, a full disk
            text = " ".join(str(exc).split()) or type(exc).__name__
            msg = f"failed after {time.perf_counter() - start:.1f} s reading {args.input} or writing the output: {text}"
            raise CliError(msg) from None
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


# --------------------------------------------------------------------------- NumPy files


def _load_numpy(args: argparse.Namespace) -> dict[str, Any]:
    path = Path(args.input)
    names = unique(split(args.var), "--var")
    try:
        if path.suffix.lower() == ".npy":
            if len(names) > 1:
                msg = f"an .npy file holds one array; --var names {len(names)}"
                raise CliError(msg)
            arrays = {(names or ["f"])[0]: np.load(path, mmap_mode="r", allow_pickle=False)}
            shapes = {k: (a.shape, a.dtype) for k, a in arrays.items()}
        else:
            shapes = _npz_members(path)
            names = names or list(shapes)
            check_names(names, list(shapes), "array", args.input)
            shapes = {n: shapes[n] for n in names}
            arrays = {}
    except CliError:
        raise
    except Exception as exc:  # empty, truncated or corrupt files, pickled objects
        raise _unreadable(path, exc) from None
    if not shapes:
        msg = f"{args.input} holds no arrays"
        raise CliError(msg)
    for n, (shape, dtype) in shapes.items():
        if dtype.kind not in "iufc":
            msg = f"array {n!r} in {args.input} must hold numbers; got dtype {dtype}"
            raise CliError(msg)
        if len(shape) == 0:
            msg = f"array {n!r} in {args.input} is 0-d (a single number): nothing to differentiate"
            raise CliError(msg)
    shown = ", ".join(f"{n!r}" for n in shapes)
    n_out = max(1, len(split(args.dims)) or len(next(iter(shapes.values()))[0]))
    npz = path.suffix.lower() == ".npz"  # loaded whole; an .npy is mapped, read as needed
    needed = sum(
        int(np.prod(s, dtype=np.int64)) * (d.itemsize * npz + (16 if d.kind == "c" else 8) * n_out)
        for s, d in shapes.values()
    )
    _check_memory(needed, f"{args.input} ({shown})")
    if not arrays:
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {n: z[n] for n in shapes}
        except Exception as exc:
            raise _unreadable(path, exc) from None
    return arrays


def compute_numpy(args: argparse.Namespace, path: Path) -> Plotter:
    import gridgrad

    arrays = _load_numpy(args)
    ndim = next(iter(arrays.values())).ndim
    try:
        dims = [int(d) for d in split(args.dims)] or list(range(ndim))
    except ValueError:
        msg = f"--dims for NumPy files must be axis numbers (e.g. 0,1); got {args.dims!r}"
        raise CliError(msg) from None
    dims = [d + ndim if -ndim <= d < 0 else d for d in dims]
    unique(dims, "--dims")
    check_names(dims, list(range(ndim)), "dim", f"{args.input} ({ndim}-D)")
    steps = numbers(args.spacing, "--spacing") or [1.0]
    if len(steps) not in (1, len(dims)):
        msg = f"--spacing needs one step, or one per dim ({len(dims)}); got {args.spacing!r}"
        raise CliError(msg)
    spacing = steps * len(dims) if len(steps) == 1 else steps
    kw = options(args)
    smooth_kw: dict[str, Any] = {}
    if args.smooth is not None:
        from gridgrad import smooth
        from gridgrad.cli._extras import smooth_keywords

        smooth_kw = smooth_keywords(args)
    out: dict[str, Any] = {}
    if args.op == "gradient":
        for n, a in arrays.items():
            for d, h in zip(dims, spacing):
                key = f"d{n}_d{d}" if args.order == 1 else f"d{args.order}{n}_d{d}{args.order}"
                if args.smooth is not None:
                    out[key] = smooth.derivative(a, d, order=args.order, spacing=h, **smooth_kw)
                else:
                    out[key] = gridgrad.derivative(a, d, order=args.order, spacing=h, **kw)
    elif args.op == "laplacian":
        for n, a in arrays.items():
            out[f"laplacian_{n}"] = gridgrad.laplacian(a, spacing=spacing, dim=dims, **kw)
    else:
        func = gridgrad.divergence if args.op == "divergence" else gridgrad.curl
        if args.op == "vorticity" and len(arrays) != 2:
            msg = f"--op vorticity needs two arrays (u, v); got {len(arrays)}"
            raise CliError(msg)
        r = func(list(arrays.values()), spacing=spacing, dim=dims, **kw)
        parts = r if isinstance(r, tuple) else (r,)
        keys = [args.op] if len(parts) == 1 else [f"{args.op}_{d}" for d in dims]
        out.update(zip(keys, parts))
    with open(path, "xb") as fh:
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


# --------------------------------------------------------------------------- CSV


def compute_csv(args: argparse.Namespace, path: Path) -> Plotter:
    import pandas as pd
    import xarray as xr

    source = Path(args.input)
    try:
        df = pd.read_csv(source)
    except Exception as exc:  # empty or malformed files
        raise _unreadable(source, exc) from None
    dims = unique(split(args.dims), "--dims")
    if len(dims) > 1:
        msg = f"--dims for a CSV file names one coordinate column; got {args.dims!r}"
        raise CliError(msg)
    dim = dims[0] if dims else "row"
    if dims:
        check_names(dims, list(df.columns), "coordinate column", args.input)
        coord = df[dim].to_numpy()
        if coord.dtype == object:
            try:
                coord = pd.to_datetime(df[dim]).to_numpy()
            except (ValueError, TypeError):
                msg = f"coordinate column {dim!r} must be numbers or dates"
                raise CliError(msg) from None
        coords = {dim: coord}
    else:
        steps = numbers(args.spacing, "--spacing") or [1.0]
        coords = {dim: np.arange(len(df)) * steps[0]}
    names = unique(split(args.var), "--var") or [str(c) for c in df.columns if c != dim]
    check_names(names, list(df.columns), "column", args.input)
    for n in names:
        if df[n].dtype.kind not in "iuf":
            msg = f"column {n!r} must be numeric; got {df[n].dtype}"
            raise CliError(msg)
    if args.op in ("divergence", "curl", "vorticity"):
        msg = f"--op {args.op} needs 2 or more dims; a CSV file has one"
        raise CliError(msg)
    ds = xr.Dataset({n: (dim, df[n].to_numpy(dtype=float)) for n in names}, coords=coords)
    try:
        result = _xarray_op(ds, names, [dim], args)
    except (ValueError, TypeError, IndexError) as exc:
        msg = f"column {', '.join(names)} along {dim!r}: {exc}"
        raise CliError(msg) from None
    for v in result.data_vars:
        df[str(v)] = result[v].values
    with open(path, "x", newline="") as fh:
        df.to_csv(fh, index=False)
    if not args.plot:
        return None
    first = str(next(iter(result.data_vars)))
    return lambda p: _plot_result(p, result[first].values, [ds[dim].values], [dim], first)
