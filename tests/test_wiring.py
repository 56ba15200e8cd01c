"""The extensions reach users through every door: the ``.gridgrad`` accessor, the lazy
submodules of ``gridgrad`` and the command line (``--smooth``, ``--coords``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gridgrad
from conftest import require

xr = require("xarray")
require("gridgrad.xarray")  # registers the accessor

SRC = str(Path(gridgrad.__file__).resolve().parents[1])
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _sphere_wind() -> xr.Dataset:
    lat = np.linspace(-80.0, 80.0, 17)
    lon = np.arange(0.0, 360.0, 15.0)
    phi = np.deg2rad(lat)[:, None] + 0 * lon
    u = 10.0 * np.cos(phi)
    v = np.sin(np.deg2rad(lon))[None, :] * np.cos(phi)
    coords = {
        "lat": ("lat", lat, {"units": "degrees_north"}),
        "lon": ("lon", lon, {"units": "degrees_east"}),
    }
    return xr.Dataset(
        {
            "u": (("lat", "lon"), u, {"units": "m s-1"}),
            "v": (("lat", "lon"), v, {"units": "m s-1"}),
        },
        coords=coords,
    )


def test_accessor_reaches_the_sphere() -> None:
    from gridgrad import xarray_sphere

    ds = _sphere_wind()
    xr.testing.assert_identical(ds.gridgrad.vorticity(), xarray_sphere.vorticity(ds["u"], ds["v"]))
    xr.testing.assert_identical(
        ds.gridgrad.sphere_divergence(accuracy=4),
        xarray_sphere.divergence(ds["u"], ds["v"], accuracy=4),
    )
    xr.testing.assert_identical(ds["u"].gridgrad.sphere_gradient(), xarray_sphere.gradient(ds["u"]))
    xr.testing.assert_identical(
        ds["v"].gridgrad.sphere_laplacian(), xarray_sphere.laplacian(ds["v"])
    )


def test_accessor_reaches_smooth_and_curvilinear() -> None:
    from gridgrad import curvilinear, smooth

    t = np.linspace(0.0, 1.0, 101)
    noisy = xr.DataArray(np.sin(6 * t) + 0.01 * np.cos(300 * t), dims="t", coords={"t": t})
    xr.testing.assert_identical(
        noisy.gridgrad.smooth_derivative("t", window=11, degree=3),
        smooth.differentiate(noisy, "t", window=11, degree=3),
    )
    r, th = np.meshgrid(np.linspace(1.0, 2.0, 12), np.linspace(0.0, 1.0, 14), indexing="ij")
    x, y = r * np.cos(th), r * np.sin(th)
    f = xr.DataArray(
        x**2 + y, dims=("i", "j"), coords={"x": (("i", "j"), x), "y": (("i", "j"), y)}, name="f"
    )
    got = f.gridgrad.curvilinear_gradient(["x", "y"], accuracy=4)
    xr.testing.assert_identical(got, curvilinear.xarray_gradient(f, ["x", "y"], accuracy=4))
    np.testing.assert_allclose(got["df_dy"].values, 1.0, atol=1e-3)  # d(x**2 + y)/dy, coarse grid


def test_submodules_load_on_first_use() -> None:
    code = (
        "import sys, gridgrad\n"
        "assert not {'xarray', 'scipy'} & set(sys.modules), sorted(sys.modules)\n"
        "assert gridgrad.smooth.derivative and gridgrad.sphere.vorticity\n"
        "assert gridgrad.curvilinear.gradient\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gridgrad.nope  # noqa: B018


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridgrad", "compute", *args, "--no-progress"],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
    )


def test_cli_smooth_matches_the_library(tmp_path: Path) -> None:
    from gridgrad import smooth

    rng = np.random.default_rng(0)
    f = np.sin(np.linspace(0.0, 6.0, 200))[:, None] + 0.01 * rng.standard_normal((200, 3))
    np.save(tmp_path / "in.npy", f)
    out = _cli(
        "in.npy",
        "-o",
        "d.npz",
        "--dims",
        "0",
        "--spacing",
        "0.03",
        "--smooth",
        "savgol:window=15,degree=3",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    with np.load(tmp_path / "d.npz") as r:
        np.testing.assert_array_equal(
            r["df_d0"], smooth.derivative(f, 0, spacing=0.03, window=15, degree=3)
        )
    t = np.linspace(0.0, 1.0, 80)
    xr.Dataset({"T": ("t", np.cos(4 * t))}, coords={"t": t}).to_netcdf(tmp_path / "in.nc")
    out = _cli("in.nc", "-o", "d.nc", "--smooth", "savgol:window=9,degree=2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    with xr.open_dataset(tmp_path / "d.nc") as r, xr.open_dataset(tmp_path / "in.nc") as src:
        want = smooth.differentiate(src["T"].load(), "t", window=9, degree=2)
        np.testing.assert_allclose(r["dT_dt"].values, want.values, rtol=1e-12, atol=1e-12)


def test_cli_coords_matches_the_library(tmp_path: Path) -> None:
    from gridgrad import curvilinear

    r, th = np.meshgrid(np.linspace(1.0, 2.0, 12), np.linspace(0.0, 1.0, 14), indexing="ij")
    x, y = r * np.cos(th), r * np.sin(th)
    ds = xr.Dataset({"f": (("i", "j"), x**2 + y), "x": (("i", "j"), x), "y": (("i", "j"), y)})
    ds.to_netcdf(tmp_path / "in.nc")
    out = _cli("in.nc", "-o", "d.nc", "--var", "f", "--coords", "x,y", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    want = curvilinear.gradient(ds["f"].values, (x, y))
    with xr.open_dataset(tmp_path / "d.nc") as res:
        np.testing.assert_allclose(res["df_dx"].values, want[0], rtol=1e-12)
        np.testing.assert_allclose(res["df_dy"].values, want[1], rtol=1e-12)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--smooth", "savgol", "--op", "laplacian"], "--smooth applies to --op gradient only"),
        (["--smooth", "magic"], "--smooth must start with one of"),
        (["--smooth", "auto", "--accuracy", "4"], "--smooth does not go with --accuracy"),
        (["--coords", "x,y", "--dims", "i"], "--coords does not go with --dims"),
        (["--coords", "x,x"], "--coords names 'x' twice"),
    ],
)
def test_cli_extras_refuse_what_does_not_go(tmp_path: Path, argv, words) -> None:
    xr.Dataset({"f": (("i", "j"), np.ones((5, 6)))}).to_netcdf(tmp_path / "in.nc")
    out = _cli("in.nc", "-o", "o.nc", *argv, cwd=tmp_path)
    assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert not (tmp_path / "o.nc").exists()
