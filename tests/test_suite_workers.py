"""The test suite's own spreading over cores (tests/conftest.py): a whole-suite run goes
to pytest-xdist workers, one per core up to 8; chosen tests, ``-s``, ``-n`` and
GRIDGRAD_TEST_WORKERS keep or set the count."""

from __future__ import annotations

import argparse
import os

import pytest

import conftest  # tests/ is on sys.path, as for tests/backends.py

WHOLE = pytest.Config.ArgsSource.TESTPATHS


class _Plugins:
    def __init__(self, xdist: bool) -> None:
        self.xdist = xdist

    def hasplugin(self, name: str) -> bool:
        return name == "xdist" and self.xdist


class _Config:
    """What :func:`conftest.workers` reads of a pytest config: defaults as a bare
    ``pytest`` leaves them with xdist installed."""

    def __init__(self, source=WHOLE, xdist: bool = True, worker: bool = False, **option) -> None:  # type: ignore[no-untyped-def]
        defaults = {"numprocesses": None, "tx": [], "dist": "no", "collectonly": False,
                    "usepdb": False, "capture": "fd"}  # fmt: skip
        self.option = argparse.Namespace(**{**defaults, **option})
        self.args_source = source
        self.pluginmanager = _Plugins(xdist)
        if worker:
            self.workerinput = {}


@pytest.fixture
def cores(monkeypatch):
    monkeypatch.delenv("GRIDGRAD_TEST_WORKERS", raising=False)

    def set_cores(n: int) -> None:
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(n)), raising=False)

    return set_cores


@pytest.mark.parametrize(("n", "expected"), [(1, 1), (2, 2), (5, 5), (64, 8)])
def test_whole_suite_one_worker_per_core_up_to_8(cores, n, expected) -> None:
    cores(n)
    assert conftest.workers(_Config()) == expected


@pytest.mark.parametrize(
    "config",
    [
        _Config(source=pytest.Config.ArgsSource.ARGS),  # tests named
        _Config(numprocesses=0),  # -n 0
        _Config(numprocesses=3, tx=["popen"] * 3, dist="load"),  # -n 3: xdist's own
        _Config(dist="loadfile"),
        _Config(capture="no"),  # -s
        _Config(usepdb=True),
        _Config(collectonly=True),
        _Config(worker=True),  # inside a worker
        _Config(xdist=False),  # pytest-xdist not installed
    ],
    ids=["args", "n0", "n3", "dist", "s", "pdb", "collect", "worker", "no-xdist"],
)
def test_one_process_unless_a_bare_whole_suite_run(cores, config) -> None:
    cores(4)
    assert conftest.workers(config) == 1


def test_environment_sets_or_refuses(cores, monkeypatch) -> None:
    cores(2)
    monkeypatch.setenv("GRIDGRAD_TEST_WORKERS", "1")
    assert conftest.workers(_Config()) == 1
    monkeypatch.setenv("GRIDGRAD_TEST_WORKERS", "12")  # above the cap: asked for
    assert conftest.workers(_Config()) == 12
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("GRIDGRAD_TEST_WORKERS", bad)
        with pytest.raises(pytest.UsageError, match="GRIDGRAD_TEST_WORKERS must be"):
            conftest.workers(_Config())


def test_distribute_sets_what_dash_n_sets(cores) -> None:
    cores(2)
    config = _Config()
    conftest._distribute(config)
    assert (config.option.numprocesses, config.option.dist, config.option.tx) == (2, "load", ["popen", "popen"])  # fmt: skip
    alone = _Config(source=pytest.Config.ArgsSource.ARGS)
    conftest._distribute(alone)
    assert (alone.option.numprocesses, alone.option.dist, alone.option.tx) == (None, "no", [])


def test_the_options_it_reads_are_xdists(request) -> None:
    """The option names and defaults above are the installed pytest-xdist's (a renamed
    option would leave every run in one process, or break it)."""
    pytest.importorskip("xdist")
    config = pytest.Config.fromdictargs({}, [])
    opt = config.option
    assert config.pluginmanager.hasplugin("xdist")
    assert (opt.numprocesses, opt.tx, opt.dist) == (None, [], "no")
    assert {"collectonly", "usepdb", "capture"} <= set(vars(opt))
    assert hasattr(request.config, "args_source")
