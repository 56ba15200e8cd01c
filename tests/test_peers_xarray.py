"""xarray's own ``differentiate`` tests (the installed xarray's ``test_dataset.py`` and
``test_duck_array_wrapping.py``, unchanged) with ``DataArray.differentiate`` and
``Dataset.differentiate`` routed to gridgrad: once through
:func:`gridgrad.xarray.differentiate`, once through the ``.gridgrad`` accessor. Their
references (numpy.gradient, xarray's own time conversion) are left real, and their
``assert_equal`` is exact."""

from __future__ import annotations

import pytest

from conftest import require

xr = require("xarray")
require("cftime")
require("dask.array")
require("jax")
from xarray.tests import test_dataset as xarray_tests  # noqa: E402
from xarray.tests import test_duck_array_wrapping as duck_tests  # noqa: E402

import gridgrad.xarray as gx  # noqa: E402  (registers the accessor)

ROUTES = {
    "function": lambda self, *args, **kwargs: gx.differentiate(self, *args, **kwargs),
    "accessor": lambda self, *args, **kwargs: self.gridgrad.differentiate(*args, **kwargs),
}


@pytest.fixture(params=sorted(ROUTES), autouse=True)
def route(request, monkeypatch: pytest.MonkeyPatch) -> str:
    calls = []

    def spy(self, *args, **kwargs):
        calls.append(args)
        return ROUTES[request.param](self, *args, **kwargs)

    monkeypatch.setattr(xr.DataArray, "differentiate", spy)
    monkeypatch.setattr(xr.Dataset, "differentiate", spy)
    yield request.param
    assert calls, "the test did not call differentiate"


@pytest.mark.parametrize("use_dask", [False, True], ids=["nodask", "dask"])
@pytest.mark.parametrize("edge_order", [1, 2])
def test_differentiate(use_dask: bool, edge_order: int) -> None:
    xarray_tests.test_differentiate(use_dask, edge_order)


@pytest.mark.parametrize("use_dask", [False, True], ids=["nodask", "dask"])
def test_differentiate_datetime(use_dask: bool) -> None:
    xarray_tests.test_differentiate_datetime(use_dask)


@pytest.mark.parametrize("use_dask", [False, True], ids=["nodask", "dask"])
def test_differentiate_cftime(use_dask: bool) -> None:
    xarray_tests.test_differentiate_cftime(use_dask)


@pytest.mark.parametrize("namespace", ["dask.array", "jax.numpy"])
class TestDuckArrays(duck_tests._BaseTest):
    """xarray's duck-array check of differentiate: the result stays in the library."""

    @pytest.fixture(autouse=True)
    def setUp(self, request, namespace):
        self.setup_for_test(request, namespace)
        self.x = self.get_test_dataarray()

    test_differentiate = duck_tests.TestDataArrayMethods.test_differentiate
