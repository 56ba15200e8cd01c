"""dask's own gradient tests (``dask/array/tests/test_routines.py``, unchanged) with
``da.gradient`` routed to gridgrad.numpy_gradient; their reference, numpy.gradient,
left real."""

from __future__ import annotations

import pytest

import gridgrad
from conftest import require

da = require("dask.array")
from dask.array.tests import test_routines as dask_tests  # noqa: E402


@pytest.fixture(autouse=True)
def _gradient_is_gridgrads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(da, "gradient", gridgrad.numpy_gradient)


test_gradient = dask_tests.test_gradient  # dask's function, with its parameters


def test_the_suite_calls_gridgrad(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def spy(*args, **kwargs):
        calls.append(args)
        return gridgrad.numpy_gradient(*args, **kwargs)

    monkeypatch.setattr(da, "gradient", spy)
    dask_tests.test_gradient((10, 15, 20), (), 0, 2)
    assert len(calls) == 1
