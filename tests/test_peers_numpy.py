"""numpy's own TestGradient (the installed numpy's tests, unchanged) against
gridgrad.numpy_gradient: the function under test patched to gridgrad's, numpy's
expected values and messages left as numpy wrote them."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.tests import test_function_base as numpy_tests

import gridgrad


@pytest.fixture(autouse=True)
def _gradient_is_gridgrads(monkeypatch: pytest.MonkeyPatch) -> None:
    # the class calls the module's `gradient` (imported from numpy), and np.gradient
    monkeypatch.setattr(numpy_tests, "gradient", gridgrad.numpy_gradient)
    monkeypatch.setattr(np, "gradient", gridgrad.numpy_gradient)


class TestGradient(numpy_tests.TestGradient):
    """numpy's class as it is: every test method runs here with gridgrad."""


def test_the_suite_calls_gridgrad(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def spy(*args, **kwargs):
        calls.append(args)
        return gridgrad.numpy_gradient(*args, **kwargs)

    monkeypatch.setattr(numpy_tests, "gradient", spy)
    TestGradient().test_basic()
    assert len(calls) == 2
