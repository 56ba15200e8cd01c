"""How gridgrad.smooth runs: NumPy rows (gaps, per-series parameters), Array-API arrays,
Dask blocks and the spline; the checks are done by then (gridgrad.smooth)."""

from __future__ import annotations

from typing import Any

import numpy as np

from gridgrad import _smooth_auto as auto
from gridgrad import _smooth_savgol as sg

__all__ = [
    "choose_pooled",
    "dask_sample_rows",
    "has_gaps",
    "host",
    "savgol",
    "savgol_dask",
    "spline",
    "table",
]


def host(a: Any) -> np.ndarray:
    """A NumPy copy of any array (torch tensors detached and moved to the CPU)."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "detach"):  # torch
        return a.detach().cpu().numpy()
    if hasattr(a, "compute") and hasattr(a, "dask"):
        return np.asarray(a.compute())
    try:
        return np.asarray(a)
    except (TypeError, ValueError, RuntimeError):
        return np.from_dlpack(a)


#: the (window, degree) at the start and at the end of the series (see choose_edges)
Edges = tuple[tuple[int, int], tuple[int, int]]


def table(
    x: np.ndarray,
    step: float | None,
    window: int,
    degree: int,
    order: int,
    edges: Edges | None = None,
) -> sg.Table:
    """The Savitzky–Golay table at ``x`` (evenly spaced by ``step`` when given); with
    ``edges``, the points near either end from their own (window, degree)."""
    if step is not None:
        out = sg.table_uniform(x.size, window, degree, order, step)
    else:
        out = sg.table_nonuniform(x, window, degree, order)
    if not edges or all(e == (window, degree) for e in edges):
        return out
    (wl, pl), (wr, pr) = edges
    return sg.with_edges(out, table(x, step, wl, pl, order), table(x, step, wr, pr, order))


# --------------------------------------------------------------------------- NumPy rows


def _gap_groups(finite: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rows with NaN samples grouped by gap pattern: [(rows, finite mask)]."""
    gappy = np.flatnonzero(~finite.all(axis=1))
    if gappy.size == 0:
        return []
    keys, inverse = np.unique(np.packbits(finite[gappy], axis=1), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    groups = []
    for k in range(keys.shape[0]):
        rows = gappy[inverse == k]
        groups.append((rows, finite[rows[0]]))
    return groups


def _savgol_rows(
    f2: np.ndarray,
    x: np.ndarray,
    step: float | None,
    window: int,
    degree: int,
    order: int,
    groups: list[tuple[np.ndarray, np.ndarray]],
    edges: Edges | None = None,
) -> np.ndarray:
    """Savitzky–Golay on the rows of ``f2`` (m, n); rows in ``groups`` have NaN gaps,
    fitted on their finite samples (NaN where a gap was, or where too few remain)."""
    out = sg.apply_numpy(f2, 1, table(x, step, window, degree, order, edges), f2.dtype)
    for rows, mask in groups:
        keep = np.flatnonzero(mask)
        out[rows] = np.nan
        if keep.size < window:
            continue
        local = table(x[keep], None, window, degree, order, edges)
        sub = np.ascontiguousarray(f2[np.ix_(rows, keep)])
        out[np.ix_(rows, keep)] = sg.apply_numpy(sub, 1, local, f2.dtype)
    return out


def _as_rows(f: np.ndarray, axis: int) -> np.ndarray:
    n = f.shape[axis]
    return np.moveaxis(f, axis, -1).reshape(-1, n)


def _from_rows(r: np.ndarray, shape: tuple[int, ...], axis: int) -> np.ndarray:
    moved = (*shape[:axis], *shape[axis + 1 :], shape[axis])
    return np.moveaxis(r.reshape(moved), -1, axis)


def _fill_gaps(
    f2: np.ndarray, x: np.ndarray, groups: list[tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """Rows with gaps linearly filled (for choosing parameters only)."""
    if not groups:
        return f2
    y = f2.copy()
    for rows, mask in groups:
        keep = np.flatnonzero(mask)
        for r in rows:
            y[r] = np.interp(x, x[keep], y[r, keep]) if keep.size else 0.0
    return y


def _choose(
    f2: np.ndarray,
    x: np.ndarray,
    step: float | None,
    degrees: tuple[int, ...],
    order: int,
    cutoff: float | None,
    groups: list[tuple[np.ndarray, np.ndarray]],
    pool: bool = False,
) -> dict[str, Any]:
    """Per row: the window and degree chosen from the data (see _smooth_auto); with
    ``pool``, one for all rows (the same values in every row)."""
    m, n = f2.shape
    y = _fill_gaps(f2, x, groups)
    if cutoff is None:

        def fit(w: int, p: int) -> tuple[np.ndarray, np.ndarray]:
            weights = table(x, step, w, p, order)
            return weights[0], sg.apply_numpy(y, 1, weights, y.dtype)

        usable = tuple(p for p in degrees if p >= order)
        window, degree, mse, sigma = auto.choose_mse(y, x, usable, n, fit, pool)
        out = {"window": window, "degree": degree, "rmse": np.sqrt(mse), "noise": sigma}
        if pool and np.isfinite(mse[0]):  # the ends of the series: their own choice
            w0, p0 = int(window[0]), int(degree[0])
            *ends, saving = auto.choose_edges(y, usable, w0, p0, fit, sigma**2)
            out["rmse"] = np.sqrt(np.maximum(mse - saving, 0.0))
            out["edges"] = tuple(ends)
        return out
    dt = abs(x[-1] - x[0]) / max(n - 1, 1)
    cut = np.full(m, float(cutoff))
    g = auto.gamma(cut, dt)
    best = np.full(m, np.inf)
    window = np.zeros(m, dtype=np.int64)
    degree = np.zeros(m, dtype=np.int64)
    for deg in degrees:
        windows = auto.candidate_windows(n, deg)

        def first(w: int, deg: int = deg) -> np.ndarray:
            return _savgol_rows(y, x, step, w, deg, 1, [])

        pick, value = auto.choose(y, x, windows, first, g, pool)
        better = value < best
        best = np.where(better, value, best)
        window = np.where(better, np.asarray(windows)[pick], window)
        degree = np.where(better, deg, degree)
    return {"window": window, "degree": degree, "gamma": float(g[0])}


def _per_series(values: np.ndarray, shape: tuple[int, ...], axis: int) -> np.ndarray:
    out = np.asarray(values).reshape((*shape[:axis], *shape[axis + 1 :]))
    return out.item() if out.ndim == 0 else out


#: how many series (evenly spaced among those a pooled choice looks at) set the GCV
#: smoothing of the spline candidate (the median of theirs): GCV costs ~0.6 ms per sample
SPLINE_ROWS = 4


def choose_pooled(f2, x, step, degrees, order, cutoff, spline=False):  # type: ignore[no-untyped-def]
    """One method and its parameters for all rows of ``f2`` (or of the rows ``f2`` holds,
    a sample of the batch): the info fields method, window, degree, cutoff, gamma, rmse,
    lam. With ``spline``, the GCV spline competes with the chosen Savitzky–Golay filter."""
    sub = f2
    if f2.shape[0] > auto.POOL_ROWS:
        sub = np.ascontiguousarray(f2[auto.pool_rows(f2.shape[0])])
    groups = _gap_groups(np.isfinite(sub))
    chosen = _choose(sub, x, step, degrees, order, cutoff, groups, True)
    out = {
        "method": "savgol",
        "window": int(chosen["window"][0]),
        "degree": int(chosen["degree"][0]),
        "cutoff": cutoff,
        "gamma": chosen.get("gamma"),
        "edges": chosen.get("edges"),
    }
    if "rmse" not in chosen:
        return out
    out["rmse"] = float(chosen["rmse"][0])
    if spline and sub.dtype.kind == "f" and order <= 2 and out["window"] > out["degree"] + 2:
        y = np.asarray(_fill_gaps(sub, x, groups), dtype=np.float64)
        found = _spline_candidate(y, x, step, order, out["window"], out["degree"])
        if found is not None and found[1] < out["rmse"] ** 2:
            out.update(method="spline", window=None, degree=None, edges=None)
            out.update(lam=found[0], rmse=float(np.sqrt(found[1])))
    return out


def _spline_candidate(y, x, step, order, window, degree):  # type: ignore[no-untyped-def]
    """(lam, estimated pooled mean squared error) of the cubic smoothing spline with one
    smoothing for all rows of ``y`` (the median GCV choice of ``SPLINE_ROWS`` of them),
    against the reference the Savitzky–Golay choice was made with (degree + 2, same
    window); None without scipy."""
    try:
        from gridgrad import _smooth_spline as spl

        spl._scipy()
    except ImportError:
        return None
    m = y.shape[0]
    few = np.unique(np.linspace(0, m - 1, min(m, SPLINE_ROWS)).round().astype(np.int64))
    lam = float(np.median(spl.spline_derivative(y[few], x, order, 5)[1]))
    if not (np.isfinite(lam) and lam > 0):
        return None
    apply = spl.operator(x, order, lam)
    ref = table(x, step, window, degree + auto.REF_DEGREE, order)

    def apply_ref(z: np.ndarray) -> np.ndarray:
        return sg.apply_numpy(np.ascontiguousarray(z), 1, ref, np.dtype(np.float64))

    sigma2 = auto.noise_sigma(y, x) ** 2
    return lam, auto.linear_mse(apply(y), apply, apply_ref(y), apply_ref, sigma2)


def has_gaps(arr: Any, kind: str) -> bool:
    """Whether an array holds NaN samples (False where it cannot be known: JAX tracers)."""
    if kind == "numpy":
        return np.dtype(arr.dtype).kind in "fc" and bool(np.isnan(arr).any())
    from array_api_compat import array_namespace

    xp = array_namespace(arr)
    if not xp.isdtype(arr.dtype, ("real floating", "complex floating")):
        return False
    try:
        return bool(xp.any(xp.isnan(arr)))
    except Exception:  # a traced value (jax.jit): gaps cannot be seen
        return False


def savgol(  # type: ignore[no-untyped-def]
    arr,
    kind,
    axis,
    x,
    step,
    window,
    degrees,
    order,
    cutoff,
    dtype,
    return_error,
    per_series,
    spline=False,
):
    """Savitzky–Golay on NumPy or Array-API arrays: ([result, (error)], info fields); with
    ``spline`` (method="auto", pooled), the GCV spline may be chosen instead."""
    shape = tuple(arr.shape)
    local = arr if kind == "numpy" else None
    need_rows = window is None or return_error or kind == "numpy"
    if need_rows and local is None:
        local = host(arr)
    f2 = _as_rows(local.astype(dtype, copy=False), axis) if need_rows else None
    groups = _gap_groups(np.isfinite(f2)) if (kind == "numpy" and f2 is not None) else []
    info: dict[str, Any] = {"method": "savgol", "window": window, "degree": degrees[0]}
    windows = degs = edges = None
    if window is None and not per_series:
        info.update(choose_pooled(f2, x, step, degrees, order, cutoff, spline))
        if cutoff is None:
            noise = auto.noise_sigma(_fill_gaps(f2, x, groups), x)
            info["noise"] = _per_series(noise, shape, axis)
        if info["method"] == "spline":
            return [_spline_rows(arr, kind, f2, shape, axis, x, order, dtype, info["lam"])], info
        window, degrees, edges = info["window"], (info["degree"],), info.get("edges")
    elif window is None:
        chosen = _choose(f2, x, step, degrees, order, cutoff, groups)
        windows, degs = chosen["window"], chosen["degree"]
        info.update(
            window=_per_series(windows, shape, axis),
            degree=_per_series(degs, shape, axis),
            cutoff=cutoff,
            gamma=chosen.get("gamma"),
            noise=_per_series(chosen["noise"], shape, axis) if "noise" in chosen else None,
            rmse=_per_series(chosen["rmse"], shape, axis) if "rmse" in chosen else None,
        )
    if kind == "numpy":
        if window is not None and not groups:
            weights = table(x, step, window, degrees[0], order, edges)
            out = sg.apply_numpy(local, axis, weights, dtype)
        elif window is not None:
            rows = _savgol_rows(f2, x, step, window, degrees[0], order, groups, edges)
            out = _from_rows(rows, shape, axis)
        else:
            rows = np.empty_like(f2)
            for w, d in sorted(set(zip(windows.tolist(), degs.tolist()))):
                sel = np.flatnonzero((windows == w) & (degs == d))
                sub = [(np.searchsorted(sel, r[np.isin(r, sel)]), m) for r, m in groups]
                sub = [(r, m) for r, m in sub if r.size]
                rows[sel] = _savgol_rows(np.ascontiguousarray(f2[sel]), x, step, w, d, order, sub)
            out = _from_rows(rows, shape, axis)
    else:
        out = _savgol_xp(arr, axis, x, step, window, degrees[0], order, windows, degs, shape, edges)
    results: list[Any] = [out]
    if return_error:
        results.append(
            _error(
                f2, x, step, window, degrees[0], order, windows, degs, shape, axis, arr, kind, edges
            )
        )
        info["noise"] = _per_series(auto.noise_sigma(_fill_gaps(f2, x, groups), x), shape, axis)
    return results, info


def _spline_rows(arr, kind, f2, shape, axis, x, order, dtype, lam):  # type: ignore[no-untyped-def]
    """The rows' spline derivatives with smoothing ``lam``, back in ``arr``'s library."""
    from gridgrad._smooth_spline import spline_derivative

    rows = spline_derivative(np.asarray(f2, dtype=np.float64), x, order, 5, lam)[0]
    out = _from_rows(rows, shape, axis).astype(dtype)
    if kind == "numpy":
        return out
    from array_api_compat import array_namespace, device

    return array_namespace(arr).asarray(np.ascontiguousarray(out), device=device(arr))


def _savgol_xp(arr, axis, x, step, window, degree, order, windows, degs, shape, edges=None):  # type: ignore[no-untyped-def]
    from array_api_compat import array_namespace, device

    xp = array_namespace(arr)
    dev = device(arr)
    fdtype = arr.dtype
    if not xp.isdtype(fdtype, ("real floating", "complex floating")):
        fdtype = xp.__array_namespace_info__().default_dtypes(device=dev)["real floating"]
        arr = xp.astype(arr, fdtype)
    if window is not None:
        weights = table(x, step, window, degree, order, edges)
        return sg.apply_xp(arr, axis, weights, xp, fdtype, dev)
    out = None
    lead = (*shape[:axis], *shape[axis + 1 :])
    for w, d in sorted(set(zip(windows.tolist(), degs.tolist()))):
        mask = ((windows == w) & (degs == d)).reshape(lead)
        sel = xp.asarray(np.expand_dims(mask, axis), device=dev)
        part = sg.apply_xp(arr, axis, table(x, step, w, d, order), xp, fdtype, dev)
        out = xp.where(sel, part, xp.zeros_like(part)) if out is None else xp.where(sel, part, out)
    return out


def _error(f2, x, step, window, degree, order, windows, degs, shape, axis, arr, kind, edges=None):  # type: ignore[no-untyped-def]
    m, n = f2.shape
    sigma = auto.noise_sigma(_fill_gaps(f2, x, _gap_groups(np.isfinite(f2))), x)
    err = np.empty((m, n))
    if window is not None:
        norms = np.sqrt((table(x, step, window, degree, order, edges)[0] ** 2).sum(axis=1))
        err[:] = sigma[:, None] * norms
    else:
        for w, d in set(zip(windows.tolist(), degs.tolist())):
            sel = (windows == w) & (degs == d)
            norms = np.sqrt((table(x, step, w, d, order)[0] ** 2).sum(axis=1))
            err[sel] = sigma[sel, None] * norms
    err = _from_rows(
        err.astype(f2.dtype.char.lower() if f2.dtype.kind == "c" else f2.dtype), shape, axis
    )
    if kind == "numpy":
        return err
    from array_api_compat import array_namespace, device

    xp = array_namespace(arr)
    return xp.asarray(np.ascontiguousarray(err), device=device(arr))


_DASK_GAPS = (
    "`f` has NaN samples (gaps) in a Dask array chunked along `dim`: gaps are fitted on "
    "whole series; rechunk `dim` to one chunk first (f.rechunk({dim: -1}))."
)


def savgol_dask(arr, axis, x, step, window, degree, order, dtype, edges=None):  # type: ignore[no-untyped-def]
    """Savitzky–Golay of a Dask array: whole-series blocks (``dim`` in one chunk) run the
    NumPy path, gaps included; otherwise blocks with ghost cells (no NaN allowed)."""
    import dask.array as da

    meta = np.empty((0,) * arr.ndim, dtype)
    if arr.numblocks[axis] == 1:

        def whole(b: np.ndarray) -> np.ndarray:
            b = np.asarray(b)
            if b.size == 0:
                return np.empty(b.shape, dtype)
            f2 = _as_rows(b.astype(dtype, copy=False), axis)
            groups = _gap_groups(np.isfinite(f2))
            rows = _savgol_rows(f2, x, step, window, degree, order, groups, edges)
            return _from_rows(rows, tuple(b.shape), axis)

        return da.map_blocks(whole, arr, dtype=dtype, meta=meta)
    w, start = table(x, step, window, degree, order, edges)
    window = w.shape[1]
    reach = window // 2  # chunks of at least `window` samples hold every shifted edge window
    chunks = list(arr.chunks)
    from gridgrad._engines.dask import widen_chunks

    merged = widen_chunks(chunks[axis], window)
    if merged != chunks[axis]:
        chunks[axis] = merged
        arr = arr.rechunk(tuple(chunks))
    bounds = np.cumsum((0, *arr.chunks[axis]))
    ghosted = da.overlap.overlap(arr, depth={axis: reach}, boundary={axis: "none"})

    def block(b: np.ndarray, block_id: tuple[int, ...] = ()) -> np.ndarray:  # type: ignore[assignment]
        k = block_id[axis]
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        first = lo - (reach if k > 0 else 0)  # global index of the block's first sample
        sub = (w[lo:hi], start[lo:hi] - first)
        b = np.asarray(b)
        if b.dtype.kind in "fc" and np.isnan(b).any():
            raise ValueError(_DASK_GAPS)
        return sg.apply_numpy(b, axis, sub, dtype)

    return da.map_blocks(block, ghosted, chunks=arr.chunks, dtype=dtype, meta=meta)


def dask_sample_rows(arr, axis):  # type: ignore[no-untyped-def]
    """The series a pooled choice looks at, computed from a Dask array: (k, n) NumPy."""
    import dask.array as da

    g = da.moveaxis(arr, axis, -1)
    lead = g.shape[:-1]
    m = int(np.prod(lead, dtype=np.int64))
    rows = auto.pool_rows(m)
    if not lead:
        return np.asarray(g.compute())[None, :]
    idx = np.unravel_index(rows, lead)
    return np.asarray(g.vindex[idx].compute())


def spline(arr, kind, axis, x, order, dtype, lam=None):  # type: ignore[no-untyped-def]
    from gridgrad._smooth_spline import spline_derivative

    shape = tuple(arr.shape)
    lams: list[np.ndarray] = []

    def host_run(h: np.ndarray) -> np.ndarray:
        h = np.asarray(h)
        rows = _as_rows(h.astype(np.float64), axis)
        if h.dtype.kind == "c":
            msg = "method='spline' takes real samples; got complex ones."
            raise TypeError(msg)
        out, lam_ = spline_derivative(rows, x, order, 5, lam)
        lams.append(lam_)
        return _from_rows(out, tuple(h.shape), axis).astype(
            dtype.char.lower() if dtype.kind == "c" else dtype
        )

    if kind == "dask":
        whole = arr.rechunk({axis: -1})
        meta = np.empty((0,) * len(shape), dtype)
        return whole.map_blocks(host_run, dtype=dtype, meta=meta), None
    if kind == "numpy":
        out = host_run(arr)
    else:
        from array_api_compat import array_namespace, device

        xp = array_namespace(arr)
        out = xp.asarray(np.ascontiguousarray(host_run(host(arr))), device=device(arr))
    return out, _per_series(lams[0], shape, axis)
