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

from gridgrad._engines.numba import loader
from gridgrad._layout import complex_weights
from gridgrad._plan import GradientPlan

__all__ = ["ENGINE", "MIN_SIZE", "MIN_TENSOR_SIZE", "WAIT_SIZE", "NumbaEngine", "is_tensor", "waits"]

# The automatic choice runs the kernels on inputs of at least this many elements
# (below it the small-array engine's in-place ufuncs are as fast: 1-D 2**18, 512x512
# and 64**3 faster, 2**19, 724x724 and 80**3 slower, measured against each other on
# the 2-core machine).
MIN_SIZE = 1 << 19
# While the kernels load, calls with fewer outputs than this run on the NumPy engines
# instead of waiting (they take about as long as the loading on such inputs).
WAIT_SIZE = 1 << 25
# torch tensors from this many elements (below it the reference engine's torch
# operations cost about what a kernel call does)
MIN_TENSOR_SIZE = 1 << 12
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
        if plan.value_dtype != x.dtype or np.dtype(plan.out_dtype).kind not in "fc":
            return False
        return not (x.dtype.kind == "c" and any(complex_weights(ax.runs) for ax in plan.axes))

    def supports(self, plan: GradientPlan, x: Any) -> bool:
        return self.guard(plan, x) and loader.load(wait=True) is not None

    def prepare(self, plan: GradientPlan) -> None:
        """Nothing to precompute (the tables are cheap next to a large input)."""

    def choice(self, plan: GradientPlan, x: Any) -> Literal["now", "later", "no"]:
        """The automatic choice: "now" (run the kernels, loaded, waiting if need be),
        "later" (run without them, then start loading them), or "no"."""
        if type(x) is np.ndarray:
            size = x.size
            if size < MIN_SIZE:
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
        self, plan: GradientPlan, x: np.ndarray, out: tuple[np.ndarray, ...] | None
    ) -> tuple[np.ndarray, ...]:
        driver = loader.load(wait=True)
        if driver is None:
            msg = "the numba engine cannot run: numba cannot be imported."
            raise RuntimeError(msg)
        if is_tensor(x):
            from gridgrad._engines.numba import tensors

            return tensors.run(plan, x)
        results: tuple[np.ndarray, ...] = driver.gradient(plan, x, out)
        return results


ENGINE = NumbaEngine()
