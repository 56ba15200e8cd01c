"""gridgrad.gradient against torch.gradient (torch 2.13 CPU) over the reference table."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import gridgrad
from cases import Case, cases, spacing_entries, values
from conftest import require

torch = require("torch")

DTYPES = ["float32", "float64", "complex128", "int64"]
TOL = {"float32": 2e-5, "float64": 1e-13, "complex64": 2e-5, "complex128": 1e-13}


def _torch_gradient(t, case: Case, entries: list[object]):
    """torch.gradient called the way a torch user would for this spacing form;
    torch has no mixed scalar/coordinate lists, so those go one dim at a time."""
    kw = {"edge_order": case.edge_order}
    if case.dim is not None:
        kw["dim"] = case.dim
    as_t = [torch.from_numpy(e) if isinstance(e, np.ndarray) else e for e in entries]
    if case.spacing == "none":
        return torch.gradient(t, **kw)
    if case.spacing == "scalar":
        return torch.gradient(t, spacing=entries[0], **kw)
    if case.spacing in ("scalars", "coords", "even-coords"):
        return torch.gradient(t, spacing=as_t, **kw)
    return tuple(
        torch.gradient(t, spacing=[s], dim=d, edge_order=case.edge_order)[0]
        for s, d in zip(as_t, case.dims)
    )


def _user_spacing(case: Case, entries: list[object]):
    if case.spacing == "none":
        return None
    if case.spacing == "scalar":
        return entries[0]
    return tuple(entries)


def _has_uniform_dim(case: Case) -> bool:
    return case.spacing in ("none", "scalar", "scalars", "mixed", "even-coords")


def _expected_dtype(backend, case: Case, dtype: str, entry: object) -> np.dtype:
    value = backend.default_float if dtype == "int64" else np.dtype(dtype)
    if isinstance(entry, np.ndarray) and backend.promotes_coordinates:
        return np.result_type(value, entry.dtype)  # coordinate arrays promote (torch)
    return value


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", cases(), ids=Case.id)
def test_matches_torch(backend, case: Case, dtype: str) -> None:
    """gridgrad on every backend (input and coordinates in that library) against
    torch.gradient on the same values."""
    rng = np.random.default_rng(zlib.crc32(f"{case.id()}{dtype}".encode()))
    f = values(case.shape, dtype, rng)
    entries = spacing_entries(case, rng)
    f_before = f.copy()
    native = [backend.asarray(e) if isinstance(e, np.ndarray) else e for e in entries]

    ours = gridgrad.gradient(
        backend.asarray(f),
        spacing=_user_spacing(case, native),
        dim=case.dim,
        edge_order=case.edge_order,
    )

    t = torch.from_numpy(f)
    if dtype == "int64" and backend.name != "torch":
        # integers follow the input library's rules (float64 first on NumPy and
        # Dask): compare with torch on those float64 values
        ref = _torch_gradient(t.double(), case, entries)
    else:  # torch integer input: torch's own expressions on the int64 values
        ref = _torch_gradient(t, case, entries)

    assert isinstance(ours, tuple) and len(ours) == len(case.dims) == len(ref)
    for o, r, entry in zip(ours, ref, entries):
        assert backend.is_native(o)
        got = backend.to_numpy(o)
        r = r.detach().numpy()
        assert got.shape == f.shape
        if backend.name == "torch":  # torch's own dtype (0-d divisors do not promote)
            assert got.dtype == r.dtype
        else:
            assert got.dtype == _expected_dtype(backend, case, dtype, entry)
        # torch's expressions, term for term: the same bits; except float32 values on
        # float64 coordinates outside torch, where the library's own promotion rules
        # apply (torch divides the edges by a 0-d float64 tensor in float32, NumPy by a
        # float64 scalar in float64)
        mixed = backend.name != "torch" and dtype == "float32" and isinstance(entry, np.ndarray)
        if backend.bitwise and not mixed:
            np.testing.assert_array_equal(got, r.astype(got.dtype))
            continue
        tol = TOL[str(backend.default_float if dtype == "int64" else np.dtype(dtype))]
        scale = max(1.0, float(np.abs(r).max()))
        np.testing.assert_allclose(got, r.astype(got.dtype), rtol=tol, atol=tol * scale)
    np.testing.assert_array_equal(f, f_before)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_complex_spacing_matches_torch(edge_order: int) -> None:
    rng = np.random.default_rng(7)
    f = rng.standard_normal((5, 6))
    h = 0.5 - 0.25j
    ours = gridgrad.gradient(f, spacing=h, edge_order=edge_order)
    ref = torch.gradient(torch.from_numpy(f), spacing=h, edge_order=edge_order)
    for o, r in zip(ours, ref):
        assert o.dtype == np.complex128
        np.testing.assert_allclose(o, r.numpy(), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_complex_values_on_coordinates_match_torch(edge_order: int) -> None:
    rng = np.random.default_rng(8)
    f = values((6, 5), "complex128", rng)
    x = np.cumsum(rng.uniform(0.5, 1.5, 5))
    ours = gridgrad.gradient(f, spacing=(x,), dim=1, edge_order=edge_order)
    ref = torch.gradient(
        torch.from_numpy(f), spacing=(torch.from_numpy(x),), dim=1, edge_order=edge_order
    )
    np.testing.assert_allclose(ours[0], ref[0].numpy(), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize(("dtype", "v"), [("int8", 100), ("int16", 30000)])
def test_small_integers_do_not_overflow_unlike_torch(dtype: str, v: int) -> None:
    f = np.array([-v, v, -v, v], dtype=dtype)
    ours = gridgrad.gradient(f)[0]
    np.testing.assert_array_equal(ours, [2.0 * v, 0.0, 0.0, 2.0 * v])
    theirs = torch.gradient(torch.from_numpy(f))[0].numpy()
    assert not np.array_equal(theirs, ours)  # torch wraps around: the documented difference


def test_wrong_length_coordinates_raise_where_torch_is_silent_or_cryptic() -> None:
    f = np.arange(5.0) ** 2
    x = np.arange(6.0)
    with pytest.raises(ValueError, match=r"spacing\[0\]` has 6 coordinates but dimension 0"):
        gridgrad.gradient(f, spacing=(x,))
    # torch accepts 3 coordinates for a dimension of 4 samples and returns numbers
    g = np.arange(12.0).reshape(3, 4) ** 2
    short = (np.arange(3.0), np.arange(3.0))
    torch.gradient(torch.from_numpy(g), spacing=tuple(map(torch.from_numpy, short)))
    with pytest.raises(ValueError, match=r"spacing\[1\]` has 3 coordinates but dimension 1"):
        gridgrad.gradient(g, spacing=short)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_evenly_spaced_coordinates_use_torchs_coordinate_formula(edge_order: int) -> None:
    f = np.array([0.0, 1.0, np.inf, 3.0, 4.0])
    x = np.arange(5.0) * 0.5
    ours = gridgrad.gradient(
        torch.from_numpy(f), spacing=(torch.from_numpy(x),), edge_order=edge_order
    )
    theirs = torch.gradient(
        torch.from_numpy(f), spacing=(torch.from_numpy(x),), edge_order=edge_order
    )
    assert torch.isnan(theirs[0][2])  # torch's non-uniform weights multiply inf by 0
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    with np.errstate(invalid="ignore"):  # 0 * inf, as numpy warns on its own
        mine = gridgrad.gradient(f, spacing=(x,), edge_order=edge_order)[0]
    np.testing.assert_array_equal(mine, theirs[0].numpy())
    # numpy_gradient keeps numpy's rule: evenly spaced coordinates are a step
    mine = gridgrad.numpy_gradient(f, x, edge_order=edge_order)
    assert mine[2] == 2.0
    np.testing.assert_array_equal(mine, np.gradient(f, x, edge_order=edge_order))


def test_uniform_steps_overflow_as_torch() -> None:
    # torch divides the central difference by h, then by 2: 40000 / 0.5 overflows float16
    f = torch.tensor([0.0, 30000.0, 40000.0, 0.0], dtype=torch.float16)
    (theirs,) = torch.gradient(f, spacing=0.5)
    assert torch.isinf(theirs[1])
    np.testing.assert_array_equal(gridgrad.gradient(f, spacing=0.5)[0].numpy(), theirs.numpy())
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(gridgrad.gradient(f.numpy(), spacing=0.5)[0], theirs.numpy())
