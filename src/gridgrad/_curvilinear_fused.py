"""The fast path of :func:`gridgrad.curvilinear.gradient`: large 2-D float NumPy arrays
through the fused Numba kernel (:mod:`gridgrad._curvilinear_numba`, imported only
here, lazily).

The kernel computes the points whose centred stencils fit; the points within reach
of a one-sided edge go through the generic path on thin strips. A periodic dim is
padded with ``accuracy / 2`` wrapped samples on each side first, so that its every
point is interior (the strips along it are not needed) and the results are the
generic path's periodic ones to round-off.
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
    periodic = (opts.boundary[0] == "periodic", opts.boundary[1] == "periodic")
    pads = (r if periodic[0] else 0, r if periodic[1] else 0)
    if any(periodic):
        f, arrays = _wrapped(f, pads), [_wrapped(a, pads) for a in arrays]
    n, m = f.shape
    valid = (slice(pads[0], n - pads[0]), slice(pads[1], m - pads[1]))  # the input's points
    # the strips see the padding as data: one-sided stencils (kept only in the padding)
    strip_opts = _c._Options(p, opts.edge_order, ("one-sided", "one-sided"), (None, None))
    width = 3 * p + 2  # strips this wide give the edge points their own stencils
    out = (np.empty_like(f), np.empty_like(f))
    # the edges of the one-sided dims: the generic path on thin strips, only the points
    # within reach kept; (strip, kept part, its offset)
    strips = []
    if not periodic[0]:
        strips += [
            ((slice(0, width), slice(None)), (slice(0, r), slice(None)), 0, 0),
            (
                (slice(n - width, n), slice(None)),
                (slice(width - r, width), slice(None)),
                n - width,
                0,
            ),
        ]
    if not periodic[1]:
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
        det, adj = _c._metric(np, [a[sub] for a in arrays], (0, 1), strip_opts)
        grid = _c._Grid(np, (0, 1), _c._inverse(det, adj), strip_opts)
        g = _c._index_grad(f[sub], grid)
        for k in range(2):
            out[k][sub][keep] = _c._physical(g, grid, k)[keep]
        return det[keep], i0 + (keep[0].start or 0), j0 + (keep[1].start or 0)

    w = _centred(r)
    # the first strip (the sign of the Jacobian at the first point), the interior (its
    # threads touch the outputs' pages first), then the other strips
    edges = [strip(*strips[0])] if strips else []
    if edges:
        d, i0, j0 = edges[0]
        ref = float(d[pads[0] - i0, pads[1] - j0])
    else:  # both dims periodic: the first point is interior
        ref = kernels.jacobian_at(arrays[0], arrays[1], w, r, r)
    sign = float(np.sign(ref))
    found = kernels.interior(f, arrays[0], arrays[1], w, sign, out[0], out[1])
    edges += [strip(*s) for s in strips[1:]]
    firsts = [] if found is None else [found]
    for d, i0, j0 in edges:
        for ii, jj in np.argwhere(~(d * sign > 0) | ~np.isfinite(d)):
            i, j = int(ii) + i0, int(jj) + j0
            if valid[0].start <= i < valid[0].stop and valid[1].start <= j < valid[1].stop:
                firsts.append(((i, j), float(d[ii, jj])))
                break
    if firsts:
        (i, j), value = min(firsts)
        raise ValueError(_c._fold_message((i - pads[0], j - pads[1]), value, ref, 2))
    if any(periodic):
        return out[0][valid], out[1][valid]
    return out


def _wrapped(a: np.ndarray, pads: tuple[int, int]) -> np.ndarray:
    """``a`` with ``pads[k]`` wrapped samples on each side of dim k (C order; as
    ``numpy.pad(mode="wrap")``, one copy)."""
    (p, q), (n, m) = pads, a.shape
    out = np.empty((n + 2 * p, m + 2 * q), a.dtype)
    out[p : p + n, q : q + m] = a
    if q:
        out[p : p + n, :q] = a[:, m - q :]
        out[p : p + n, q + m :] = a[:, :q]
    if p:
        out[:p] = out[n : n + p]
        out[p + n :] = out[p : 2 * p]
    return out


def _centred(r: int) -> np.ndarray:
    """The weights of offsets 1..r of the centred first-derivative stencil."""
    from gridgrad._calculus import fd_weights

    return fd_weights(list(range(-r, r + 1)))[r + 1 :]
