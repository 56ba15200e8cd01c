"""The engine switch and the automatic choice: which engine runs a call, and that a
forced engine gives the same results or a clear error, never another engine's."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import gridgrad
from gridgrad import _api, _engines
from gridgrad._options import Options
from gridgrad._request import gradient_request


def _engine(f, **kw) -> str:
    """The name of the engine the automatic choice takes for ``gradient(f, **kw)``."""
    spacing, dim = kw.pop("spacing", None), kw.pop("dim", None)
    call = _api.checked(gradient_request, f, dim, spacing, Options(**kw))
    x = call.f if call.library is not _api.Library.NUMPY else np.asarray(call.f)
    return _engines.select(call.plan, x).name


def test_automatic_choice() -> None:
    f = np.random.default_rng(0).standard_normal((30, 20))
    assert _engine(f) == "small"  # scalar arguments: the plan is cached, compiled
    assert _engine(f, spacing=(np.arange(30.0) ** 2, 1.0)) == "reference"  # coordinates
    assert _engine(f, boundary="periodic") == "reference"
    assert _engine(np.ma.array(f)) == "reference"  # a subclass: its plan is not cached
    da = pytest.importorskip("dask.array")
    assert _engine(da.from_array(f, chunks=10)) == "dask"


@pytest.mark.parametrize("name", ["reference", "small", "numba"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_forced_engines_agree_bitwise(name, dtype) -> None:
    if name == "numba":
        pytest.importorskip("numba")
    rng = np.random.default_rng(1)
    f = rng.standard_normal((9, 8, 7)).astype(dtype)
    cases = [
        {},
        {"spacing": 0.5, "edge_order": 2},
        {"dim": (2, 0), "accuracy": 6},
    ]
    if name != "small":  # coordinates are not for the small-array engine
        cases.append({"spacing": (0.5, np.cumsum(rng.uniform(0.5, 1.5, 8)), 2.0)})
    for kw in cases:
        with gridgrad.use_engine("reference"):
            ref = gridgrad.gradient(f, **kw)
        with gridgrad.use_engine(name):
            ours = gridgrad.gradient(f, **kw)
        for o, r in zip(ours, ref, strict=True):
            assert o.dtype == r.dtype and o.tobytes() == r.tobytes()


def test_forced_engine_that_cannot_run_the_call_raises() -> None:
    f = np.arange(10.0) ** 2
    x = np.cumsum(np.arange(1.0, 11.0))
    with gridgrad.use_engine("small"):
        with pytest.raises(ValueError, match=r"the 'small' engine is forced .* cannot run"):
            gridgrad.gradient(f, spacing=(x,))
        gridgrad.gradient(f)  # it runs what it can
    with gridgrad.use_engine("dask"), pytest.raises(ValueError, match="it runs dask arrays"):
        gridgrad.gradient(f)
    (g,) = gridgrad.gradient(f, spacing=(x,))  # outside the block: automatic again
    np.testing.assert_array_equal(g, np.gradient(f, x))


def test_unknown_engine_name() -> None:
    with pytest.raises(ValueError, match=r"`name` must be one of 'auto', 'reference'"):
        with gridgrad.use_engine("fast"):  # type: ignore[arg-type]
            pass


def test_switch_is_thread_local_and_nests() -> None:
    f = np.arange(12.0) ** 2
    x = np.cumsum(np.arange(1.0, 13.0))
    seen = []

    def other_thread() -> None:
        seen.append(gridgrad.gradient(f, spacing=(x,))[0])  # automatic here

    with gridgrad.use_engine("small"):
        with gridgrad.use_engine("reference"):
            gridgrad.gradient(f, spacing=(x,))
        with pytest.raises(ValueError, match="forced"):
            gridgrad.gradient(f, spacing=(x,))
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    np.testing.assert_array_equal(seen[0], np.gradient(f, x))


def _python(code: str, engine: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRIDGRAD_ENGINE": engine}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )


def test_environment_variable_sets_the_default() -> None:
    code = """
import threading
import numpy as np
import gridgrad
f = np.arange(10.0) ** 2
gridgrad.gradient(f)
errors = []
def call():
    try:
        gridgrad.gradient(f, spacing=(np.cumsum(np.arange(1.0, 11.0)),))
    except ValueError as exc:
        errors.append(str(exc))
call()
t = threading.Thread(target=call)  # every thread starts from the default
t.start()
t.join()
with gridgrad.use_engine("auto"):
    call()
print(len(errors), errors[0])
"""
    proc = _python(code, "small")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        "2 the 'small' engine is forced (gridgrad.use_engine or GRIDGRAD_ENGINE)"
    )
    proc = _python("import numpy, gridgrad; gridgrad.gradient(numpy.zeros(3))", "fastest")
    assert proc.returncode == 1
    assert "the environment variable GRIDGRAD_ENGINE must be one of 'auto'" in proc.stderr
