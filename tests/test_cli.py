"""`gridgrad compute` and `gridgrad demo --plot` end to end, through subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import require

xr = require("xarray")
pd = require("pandas")
require("netCDF4")
require("zarr")
require("dask")

import gridgrad  # noqa: E402

SRC = str(Path(gridgrad.__file__).resolve().parents[1])
PNG = b"\x89PNG\r\n\x1a\n"


def run(*args: str, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(
        [sys.executable, "-m", "gridgrad", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    if ok:
        assert out.returncode == 0, out.stderr
    return out


def _dataset() -> xr.Dataset:
    s = np.linspace(0.0, 1.0, 30)
    x = 2.0 * (s + 0.3 * s * (1 - s))  # non-uniform
    y = np.linspace(-1.0, 1.0, 20)
    X, Y = np.meshgrid(x, y, indexing="ij")
    return xr.Dataset(
        {
            "T": (("x", "y"), np.sin(3 * X) * np.exp(Y), {"units": "K"}),
            "u": (("x", "y"), -Y * X),
            "v": (("x", "y"), X**2),
        },
        coords={"x": ("x", x, {"units": "m"}), "y": ("y", y, {"units": "m"})},
    )


@pytest.fixture
def files(tmp_path: Path) -> Path:
    ds = _dataset()
    ds.to_netcdf(tmp_path / "in.nc")
    ds.chunk({"x": 10, "y": 10}).to_zarr(tmp_path / "in.zarr", mode="w", consolidated=False)
    np.save(tmp_path / "in.npy", ds["T"].values)
    np.savez(tmp_path / "in.npz", T=ds["T"].values, u=ds["u"].values, v=ds["v"].values)
    t = pd.date_range("2024-01-01", periods=12, freq="h")
    pd.DataFrame({"time": t, "T": np.arange(12.0) ** 2, "p": np.arange(12.0)}).to_csv(
        tmp_path / "in.csv", index=False
    )
    pd.DataFrame({"x": [0.0, 0.5, 2.0], "f": [1.0, 2.0, 3.0]}).to_csv(
        tmp_path / "short.csv", index=False
    )
    return tmp_path


def _listing(d: Path) -> set[str]:
    return {p.name for p in d.iterdir()}


@pytest.mark.parametrize("ext", [".nc", ".zarr"])
def test_gradient_netcdf_zarr(files: Path, ext: str) -> None:
    out = run(
        "compute",
        f"in{ext}",
        "-o",
        f"out{ext}",
        "--var",
        "T",
        "--accuracy",
        "4",
        "--progress-after",
        "0",
        cwd=files,
    )
    assert "100% Completed" in out.stderr  # the dask progress bar, on stderr
    assert "Completed" not in out.stdout
    ds = _dataset()
    kw = {"engine": "zarr", "consolidated": False} if ext == ".zarr" else {}
    res = xr.open_dataset(files / f"out{ext}", **kw)
    want = gridgrad.gradient(
        ds["T"].values, spacing=(ds["x"].values, 2.0 / 19), accuracy=4, edge_order=4
    )
    np.testing.assert_allclose(res["dT_dx"], want[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res["dT_dy"], want[1], rtol=1e-10, atol=1e-12)
    assert res["dT_dx"].attrs["units"] == "K / m"
    np.testing.assert_array_equal(res["x"], ds["x"])
    res.close()


def test_second_order_and_laplacian(files: Path) -> None:
    run("compute", "in.nc", "-o", "d2.nc", "--var", "T", "--dims", "y", "--order", "2", cwd=files)
    run(
        "compute",
        "in.nc",
        "-o",
        "lap.nc",
        "--var",
        "T",
        "--op",
        "laplacian",
        "--no-progress",
        cwd=files,
    )
    ds = _dataset()
    with xr.open_dataset(files / "d2.nc") as r:
        assert list(r.data_vars) == ["d2T_dy2"]
        want = gridgrad.derivative(ds["T"].values, 1, order=2, spacing=2.0 / 19)
        np.testing.assert_allclose(r["d2T_dy2"], want, rtol=1e-10, atol=1e-10)
    with xr.open_dataset(files / "lap.nc") as r:
        want = gridgrad.laplacian(ds["T"].values, spacing=[ds["x"].values, 2.0 / 19])
        np.testing.assert_allclose(r["laplacian_T"], want, rtol=1e-10, atol=1e-10)


def test_divergence_and_curl_zarr(files: Path) -> None:
    run("compute", "in.zarr", "-o", "div.zarr", "--var", "u,v", "--op", "divergence", cwd=files)
    run("compute", "in.zarr", "-o", "curl.nc", "--var", "u,v", "--op", "curl", cwd=files)
    ds = _dataset()
    sp = [ds["x"].values, 2.0 / 19]
    comps = [ds["u"].values, ds["v"].values]
    with xr.open_zarr(files / "div.zarr", consolidated=False) as r:
        np.testing.assert_allclose(r["divergence"], gridgrad.divergence(comps, spacing=sp))
    with xr.open_dataset(files / "curl.nc") as r:
        np.testing.assert_allclose(r["curl"], gridgrad.curl(comps, spacing=sp), atol=1e-12)


def test_npy_and_npz(files: Path) -> None:
    run("compute", "in.npy", "-o", "out.npz", "--spacing", "0.1,0.2", cwd=files)
    T = np.load(files / "in.npy")
    with np.load(files / "out.npz") as r:
        assert sorted(r.files) == ["df_d0", "df_d1"]
        np.testing.assert_allclose(r["df_d0"], gridgrad.derivative(T, 0, spacing=0.1))
        np.testing.assert_allclose(r["df_d1"], gridgrad.derivative(T, 1, spacing=0.2))
    run(
        "compute",
        "in.npz",
        "-o",
        "one.npy",
        "--var",
        "T",
        "--dims",
        "1",
        "--spacing",
        "0.5",
        cwd=files,
    )
    np.testing.assert_allclose(np.load(files / "one.npy"), gridgrad.derivative(T, 1, spacing=0.5))
    run("compute", "in.npz", "-o", "curl.npz", "--var", "u,v", "--op", "curl", cwd=files)
    with np.load(files / "in.npz") as z, np.load(files / "curl.npz") as r:
        np.testing.assert_allclose(r["curl"], gridgrad.curl([z["u"], z["v"]]))


def test_csv_datetime_column(files: Path) -> None:
    run(
        "compute",
        "in.csv",
        "-o",
        "out.csv",
        "--dims",
        "time",
        "--var",
        "T,p",
        "--datetime-unit",
        "h",
        cwd=files,
    )
    df = pd.read_csv(files / "out.csv")
    assert list(df.columns) == ["time", "T", "p", "dT_dtime", "dp_dtime"]
    np.testing.assert_allclose(df["dT_dtime"], 2 * np.arange(12.0), atol=1e-9)
    np.testing.assert_allclose(df["dp_dtime"], 1.0)
    run("compute", "short.csv", "-o", "s.csv", "--dims", "x", "--var", "f", cwd=files)
    s = pd.read_csv(files / "s.csv")
    np.testing.assert_allclose(
        s["df_dx"], np.gradient([1.0, 2.0, 3.0], [0.0, 0.5, 2.0], edge_order=2)
    )


@pytest.mark.parametrize(
    ("source", "output", "extra"),
    [
        ("in.nc", "out.nc", ["--var", "T"]),
        ("in.csv", "out.csv", ["--dims", "time"]),
        ("in.npy", "out.npy", []),
    ],
)
def test_plot_writes_png(files: Path, source: str, output: str, extra: list[str]) -> None:
    require("matplotlib")
    run("compute", source, "-o", output, *extra, "--plot", "fig.png", cwd=files)
    data = (files / "fig.png").read_bytes()
    assert data.startswith(PNG) and len(data) > 5000


def test_demo_plot(tmp_path: Path) -> None:
    require("matplotlib")
    out = run("demo", "--plot", "demo.png", cwd=tmp_path)
    assert "Showcase" in out.stdout and "p=6 lap" in out.stdout
    data = (tmp_path / "demo.png").read_bytes()
    assert data.startswith(PNG) and len(data) > 20000
    from PIL import Image

    with Image.open(tmp_path / "demo.png") as im:
        assert im.size[0] > 1000 and im.size[1] > 300


BAD = [
    (["missing.nc", "-o", "o.nc"], "input file not found: 'missing.nc'"),
    (["in.nc", "-o", "o.nc", "--var", "Q"], "unknown variable 'Q'"),
    (["in.nc", "-o", "o.nc", "--var", "T", "--dims", "z"], "unknown dim 'z'"),
    (["in.zarr", "-o", "o.zarr", "--var", "T,nope"], "unknown variable 'nope'"),
    (["in.npz", "-o", "o.npz", "--var", "W"], "unknown array 'W'"),
    (["in.npy", "-o", "o.npy", "--dims", "2"], "unknown dim 2"),
    (["in.csv", "-o", "o.csv", "--dims", "when"], "unknown coordinate column 'when'"),
    (["in.csv", "-o", "o.csv", "--dims", "time", "--var", "q"], "unknown column 'q'"),
    (["in.txt", "-o", "o.nc"], "unsupported input extension '.txt'"),
    (["in.nc", "-o", "o.h5"], "unsupported output extension '.h5'"),
    (["in.nc", "-o", "o.csv"], "cannot write .nc input as .csv"),
    (["short.csv", "-o", "o.csv", "--dims", "x", "--accuracy", "4"], "needs at least 5"),
    (["in.npy", "-o", "o.npy", "--spacing", "a,b"], "--spacing must be numbers"),
    (["in.nc", "-o", "o.nc", "--var", "T", "--accuracy", "3"], "accuracy"),
    (["in.nc", "-o", "o.nc", "--op", "laplacian", "--order", "2"], "--order applies"),
    (["in.nc", "-o", "in.nc", "--overwrite"], "must not be the input"),
    (["in.csv", "-o", "o.csv", "--dims", "time", "--op", "curl"], "needs 2 or more dims"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_input(files: Path, argv: list[str], message: str) -> None:
    (files / "in.txt").write_text("1,2,3\n")
    before = _listing(files)
    out = run_compute(files, argv)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("gridgrad compute: error: ") and message in lines[0], lines[0]
    assert "Traceback" not in out.stderr
    assert _listing(files) == before  # no partial output, no temporary file


def run_compute(cwd: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return run("compute", *argv, cwd=cwd, ok=False)


def test_existing_output_needs_overwrite(files: Path) -> None:
    (files / "out.nc").write_bytes(b"old")
    out = run_compute(files, ["in.nc", "-o", "out.nc", "--var", "T"])
    assert out.returncode == 2 and "exists; pass --overwrite" in out.stderr
    assert (files / "out.nc").read_bytes() == b"old"
    run("compute", "in.nc", "-o", "out.nc", "--var", "T", "--overwrite", cwd=files)
    with xr.open_dataset(files / "out.nc") as r:
        assert "dT_dx" in r
    run("compute", "in.zarr", "-o", "z.zarr", "--var", "T", cwd=files)
    run("compute", "in.zarr", "-o", "z.zarr", "--var", "u", "--overwrite", cwd=files)
    with xr.open_zarr(files / "z.zarr", consolidated=False) as r:
        assert sorted(r.data_vars) == ["du_dx", "du_dy"]


def test_failure_while_writing_leaves_nothing(files: Path, monkeypatch, capsys) -> None:
    from gridgrad import cli
    from gridgrad.cli import _compute

    def broken(staging, *, overwrite: bool) -> None:
        assert staging.path.exists()
        raise OSError("disk full")

    monkeypatch.setattr(_compute, "publish", broken)
    before = _listing(files)
    monkeypatch.chdir(files)
    assert cli.main(["compute", "in.nc", "-o", "out.nc", "--var", "T", "--no-progress"]) == 2
    assert "error: disk full" in capsys.readouterr().err
    assert _listing(files) == before


def test_missing_matplotlib_message(files: Path) -> None:
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from gridgrad.cli import main\n"
        "sys.exit(main(['demo', '--plot', 'x.png']))"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=files, env=env, capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "pip install 'gridgrad[plot]'" in out.stderr and "Traceback" not in out.stderr
    assert not (files / "x.png").exists()


def test_files_are_read_lazily_in_chunks(files: Path, monkeypatch) -> None:
    """NetCDF/Zarr variables reach gridgrad as dask arrays, so nothing is loaded whole."""
    dask = require("dask")
    from gridgrad import cli
    from gridgrad import xarray as gx

    seen: list[tuple[bool, tuple[int, ...]]] = []
    original = gx.derivative

    def spy(da, *args, **kw):
        seen.append((dask.is_dask_collection(da.data), da.chunks and tuple(map(len, da.chunks))))
        return original(da, *args, **kw)

    monkeypatch.setattr(gx, "derivative", spy)
    monkeypatch.chdir(files)
    assert cli.main(["compute", "in.zarr", "-o", "o.zarr", "--var", "T", "--no-progress"]) == 0
    assert seen and all(lazy and chunks == (3, 2) for lazy, chunks in seen)
    seen.clear()
    assert cli.main(["compute", "in.nc", "-o", "o.nc", "--var", "T", "--no-progress"]) == 0
    assert seen and all(lazy for lazy, _ in seen)
