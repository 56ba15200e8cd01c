"""Differentiate a Zarr array larger than the memory its Dask workers may use.

Creates (or reuses) a random float32 Zarr array on disk, starts a LocalCluster of
worker processes on 127.0.0.1 with a memory limit each, differentiates the array
lazily with ``gridgrad.gradient`` along every dimension, and writes each component
to its own Zarr array with ``dask.array.to_zarr`` under distributed's progress
bar. Prints the wall time, the peak resident memory of each worker (sampled every
0.2 s), and checks a corner of the result against the NumPy path.

Needs ``pip install -e '.[bench]'`` (or ``PYTHONPATH=src``: the worker processes
must be able to import gridgrad). Not run by the test suite::

    python benchmarks/zarr_out_of_core.py              # ~4.3 GB of float32, 2 x 1 GB workers
    python benchmarks/zarr_out_of_core.py --quick      # 128^3, a few seconds, full check
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from pathlib import Path

import dask.array as da
import numpy as np
import psutil
import zarr
from distributed import Client, LocalCluster, progress, wait

import gridgrad


def _rss() -> int:
    return psutil.Process().memory_info().rss


class PeakMemory:
    """Samples every worker's resident memory in a background thread."""

    def __init__(self, client: Client, every: float = 0.2) -> None:
        self.client, self.every = client, every
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                for worker, rss in self.client.run(_rss).items():
                    self.peak[worker] = max(self.peak.get(worker, 0), rss)
            except Exception:  # a worker restarting: keep sampling the others
                pass
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB"


def _create_array(path: Path, shape, chunks, dtype) -> zarr.Array:
    return zarr.create_array(
        store=str(path), shape=shape, chunks=chunks, dtype=dtype, compressors=None, overwrite=True
    )


def _input(client: Client, path: Path, shape, chunks, dtype) -> zarr.Array:
    if path.exists():
        z = zarr.open_array(str(path), mode="r")
        if z.shape == tuple(shape) and z.dtype == dtype and z.chunks == tuple(chunks):
            print(f"reusing {path}")
            return z
    print(f"writing the input {path}: shape {shape}, {dtype}, chunks {chunks}")
    t0 = time.perf_counter()
    f = da.random.default_rng(0).standard_normal(shape, chunks=chunks, dtype=dtype)
    z = _create_array(path, shape, chunks, dtype)
    futures = client.compute(da.to_zarr(f, z, compute=False))
    progress(futures)
    wait(futures)
    print(f"\n  written in {time.perf_counter() - t0:.1f} s")
    return zarr.open_array(str(path), mode="r")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--path", type=Path, default=Path("/tmp/gridgrad-zarr-bench"))
    p.add_argument("--shape", type=int, nargs="+", default=[1024, 1024, 1024])
    p.add_argument("--chunks", type=int, nargs="+", default=[128, 128, 128])
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--edge-order", type=int, default=2, choices=[1, 2])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--memory-limit", default="1GB", help="per worker, as dask spells it")
    p.add_argument("--quick", action="store_true", help="128^3 with 32^3 chunks, full check")
    p.add_argument("--keep", action="store_true", help="keep the Zarr arrays afterwards")
    args = p.parse_args(argv)
    shape, chunks = tuple(args.shape), tuple(args.chunks)
    if args.quick:
        shape, chunks = (128, 128, 128), (32, 32, 32)
    if len(chunks) != len(shape):
        p.error("--chunks needs one size per dimension of --shape")
    dtype = np.dtype(args.dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    args.path.mkdir(parents=True, exist_ok=True)

    with (
        LocalCluster(
            n_workers=args.workers,
            processes=True,
            threads_per_worker=1,
            memory_limit=args.memory_limit,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        limit = sum(w["memory_limit"] for w in client.scheduler_info()["workers"].values())
        z = _input(client, args.path / "input.zarr", shape, chunks, dtype)
        print(
            f"data {_gb(nbytes)} ({shape}, {dtype}); {args.workers} workers x "
            f"{args.memory_limit} = {_gb(limit)} memory cap; results {len(shape)} x {_gb(nbytes)}"
        )

        t0 = time.perf_counter()
        f = da.from_zarr(z)
        grads = gridgrad.gradient(f, spacing=0.01, edge_order=args.edge_order)
        stores = []
        for d, g in enumerate(grads):
            out = _create_array(args.path / f"grad{d}.zarr", g.shape, g.chunksize, g.dtype)
            stores.append(da.to_zarr(g, out, compute=False))
        t_graph = time.perf_counter() - t0
        with PeakMemory(client) as mem:
            futures = client.compute(stores)
            progress(futures)
            wait(futures)
        wall = time.perf_counter() - t0
        print()
        print(
            f"graph built in {t_graph:.2f} s (nothing computed), tasks {len(grads[0].dask)} per component"
        )
        print(f"wall time (graph + compute + write): {wall:.1f} s")
        mb_s = nbytes / wall / 1e6
        print(
            f"throughput: {mb_s:.0f} MB/s of input, {len(grads) * mb_s:.0f} MB/s of results written"
        )
        for worker, peak in sorted(mem.peak.items()):
            print(f"peak worker memory {worker}: {_gb(peak)} (limit {args.memory_limit})")
        print(f"peak worker memory, sum over workers: {_gb(sum(mem.peak.values()))}")

    # check against the NumPy path: everything (--quick) or a corner of each component
    edge = None if args.quick else tuple(min(n, 40) for n in shape)
    window = tuple(slice(0, n) for n in (edge or shape))
    ref = gridgrad.gradient(z[window], spacing=0.01, edge_order=args.edge_order)
    inner = window if edge is None else tuple(slice(0, n - 2) for n in edge)
    for d, r in enumerate(ref):
        got = zarr.open_array(str(args.path / f"grad{d}.zarr"), mode="r")[inner]
        np.testing.assert_array_equal(got, r[inner])
    what = "all points" if args.quick else "a corner"
    print(f"check: {what} of every component equal to the NumPy path, bitwise")

    if not args.keep:
        shutil.rmtree(args.path)
        print(f"removed {args.path}")


if __name__ == "__main__":
    main()
