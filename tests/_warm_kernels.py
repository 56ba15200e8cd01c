"""Compile the Numba kernels' common variants into numba's on-disk cache, in a
process of its own at low priority while the test suite runs (tests/conftest.py
starts it): on a fresh clone the cache is empty and compiling the variants is about
half of the suite's time, spent on one core while the other idles. A variant the
tests reach before this process does is compiled by the tests as before; one this
process has saved is loaded from the cache. Nothing here checks results: the tests
do.

Run on its own: ``python tests/_warm_kernels.py``.
"""

from __future__ import annotations

import os
import sys
import warnings


def _layouts(a):  # type: ignore[no-untyped-def]
    """``a`` C-contiguous, reversed in memory (Fortran order) and strided."""
    import numpy as np

    return [a, np.asfortranarray(a), np.repeat(a, 2, axis=-1)[..., ::2]]


def calls() -> list:
    """The calls whose kernels this process compiles, in order."""
    import numpy as np

    import gridgrad

    rng = np.random.default_rng(0)
    base = rng.standard_normal((6, 7, 20))
    todo = []
    # the fused operators first (the costliest variants, and the ones the tests reach
    # first), then the per-axis kernels
    for dtype in (np.float64, np.float32, np.complex128, np.complex64):
        for a in _layouts(base.astype(dtype)):
            todo += [
                lambda a=a: gridgrad.laplacian(a),
                lambda a=a: gridgrad.laplacian(a, spacing=0.3),
                lambda a=a: gridgrad.laplacian(a, accuracy=4),
                lambda a=a: gridgrad.divergence([a, a, a]),
                lambda a=a: gridgrad.divergence([a, a, a], spacing=0.3),
                lambda a=a: gridgrad.curl([a, a, a]),
                lambda a=a: gridgrad.gradient(a),
                lambda a=a: gridgrad.gradient(a, spacing=0.5),
                lambda a=a: gridgrad.laplacian(a[0]),
                lambda a=a: gridgrad.divergence([a[0], a[0]]),
                lambda a=a: gridgrad.curl([a[0], a[0]]),
            ]
    # the interior kernel's structures (terms per output, kind, scaling) on 1 to 4 dims
    for dtype in (np.float64, np.float32):
        for shape in ((40,), (7, 20), (4, 5, 6, 20)):
            a = rng.standard_normal(shape).astype(dtype)
            for step in (None, 0.3, 0.5):
                todo += [
                    lambda a=a, step=step: gridgrad.laplacian(a, spacing=step),
                    lambda a=a, step=step: gridgrad.divergence([a] * a.ndim, spacing=step),
                    lambda a=a, step=step: gridgrad.gradient(a, spacing=step),
                ]
    for dtype in (np.float64, np.float32, np.complex128, np.complex64):
        for a in _layouts(base.astype(dtype)):
            todo += [
                lambda a=a: gridgrad.gradient(a, dim=0),
                lambda a=a: gridgrad.gradient(a, spacing=0.3, edge_order=2, dim=(0, 2)),
                lambda a=a: gridgrad.gradient(a, boundary="periodic", dim=(0, 2)),
                lambda a=a: gridgrad.gradient(a, accuracy=4, dim=(0, 2)),
                lambda a=a: gridgrad.gradient(
                    a, dim=(0, 2), spacing=(np.cumsum(rng.random(6) + 0.2), 2.0)
                ),
            ]
    return todo


def main() -> None:
    import gridgrad
    from gridgrad._engines.numba import loader

    if loader.load(wait=True) is None:
        return
    with gridgrad.use_engine("numba"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for call in calls():
            try:
                call()
            except Exception:  # a variant the kernels refuse: skip it
                continue


if __name__ == "__main__":
    if hasattr(os, "nice"):
        os.nice(19)  # the tests first
    sys.exit(main())
