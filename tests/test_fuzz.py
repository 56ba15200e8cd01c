"""Random argument combinations against every public function (issue 13).

Each call either returns, with results equal (bitwise, NaN where NaN) to the same call on the
reference engine, or raises one of gridgrad's error types (ValueError, TypeError, IndexError and
their subclasses) with a message naming an argument. Never another exception, never a modified
input. Bounded in time: a few hundred examples per function.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridgrad

SETTINGS = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
NAMES = re.compile(
    r"`(input|f|spacing|dim|axis|edge_order|accuracy|boundary|period|order|offsets|x0|"
    r"components|varargs|out|return_error)"
)

dtypes = st.sampled_from(
    ["f8", "f4", "f2", "i8", "i4", "u1", "c16", "c8", "b1", "M8[D]", "m8[s]", "U1", "O"]
)


@st.composite
def arrays(draw: Any, max_dims: int = 3) -> np.ndarray:
    ndim = draw(st.integers(0, max_dims))
    shape = tuple(draw(st.lists(st.integers(0, 6), min_size=ndim, max_size=ndim)))
    dtype = np.dtype(draw(dtypes))
    n = int(np.prod(shape))
    raw = draw(
        st.lists(
            st.one_of(
                st.floats(-1e3, 1e3), st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 2.0**62])
            ),
            min_size=n,
            max_size=n,
        )
    )
    base = np.array(raw, dtype=np.float64).reshape(shape)
    with np.errstate(all="ignore"):
        if dtype.kind in "iub":
            return np.nan_to_num(base, posinf=1, neginf=-1).astype(dtype)
        if dtype.kind in "Mm":
            return np.nan_to_num(base).astype(np.int64).astype(dtype)
        if dtype.kind in "UO":
            return base.astype(str).astype(dtype)
        return base.astype(dtype)


scalars = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=10),
    st.booleans(),
    st.just(Fraction(1, 3)),
    st.just("a"),
    st.just(2**70),
)
spacing_entries = st.one_of(scalars, arrays(max_dims=2), st.lists(st.floats(-5, 5), max_size=7))
spacings = st.one_of(
    scalars, st.lists(spacing_entries, max_size=4), st.tuples(spacing_entries), arrays(1)
)
dims = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.lists(st.integers(-4, 4), max_size=4),
    st.tuples(st.integers(-4, 4), st.integers(-4, 4)),
    st.sampled_from([1.5, "0", True, (), []]),
)
edge_orders = st.one_of(st.none(), st.integers(-1, 4), st.sampled_from([1.0, 1 + 0j, True, "1"]))
accuracies = st.one_of(st.sampled_from([2, 4, 6, 3, 0, -2, 60, 1000, 2.0, True, None, "2"]))
boundaries = st.sampled_from(
    ["one-sided", "periodic", "wrap", None, ["periodic", "one-sided"], ("periodic",)]
)
periods = st.sampled_from([None, 1.0, 0.0, -1.0, np.nan, "a", [2.0, 3.0]])
orders = st.sampled_from([1, 2, 3, 0, -1, 1.5, True, "2", (1, 1), [1, 2]])


def _fingerprint(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return (
            (value.dtype.str, value.shape, hashlib.sha1(value.tobytes()).hexdigest())
            if value.dtype != object
            else repr(value)
        )
    if isinstance(value, (list, tuple)):
        return tuple(_fingerprint(v) for v in value)
    return repr(value)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(_equal, a, b))
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "mM":  # NaT != NaT: compare the integers
        return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def _reference_engine() -> Any:
    use = getattr(gridgrad, "use_engine", None)
    return use("reference") if use is not None else contextlib.nullcontext()


def check(func: Any, *args: Any, **kwargs: Any) -> None:
    """The contract of every public function, for one call."""
    before = _fingerprint((args, kwargs))
    try:
        with np.errstate(all="ignore"):
            result = func(*args, **kwargs)
    except (ValueError, TypeError, IndexError) as exc:
        assert NAMES.search(str(exc)), f"{type(exc).__name__} names no argument: {exc}"
        assert _fingerprint((args, kwargs)) == before, "an input was modified"
        return
    assert _fingerprint((args, kwargs)) == before, "an input was modified"
    with _reference_engine(), np.errstate(all="ignore"):
        again = func(*args, **kwargs)
    assert _equal(result, again), "the reference engine gives other results"


@SETTINGS
@given(
    f=arrays(),
    spacing=spacings,
    dim=dims,
    edge_order=edge_orders,
    accuracy=accuracies,
    boundary=boundaries,
    period=periods,
)
def test_gradient(f, spacing, dim, edge_order, accuracy, boundary, period) -> None:
    kw = {"spacing": spacing, "dim": dim, "edge_order": edge_order}
    if accuracy is not None:
        kw.update(accuracy=accuracy, boundary=boundary, period=period)
    check(gridgrad.gradient, f, **kw)


@SETTINGS
@given(f=arrays(), varargs=st.lists(spacing_entries, max_size=3), axis=dims, edge_order=edge_orders)
def test_numpy_gradient(f, varargs, axis, edge_order) -> None:
    check(
        gridgrad.numpy_gradient,
        f,
        *varargs,
        axis=axis,
        edge_order=edge_order if edge_order is not None else 1,
    )


@SETTINGS
@given(
    f=arrays(),
    dim=dims,
    order=orders,
    accuracy=accuracies,
    spacing=st.one_of(scalars, spacing_entries),
    edge_order=edge_orders,
    boundary=boundaries,
    period=periods,
    err=st.booleans(),
)
def test_derivative(f, dim, order, accuracy, spacing, edge_order, boundary, period, err) -> None:
    check(
        gridgrad.derivative,
        f,
        dim,
        order=order,
        accuracy=accuracy if accuracy is not None else 2,
        spacing=spacing,
        edge_order=edge_order,
        boundary=boundary,
        period=period,
        return_error=err,
    )


@SETTINGS
@given(f=arrays(), spacing=spacings, dim=dims, accuracy=accuracies, boundary=boundaries)
def test_laplacian_hessian(f, spacing, dim, accuracy, boundary) -> None:
    acc = accuracy if accuracy is not None else 2
    check(gridgrad.laplacian, f, spacing=spacing, dim=dim, accuracy=acc, boundary=boundary)
    check(gridgrad.hessian, f, spacing=spacing, dim=dim, accuracy=acc, boundary=boundary)


@SETTINGS
@given(comps=st.lists(arrays(), max_size=4), spacing=spacings, dim=dims, accuracy=accuracies)
def test_vector_calculus(comps, spacing, dim, accuracy) -> None:
    acc = accuracy if accuracy is not None else 2
    for func in (gridgrad.divergence, gridgrad.curl, gridgrad.jacobian):
        check(func, comps, spacing=spacing, dim=dim, accuracy=acc)


@SETTINGS
@given(
    offsets=st.one_of(
        st.lists(st.one_of(st.integers(-5, 5), st.floats(-3, 3), st.just(2**70)), max_size=7),
        scalars,
    ),
    order=orders,
    x0=scalars,
)
def test_fd_weights(offsets, order, x0) -> None:
    check(gridgrad.fd_weights, offsets, order=order, x0=x0 if x0 is not None else 0.0)


def test_masked_periodic() -> None:
    """A masked array on a periodic axis (issue 13 item 8: a broadcast error before)."""
    f = np.ma.masked_array(np.arange(8.0) ** 2, mask=[0, 0, 1, 0, 0, 0, 0, 0])
    check(gridgrad.gradient, f, boundary="periodic")


@pytest.mark.parametrize("dims_", [[], ()])
def test_derivative_of_no_dims_is_not_the_input(dims_) -> None:
    f = np.arange(5.0)
    try:
        r = gridgrad.derivative(f, dims_)
    except (ValueError, TypeError) as exc:
        assert NAMES.search(str(exc))
        return
    assert not np.shares_memory(r, f)
