"""torch's own OpInfo for ``gradient`` (``torch.testing._internal.common_methods_invocations``,
shipped in the wheel) against gridgrad.gradient: every sample input of every dtype
torch lists, bitwise against torch.gradient; every error input, with torch's exception
type and message; and the autograd checks the OpInfo enables (gradcheck,
gradgradcheck, forward mode, forward over reverse)."""

from __future__ import annotations

import re

import pytest

import gridgrad
from conftest import require

torch = require("torch")
require("expecttest")  # torch's internal testing modules import it
from torch.testing._internal.common_methods_invocations import op_db  # noqa: E402

OP = next(op for op in op_db if op.name == "gradient")
DTYPES = sorted(OP.supported_dtypes("cpu"), key=str)
GRAD_DTYPES = [d for d in DTYPES if d in (torch.float64, torch.complex128)]
# torch's forward-mode AD loads decompositions that call torch.jit.script, deprecated
JIT_WARNING = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


def _call(f, sample, *args):
    return f(*args if args else (sample.input,), *sample.args, **sample.kwargs)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_samples_match_torch_bitwise(dtype) -> None:
    samples = list(OP.sample_inputs("cpu", dtype))
    assert samples
    for sample in samples:
        ref = _call(torch.gradient, sample)
        ours = _call(gridgrad.gradient, sample)
        assert isinstance(ours, tuple) and len(ours) == len(ref)
        for o, r in zip(ours, ref):
            assert o.dtype == r.dtype and o.shape == r.shape and o.device == r.device
            torch.testing.assert_close(o, r, rtol=0, atol=0, equal_nan=True)
            assert torch.equal(torch.signbit(o.real), torch.signbit(r.real))


def test_error_inputs_raise_torchs_type_and_words() -> None:
    errors = list(OP.error_inputs("cpu"))
    assert errors
    for e in errors:
        sample = e.sample_input
        with pytest.raises(e.error_type, match=e.error_regex or None) as info:
            _call(gridgrad.gradient, sample)
        # and gridgrad's own sentence comes first: the argument named in backquotes
        assert re.search(r"`\w+", str(info.value)) or e.error_type is IndexError


@JIT_WARNING
@pytest.mark.parametrize("dtype", GRAD_DTYPES, ids=str)
def test_gradcheck_and_forward_mode(dtype) -> None:
    for sample in OP.sample_inputs("cpu", dtype, requires_grad=True):

        def fn(x, sample=sample):
            return _call(gridgrad.gradient, sample, x)

        assert torch.autograd.gradcheck(
            fn, (sample.input,), check_forward_ad=True, check_batched_grad=True, fast_mode=True
        )


@JIT_WARNING
@pytest.mark.parametrize("dtype", GRAD_DTYPES, ids=str)
def test_gradgradcheck_and_forward_over_reverse(dtype) -> None:
    for sample in OP.sample_inputs("cpu", dtype, requires_grad=True):

        def fn(x, sample=sample):
            return _call(gridgrad.gradient, sample, x)

        assert torch.autograd.gradgradcheck(
            fn, (sample.input,), check_fwd_over_rev=True, check_batched_grad=True, fast_mode=True
        )


def test_bfloat16_values_and_coordinates() -> None:
    t = torch.tensor([[1.0, 2.5, 4.0], [3.0, 0.5, 8.0], [2.0, 2.0, 1.0]], dtype=torch.bfloat16)
    x = torch.tensor([0.0, 0.5, 2.0], dtype=torch.bfloat16)
    for kw in ({"spacing": [x, x]}, {"spacing": [x], "dim": 1, "edge_order": 2}):
        for o, r in zip(gridgrad.gradient(t, **kw), torch.gradient(t, **kw)):
            assert o.dtype == torch.bfloat16
            torch.testing.assert_close(o, r, rtol=0, atol=0)


def test_meta_coordinates_get_gridgrads_error() -> None:
    t = torch.ones(3, 3, device="meta")
    x = torch.tensor([0.0, 1.0, 3.0], device="meta")
    with pytest.raises(ValueError, match=r"`spacing\[0\]` is a tensor on the 'meta' device"):
        gridgrad.gradient(t, spacing=[x, x])


def test_integer_input_gives_torchs_bits_or_a_clear_error() -> None:
    for dtype in (torch.int8, torch.int16, torch.int32, torch.int64):
        t = torch.tensor([[3, -7, 20], [11, 0, -1], [5, 5, 9]], dtype=dtype)
        for kw in (
            {},
            {"spacing": 0.3, "edge_order": 2},
            {"spacing": [torch.tensor([0.0, 1.0, 3.0])] * 2},
        ):
            for o, r in zip(gridgrad.gradient(t, **kw), torch.gradient(t, **kw)):
                assert o.dtype == r.dtype
                torch.testing.assert_close(o, r, rtol=0, atol=0)
    big = torch.tensor([-(2**62), 0, 2**62 + 1], dtype=torch.int64)  # a span over 2**63
    with pytest.raises(ValueError, match="overflow int64"):
        gridgrad.gradient(big)
    with pytest.raises(ValueError, match="overflow int64"):  # 2 * f of the edges
        gridgrad.gradient(torch.tensor([2**62, 2**62 + 1, 2**62 + 2]), edge_order=2)
    gridgrad.gradient(torch.tensor([2**62, 2**62 + 1, 2**62 + 2]))  # differences fit


def test_errors_are_catchable_as_torchs_and_gridgrads() -> None:
    t = torch.ones(3, 3)
    for kw in ({"edge_order": 3}, {"dim": (0, 0)}, {"spacing": [1.0]}):
        with pytest.raises(RuntimeError) as info:
            gridgrad.gradient(t, **kw)
        assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match=r"'edge_order' greater than 2 not supported"):
        gridgrad.numpy_gradient(t.numpy(), edge_order=3)


def test_fake_tensors_skip_the_value_checks() -> None:
    """Under torch.compile the tensors are fake: shapes and dtypes, no values to check."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    with FakeTensorMode():
        t = torch.empty(6, 7, dtype=torch.float64)
        x = torch.empty(6, dtype=torch.float64)
        (g,) = gridgrad.gradient(t, spacing=[x], dim=0, edge_order=2)
        assert g.shape == t.shape and g.dtype == torch.float64
        (gi,) = gridgrad.gradient(torch.empty(5, dtype=torch.int64))
        assert gi.dtype == torch.get_default_dtype()


T33 = torch.arange(9.0).reshape(3, 3)
TORCH_REJECTS = [
    {"spacing": [0.1], "dim": (1, 0)},
    {"spacing": [0.1]},
    {"spacing": [0.1, 0.2, 0.3]},
    {"edge_order": 3},
    {"dim": (1, 1), "spacing": 0.1},
    {"dim": 3},
    {"dim": -4},
    {"spacing": [torch.ones(2, 3), torch.ones(3)]},
    {"spacing": [torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.0, 2.0, 4.0], device="meta")]},
]


@pytest.mark.parametrize("kwargs", TORCH_REJECTS)
def test_errors_hold_torchs_type_and_words(kwargs) -> None:
    """Where torch.gradient rejects a call, gridgrad's error is an instance of torch's
    type (and of ValueError for torch's RuntimeErrors) and contains torch's message."""
    with pytest.raises(Exception) as theirs:
        torch.gradient(T33, **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        gridgrad.gradient(T33, **kwargs)
    assert str(theirs.value) in str(ours.value)
    assert isinstance(ours.value, (ValueError, IndexError))
    for t, edge_order in ((torch.ones(3, 1), 1), (torch.ones(2, 2), 2)):
        with pytest.raises(RuntimeError) as theirs:
            torch.gradient(t, edge_order=edge_order)
        with pytest.raises(RuntimeError) as ours:
            gridgrad.gradient(t, edge_order=edge_order)
        assert str(theirs.value) in str(ours.value)
