"""What each library adds: torch autograd, dtypes, torch.compile and CUDA; JAX jit, grad and
vmap; CuPy on a GPU."""

from __future__ import annotations

import numpy as np
import pytest

import gridgrad
from conftest import require


@pytest.fixture(scope="module")
def torch():
    return require("torch")


@pytest.fixture(scope="module")
def jax():
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def _coords(n: int, seed: int) -> np.ndarray:
    return np.cumsum(np.random.default_rng(seed).uniform(0.5, 1.5, n))


@pytest.mark.parametrize("edge_order", [1, 2])
def test_torch_autograd_reaches_input_and_coordinates_like_torch(torch, edge_order) -> None:
    rng = np.random.default_rng(0)
    f = torch.tensor(rng.standard_normal((5, 6)), requires_grad=True)
    x = torch.tensor(_coords(6, 1), requires_grad=True)
    y = torch.tensor(_coords(5, 9), requires_grad=True)
    w = torch.tensor(rng.standard_normal((5, 6)))

    def loss(grad_fn):
        g0, g1 = grad_fn(f, spacing=[y, x], edge_order=edge_order)
        return (g0 * w).sum() + (g1 * w * g1).sum()

    ours = torch.autograd.grad(loss(gridgrad.gradient), [f, x, y])
    ref = torch.autograd.grad(loss(torch.gradient), [f, x, y])
    for o, r in zip(ours, ref):
        torch.testing.assert_close(o, r, rtol=1e-12, atol=1e-12)


def test_torch_dtype_rules(torch) -> None:
    i8 = torch.tensor([-100, 100, -100, 100], dtype=torch.int8)
    (g,) = gridgrad.gradient(i8)
    assert g.dtype == torch.get_default_dtype()
    torch.testing.assert_close(g, torch.tensor([200.0, 0.0, 0.0, 200.0]))
    f32 = torch.arange(5.0) ** 2
    x64 = torch.tensor([0.0, 1.0, 3.0, 4.0, 7.0], dtype=torch.float64)
    assert (
        gridgrad.gradient(f32, spacing=[x64])[0].dtype
        == torch.gradient(f32, spacing=[x64])[0].dtype
    )
    even = torch.arange(5.0, dtype=torch.float64)
    assert gridgrad.gradient(f32, spacing=[even])[0].dtype == torch.float64
    assert gridgrad.gradient(f32, spacing=2.0)[0].dtype == torch.float32
    assert gridgrad.gradient(f32, spacing=1j)[0].dtype == torch.complex64
    u8 = torch.tensor([5, 3, 0, 9], dtype=torch.uint8)  # torch.gradient refuses uint8
    torch.testing.assert_close(gridgrad.gradient(u8)[0], torch.tensor([-2.0, -2.5, 3.0, 9.0]))


def test_torch_no_host_round_trip_on_the_data_path(torch, monkeypatch) -> None:
    """The input never goes through NumPy: .numpy() and .item() on it would fail here."""
    t = torch.arange(24.0).reshape(4, 6) ** 2
    ref = gridgrad.gradient(t.clone(), spacing=[0.5, torch.tensor(_coords(6, 2))])

    class NoHost(torch.Tensor):
        def numpy(self, *a, **k):  # pragma: no cover - must not be called
            raise AssertionError("host round trip")

        def item(self):  # pragma: no cover - must not be called
            raise AssertionError("host round trip")

    out = gridgrad.gradient(t.as_subclass(NoHost), spacing=[0.5, torch.tensor(_coords(6, 2))])
    for o, r in zip(out, ref):
        torch.testing.assert_close(o.as_subclass(torch.Tensor), r)


@pytest.mark.filterwarnings("ignore")  # dynamo reports its graph breaks as warnings
def test_torch_compile(torch) -> None:
    t = torch.randn(6, 7, dtype=torch.float64)

    def fn(a):
        return gridgrad.gradient(a, spacing=(0.5, 2.0), edge_order=2)

    compiled = torch.compile(fn, backend="eager")
    for o, r in zip(compiled(t), fn(t)):
        torch.testing.assert_close(o, r)


def test_torch_cuda(torch) -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine (the CPU paths are tested everywhere)")
    t = torch.randn(8, 9, device="cuda", dtype=torch.float64, requires_grad=True)
    x = torch.tensor(_coords(9, 3), device="cuda", requires_grad=True)
    ours = gridgrad.gradient(t, spacing=[0.5, x], edge_order=2)
    ref = torch.gradient(t, spacing=[0.5, x], edge_order=2)
    for o, r in zip(ours, ref):
        assert o.device == t.device
        torch.testing.assert_close(o, r)
    sum(o.sum() for o in ours).backward()
    assert t.grad is not None and x.grad is not None


@pytest.mark.parametrize("edge_order", [1, 2])
def test_jax_jit_grad_vmap(jax, edge_order) -> None:
    jnp = jax.numpy
    rng = np.random.default_rng(4)
    f = jnp.asarray(rng.standard_normal((5, 6)))
    x = _coords(6, 5)  # NumPy coordinates are static under jit

    def g(a):
        return gridgrad.gradient(a, spacing=(0.5, x), edge_order=edge_order)

    eager = g(f)
    jitted = jax.jit(g)(f)
    ref = np.gradient(np.asarray(f), 0.5, x, edge_order=edge_order)
    for e, j, r in zip(eager, jitted, ref):
        assert isinstance(j, jax.Array)
        np.testing.assert_allclose(np.asarray(j), np.asarray(e), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(np.asarray(e), r, rtol=1e-12, atol=1e-12)

    # jax.grad: the gradient of a linear map is its transpose applied to the cotangent
    w = jnp.asarray(rng.standard_normal((5, 6)))
    dfd = jax.grad(lambda a: jnp.sum(g(a)[1] * w))(f)
    eye = np.eye(30).reshape(30, 5, 6)
    jac = np.stack([np.gradient(e, x, axis=1, edge_order=edge_order) for e in eye])
    np.testing.assert_allclose(
        np.asarray(dfd), np.tensordot(jac, np.asarray(w), 2).reshape(5, 6), rtol=1e-10, atol=1e-10
    )

    # jax.vmap over a leading batch axis
    batch = jnp.asarray(rng.standard_normal((3, 5, 6)))
    mapped = jax.vmap(lambda a: g(a)[0])(batch)
    for k in range(3):
        np.testing.assert_allclose(np.asarray(mapped[k]), np.asarray(g(batch[k])[0]), rtol=1e-12)


def test_jax_traced_coordinates_under_jit(jax) -> None:
    """Coordinates passed as jit arguments cannot be checked: the general formula runs."""
    jnp = jax.numpy
    x = jnp.asarray(_coords(6, 6))
    f = x**2
    out = jax.jit(lambda a, c: gridgrad.gradient(a, spacing=(c,), edge_order=2)[0])(f, x)
    np.testing.assert_allclose(np.asarray(out), 2 * np.asarray(x), rtol=1e-10)


def test_cupy() -> None:
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (needs a CUDA GPU)")
    try:
        a = cupy.arange(12.0).reshape(3, 4) ** 2
    except Exception as exc:  # pragma: no cover - no usable GPU
        pytest.skip(f"CuPy has no usable GPU here: {exc}")
    ours = gridgrad.gradient(a, spacing=[0.5, cupy.asarray([0.0, 1.0, 3.0, 4.0])], edge_order=2)
    ref = np.gradient(cupy.asnumpy(a), 0.5, np.array([0.0, 1.0, 3.0, 4.0]), edge_order=2)
    for o, r in zip(ours, ref):
        assert isinstance(o, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(o), r, rtol=1e-12)
