"""Gradient on the sphere: gridgrad.sphere vs MetPy's geospatial_gradient and vs the
Cartesian gridgrad.gradient, on one synthetic ERA5 day (24 x 721 x 1440 float32, 0.25
degrees, pole rows included), in one run.

    python benchmarks/sphere_bench.py                 # the full ERA5 day
    python benchmarks/sphere_bench.py --shape 4,181,360 --repeat 3
    python benchmarks/sphere_bench.py --dask 10       # also 10 days through dask on a
                                                      # 2-worker LocalCluster (1 GB/worker)
    python benchmarks/sphere_bench.py --repeat 0 --dask 10    # the dask run alone

Every call is warmed up once, then timed ``--repeat`` times (MetPy's: ``--metpy-repeat``,
3 by default: it takes seconds), the calls interleaved so that a load burst on a shared
machine hits all alike. The table gives the best and median wall-clock time and the
best CPU time (all threads); ratios are of the best wall-clock times.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import gridgrad
import gridgrad.sphere as gs


def era5_like(shape: tuple[int, int, int], dtype: str = "float32") -> tuple[np.ndarray, ...]:
    """A smooth (time, lat, lon) temperature-like field on a 90..-90 x 0..360 grid."""
    nt, ny, nx = shape
    lat = np.linspace(90.0, -90.0, ny)
    lon = np.arange(nx) * (360.0 / nx)
    phi = np.deg2rad(lat)[None, :, None]
    lam = np.deg2rad(lon)[None, None, :]
    t = np.arange(nt)[:, None, None] / max(nt, 1)
    f = 250 + 40 * np.cos(phi) ** 2 + 5 * np.cos(phi) ** 3 * np.sin(3 * lam - 2 * np.pi * t)
    return f.astype(dtype), lat, lon


def _clock(fn) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads of the process) of one call."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def side_by_side(fns: dict, repeat: int) -> dict[str, tuple[float, float, float]]:
    """Each of ``fns`` warmed up once, then called ``repeat`` times, interleaved (a load
    burst on a shared machine hits all alike): (best wall, median wall, best CPU)."""
    for fn in fns.values():
        fn()  # warm-up: loads the kernels (numba's import and disk cache)
    walls: dict[str, list[float]] = {k: [] for k in fns}
    cpus: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            wall, cpu = _clock(fn)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {k: (min(walls[k]), float(np.median(walls[k])), min(cpus[k])) for k in fns}


def run(shape: tuple[int, int, int], repeat: int, metpy_repeat: int) -> None:
    f, lat, lon = era5_like(shape)
    print(f"field {shape} float32, {f.nbytes / 1e6:.0f} MB, numpy {np.__version__}")
    print(_machine())
    fns = {
        "gridgrad.sphere.gradient": lambda: gs.gradient(f, lat, lon),
        "gridgrad.gradient (Cartesian)": lambda: gridgrad.gradient(f, dim=(1, 2)),
    }
    try:
        import metpy.calc as mpcalc
        import pyproj
        from metpy.units import units
    except ImportError:
        mpcalc = None
        print("MetPy: not installed (pip install metpy)")
    else:
        q = f * units.K
        for label, crs in (
            ("sphere", pyproj.CRS(f"+proj=longlat +R={gs.EARTH_RADIUS}")),
            ("WGS84", pyproj.CRS("EPSG:4326")),  # MetPy's usual lat/lon CRS: geodesics
        ):
            kw = {"latitude": lat * units.degree, "longitude": lon * units.degree, "crs": crs}
            fns[f"metpy geospatial_gradient, {label}"] = lambda kw=kw: mpcalc.geospatial_gradient(
                q, **kw
            )
    # gridgrad's calls interleaved `repeat` times; MetPy's (seconds each) fewer times,
    # interleaved with gridgrad's sphere call again
    ours = side_by_side({k: fns[k] for k in list(fns)[:2]}, repeat)
    theirs = side_by_side({k: fns[k] for k in list(fns)[2:]}, metpy_repeat) if len(fns) > 2 else {}
    sphere = ours["gridgrad.sphere.gradient"][0]
    print(f"{'':38} {'best ms':>9} {'median ms':>10} {'CPU ms':>9}  ratio (best wall)")
    for name, (wall, med, cpu) in {**ours, **theirs}.items():
        if name == "gridgrad.sphere.gradient":
            ratio = ""
        elif name.startswith("gridgrad"):
            ratio = f"sphere / Cartesian = {sphere / wall:.2f}x (target <= 1.2x)"
        else:
            ratio = f"MetPy / sphere = {wall / sphere:.1f}x (target >= 30x)"
        print(f"{name:38} {wall * 1e3:9.1f} {med * 1e3:10.1f} {cpu * 1e3:9.1f}  {ratio}")
    if mpcalc is None:
        return
    crs = pyproj.CRS(f"+proj=longlat +R={gs.EARTH_RADIUS}")
    kw = {"latitude": lat * units.degree, "longitude": lon * units.degree, "crs": crs}
    inner = (slice(1, -1), slice(1, -1))  # MetPy: no pole rule, not cyclic
    east, north = gs.gradient(f, lat, lon)
    gx, gy = mpcalc.geospatial_gradient(q[:1], **kw)
    for name, ours_, theirs_ in (("eastward", east, gx), ("northward", north, gy)):
        d = np.abs(np.asarray(theirs_.magnitude)[0][inner] - ours_[0][inner]).max()
        print(f"  max |MetPy - gridgrad| {name}: {d / np.abs(ours_[0][inner]).max():.1e} of max")


def run_dask(days: int, shape: tuple[int, int, int]) -> None:
    """``days`` times the field through dask on a 2-worker LocalCluster of 1 GB each:
    generated lazily per chunk, differentiated, reduced, never loaded whole."""
    import dask.array as da
    from distributed import Client, LocalCluster

    nt, ny, nx = shape
    lat = np.linspace(90.0, -90.0, ny)
    lon = np.arange(nx) * (360.0 / nx)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="1GB") as cluster,
        Client(cluster) as client,
    ):
        chunks = (1, ny, nx)
        # era5_like's field, made per chunk (one time step) on the workers
        phi = np.deg2rad(lat)[:, None].astype(np.float32)
        lam = np.deg2rad(lon)[None, :].astype(np.float32)
        t = da.arange(days * nt, chunks=1, dtype=np.float32)[:, None, None] / nt
        f = 250 + 40 * np.cos(phi) ** 2 + 5 * np.cos(phi) ** 3 * da.sin(3 * lam - 2 * np.pi * t)
        f = f.astype(np.float32)
        print(f"dask field {f.shape} float32, {f.nbytes / 1e9:.1f} GB, chunks {chunks}")
        t0 = time.perf_counter()
        made = f.max().compute()
        made_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        east, north = gs.gradient(f, lat, lon)
        graph = time.perf_counter() - t0
        t0 = time.perf_counter()
        total = da.stack([abs(east).max(), abs(north).max()]).compute()
        print(
            f"making the field alone {made_s:.1f} s (max {made:.1f}); gradient: graph "
            f"{graph:.2f} s, compute {time.perf_counter() - t0:.1f} s on 2 workers x 1 GB; "
            f"max |east|, |north| = {total}"
        )
        peak = client.run(_peak_rss_mb)
        print("peak resident memory per worker: " + ", ".join(f"{v:.0f} MB" for v in peak.values()))
        most = max(peak.values())
        verdict = "below it: no worker held it whole" if most < f.nbytes / 1e6 else "not below it"
        print(f"largest worker peak {most:.0f} MB, the field {f.nbytes / 1e6:.0f} MB: {verdict}")


def _machine() -> str:
    """CPUs, threads and the load average: the ratios to MetPy (one thread) depend on
    how many of gridgrad's threads find a free core on a shared machine."""
    import os

    try:
        import numba

        threads = f"{numba.get_num_threads()} kernel threads"
    except ImportError:
        threads = "no numba"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, {threads}, load average {load}"


def _peak_rss_mb() -> float:
    """The worker process's peak resident memory (Linux: VmHWM, per process image, so
    not inherited from the parent as ru_maxrss is)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="24,721,1440")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--metpy-repeat", type=int, default=3)
    parser.add_argument("--dask", type=int, default=0, metavar="DAYS")
    args = parser.parse_args()
    shape = tuple(int(s) for s in args.shape.split(","))
    assert len(shape) == 3
    if args.repeat:
        run(shape, args.repeat, args.metpy_repeat)  # type: ignore[arg-type]
    if args.dask:
        run_dask(args.dask, shape)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
