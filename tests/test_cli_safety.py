"""`gridgrad compute` never loses or clobbers a file (issue 13, items 1-3 and 8).

Outputs are staged in a private directory and moved into place atomically; a process killed
(SIGKILL) or interrupted (SIGINT) at any line of the publishing code leaves the output path
holding the complete old output or the complete new one (or, on an OS without an atomic swap,
nothing at the path and the complete old store beside it).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import gridgrad
from conftest import require

SRC = str(Path(gridgrad.__file__).resolve().parents[1])
CHILD = str(Path(__file__).with_name("_publish_child.py"))
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def gridgrad_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridgrad", *args], cwd=cwd, env=ENV, capture_output=True, text=True
    )


def one_error(out: subprocess.CompletedProcess[str], words: str) -> None:
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert lines[0].startswith("gridgrad compute: error: ") and words in lines[0], lines[0]


def listing(d: Path) -> dict[str, bytes | None]:
    """Every path under ``d`` with the bytes of files (None for directories)."""
    return {
        str(p.relative_to(d)): (None if p.is_dir() and not p.is_symlink() else p.read_bytes())
        for p in sorted(d.rglob("*"))
        if not p.is_symlink() or p.exists()
    }


@pytest.fixture
def work(tmp_path: Path) -> Path:
    f = np.sin(np.linspace(0.0, 3.0, 40))[:, None] * np.arange(5.0)
    np.save(tmp_path / "good.npy", f)
    return tmp_path


# ---------------------------------------------------------------- never deletes what it did not create


def test_overwrite_never_deletes_a_directory(work: Path) -> None:
    (work / "d.npy").mkdir()
    (work / "d.npy" / "thesis.tex").write_text("years of work")
    before = listing(work)
    one_error(
        gridgrad_cli("compute", "good.npy", "-o", "d.npy", "--overwrite", cwd=work),
        "is a directory",
    )
    assert listing(work) == before


@pytest.mark.parametrize("out", ["box.npz", "box.npy"])
def test_output_containing_the_input_is_refused(work: Path, out: str) -> None:
    (work / out).mkdir()
    np.save(work / out / "in.npy", np.arange(10.0))
    before = listing(work)
    res = gridgrad_cli("compute", f"{out}/in.npy", "-o", out, "--overwrite", cwd=work)
    one_error(res, "must not contain the input")
    assert listing(work) == before


def test_store_output_containing_or_inside_the_input_is_refused(work: Path) -> None:
    xr = require("xarray")
    require("zarr")
    ds = xr.Dataset({"T": (("x", "y"), np.arange(20.0).reshape(4, 5))})
    (work / "box2.zarr").mkdir()
    (work / "box2.zarr" / "zarr.json").write_text("{}")
    ds.to_zarr(work / "box2.zarr" / "in.zarr", consolidated=False)
    ds.to_zarr(work / "self.zarr", consolidated=False)
    before = listing(work)
    one_error(
        gridgrad_cli("compute", "box2.zarr/in.zarr", "-o", "box2.zarr", "--overwrite", cwd=work),
        "must not contain the input",
    )
    one_error(
        gridgrad_cli("compute", "self.zarr", "-o", "self.zarr/inner.zarr", cwd=work),
        "must not be inside the input",
    )
    one_error(
        gridgrad_cli("compute", "self.zarr", "-o", "self.zarr", "--overwrite", cwd=work),
        "must not be the input",
    )
    assert listing(work) == before


def test_a_directory_that_is_not_a_store_is_never_replaced(work: Path) -> None:
    require("xarray")
    require("zarr")
    import xarray as xr

    xr.Dataset({"T": ("x", np.arange(6.0))}).to_netcdf(work / "in.nc")
    (work / "photos.zarr").mkdir()
    (work / "photos.zarr" / "cat.jpg").write_bytes(b"\xff\xd8")
    before = listing(work)
    one_error(
        gridgrad_cli("compute", "in.nc", "-o", "photos.zarr", "--overwrite", cwd=work),
        "not a Zarr store",
    )
    assert listing(work) == before


def test_planted_symlink_at_the_old_temporary_name_is_not_followed(work: Path) -> None:
    """The exploit of issue 13 item 3: the temporary name used to be ``.{name}.tmp-{pid}``."""
    (work / "victim").write_text("precious")
    cmd = f"ln -s victim .out.npy.tmp-$$; exec {sys.executable} -m gridgrad compute good.npy -o out.npy"
    out = subprocess.run(["sh", "-c", cmd], cwd=work, env=ENV, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (work / "victim").read_text() == "precious"
    assert not (work / "out.npy").is_symlink()
    f = np.load(work / "good.npy")
    want = np.stack([gridgrad.derivative(f, d) for d in range(f.ndim)])
    np.testing.assert_array_equal(np.load(work / "out.npy"), want)


def test_staging_names_are_private_and_unpredictable(work: Path) -> None:
    from gridgrad.cli._publish import staged

    with staged(work / "o.npy") as a, staged(work / "o.npy") as b:
        assert a.dir != b.dir and a.dir.parent == work and a.path.parent == a.dir
        assert a.dir.stat().st_mode & 0o077 == 0  # nobody else can plant anything inside
    assert not a.dir.exists() and not b.dir.exists()


def test_symlink_output_is_replaced_itself_not_its_target(work: Path) -> None:
    (work / "victim").write_text("precious")
    (work / "out.npy").symlink_to("victim")
    one_error(
        gridgrad_cli("compute", "good.npy", "-o", "out.npy", cwd=work), "exists; pass --overwrite"
    )
    (work / "dangling.npy").symlink_to("nowhere")  # exists() is False for it; lexists is not
    one_error(gridgrad_cli("compute", "good.npy", "-o", "dangling.npy", cwd=work), "exists")
    assert (
        gridgrad_cli("compute", "good.npy", "-o", "out.npy", "--overwrite", cwd=work).returncode
        == 0
    )
    assert (work / "victim").read_text() == "precious"
    assert not (work / "out.npy").is_symlink()


@pytest.mark.parametrize("ext", [".npy", ".npz", ".nc", ".zarr", ".csv"])
def test_missing_output_directory_is_refused_before_any_work(work: Path, ext: str) -> None:
    src = {".npy": "good.npy", ".npz": "good.npy", ".csv": "in.csv"}.get(ext, "in.nc")
    if ext in (".nc", ".zarr", ".csv"):
        require("xarray")
        require("zarr")
        require("pandas")
        import xarray as xr

        xr.Dataset({"T": ("x", np.arange(6.0))}).to_netcdf(work / "in.nc")
        (work / "in.csv").write_text("x,f\n0,1\n1,2\n2,4\n")
    before = listing(work)
    out = gridgrad_cli("compute", src, "-o", f"no/such/dir/out{ext}", cwd=work)
    one_error(out, "does not exist")
    assert listing(work) == before  # .zarr and .csv used to create the directories


def test_plot_into_a_missing_directory_is_refused_before_the_output_is_written(work: Path) -> None:
    require("matplotlib")
    before = listing(work)
    out = gridgrad_cli("compute", "good.npy", "-o", "out.npy", "--plot", "nodir/f.png", cwd=work)
    one_error(out, "does not exist")
    assert listing(work) == before


def test_existing_plot_needs_overwrite(work: Path) -> None:
    require("matplotlib")
    (work / "f.png").write_bytes(b"mine")
    out = gridgrad_cli("compute", "good.npy", "-o", "out.npy", "--plot", "f.png", cwd=work)
    one_error(out, "exists; pass --overwrite")
    assert (work / "f.png").read_bytes() == b"mine" and not (work / "out.npy").exists()


# ---------------------------------------------------------------- killed at every line of the publish


def _old(target: Path, mode: str) -> None:
    if mode == "file":
        target.write_text("old" * 100)
        return
    target.mkdir()
    (target / "zarr.json").write_text("old")
    for i in range(30):  # more chunks than the new store: a mixture would show
        (target / f"c{i}").write_text("old")


def _complete(path: Path, mode: str) -> str | None:
    """Return "old" or "new" if ``path`` holds that complete output, else None."""
    if mode == "file":
        text = path.read_text() if path.is_file() else ""
        return {"old" * 100: "old", "new" * 100: "new"}.get(text)
    if not path.is_dir():
        return None
    files = {p.name: p.read_text() for p in path.iterdir()}
    for tag, n in (("old", 30), ("new", 20)):
        if files == {"zarr.json": tag, **{f"c{i}": tag for i in range(n)}}:
            return tag
    return None


def _kill_at(k: int, sig: str, mode: str, root: Path) -> tuple[int, str, Path]:
    d = root / f"{mode}-{sig}-{k}"
    d.mkdir()
    target = d / ("out.npy" if mode == "file" else "out.zarr")
    _old(target, mode)
    from gridgrad.cli import _publish

    out = subprocess.run(
        [sys.executable, CHILD, str(k), sig, mode, str(target)],
        env={**ENV, "GRIDGRAD_PUBLISH_PY": _publish.__file__},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out.returncode, out.stdout + out.stderr, target


@pytest.mark.parametrize("mode", ["store", "fallback", "file"])
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGINT"])
def test_killed_at_every_line_of_the_publish(tmp_path: Path, mode: str, sig: str) -> None:
    code, text, _ = _kill_at(10**6, sig, mode, tmp_path)  # not killed: how many lines run
    assert code == 0, text
    lines = int(text.split()[-1])
    assert lines > 20
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda k: (k, *_kill_at(k, sig, mode, tmp_path)), range(1, lines + 1)))
    seen = set()
    for k, code, text, target in runs:
        d = target.parent
        if sig == "SIGINT":
            assert code in (0, 130), (k, text)
            assert "Traceback" not in text, (k, text)
        else:
            assert code == -signal.SIGKILL, (k, text)
        state = _complete(target, mode)
        if state is None:
            # only without an atomic swap, and only when killed between the two renames:
            # nothing at the path, the complete old store beside it
            assert mode == "fallback" and sig == "SIGKILL" and not os.path.lexists(target), (
                k,
                listing(d),
            )
            aside = [p for p in d.iterdir() if p.name.startswith(".out.zarr.old-")]
            assert len(aside) == 1 and _complete(aside[0], mode) == "old", (k, listing(d))
            state = "aside"
        seen.add(state)
        if sig == "SIGINT":  # the clean-up ran: nothing of ours is left behind
            assert [p.name for p in d.iterdir()] == [target.name], (k, listing(d))
    assert {"old", "new"} <= seen  # the kills did land before and after the swap


# ---------------------------------------------------------------- the whole command, interrupted


def _zarr_input(work: Path) -> None:
    xr = require("xarray")
    require("zarr")
    require("dask")
    f = np.random.default_rng(0).standard_normal((64, 64, 64))
    ds = xr.Dataset({"T": (("x", "y", "z"), f)}).chunk({"x": 8, "y": 32, "z": 32})
    ds.to_zarr(work / "in.zarr", consolidated=False)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_command_interrupted_at_random_times_keeps_old_or_new(work: Path, sig: int) -> None:
    xr = require("xarray")
    _zarr_input(work)
    args = [
        sys.executable,
        "-m",
        "gridgrad",
        "compute",
        "in.zarr",
        "-o",
        "out.zarr",
        "--no-progress",
    ]
    assert subprocess.run([*args, "--var", "T", "--dims", "x"], cwd=work, env=ENV).returncode == 0
    start = time.perf_counter()
    assert subprocess.run([*args, "--overwrite"], cwd=work, env=ENV).returncode == 0
    full = time.perf_counter() - start
    start = time.perf_counter()  # Python's own start (importing numpy and gridgrad): a
    subprocess.run([sys.executable, "-c", "import gridgrad.cli"], env=ENV, check=True)
    startup = time.perf_counter() - start  # Ctrl-C there is Python's, not ours
    rng = random.Random(sig)
    for _ in range(2):
        subprocess.run(
            [*args, "--var", "T", "--dims", "x", "--overwrite"], cwd=work, env=ENV, check=True
        )
        proc = subprocess.Popen(
            [*args, "--overwrite"], cwd=work, env=ENV, stderr=subprocess.PIPE, text=True
        )
        time.sleep(rng.uniform(max(0.3 * full, 2 * startup), 1.1 * full))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        if sig == signal.SIGINT:
            assert proc.returncode in (0, 130), err
            assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, err
            if proc.returncode == 130:
                assert err.strip() == "gridgrad compute: interrupted"
        with xr.open_zarr(work / "out.zarr", consolidated=False) as r:
            names = sorted(r.data_vars)
            assert names in (["dT_dx"], ["dT_dx", "dT_dy", "dT_dz"]), names
            assert all(bool(np.isfinite(r[n].values).all()) for n in names)


def test_a_late_ctrl_c_does_not_turn_a_finished_run_into_an_interrupt(tmp_path: Path) -> None:
    """Seen in CI: SIGINT after the output was written (in the interpreter's exit) made
    the exit status -2 although the work was done; the command ignores it from then on."""
    code = (
        "import atexit, os, signal\n"
        "import gridgrad.cli as cli\n"
        "cli.main = lambda argv=None: 0\n"
        "atexit.register(lambda: os.kill(os.getpid(), signal.SIGINT))\n"
        "cli.console()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True)
    assert out.returncode == 0 and "Traceback" not in out.stderr, (out.returncode, out.stderr)
