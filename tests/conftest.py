import importlib
import os

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
