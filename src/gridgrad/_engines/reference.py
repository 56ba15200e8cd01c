"""The reference engine: any Array-API array, with slices, arithmetic and concat.

No boolean masks, no fancy indexing and no in-place writes, so the same code
runs on NumPy, PyTorch (autograd included), JAX, Dask, CuPy and array-api-strict.
Every other engine is tested against this one. On NumPy arrays (mutable) each run
is written into its part of the outputs instead of concatenated: the same numbers.
"""

from __future__ import annotations

import functools
import numbers
from typing import Any

import numpy as np
from array_api_compat import array_namespace
from array_api_compat import device as _device

from gridgrad._plan import GradientPlan, Run

__all__ = ["ENGINE", "ReferenceEngine", "gradient", "numpy_xp"]


def _slab(x: Any, axis: int, start: int, stop: int) -> Any:
    """``x[..., start:stop, ...]`` with the slice on ``axis``."""
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def _is_number(c: Any, value: int | None = None) -> bool:
    if type(c) in (int, float, complex):  # the usual case, without the ABC check
        return value is None or c == value
    if not isinstance(c, numbers.Number) or isinstance(c, np.generic):
        return False
    return value is None or c == value


def _weight(c: Any, xp: Any, device: Any, axis: int, ndim: int) -> Any:
    """A coefficient as something that multiplies a slab: Python numbers stay as they
    are (weak, so the input keeps its precision), arrays go to the input's library and
    device, 1-D ones shaped to broadcast along ``axis``."""
    if _is_number(c):
        return c
    # weights computed from coordinates of the input's own library are used as they
    # are (device and autograd kept); NumPy weights are moved to the input's device
    native = not isinstance(c, (np.ndarray, np.generic)) and array_namespace(c) is xp
    w = c if native else xp.asarray(c, device=device)
    if w.ndim == 1:
        shape = [1] * ndim
        shape[axis] = w.shape[0]
        w = xp.reshape(w, tuple(shape))
    return w


def _evaluate(x: Any, axis: int, run: Run, xp: Any, device: Any, base: int = 0) -> Any:
    """``(sum c * (f[i+p] - f[i+m])) / scale`` for the run's points, as one expression.

    The terms are combined as :attr:`Run.program` says (coefficients of +1 and -1 as
    additions and subtractions, an anchor's expression as written), so a central
    difference reads ``(f[i+1] - f[i-1]) / (2. * h)`` exactly as numpy evaluates it,
    and ``((f[i+1] - f[i-1]) / h) / 2`` as torch does.
    """
    lead = (slice(None),) * axis
    start, stop = base + run.start, base + run.stop
    acc = None
    for how, c, plus, minus in run.program:
        s = x[(*lead, slice(start + plus, stop + plus), ...)]
        if minus is not None:
            s = s - x[(*lead, slice(start + minus, stop + minus), ...)]
        if acc is None:
            acc = s if how == 1 else _weight(c, xp, device, axis, x.ndim) * s
        elif how == 1:
            acc = acc + s
        elif how == -1:
            acc = acc - s
        elif how == -2:
            acc = acc - _weight(c, xp, device, axis, x.ndim) * s
        else:
            acc = acc + _weight(c, xp, device, axis, x.ndim) * s
    if run.divides:
        acc = acc / _weight(run.scale, xp, device, axis, x.ndim)
    if run.halve:  # torch's central difference: then halved (the Python int 2)
        acc = acc / _weight(2, xp, device, axis, x.ndim)
    return acc


def gradient(
    plan: GradientPlan, x: Any, xp: Any, out: tuple[Any, ...] | None = None
) -> tuple[Any, ...]:
    """Execute ``plan`` on ``x`` (an array of namespace ``xp``): one array per axis plan.

    ``out`` (mutable libraries such as NumPy only): arrays of the result dtypes to write
    each axis' runs into, instead of concatenating them; the same numbers either way.
    """
    if plan.value_dtype is not None and x.dtype != plan.value_dtype:
        x = xp.astype(x, plan.value_dtype)
    device = _device(x)
    results: list[Any] = []
    for ax in plan.axes:
        xa = x if ax.dtype is None or x.dtype == ax.dtype else xp.astype(x, ax.dtype)
        if ax.halo:  # periodic: wrap the axis around by the stencil's reach
            n = xa.shape[ax.axis]
            wrapped = [_slab(xa, ax.axis, n - ax.halo, n), xa, _slab(xa, ax.axis, 0, ax.halo)]
            xa = xp.concat(wrapped, axis=ax.axis)
        if out is not None:
            for run in ax.runs:
                index = [slice(None)] * xa.ndim
                index[ax.axis] = slice(run.start, run.stop)
                out[len(results)][tuple(index)] = _evaluate(xa, ax.axis, run, xp, device, ax.halo)
            results.append(out[len(results)])
            continue
        blocks = [_evaluate(xa, ax.axis, run, xp, device, ax.halo) for run in ax.runs]
        g = xp.concat(blocks, axis=ax.axis)
        dtype = ax.dtype if ax.dtype is not None else plan.out_dtype
        if dtype is not None and g.dtype != dtype:
            g = xp.astype(g, dtype)
        results.append(g)
    return tuple(results)


@functools.cache
def numpy_xp() -> Any:
    """The namespace this engine uses for NumPy input: NumPy itself where it implements
    the Array API functions the engine calls (NumPy >= 2.1), else array-api-compat's
    wrapper (imported on first use: its import is slow)."""
    if all(hasattr(np, name) for name in ("concat", "astype")):
        return np
    return array_namespace(np.empty(0))


class ReferenceEngine:
    """Any array of any Array-API library (NumPy arrays written in place into ``out``)."""

    name = "reference"
    serves = "any array of an Array-API library"

    def supports(self, plan: GradientPlan, x: Any) -> bool:
        return True

    def prepare(self, plan: GradientPlan) -> None:
        """Nothing to precompute."""

    def run(self, plan: GradientPlan, x: Any, out: tuple[Any, ...] | None) -> tuple[Any, ...]:
        if isinstance(x, np.ndarray):  # mutable: the runs are written in place
            if out is None:
                out = tuple(np.empty(x.shape, plan.out_dtype) for _ in plan.axes)
            return gradient(plan, x, numpy_xp(), out)
        return gradient(plan, x, array_namespace(x))


ENGINE = ReferenceEngine()
