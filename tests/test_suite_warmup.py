"""The test suite's own warm-up (tests/conftest.py, tests/_warm_kernels.py): a process
that compiles the kernels' common variants while a whole-suite run goes on."""

from __future__ import annotations

import subprocess
import warnings

import pytest

import conftest  # tests/ is on sys.path, as for tests/backends.py


class _Session:
    def __init__(self, n: int) -> None:
        self.items = [None] * n


class _Proc:
    def __init__(self, args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.args = args
        self.running = True
        self.terminated = False

    def poll(self):  # type: ignore[no-untyped-def]
        return None if self.running else 0

    def terminate(self) -> None:
        self.terminated = True
        self.running = False

    def wait(self, timeout=None):  # type: ignore[no-untyped-def]
        return 0

    def kill(self) -> None:
        self.running = False


def test_started_for_whole_runs_only_and_stopped_at_the_end(monkeypatch) -> None:
    started: list[_Proc] = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(_Proc(*a, **k)) or started[-1])  # fmt: skip
    monkeypatch.setattr(conftest, "_WARM", [])
    monkeypatch.delenv("GRIDGRAD_TEST_WARM", raising=False)
    conftest.pytest_collection_finish(_Session(999))
    assert started == []  # a small run: no second process
    monkeypatch.setenv("GRIDGRAD_TEST_WARM", "0")
    conftest.pytest_collection_finish(_Session(5000))
    assert started == []  # turned off
    monkeypatch.delenv("GRIDGRAD_TEST_WARM")
    conftest.pytest_collection_finish(_Session(1000))
    assert len(started) == 1 and started[0].args[-1].endswith("_warm_kernels.py")
    conftest.pytest_unconfigure(None)
    assert started[0].terminated  # still running at the end: stopped


def test_its_calls_are_valid_calls() -> None:
    """Each call of the warm-up is a call gridgrad takes (the warm-up swallows the
    kernels' refusals, so a call that went stale would silently compile nothing):
    run here on the reference engine, which compiles nothing."""
    pytest.importorskip("numba")
    import _warm_kernels
    import gridgrad

    todo = _warm_kernels.calls()
    assert len(todo) > 100
    with gridgrad.use_engine("reference"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for call in todo:
            call()
