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
    _distribute(config)


# A run of the whole suite (the README's bare ``pytest``) spreads its tests over the
# machine's cores with pytest-xdist: on a fresh clone numba's cache is empty and
# compiling the kernels' variants is about half of the suite's time, on one core while
# the others idle. A run of chosen tests (paths or node ids given), ``-n`` given, or
# GRIDGRAD_TEST_WORKERS=1 stays in one process; GRIDGRAD_TEST_WORKERS=k sets k workers.
_MAX_WORKERS = 8  # each worker holds torch, jax and the kernels: about 4 GB at its peak


def workers(config) -> int:
    """The number of processes for this run: 1 unless it is a whole-suite run, in the
    main process (not a worker), with pytest-xdist installed and ``-n`` not given."""
    if hasattr(config, "workerinput") or not config.pluginmanager.hasplugin("xdist"):
        return 1
    if config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return 1  # tests named on the command line
    opt = config.option
    if opt.numprocesses is not None or opt.tx or opt.dist != "no":
        return 1  # the caller chose
    if opt.collectonly or opt.usepdb or opt.capture == "no":
        return 1  # listing, debugging, or output shown as it comes
    wanted = os.environ.get("GRIDGRAD_TEST_WORKERS", "")
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            msg = f"GRIDGRAD_TEST_WORKERS must be a positive integer; got {wanted!r}"
            raise pytest.UsageError(msg)
        return int(wanted)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, _MAX_WORKERS))


def _distribute(config) -> None:
    n = workers(config)
    if n > 1:  # as ``-n n`` would (xdist's own configure hook runs after this one)
        config.option.numprocesses = n
        config.option.dist = "load"
        config.option.tx = ["popen"] * n
