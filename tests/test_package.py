"""Packaging, public surface, memory layouts and the command line."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import gridgrad


def test_public_surface_is_pinned() -> None:
    assert sorted(gridgrad.__all__) == [
        "GradientTypeError",
        "GradientValueError",
        "__version__",
        "curl",
        "derivative",
        "divergence",
        "fd_weights",
        "gradient",
        "hessian",
        "jacobian",
        "laplacian",
        "numpy_gradient",
        "use_engine",
    ]


def test_anchor_errors_are_public_and_catchable_both_ways() -> None:
    """The drop-ins' errors are gridgrad's public classes (not a private module's) and
    also the anchor's type (torch raises RuntimeError)."""
    import numpy as np

    assert gridgrad.GradientValueError.__module__ == "gridgrad"
    assert issubclass(gridgrad.GradientValueError, (ValueError, RuntimeError))
    try:
        gridgrad.gradient(np.arange(4.0), edge_order=3)
    except RuntimeError as exc:  # as torch users catch it
        assert type(exc) is gridgrad.GradientValueError
        assert "torch.gradient only supports edge_order=1 and edge_order=2" in str(exc)
    else:
        raise AssertionError("no error")


def test_import_loads_no_optional_library() -> None:
    code = (
        "import sys, gridgrad; heavy = {'torch', 'jax', 'dask', 'xarray', 'numba', 'matplotlib'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_demo_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gridgrad", "demo"], capture_output=True, text=True, check=True
    )
    text = out.stdout
    assert "[-7. 14. 36. 37.]" in text
    assert "[0.5 1.  2.  2.5]" in text
    # the convergence table reports first and second order
    last = next(line for line in text.splitlines() if line.strip().startswith("512")).split()
    orders = [float(v) for v in last[2::2]]
    assert orders[0] == pytest.approx(1.0, abs=0.1) and orders[1] == pytest.approx(2.0, abs=0.1)
    assert orders[2] == pytest.approx(1.0, abs=0.1) and orders[3] == pytest.approx(2.0, abs=0.1)


def test_console_script_help() -> None:
    from gridgrad.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0


def _reference(f: np.ndarray, **kw):
    return gridgrad.gradient(np.ascontiguousarray(f, dtype=f.dtype.newbyteorder("=")), **kw)


@pytest.mark.parametrize(
    "make",
    [
        lambda a: np.asfortranarray(a),
        lambda a: a[::-1, ::2],
        lambda a: a[:, ::-3],
        lambda a: a.astype(a.dtype.newbyteorder(">")),
        lambda a: np.lib.stride_tricks.as_strided(a, a.shape, a.strides, writeable=False),
        lambda a: a.T,
    ],
    ids=["fortran", "negative-strides", "step-3", "big-endian", "read-only", "transposed"],
)
@pytest.mark.parametrize("edge_order", [1, 2])
def test_layouts(make, edge_order) -> None:
    a = np.random.default_rng(0).standard_normal((7, 9))
    f = make(a)
    before = f.copy()
    x = np.cumsum(np.linspace(0.5, 1.5, f.shape[1]))
    for kw in ({}, {"spacing": (0.5, x)}):
        ours = gridgrad.gradient(f, edge_order=edge_order, **kw)
        ref = _reference(f, edge_order=edge_order, **kw)
        for o, r in zip(ours, ref):
            np.testing.assert_array_equal(o, r)
            assert not np.shares_memory(o, f)
    np.testing.assert_array_equal(f, before)


def test_read_only_input_not_modified_and_not_aliased() -> None:
    f = np.arange(10.0) ** 2
    f.setflags(write=False)
    (g,) = gridgrad.gradient(f)
    assert g.flags.writeable and not np.shares_memory(g, f)


def test_nan_and_inf_stay_local() -> None:
    f = np.array([0.0, 1.0, np.nan, 3.0, 4.0, 5.0, 6.0])
    (g,) = gridgrad.gradient(f)
    assert np.isnan(g[[1, 3]]).all() and not np.isnan(g[[0, 2, 4, 5, 6]]).any()
    f = np.array([0.0, 1.0, np.inf, 3.0, 4.0])
    (g,) = gridgrad.gradient(f)
    assert g[2] == 1.0 and g[1] == np.inf and g[3] == -np.inf


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64", "complex128"])
def test_dtypes_kept(dtype) -> None:
    f = (np.arange(6.0) ** 2).astype(dtype)
    (g,) = gridgrad.gradient(f)
    assert g.dtype == np.dtype(dtype)
    np.testing.assert_allclose(g, [1, 2, 4, 6, 8, 9], rtol=1e-3)


@pytest.mark.parametrize(
    ("dtype", "spacing", "expected"),
    [
        ("int32", None, np.float64),
        ("uint16", None, np.float64),
        ("float32", 1j, np.complex64),
        ("float64", 2j, np.complex128),
        ("float32", [np.array([0, 1, 3, 4.0])], np.float32),
        ("float32", [np.array([0, 1, 3j, 4.0])], np.complex64),
    ],
)
def test_result_dtypes(dtype, spacing, expected) -> None:
    f = np.array([1, 2, 4, 7]).astype(dtype)
    (g,) = gridgrad.gradient(f, spacing=spacing)
    assert g.dtype == expected


def test_size_one_and_empty_non_differentiated_dims() -> None:
    f = np.arange(5.0).reshape(1, 5)
    (g,) = gridgrad.gradient(f, dim=1)
    np.testing.assert_array_equal(g, np.ones((1, 5)))
    (g,) = gridgrad.gradient(np.ones((0, 4)), dim=1)
    assert g.shape == (0, 4)


def test_demo_into_a_closed_pipe_stops_quietly() -> None:
    """``gridgrad demo | head -1``: no error message when the reader has gone away."""
    read, write = os.pipe()
    os.close(read)  # no reader: the first write fails with EPIPE
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "gridgrad", "demo"],
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    assert proc.returncode == 0
    assert proc.stderr == b""
