"""Every bad argument gets a clear error, raised before any work, naming the rule and the value."""

from __future__ import annotations

import numpy as np
import pytest

import gridgrad
from gridgrad._plan import AxisError

F2 = np.arange(12.0).reshape(3, 4)


@pytest.mark.parametrize(
    ("fn", "edge_order"),
    [(fn, e) for fn in ("gradient", "numpy_gradient") for e in (0, 3, -1, 1.5, True, "1")]
    + [("numpy_gradient", None)],  # None is gradient's default (1 at accuracy 2)
)
def test_edge_order(fn: str, edge_order) -> None:
    with pytest.raises(ValueError, match=r"`edge_order` must be 1 or 2; got"):
        getattr(gridgrad, fn)(F2, edge_order=edge_order)


@pytest.mark.parametrize(
    ("shape", "dim", "edge_order"),
    [
        ((1,), None, 1),
        ((2,), None, 2),
        ((0,), None, 1),
        ((4, 2), 1, 2),
        ((4, 1), None, 1),
        ((3, 0), -1, 1),
    ],
)
def test_too_few_samples(shape, dim, edge_order) -> None:
    f = np.ones(shape)
    with pytest.raises(ValueError, match=r"at least edge_order \+ 1 = \d samples; `dim` \d"):
        gridgrad.gradient(f, dim=dim, edge_order=edge_order)
    with pytest.raises(ValueError, match=r"at least edge_order \+ 1 = \d samples; `axis` \d"):
        gridgrad.numpy_gradient(f, axis=dim, edge_order=edge_order)


@pytest.mark.parametrize(
    ("spacing", "dim"),
    [([1.0], None), ([1.0, 2.0, 3.0], None), ((1.0, 2.0), 0), ([], None), ([np.arange(3.0)], None)],
)
def test_spacing_list_length(spacing, dim) -> None:
    with pytest.raises(
        ValueError, match=r"`spacing` must be a scalar or a list/tuple with one entry"
    ):
        gridgrad.gradient(F2, spacing=spacing, dim=dim)


def test_numpy_varargs_count() -> None:
    with pytest.raises(TypeError, match=r"`varargs` must be empty, one scalar, or one spacing per"):
        gridgrad.numpy_gradient(F2, 1.0, 2.0, 3.0)
    with pytest.raises(TypeError, match=r"got 2 values"):
        gridgrad.numpy_gradient(F2, 1.0, 2.0, axis=0)


def test_bare_array_spacing_is_ambiguous() -> None:
    with pytest.raises(TypeError, match=r"wrap them: spacing=\(x,\)"):
        gridgrad.gradient(np.arange(4.0), spacing=np.arange(4.0))


@pytest.mark.parametrize("dim", [[1, 1], [1, -1], (0, -2), [0, 1, 0]])
def test_repeated_dims(dim) -> None:
    with pytest.raises(ValueError, match=r"`dim` must not repeat a dimension"):
        gridgrad.gradient(F2, dim=dim)
    with pytest.raises(ValueError, match=r"`axis` must not repeat a dimension"):
        gridgrad.numpy_gradient(F2, axis=tuple(dim))


@pytest.mark.parametrize("dim", [2, -3, [0, 5], 100])
def test_dim_out_of_range(dim) -> None:
    with pytest.raises(IndexError, match=r"`dim` -?\d+ is out of range for an array with 2"):
        gridgrad.gradient(F2, dim=dim)
    with pytest.raises(AxisError):
        gridgrad.numpy_gradient(F2, axis=dim)


def test_dim_on_0d() -> None:
    with pytest.raises(IndexError, match=r"the input is 0-d"):
        gridgrad.gradient(np.float64(2.0), dim=0)


@pytest.mark.parametrize("dim", [1.0, "0", True, [0, None]])
def test_dim_type(dim) -> None:
    with pytest.raises(TypeError, match=r"`dim` must be an int or a sequence of ints"):
        gridgrad.gradient(F2, dim=dim)


def test_dim_and_axis() -> None:
    with pytest.raises(TypeError, match=r"not both"):
        gridgrad.gradient(F2, dim=0, axis=1)
    np.testing.assert_array_equal(gridgrad.gradient(F2, axis=1)[0], gridgrad.gradient(F2, dim=1)[0])


def test_coordinates_not_1d() -> None:
    with pytest.raises(
        ValueError,
        match=r"`spacing\[0\]` must be a scalar or 1-D coordinates; got an array of shape \(3, 1\)",
    ):
        gridgrad.gradient(F2, spacing=[np.ones((3, 1)), 1.0])
    with pytest.raises(ValueError, match=r"`varargs\[0\]` must be a scalar or 1-D"):
        gridgrad.numpy_gradient(F2, np.ones((3, 1)), 1.0)


@pytest.mark.parametrize("n", [3, 5, 1])
def test_coordinates_wrong_length(n) -> None:
    with pytest.raises(
        ValueError, match=rf"`spacing\[1\]` has {n} coordinates but dimension 1 of the input has 4"
    ):
        gridgrad.gradient(F2, spacing=[1.0, np.arange(float(n))])
    with pytest.raises(ValueError, match=rf"`varargs\[1\]` has {n} coordinates"):
        gridgrad.numpy_gradient(F2, 1.0, np.arange(float(n)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_coordinates_not_finite(bad) -> None:
    x = np.array([0.0, 1.0, bad, 3.0])
    with pytest.raises(ValueError, match=r"coordinates must be finite"):
        gridgrad.gradient(F2, spacing=[1.0, x])
    with pytest.raises(ValueError, match=r"coordinates must be finite"):
        gridgrad.numpy_gradient(F2, 1.0, x)


def test_coordinates_nat() -> None:
    x = np.array(["2020-01-01", "NaT", "2020-01-03", "2020-01-04"], dtype="M8[D]")
    with pytest.raises(ValueError, match=r"NaT"):
        gridgrad.numpy_gradient(F2, 1.0, x)


@pytest.mark.parametrize("x", [[0.0, 1.0, 1.0, 3.0], [0.0, 2.0, 1.0, 0.0], [5, 5, 6, 7]])
def test_coordinates_repeat_a_value(x) -> None:
    with pytest.raises(
        ValueError, match=r"coordinates must be distinct \(a repeated value is a zero step\)"
    ):
        gridgrad.gradient(F2, spacing=[1.0, np.array(x)])
    with pytest.raises(ValueError, match=r"must be distinct"):
        gridgrad.numpy_gradient(F2, 1.0, x)


def test_coordinates_non_numeric() -> None:
    with pytest.raises(TypeError, match=r"coordinates must be numbers"):
        gridgrad.gradient(F2, spacing=[1.0, np.array(["a", "b", "c", "d"])])
    with pytest.raises(TypeError, match=r"coordinates must be numbers"):
        gridgrad.gradient(F2, spacing=[1.0, np.array([True, False, True, False])])


@pytest.mark.parametrize("h", [0, 0.0, np.nan, np.inf, np.float32(0.0), 0j])
def test_bad_scalar_step(h) -> None:
    with pytest.raises(ValueError, match=r"must be a finite, nonzero step"):
        gridgrad.gradient(F2, spacing=h)
    with pytest.raises(ValueError, match=r"`varargs\[0\]` must be a finite, nonzero step"):
        gridgrad.numpy_gradient(F2, h)


@pytest.mark.parametrize("h", [True, np.bool_(False), "0.5", np.datetime64("2020-01-01")])
def test_non_numeric_scalar_step(h) -> None:
    with pytest.raises(TypeError, match=r"must be a real or complex number"):
        gridgrad.gradient(F2, spacing=h)
    with pytest.raises(TypeError, match=r"must be a real or complex number"):
        gridgrad.gradient(F2, spacing=[h, 1.0])


@pytest.mark.parametrize(
    "f",
    [
        np.array(["a", "b", "c"]),
        np.array([1, "x", 3.0], dtype=object),
        np.array([True, False, True]),
        ["a", "b", "c"],
        [True, False, True],
        np.array([b"a", b"b"]),
    ],
)
def test_non_numeric_input(f) -> None:
    with pytest.raises(TypeError, match=r"`input` must hold real or complex numbers"):
        gridgrad.gradient(f)
    with pytest.raises(TypeError, match=r"`input` must hold real or complex numbers"):
        gridgrad.numpy_gradient(f)


def test_ragged_input() -> None:
    with pytest.raises(
        TypeError, match=r"`input` must be an array or a nested sequence of numbers"
    ):
        gridgrad.gradient([[1.0, 2.0], [3.0]])


def test_complex_spacing_on_datetimes() -> None:
    f = np.arange(4).astype("M8[D]")
    with pytest.raises(TypeError, match=r"complex spacing cannot differentiate datetime"):
        gridgrad.numpy_gradient(f, 1j)


def test_errors_come_before_any_work(monkeypatch) -> None:
    """A bad last spacing entry is reported without the engine ever running."""
    from gridgrad._engines import reference

    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("the engine ran before validation finished")

    monkeypatch.setattr(reference, "gradient", boom)
    with pytest.raises(ValueError, match="coordinates"):
        gridgrad.gradient(F2, spacing=[1.0, np.array([0.0, 1.0, 1.0, 2.0])])
    with pytest.raises(ValueError, match="edge_order"):
        gridgrad.numpy_gradient(F2, edge_order=5)


# --------------------------------------------------------------------------- issue 13, item 7


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_integer_coordinates_equal_in_float64_are_a_zero_step(dtype) -> None:
    x = (np.arange(5) + 2**53).astype(dtype)  # distinct integers, equal pairs in float64
    with pytest.raises(ValueError, match="distinct but equal once converted to float64"):
        gridgrad.gradient(np.arange(5.0), spacing=(x,))
    with pytest.raises(ValueError, match="distinct but equal once converted to float64"):
        gridgrad.numpy_gradient(np.arange(5.0), x)


def test_datetime_coordinates_whose_differences_overflow() -> None:
    d = np.array([-(2**62 + 2**61), 2**62 + 2**61, 2**62 + 2**61 + 5], dtype="M8[ns]")
    assert np.diff(d)[0] < np.timedelta64(0)  # numpy wraps around silently
    with pytest.raises(ValueError, match="differences overflow int64 counts of ns"):
        gridgrad.numpy_gradient(np.arange(3.0), d)


@pytest.mark.parametrize("fn", ["gradient", "laplacian"])
def test_period_needs_a_periodic_boundary(fn) -> None:
    with pytest.raises(ValueError, match="`period` applies to periodic dims only"):
        getattr(gridgrad, fn)(np.arange(6.0), period=3.0)
    # one period per dim, None for the one-sided ones: fine
    f = np.outer(np.arange(6.0), np.ones(5))
    gridgrad.gradient(f, boundary=["one-sided", "periodic"], period=[None, 5.0])


def test_accuracy_has_a_ceiling_where_float64_weights_stop_helping() -> None:
    """Measured: at accuracy 30 the error on x**2 is ~1e-7, at 40 ~2e-4 (and 60 gave 2e2)."""
    x = np.linspace(0.0, 1.0, 80)
    d = gridgrad.derivative(x**2, 0, spacing=x[1] - x[0], accuracy=30)
    assert np.abs(d - 2 * x).max() < 1e-5
    for p in (32, 60, 1000):
        with pytest.raises(ValueError, match=r"`accuracy` must be at most 30; got"):
            gridgrad.derivative(x**2, 0, accuracy=p)


@pytest.mark.parametrize("order", [1.5, True, "2", 0])
def test_xarray_order_must_be_a_positive_int(order) -> None:
    xr = pytest.importorskip("xarray")
    import gridgrad.xarray as gx

    da = xr.DataArray(np.arange(6.0) ** 2, dims="x", coords={"x": np.arange(6.0)}, name="T")
    with pytest.raises((TypeError, ValueError), match="`order` must be a positive integer"):
        gx.derivative(da, "x", order=order)
    with pytest.raises((TypeError, ValueError), match="`order` must be a positive integer"):
        gx.gradient(da, "x", order=order)


def test_xarray_functions_name_the_expected_input() -> None:
    pytest.importorskip("xarray")
    import gridgrad.xarray as gx

    with pytest.raises(TypeError, match="must be an xarray DataArray; got ndarray"):
        gx.derivative(np.arange(5.0), "x")
