"""`gridgrad compute` on bad, odd and large inputs: one line and exit 2, or the right answer
with memory bounded by the batch size, not the file size (issue 13, items 6-8)."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gridgrad
from conftest import require

xr = require("xarray")
require("zarr")
require("dask")
require("netCDF4")

SRC = str(Path(gridgrad.__file__).resolve().parents[1])
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridgrad", "compute", *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
    )


def one_error(out: subprocess.CompletedProcess[str], *words: str) -> None:
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert lines[0].startswith("gridgrad compute: error: "), lines[0]
    for w in words:
        assert w in lines[0], lines[0]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    np.save(tmp_path / "good.npy", np.arange(20.0).reshape(4, 5))
    return tmp_path


def test_empty_truncated_and_0d_numpy_files(work: Path) -> None:
    (work / "empty.npy").write_bytes(b"")
    np.savez(work / "ok.npz", a=np.arange(100.0))
    data = (work / "ok.npz").read_bytes()
    (work / "trunc.npz").write_bytes(data[: len(data) // 2])
    np.save(work / "zero.npy", np.float64(3.0))
    np.save(work / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    one_error(cli("empty.npy", "-o", "o.npy", cwd=work), "cannot read 'empty.npy'")
    one_error(cli("trunc.npz", "-o", "o.npz", cwd=work), "cannot read 'trunc.npz'")
    one_error(cli("zero.npy", "-o", "o.npy", cwd=work), "0-d")
    one_error(cli("objects.npy", "-o", "o.npy", cwd=work), "objects.npy")
    assert not list(work.glob("o.*"))


def test_a_fifo_is_refused_instead_of_hanging(work: Path) -> None:
    os.mkfifo(work / "fifo.npy")
    out = subprocess.run(
        [sys.executable, "-m", "gridgrad", "compute", "fifo.npy", "-o", "o.npy"],
        cwd=work,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    one_error(out, "not a regular file")


def test_repeated_dims_and_vars_are_refused(work: Path) -> None:
    one_error(cli("good.npy", "-o", "o.npy", "--dims", "0,0", cwd=work), "--dims names 0 twice")
    one_error(cli("good.npy", "-o", "o.npy", "--dims", "1,-1", cwd=work), "--dims names 1 twice")
    xr.Dataset({"T": (("x", "y"), np.ones((5, 6)))}).to_netcdf(work / "in.nc")
    one_error(cli("in.nc", "-o", "o.nc", "--dims", "x,x", cwd=work), "--dims names 'x' twice")
    one_error(cli("in.nc", "-o", "o.nc", "--var", "T,T", cwd=work), "--var names 'T' twice")


def test_period_needs_a_periodic_boundary(work: Path) -> None:
    one_error(cli("good.npy", "-o", "o.npy", "--period", "3", cwd=work), "--boundary periodic")


def test_errors_name_the_users_variables_and_dims(work: Path) -> None:
    ds = xr.Dataset(
        {
            "temp": (("time", "x"), np.ones((1, 4))),
            "bears": ("x", np.array([b"a", b"b", b"c", b"d"])),
        }
    )
    ds.to_netcdf(work / "ex.nc")
    one_error(cli("ex.nc", "-o", "o.nc", "--var", "bears", cwd=work), "variable 'bears'", "|S1")
    one_error(
        cli("ex.nc", "-o", "o.nc", "--var", "temp", "--dims", "time", cwd=work), "temp", "time"
    )


def _zarr(path: Path, shape: tuple[int, ...], chunks: tuple[int, ...]) -> np.ndarray:
    f = np.random.default_rng(1).standard_normal(shape)
    xr.Dataset({"T": (("x", "y", "z")[: len(shape)], f)}).chunk(dict(zip("xyz", chunks))).to_zarr(
        path, consolidated=False
    )
    return f


def test_corrupt_zarr_chunk_is_one_line(work: Path) -> None:
    _zarr(work / "bad.zarr", (40, 40), (10, 10))
    chunk = sorted(
        p
        for p in glob.glob(str(work / "bad.zarr" / "T" / "**"), recursive=True)
        if os.path.isfile(p) and "zarr.json" not in p
    )[3]
    Path(chunk).write_bytes(b"garbage")
    out = cli("bad.zarr", "-o", "o.zarr", cwd=work)
    one_error(out, "bad.zarr")
    assert not (work / "o.zarr").exists()


def test_absent_zarr_chunks_are_reported(work: Path) -> None:
    f = _zarr(work / "holes.zarr", (40, 40), (10, 10))
    chunks = sorted(
        p
        for p in glob.glob(str(work / "holes.zarr" / "T" / "**"), recursive=True)
        if os.path.isfile(p) and "zarr.json" not in p
    )
    for c in chunks[:3]:
        os.remove(c)
    out = cli("holes.zarr", "-o", "o.zarr", "--dims", "x", cwd=work)
    assert out.returncode == 0, out.stderr
    assert "warning: 3 of 16 chunks of variable 'T' are absent" in out.stderr
    with xr.open_zarr(work / "o.zarr", consolidated=False) as r:
        d = r["dT_dx"].values
    assert np.isnan(d).any() and np.isfinite(d[20:]).all()
    np.testing.assert_array_equal(d[20:-1], gridgrad.derivative(f, 0)[20:-1])


def test_progress_bar_only_for_jobs_longer_than_the_threshold(work: Path) -> None:
    _zarr(work / "in.zarr", (20, 20), (10, 10))
    quick = cli("in.zarr", "-o", "a.zarr", cwd=work)
    assert quick.returncode == 0 and "Completed" not in quick.stderr, quick.stderr
    shown = cli("in.zarr", "-o", "b.zarr", "--progress-after", "0", cwd=work)
    assert shown.returncode == 0 and "100% Completed" in shown.stderr, shown.stderr
    assert "Completed" not in shown.stdout


def test_npz_larger_than_available_memory_is_refused_before_loading(
    work: Path, monkeypatch, capsys
) -> None:
    from gridgrad import cli as gcli
    from gridgrad.cli import _formats

    np.savez_compressed(work / "zeros.npz", a=np.zeros((512, 512)))  # 2 MB, a few kB on disk
    monkeypatch.setattr(_formats, "available_memory", lambda: 1 << 20)
    loaded: list[str] = []
    monkeypatch.setattr(np, "load", lambda *a, **k: loaded.append("x"))  # never reached
    monkeypatch.chdir(work)
    assert gcli.main(["compute", "zeros.npz", "-o", "o.npz"]) == 2
    err = capsys.readouterr().err
    assert "needs about" in err and "GiB of memory" in err and not loaded


def _peak_rss_mb(args: list[str], cwd: Path) -> float:
    """Peak RSS of one `gridgrad compute` run, measured by a parent that runs nothing else."""
    code = (
        "import resource, subprocess, sys\n"
        "rc = subprocess.run(sys.argv[1:]).returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, sys.executable, "-m", "gridgrad", "compute", *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    kb, rc = out.stdout.split()
    assert rc == "0", out.stderr
    return int(kb) / 1024


@pytest.mark.parametrize("ext", [".zarr", ".nc"])
def test_memory_follows_the_batch_size_not_the_file_size(work: Path, ext: str) -> None:
    """A file 16x larger peaks within a few MB of the small one (before: +130 MB for 60 MB
    more input, dask reading ahead of the writes)."""
    small = _zarr(work / "small.zarr", (16, 128, 256), (4, 128, 256))  # 4 MB, 1 MB chunks
    _zarr(work / "large.zarr", (256, 128, 256), (4, 128, 256))  # 64 MB
    args = ["--no-progress", "--memory", "2", "--dims", "x"]
    rss_small = _peak_rss_mb(["small.zarr", "-o", f"s{ext}", *args], work)
    rss_large = _peak_rss_mb(["large.zarr", "-o", f"l{ext}", *args], work)
    assert rss_large - rss_small < 24, (rss_small, rss_large)
    kw = {"engine": "zarr", "consolidated": False} if ext == ".zarr" else {}
    with xr.open_dataset(work / f"s{ext}", **kw) as r:
        np.testing.assert_array_equal(r["dT_dx"].values, gridgrad.derivative(small, 0))


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--memory", "0"], "--memory must be a positive number of MB"),
        (["--memory", "nan"], "--memory must be a positive number of MB"),
        (["--progress-after", "-1"], "--progress-after must be a number of seconds >= 0"),
    ],
)
def test_new_options_refuse_bad_values_before_any_work(work: Path, argv, words) -> None:
    one_error(cli("good.npy", "-o", "o.npy", *argv, cwd=work), words)
    assert not (work / "o.npy").exists()


def test_radius_must_be_positive(work: Path) -> None:
    lat, lon = np.linspace(-80.0, 80.0, 9), np.arange(0.0, 360.0, 30.0)
    xr.Dataset(
        {"t": (("lat", "lon"), np.ones((9, 12)))},
        coords={
            "lat": ("lat", lat, {"units": "degrees_north"}),
            "lon": ("lon", lon, {"units": "degrees_east"}),
        },
    ).to_netcdf(work / "s.nc")
    out = cli("s.nc", "-o", "o.nc", "--geometry", "sphere", "--radius", "-1", cwd=work)
    assert out.returncode == 2 and "`radius` must be positive and finite" in out.stderr
    assert "Traceback" not in out.stderr and not (work / "o.nc").exists()
