import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest


def require(module: str):
    """Import an optional test dependency: skipped locally when missing, but in CI
    (CI set in the environment, as .ci/run does) a missing one fails the run, so a
    comparison never disappears silently."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(
        module, reason=f"{module} is not installed (pip install -e '.[test]')"
    )


#: the array libraries the semantic tests run on (tests/backends.py describes each)
BACKENDS = ("numpy", "torch", "jax", "dask", "array_api_strict")


@pytest.fixture(params=BACKENDS, scope="session")
def backend(request):
    """Each array library in turn; a failing backend never hides another (separate ids)."""
    from backends import make

    return make(request.param)


def pytest_configure(config) -> None:
    # markers of the peers' own test modules that tests/test_peers_*.py run
    config.addinivalue_line("markers", "thread_unsafe: numpy's marker (pytest-run-parallel)")
    config.addinivalue_line("markers", "flaky: xarray's marker")
    config.addinivalue_line("markers", "network: xarray's marker")


# A run of the whole suite compiles the kernels' common variants meanwhile in a
# process of its own at the lowest priority (tests/_warm_kernels.py): on a fresh clone
# numba's cache is empty and compiling is about half of the suite's time, on one core
# while the other idles. Small runs (under 1000 tests) and GRIDGRAD_TEST_WARM=0 skip it.
_WARM: list[subprocess.Popen] = []


def pytest_collection_finish(session) -> None:
    if len(session.items) < 1000 or os.environ.get("GRIDGRAD_TEST_WARM") == "0":
        return
    if importlib.util.find_spec("numba") is None:
        return
    script = Path(__file__).with_name("_warm_kernels.py")
    _WARM.append(
        subprocess.Popen(
            [sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    )


def pytest_unconfigure(config) -> None:
    for proc in _WARM:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
