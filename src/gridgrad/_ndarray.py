"""NumPy-specific adaptation around the engine: ndarray subclasses, masked arrays, datetimes.

The engine sees a plain ndarray (datetimes viewed as timedeltas); the results are
given back the input's class, and a masked input gets a mask that covers every
output point whose stencil touches a masked sample, as numpy.gradient does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridgrad._plan import AxisPlan, GradientPlan

__all__ = ["as_values", "restore"]


def as_values(f: Any, plan: GradientPlan, plain: bool = True) -> Any:
    """What the engines differentiate: the plain ndarray of a NumPy input (``plain``;
    a dask array stays one), datetimes viewed as timedeltas (the one place they are)."""
    arr = np.asarray(f) if plain else f
    if arr.dtype.kind == "M":
        arr = arr.view(plan.value_dtype)
    return arr


def _along(axis: int, ndim: int, start: int, stop: int) -> tuple[slice, ...]:
    index = [slice(None)] * ndim
    index[axis] = slice(start, stop)
    return tuple(index)


def _stencil_mask(mask: np.ndarray, ax: AxisPlan) -> np.ndarray:
    """OR of the mask over every sample each output point's stencil reads."""
    blocks = []
    h = ax.halo  # a periodic axis: its runs read the samples wrapped around by ``h``
    padded = mask
    if h:
        pad = [(0, 0)] * mask.ndim
        pad[ax.axis] = (h, h)
        padded = np.pad(mask, pad, mode="wrap")
    for run in ax.runs:
        m = np.zeros_like(mask[_along(ax.axis, mask.ndim, run.start, run.stop)])
        for offset in run.offsets:
            lo = run.start + h + offset
            m |= padded[_along(ax.axis, mask.ndim, lo, lo + run.stop - run.start)]
        blocks.append(m)
    return np.concatenate(blocks, axis=ax.axis)


def restore(f: Any, plan: GradientPlan, results: tuple[np.ndarray, ...]) -> tuple[Any, ...]:
    """Give the results the class of ``f`` (a no-op for plain ndarrays)."""
    if type(f) is np.ndarray or not isinstance(f, np.ndarray):
        return results
    mask = np.ma.getmaskarray(f) if isinstance(f, np.ma.MaskedArray) else None
    out = []
    for ax, r in zip(plan.axes, results):
        wrapped = np.empty_like(f, dtype=r.dtype)  # the subclass, finalized from f
        if mask is not None:
            wrapped[...] = np.ma.array(r, mask=_stencil_mask(mask, ax))
        else:
            wrapped[...] = r
        out.append(wrapped)
    return tuple(out)
