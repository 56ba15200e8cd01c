"""The Numba engine: fused parallel kernels for NumPy arrays.

``loader`` imports numba in a background thread (this package itself imports no
numba), ``kernels`` holds the compiled loops, ``tables`` turns a plan's axis into the
flat arrays they read, ``driver`` runs a plan on them (memory layout, tasks, threads).
The automatic choice sends it large inputs only (:data:`MIN_SIZE`); forced, it runs
any input its guard accepts.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from gridgrad._combination import Combination
from gridgrad._combination import gradient as _all_dims
from gridgrad._engines.numba import loader
from gridgrad._engines.numba import tables as _tables
from gridgrad._layout import complex_weights
from gridgrad._plan import GradientPlan

__all__ = [
    "ENGINE",
    "FUSED",
    "FUSED_MIN_SIZE",
    "MIN_SIZE",
    "MIN_TENSOR_SIZE",
    "ONE_PASS",
    "WAIT_SIZE",
    "FusedEngine",
    "NumbaEngine",
    "is_tensor",
    "waits",
]

# The automatic choice runs the kernels on inputs of at least this many elements
# (below it the small-array engine's in-place ufuncs are about as fast). Measured
# against each other on the 2-core machine (2026-12-02, best of 40, turns rotated),
# small-array engine time over the kernels': 128**2 0.52, 256**2 1.22, 362**2 1.79,
# 512**2 1.25 (float32 1.51), 32**3 0.91, 48**3 1.23, 64**3 0.99 (float32 0.91),
# (8, 3, 128, 128) float32 over dims (2, 3) 1.31, 1-D 2**16 0.81, 2**18 1.32; it was
# 2**19 when the kernels split every call among the threads.
MIN_SIZE = 1 << 17
# Fused operators (a Laplacian, a divergence, a curl) from this many elements: the
# composed path makes several NumPy passes per term (64**3 laplacian 5.5 ms composed,
# 0.9 ms fused; 32**3 0.40 against 0.34; 16**3 0.11 against 0.22).
FUSED_MIN_SIZE = 1 << 15
# While the kernels load, calls with fewer outputs than this run on the NumPy engines
# instead of waiting (they take about as long as the loading on such inputs).
WAIT_SIZE = 1 << 25
# torch tensors from this many elements (below it the reference engine's torch
# operations cost about what a kernel call does)
MIN_TENSOR_SIZE = 1 << 12
# The gradient over several dims of a large array is computed in one pass (the input
# read once, every output written once) rather than one pass per dim, where the
# fused kernel's interior path takes it (plain differences: uniform steps, accuracy
# 2; elsewhere one pass per dim is faster).
ONE_PASS = True
# float16 stays on the NumPy engines: they round after each operation, as numpy and
# torch do (the kernels would compute it in float32)
_DTYPES = frozenset("fdFD")  # float32, float64, complex64, complex128


def waits(dtype: np.dtype, outputs: int) -> bool:
    """Whether a call waits for the kernels to load rather than run without them:
    calls of :data:`WAIT_SIZE` outputs or more (the NumPy engines would take about as
    long as the loading)."""
    return outputs >= WAIT_SIZE


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a torch tensor (without importing torch)."""
    return type(x).__module__.startswith("torch") and hasattr(x, "requires_grad")


class NumbaEngine:
    """Plain float32/64 and complex64/128 ndarrays (any layout, any byte order;
    periodic dims read their wrapped samples by index) and torch CPU tensors of those
    dtypes (:mod:`.tensors`, with autograd), with numba importable; complex values with
    complex weights stay on the NumPy engines (NumPy's complex multiply may fuse
    differently)."""

    name = "numba"
    serves = (
        "plain NumPy arrays and torch CPU tensors of float32, float64, complex64 or "
        "complex128 computed in their own dtype, without complex weights on complex "
        "values, with numba installed"
    )

    def guard(self, plan: GradientPlan, x: Any) -> bool:
        """Whether the kernels compute this plan on ``x`` (numba aside)."""
        if is_tensor(x):
            from gridgrad._engines.numba import tensors

            return tensors.guard(plan, x)
        if type(x) is not np.ndarray or x.dtype.char not in _DTYPES:
            return False
        if plan.value_dtype is None and plan.out_dtype is None:  # a tensor's plan, on its
            pass  # memory viewed as an ndarray: computed in its dtype, as the tensor path does
        elif plan.value_dtype != x.dtype or np.dtype(plan.out_dtype).kind not in "fc":
            return False
        return not (x.dtype.kind == "c" and any(complex_weights(ax.runs) for ax in plan.axes))

    def supports(self, plan: GradientPlan, x: Any) -> bool:
        return self.guard(plan, x) and loader.load(wait=True) is not None

    def prepare(self, plan: GradientPlan) -> None:
        """Nothing to precompute (the tables are cheap next to a large input)."""

    def choice(self, plan: GradientPlan, x: Any, min_size: int = MIN_SIZE) -> Literal["now", "later", "no"]:  # fmt: skip
        """The automatic choice: "now" (run the kernels, loaded, waiting if need be),
        "later" (run without them, then start loading them), or "no"; ndarrays of
        fewer than ``min_size`` elements "no"."""
        if type(x) is np.ndarray:
            size = x.size
            if size < min_size:
                return "no"
        elif is_tensor(x):
            size = x.numel()
            if size < MIN_TENSOR_SIZE:
                return "no"
        else:
            return "no"
        if not self.guard(plan, x):
            return "no"
        if not loader.loaded():
            if not waits(x.dtype, size * len(plan.axes)):
                return "no" if loader.started() else "later"
        return "now" if loader.load(wait=True) is not None else "no"

    def run(
        self, plan: GradientPlan, x: Any, out: tuple[np.ndarray, ...] | None
    ) -> tuple[Any, ...]:
        driver = loader.load(wait=True)
        if driver is None:
            msg = "the numba engine cannot run: numba cannot be imported."
            raise RuntimeError(msg)
        if is_tensor(x):
            from gridgrad._engines.numba import tensors

            return tensors.run(plan, x)
        if ONE_PASS and len(plan.axes) > 1 and FUSED.pays(x):
            comb = _all_dims(plan)
            if FUSED.guard(comb, (x,), out):
                from gridgrad._engines.numba import fused

                fused_results = fused.combine_plain(comb, (x,), out)
                if fused_results is not None:
                    return fused_results
        results: tuple[np.ndarray, ...] = driver.gradient(plan, x, out)
        return results


ENGINE = NumbaEngine()


class FusedEngine:
    """Signed sums of derivatives (:class:`Combination`: a Laplacian, a divergence, a
    curl, all dims of a gradient) in one pass over plain native float32/64 and
    complex64/128 ndarrays of up to 4 dims, where every derivative is computed in
    the result's dtype; numba importable."""

    name = "numba"

    def guard(
        self, comb: Combination, xs: tuple[Any, ...], out: tuple[np.ndarray, ...] | None = None
    ) -> bool:
        """Whether the fused kernel computes ``comb`` on ``xs`` (numba aside)."""
        if len(xs) != comb.inputs or len(xs) > 4 or len(comb.outputs) > 4:
            return False
        x0 = xs[0]
        if is_tensor(x0):
            from gridgrad._engines.numba import tensors

            return out is None and tensors.combine_guard(comb, xs)
        if type(x0) is not np.ndarray or not 1 <= x0.ndim <= 4 or not x0.dtype.isnative:
            return False
        if any(type(x) is not np.ndarray or x.shape != x0.shape or x.dtype != x0.dtype for x in xs):
            return False
        if any(not ENGINE.guard(plan, xs[s]) for plan, s in zip(comb.plans, comb.sources)):
            return False
        dtypes = set()
        for (p, _), t in combination_tables(comb, x0.dtype).items():
            result = comb.plans[p].out_dtype
            dtypes |= {t.coef.dtype, t.scale.dtype, np.dtype(result if result is not None else t.scale.dtype)}  # fmt: skip
        if len(dtypes) != 1 or not next(iter(dtypes)).isnative:
            return False
        return out is None or all(o.dtype in dtypes for o in out)

    def pays(self, x: Any) -> bool:
        """Whether one pass pays off: rows of at least 16 points along the innermost
        dim (on shorter rows the per-row work costs more than the pass saves)."""
        if is_tensor(x) and x.ndim:
            strides = x.stride()
        elif type(x) is np.ndarray and x.ndim:
            strides = x.strides
        else:
            return False
        inner = max(range(x.ndim), key=lambda d: (-abs(strides[d]), d))  # the last of the smallest
        return bool(x.shape[inner] >= 16)

    def run(
        self, comb: Combination, xs: tuple[Any, ...], out: tuple[np.ndarray, ...] | None = None
    ) -> tuple[Any, ...]:
        if loader.load(wait=True) is None:
            msg = "the numba engine cannot run: numba cannot be imported."
            raise RuntimeError(msg)
        if is_tensor(xs[0]):
            from gridgrad._engines.numba import tensors

            return tensors.combine(comb, xs)
        from gridgrad._engines.numba import fused

        return fused.combine(comb, xs, out)


def combination_tables(comb: Combination, dtype: np.dtype) -> dict[tuple[int, int], _tables.Table]:
    """The table of every (plan, axis) a term of ``comb`` reads, for values of ``dtype``."""
    found: dict[tuple[int, int], _tables.Table] = {}
    for terms in comb.outputs:
        for p, a, _ in terms:
            if (p, a) not in found:
                found[p, a] = _tables.table(comb.plans[p].axes[a], np.dtype(dtype))
    return found


FUSED = FusedEngine()
