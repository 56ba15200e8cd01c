"""The benchmark's timing helpers (the figures themselves are not tested: no timing
in tests)."""

from __future__ import annotations

import pytest

from gridgrad import bench


def test_side_by_side_takes_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm-up call of each, then rounds of one call of each in the given order;
    the best time of each is its shortest call (a fake clock: each call of ``name``
    advances it by that call's duration)."""
    durations = {"a": [9, 3, 5, 4], "b": [1, 7, 2, 8]}
    clock = [0.0]
    calls: list[str] = []

    def make(name: str):  # type: ignore[no-untyped-def]
        def fn() -> None:
            clock[0] += durations[name][sum(c == name for c in calls)]
            calls.append(name)

        return fn

    monkeypatch.setattr(bench.time, "perf_counter", lambda: clock[0])
    best = bench._side_by_side({"a": make("a"), "b": make("b")}, 3)
    assert calls == ["a", "b"] * 4
    assert best == {"a": 3, "b": 2}  # the warm-up calls (9, 1) are not counted
