"""Gradient on the sphere: gridgrad.sphere vs MetPy's geospatial_gradient and vs the
Cartesian gridgrad.gradient, on one synthetic ERA5 day (24 x 721 x 1440 float32, 0.25
degrees, pole rows included), in one run.

    python benchmarks/sphere_bench.py                 # the full ERA5 day
    python benchmarks/sphere_bench.py --shape 4,181,360 --repeat 3
    python benchmarks/sphere_bench.py --dask 10       # also 10 days through dask on a
                                                      # 2-worker LocalCluster (1 GB/worker)
    python benchmarks/sphere_bench.py --repeat 0 --dask 10    # the dask run alone

Times are the best of ``--repeat`` after a warm-up (MetPy: ``--metpy-repeat``, 1 by
default: it takes seconds). Ratios are the other's time over gridgrad.sphere's.
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


def best(fn, repeat: int) -> float:
    fn()  # warm-up (loads the kernels)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(shape: tuple[int, int, int], repeat: int, metpy_repeat: int) -> None:
    f, lat, lon = era5_like(shape)
    print(f"field {shape} float32, {f.nbytes / 1e6:.0f} MB, numpy {np.__version__}")
    # interleaved, best of each: load bursts on a shared machine hit both alike
    t_sphere = t_cart = float("inf")
    for _ in range(repeat):
        t_sphere = min(t_sphere, best(lambda: gs.gradient(f, lat, lon), 1))
        t_cart = min(t_cart, best(lambda: gridgrad.gradient(f, dim=(1, 2)), 1))
    print(f"gridgrad.sphere.gradient      {t_sphere * 1e3:9.1f} ms")
    print(
        f"gridgrad.gradient (Cartesian) {t_cart * 1e3:9.1f} ms  "
        f"(sphere / Cartesian = {t_sphere / t_cart:.2f}x)"
    )
    try:
        import metpy.calc as mpcalc
        import pyproj
        from metpy.units import units
    except ImportError:
        print("MetPy: not installed (pip install metpy)")
        return
    q = f * units.K
    for label, crs in (
        ("sphere", pyproj.CRS(f"+proj=longlat +R={gs.EARTH_RADIUS}")),
        ("WGS84", pyproj.CRS("EPSG:4326")),  # MetPy's usual lat/lon CRS: geodesic distances
    ):
        kw = {"latitude": lat * units.degree, "longitude": lon * units.degree, "crs": crs}
        t_metpy = best(lambda kw=kw: mpcalc.geospatial_gradient(q, **kw), metpy_repeat)
        print(
            f"metpy.calc.geospatial_gradient, {label:6} {t_metpy * 1e3:8.1f} ms  "
            f"(MetPy / gridgrad.sphere = {t_metpy / t_sphere:.1f}x)"
        )
    crs = pyproj.CRS(f"+proj=longlat +R={gs.EARTH_RADIUS}")
    kw = {"latitude": lat * units.degree, "longitude": lon * units.degree, "crs": crs}
    inner = (slice(1, -1), slice(1, -1))  # MetPy: no pole rule, not cyclic
    east, north = gs.gradient(f, lat, lon)
    gx, gy = mpcalc.geospatial_gradient(q[:1], **kw)
    for name, ours, theirs in (("eastward", east, gx), ("northward", north, gy)):
        d = np.abs(np.asarray(theirs.magnitude)[0][inner] - ours[0][inner]).max()
        print(f"  max |MetPy - gridgrad| {name}: {d / np.abs(ours[0][inner]).max():.1e} of max")


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
        f = da.random.default_rng(0).standard_normal((days * nt, ny, nx), chunks=chunks)
        f = f.astype(np.float32)
        print(f"dask field {f.shape} float32, {f.nbytes / 1e9:.1f} GB, chunks {chunks}")
        t0 = time.perf_counter()
        east, north = gs.gradient(f, lat, lon)
        graph = time.perf_counter() - t0
        t0 = time.perf_counter()
        total = da.stack([abs(east).max(), abs(north).max()]).compute()
        print(
            f"graph {graph:.2f} s, compute {time.perf_counter() - t0:.1f} s on 2 workers x 1 GB; "
            f"max |east|, |north| = {total}"
        )
        peak = client.run(_peak_rss_mb)
        print("peak resident memory per worker: " + ", ".join(f"{v:.0f} MB" for v in peak.values()))


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
    parser.add_argument("--metpy-repeat", type=int, default=1)
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
