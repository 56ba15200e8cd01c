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


F2 = np.arange(25.0).reshape(5, 5)
NUMPY_REJECTS = [
    ((F2, np.ones((5, 2)), 1), {}),  # 2-D coordinates
    ((np.arange(5.0), np.arange(4.0)), {}),  # coordinates of the wrong length
    ((np.arange(5.0),), {"edge_order": 3}),
    ((np.arange(2.0),), {"edge_order": 2}),  # too few samples
    ((np.arange(1.0),), {}),
    ((F2, 1.0, 1.0, 1.0), {}),  # three spacings for two axes
    ((F2,), {"axis": (0, 0)}),
    ((F2,), {"axis": 3}),
    ((F2,), {"axis": -3}),
]


@pytest.mark.parametrize(("args", "kwargs"), NUMPY_REJECTS)
def test_errors_hold_numpys_type_and_words(args, kwargs) -> None:
    """Where numpy.gradient rejects a call, numpy_gradient's error is an instance of
    numpy's type and its message contains numpy's message, word for word."""
    with pytest.raises(Exception) as theirs:
        np.gradient(*args, **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        gridgrad.numpy_gradient(*args, **kwargs)
    assert str(theirs.value) in str(ours.value)
    # gridgrad's sentence first, naming the argument in backquotes
    assert "`" in str(ours.value).split("[numpy: ")[0]
