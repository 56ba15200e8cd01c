"""`gridgrad compute --geometry sphere`, `--op vorticity`, the hint, `gridgrad demo sphere`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gridgrad.sphere as gs
from conftest import require

xr = require("xarray")
require("netCDF4")
require("dask")

from gridgrad.cli import main  # noqa: E402

LAT = np.linspace(90.0, -90.0, 37)
LON = np.arange(0.0, 360.0, 10.0)
HINT = "--geometry sphere gives per-metre derivatives"


@pytest.fixture
def era(tmp_path: Path) -> Path:
    phi, lam = np.deg2rad(LAT)[:, None], np.deg2rad(LON)[None, :]
    ds = xr.Dataset(
        {
            "u": (("latitude", "longitude"), 10 * np.cos(phi) + 0 * lam, {"units": "m s-1"}),
            "v": (("latitude", "longitude"), np.sin(lam) * np.cos(phi), {"units": "m s-1"}),
            "t": (("latitude", "longitude"), 280 + 10 * np.sin(phi) + 0 * lam, {"units": "K"}),
        },
        coords={
            "latitude": ("latitude", LAT, {"units": "degrees_north"}),
            "longitude": ("longitude", LON, {"units": "degrees_east"}),
        },
    )
    ds.to_netcdf(tmp_path / "era.nc")
    return tmp_path


def test_sphere_gradient_and_vorticity(era: Path, capsys) -> None:
    assert main([
        "compute", str(era / "era.nc"), "-o", str(era / "g.nc"), "--var", "t",
        "--geometry", "sphere", "--accuracy", "4", "--no-progress",
    ]) == 0  # fmt: skip
    assert HINT not in capsys.readouterr().err
    with xr.open_dataset(era / "g.nc") as g:
        assert sorted(g.data_vars) == ["dt_dx", "dt_dy"]
        assert g["dt_dy"].attrs["units"] == "K m-1"
        _, north = gs.gradient(_t(), LAT, LON, accuracy=4)
        np.testing.assert_allclose(g["dt_dy"].values, north)
    assert main([
        "compute", str(era / "era.nc"), "-o", str(era / "z.nc"), "--var", "u,v",
        "--op", "vorticity", "--geometry", "sphere", "--radius", "6371000", "--no-progress",
    ]) == 0  # fmt: skip
    with xr.open_dataset(era / "z.nc") as z:
        u, v = _wind()
        ref = gs.vorticity(u, v, LAT, LON, radius=6371000.0)
        np.testing.assert_allclose(z["vorticity"].values, ref)
        assert z["vorticity"].attrs["units"] == "s-1"


def _t() -> np.ndarray:
    return 280 + 10 * np.sin(np.deg2rad(LAT))[:, None] + 0 * LON


def _wind() -> tuple[np.ndarray, np.ndarray]:
    phi, lam = np.deg2rad(LAT)[:, None], np.deg2rad(LON)[None, :]
    return 10 * np.cos(phi) + 0 * lam, np.sin(lam) * np.cos(phi)


def test_default_stays_cartesian_with_one_line_hint(era: Path, capsys) -> None:
    assert main([
        "compute", str(era / "era.nc"), "-o", str(era / "c.nc"), "--var", "t", "--no-progress",
    ]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert sum(HINT in line for line in err.splitlines()) == 1
    with xr.open_dataset(era / "c.nc") as c:
        (per_degree,) = [c["dt_dlatitude"].values]
        np.testing.assert_allclose(per_degree, np.gradient(_t(), LAT, axis=0, edge_order=2))
    # --geometry cartesian: no hint; --op vorticity on the plane is the 2-D curl
    assert main([
        "compute", str(era / "era.nc"), "-o", str(era / "p.nc"), "--var", "u,v",
        "--op", "vorticity", "--dims", "longitude,latitude", "--geometry", "cartesian",
        "--no-progress",
    ]) == 0  # fmt: skip
    assert HINT not in capsys.readouterr().err
    with xr.open_dataset(era / "p.nc") as p:
        assert list(p.data_vars) == ["vorticity"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--op", "curl", "--var", "u,v"], "use --op vorticity"),
        (["--boundary", "periodic"], "--boundary does not apply"),
        (["--op", "vorticity", "--var", "u"], "needs two variables"),
        (["--dims", "latitude"], "names the latitude and longitude"),
    ],
)
def test_sphere_errors(era: Path, capsys, extra, message) -> None:
    args = ["compute", str(era / "era.nc"), "-o", str(era / "x.nc"), "--geometry", "sphere"]
    assert main([*args, *extra]) == 2
    assert message in capsys.readouterr().err
    assert not (era / "x.nc").exists()


def test_sphere_needs_an_xarray_file(tmp_path: Path, capsys) -> None:
    np.save(tmp_path / "a.npy", np.zeros((5, 5)))
    assert main(["compute", str(tmp_path / "a.npy"), "-o", str(tmp_path / "b.npy"), "--geometry", "sphere"]) == 2  # fmt: skip
    assert "NetCDF (.nc) or Zarr" in capsys.readouterr().err


def test_demo_sphere(tmp_path: Path, capsys) -> None:
    require("matplotlib")
    assert main(["demo", "sphere", "--plot", str(tmp_path / "v.png")]) == 0
    out = capsys.readouterr().out
    assert "accuracy 6" in out and (tmp_path / "v.png").read_bytes()[:4] == b"\x89PNG"
    last = out.strip().splitlines()[-3].split()  # the 1-degree row
    orders = [float(x) for x in last[2::2]]
    assert orders[0] == pytest.approx(2, abs=0.2) and orders[1] == pytest.approx(4, abs=0.3)
