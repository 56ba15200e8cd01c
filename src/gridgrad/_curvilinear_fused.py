"""The fast path of :func:`gridgrad.curvilinear.gradient`: large 2-D float NumPy arrays
through the fused Numba kernel (:mod:`gridgrad._curvilinear_numba`, imported only
here, lazily).

The kernel computes the points whose centred stencils fit, and every point of a
periodic dim (read by index modulo its size); the points within reach of a one-sided
edge go through the generic path on thin strips. The results are the generic path's
to round-off, and so is the first point named on a folded grid.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridgrad import curvilinear as _c

__all__ = ["MIN_SIZE", "fused"]

MIN_SIZE = 1 << 19  # as the rectilinear kernels: below, the generic path is as fast


def _guard(f: Any, arrays: list[Any], opts: Any) -> bool:
    """A large 2-D float NumPy array, full coordinate arrays of its dtype, an even
    ``accuracy``, no ``wrap``, each dim at least four strips wide."""
    if type(f) is not np.ndarray or f.ndim != 2 or f.size < MIN_SIZE or len(arrays) != 2:
        return False
    if f.dtype not in (np.float32, np.float64):
        return False
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype != f.dtype or a.shape != f.shape or 0 in a.strides:
            return False
    p = opts.accuracy
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 2 or p % 2:
        return False  # the generic path reports it
    if any(b not in ("one-sided", "periodic") for b in opts.boundary):
        return False
    if any(w is not None for w in opts.wrap):
        return False
    return min(f.shape) >= 4 * (3 * int(p) + 2)


def fused(f: Any, arrays: list[Any], opts: Any) -> tuple[Any, Any] | None:
    """The 2-D gradient by the fused kernel when its guard holds and numba imports;
    otherwise None and the generic path runs. Raises the generic path's error (the
    same first point, C order) on a folded grid."""
    if not _guard(f, arrays, opts):
        return None
    try:
        from gridgrad import _curvilinear_numba as kernels
    except ImportError:
        return None
    p = int(opts.accuracy)
    r = p // 2
    wrap = (opts.boundary[0] == "periodic", opts.boundary[1] == "periodic")
    n, m = f.shape
    width = 3 * p + 2  # strips this wide give the edge points their own stencils
    out = (np.empty_like(f), np.empty_like(f))
    # the edges of the one-sided dims: the generic path on thin strips spanning the
    # other dim (so its periodic stencils are right), only the points within reach
    # kept; (strip, kept part, its offset)
    strips = []
    if not wrap[0]:
        strips += [
            ((slice(0, width), slice(None)), (slice(0, r), slice(None)), 0, 0),
            (
                (slice(n - width, n), slice(None)),
                (slice(width - r, width), slice(None)),
                n - width,
                0,
            ),
        ]
    if not wrap[1]:
        strips += [
            ((slice(None), slice(0, width)), (slice(None), slice(0, r)), 0, 0),
            (
                (slice(None), slice(m - width, m)),
                (slice(None), slice(width - r, width)),
                0,
                m - width,
            ),
        ]

    def strip(sub: Any, keep: Any, i0: int, j0: int) -> tuple[Any, int, int]:
        det, adj = _c._metric(np, [a[sub] for a in arrays], (0, 1), opts)
        grid = _c._Grid(np, (0, 1), _c._inverse(det, adj), opts)
        g = _c._index_grad(f[sub], grid)
        for k in range(2):
            out[k][sub][keep] = _c._physical(g, grid, k)[keep]
        return det[keep], i0 + (keep[0].start or 0), j0 + (keep[1].start or 0)

    w = _centred(r)
    # the first strip (the sign of the Jacobian at the first point), the interior (its
    # threads touch the outputs' pages first), then the other strips
    edges = [strip(*strips[0])] if strips else []
    if edges:
        ref = float(edges[0][0][0, 0])
    else:  # both dims periodic: the first point is the kernel's
        ref = float(kernels.jacobian_at(arrays[0], arrays[1], w, 0, 0, True, True))
    sign = float(np.sign(ref))
    found = kernels.interior(f, arrays[0], arrays[1], w, sign, out[0], out[1], wrap)
    edges += [strip(*s) for s in strips[1:]]
    firsts = [] if found is None else [found]
    for d, i0, j0 in edges:
        bad = np.argwhere(~(d * sign > 0) | ~np.isfinite(d))
        if len(bad):
            ii, jj = (int(v) for v in bad[0])
            firsts.append(((ii + i0, jj + j0), float(d[ii, jj])))
    if firsts:
        idx, value = min(firsts)
        raise ValueError(_c._fold_message(idx, value, ref, 2))
    return out


def _centred(r: int) -> np.ndarray:
    """The weights of offsets 1..r of the centred first-derivative stencil."""
    from gridgrad._calculus import fd_weights

    return fd_weights(list(range(-r, r + 1)))[r + 1 :]
