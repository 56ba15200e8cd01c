"""benchmarks/sphere_bench.py runs and prints its table (a small field, one repeat)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "sphere_bench.py"


def _bench():
    spec = importlib.util.spec_from_file_location("sphere_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_side_by_side_times_every_call_interleaved() -> None:
    bench = _bench()
    calls: list[str] = []
    fns = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    out = bench.side_by_side(fns, 3)
    assert calls == ["a", "b"] + ["a", "b"] * 3  # a warm-up each, then interleaved
    for best, median, cpu in out.values():
        assert 0 <= best <= median and cpu >= 0


def test_run_prints_the_table_with_ratios(capsys) -> None:
    bench = _bench()
    f, lat, lon = bench.era5_like((2, 91, 180))
    assert f.dtype == np.float32 and lat[0] == 90 and lat[-1] == -90 and lon[-1] < 360
    bench.run((2, 91, 180), 1, 1)
    out = capsys.readouterr().out
    assert "load average" in out
    assert re.search(r"sphere / Cartesian = [0-9.]+x", out)
    try:
        import metpy  # noqa: F401
    except ImportError:
        assert "MetPy: not installed" in out
    else:
        assert re.search(r"MetPy / sphere = [0-9.]+x", out)
        assert re.search(r"max \|MetPy - gridgrad\| eastward: [0-9.e+-]+ of max", out)
