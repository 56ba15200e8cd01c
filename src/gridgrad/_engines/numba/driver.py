"""Runs a plan on the Numba kernels: memory layout, tasks, threads, compiled entry points.

Every differentiated dim is one pass over the data: the array is viewed as
``(outer, n, inner)`` around that dim and each output point is written once, from a
stencil read out of a dense table built from the plan (:mod:`.tables`). Results agree
with the reference engine to the last bit on float32/float64/complex input and do not
depend on the number of threads.

Memory beyond the input and the outputs is a few KiB per task, except: big-endian
input is converted to native once (one input-size copy) and its results byteswapped in
place. float16 input (which the engine's guard keeps on the NumPy engines, so that its
results are numpy's and torch's at every size) would be computed in float32 here.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba
import numpy as np
from numba import types

from gridgrad._engines.numba.kernels import across as _across
from gridgrad._engines.numba.kernels import along as _along
from gridgrad._engines.numba.tables import Table
from gridgrad._engines.numba.tables import table as _table
from gridgrad._plan import GradientPlan

__all__ = ["gradient", "set_threads", "split"]

# Output points per task: rows of an inner dim are cut into blocks of this many
# elements, and a stencil running along a contiguous dim into chunks of this size.
_BLOCK = 2048
_GROUP = 32  # rows of a dim across which tasks run down the blocks
# Across a dim whose planes (the inner dims) fit in this many bytes, tasks walk the
# output in memory order (a group of one row): the few planes a stencil reads stay in
# cache anyway, and a fresh output's pages are written right after the OS zeroed
# them (256**3 float64 along dim 0: 20-22 ms into a fresh array with groups of 32,
# 17 ms in memory order; 12 and 10 ms into ``out=``). Larger planes keep the groups,
# so that a block of the rows a stencil reads is still in cache.
_PLANE_BYTES = 1 << 20


def _merge(shape: tuple[int, ...], strides: tuple[int, ...]) -> tuple[int, int] | None:
    """``(size, stride)`` of a group of dims walked as one, or None if impossible."""
    dims = [(n, s) for n, s in zip(shape, strides) if n != 1]
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if not dims:
        return size, 0
    for (_, s_outer), (n_inner, s_inner) in itertools.pairwise(dims):
        if s_outer != n_inner * s_inner:
            return None
    return size, dims[-1][1]


def _view3(a: np.ndarray, axis: int) -> np.ndarray | None:
    """``a`` viewed as (outer, n, inner) around ``axis`` without a copy, or None."""
    outer = _merge(a.shape[:axis], a.strides[:axis])
    inner = _merge(a.shape[axis + 1 :], a.strides[axis + 1 :])
    if outer is None or inner is None:
        return None
    shape = (outer[0], a.shape[axis], inner[0])
    strides = (outer[1], a.strides[axis], inner[1])
    return np.lib.stride_tricks.as_strided(
        a, shape, strides, subok=False, writeable=a.flags.writeable
    )


def _run_axis(x: np.ndarray, out: np.ndarray, axis: int, table: Table) -> None:
    """Differentiate ``x`` along ``axis`` into ``out`` (same shape, native dtypes)."""
    x3 = _view3(x, axis)
    o3 = _view3(out, axis)
    if x3 is None or o3 is None:
        # a layout that does not fold into 3 dims: one pass per slice of the largest
        # dim that is not differentiated
        d = max((k for k in range(x.ndim) if k != axis), key=lambda k: x.shape[k])
        for k in range(x.shape[d]):
            index = (slice(None),) * d + (k,)
            _run_axis(x[index], out[index], axis - (d < axis), table)
        return
    outer, n, inner = x3.shape
    flat = -1
    if inner == 1:
        kernel, xk, ok = _along, x3.transpose(0, 2, 1), o3.transpose(0, 2, 1)
        xw, ow = xk, ok
        lines = _BLOCK // n
        if lines:  # short lines: whole lines per task
            ntask = -(-outer // lines)
            xf, of = _flat_lines(xk), _flat_lines(ok)
            if xf is not None and of is not None:
                xw, ow, flat = xf, of, table.flat
        else:
            ntask = outer * -(-n // _BLOCK)
        param = lines
    else:
        kernel, xk, ok = _across, x3, o3
        ntask = outer * n * -(-inner // _BLOCK)
        param = _GROUP if inner * max(x.itemsize, out.itemsize) > _PLANE_BYTES else 1
        xw, ow = xk, ok
    _parallel(kernel, ntask, (xk, ok, xw, ow), np.int64(_BLOCK), np.int64(param), np.int64(flat), *table.arrays)  # fmt: skip


def _flat_lines(a: np.ndarray) -> np.ndarray | None:
    """``a`` of shape (outer, 1, n) as one line of shape (1, 1, outer * n), or None
    if its lines are not evenly spaced in memory."""
    outer, _, n = a.shape
    if outer > 1 and a.strides[0] != n * a.strides[2]:
        return None
    return np.lib.stride_tricks.as_strided(
        a, (1, 1, outer * n), (0, 0, a.strides[2]), subok=False, writeable=a.flags.writeable
    )


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_ENTRY: dict[tuple[Any, ...], Any] = {}


def _forget_pool() -> None:
    """In a forked child: the parent's pool threads do not exist here."""
    global _POOL, _POOL_LOCK
    _POOL = None
    _POOL_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _entry(kernel: Any, arrays: tuple[np.ndarray, ...], args: tuple[Any, ...]) -> Any:
    """The compiled entry point of ``kernel`` for these argument types.

    ``arrays`` are the input, the output and the same two viewed another way. They
    are typed 'C' when all are C-contiguous and 'A' (any strides) otherwise, the
    inputs always read-only, so two compiled kernels serve every layout: fewer
    compilations and cache files.
    """
    x, out = arrays[0], arrays[1]
    layout: Any = "C" if all(a.flags.c_contiguous for a in arrays) else "A"
    key = (kernel.__name__, layout, x.dtype, out.dtype, *(np.asarray(a).dtype for a in args))
    entry = _ENTRY.get(key)
    if entry is None:
        dtype = numba.from_dtype
        xt = types.Array(dtype(x.dtype), 3, layout, readonly=True)
        ot = types.Array(dtype(out.dtype), 3, layout)
        sig = (xt, ot, xt, ot, types.int64, types.int64, *(numba.typeof(a) for a in args))
        kernel.compile(sig)
        entry = _ENTRY[key] = kernel.overloads[sig].entry_point
    return entry


class _Threads(threading.local):
    #: the number of threads of this thread's calls (None: numba's)
    count: int | None = None


_THREADS = _Threads()


def set_threads(count: int | None) -> int | None:
    """Run this thread's next calls on ``count`` threads (None: ``numba.get_num_threads()``,
    the default); returns the previous setting. The torch path passes
    ``torch.get_num_threads()``."""
    before = _THREADS.count
    _THREADS.count = count
    return before


#: output points per thread: a call writing fewer than twice as many runs on one
#: thread, and so on (handing work to a thread costs tens of microseconds, and on
#: this 2-core machine a second thread only paid from about 10**6 points written:
#: (64, 64, 64) float32 over two dims 300 us on one thread, 349 on two)
THREAD_WORK = 1 << 19


def split(run: Any, ntask: int, before: tuple[Any, ...], after: tuple[Any, ...], work: int | None = None) -> None:  # fmt: skip
    """``run(*before, t0, t1, *after)`` for tasks ``0:ntask`` split into equal
    contiguous ranges, one per thread (``numba.get_num_threads()`` of them, or
    :func:`set_threads`', at most one per :data:`THREAD_WORK` of the ``work``
    points written), the last in the calling thread; one pool of threads for every
    kernel of the package."""
    split_jobs([(run, ntask, before, after)], work)


def split_jobs(jobs: Sequence[tuple[Any, int, tuple[Any, ...], tuple[Any, ...]]], work: int | None = None) -> None:  # fmt: skip
    """:func:`split` for several jobs ``(run, ntask, before, after)`` that write
    disjoint memory (``work`` points in all): thread ``k`` runs the ``k``-th range of
    each job's tasks, job after job, so the threads are handed work once (a
    hand-over costs tens of microseconds)."""
    global _POOL
    count = _THREADS.count or numba.get_num_threads()
    if work is not None:
        count = min(count, max(1, work // THREAD_WORK))
    nthreads = max(1, min(count, max(job[1] for job in jobs)))

    def task(k: int) -> None:
        for run, ntask, before, after in jobs:
            t0, t1 = ntask * k // nthreads, ntask * (k + 1) // nthreads
            if t0 < t1:
                run(*before, t0, t1, *after)

    if nthreads == 1:
        task(0)
        return
    with _POOL_LOCK:  # calls from several threads share one pool
        if _POOL is None or _POOL._max_workers < nthreads - 1:
            _POOL = ThreadPoolExecutor(max(nthreads - 1, os.cpu_count() or 1), "gridgrad")
        pool = _POOL

    futures = [pool.submit(task, k) for k in range(nthreads - 1)]
    task(nthreads - 1)
    for f in futures:
        f.result()


def _parallel(kernel: Any, ntask: int, arrays: tuple[np.ndarray, ...], *args: Any) -> None:
    """Tasks ``0:ntask`` of ``kernel`` on ``arrays`` (:func:`split`; the second
    array is the output)."""
    split(_entry(kernel, arrays, args), ntask, arrays, args, arrays[1].size)


def _native(dtype: np.dtype) -> np.dtype:
    return dtype.newbyteorder("=")


def order_of(strides: Sequence[int]) -> tuple[int, ...]:
    """Dims from the largest to the smallest stride (ties in dim order): the order
    memory is laid out in (strides in bytes or elements alike)."""
    return tuple(sorted(range(len(strides)), key=lambda d: -abs(strides[d])))


def _memory_order(x: np.ndarray) -> tuple[int, ...]:
    """:func:`order_of` the array's strides."""
    return order_of(x.strides)


def gradient(plan: GradientPlan, x: np.ndarray, out: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Execute ``plan`` on the ndarray ``x``; write into ``out`` when given.

    ``x`` has dtype float16/32/64 or complex64/128 in any byte order and layout;
    ``out``, when given, has been validated (shape, dtype, no overlap).
    """
    value = np.dtype(plan.value_dtype if plan.value_dtype is not None else x.dtype)
    compute = np.dtype(np.float32) if value.kind == "f" and value.itemsize == 2 else _native(value)
    if x.dtype != compute:
        x = x.astype(compute)  # float16 or big-endian: one converted copy
    order = _memory_order(x)
    xt = x.transpose(order)
    results = []
    for k, ax in enumerate(plan.axes):
        table = _table(ax, compute)
        result = np.dtype(plan.out_dtype if plan.out_dtype is not None else table.scale.dtype)
        dest = out[k] if out is not None else None
        direct = result == _native(result) and not (result.kind == "f" and result.itemsize == 2)
        if dest is None:
            # outputs laid out like the input, so every pass writes contiguously
            kernel_dtype = result if direct else _kernel_dtype(result)
            target = np.empty(xt.shape, kernel_dtype).transpose(np.argsort(order))
        elif direct:
            target = dest
        elif result.itemsize != 2:
            target = dest.view(_native(result))  # byteswapped after the pass
        else:
            target = np.empty(dest.shape, _kernel_dtype(result))
        _run_axis(xt, target.transpose(order), order.index(ax.axis), table)
        results.append(_finish(target, dest, result))
    return tuple(results)


def _kernel_dtype(result: np.dtype) -> np.dtype:
    """The native dtype the kernel writes a result of dtype ``result`` in."""
    return np.dtype(np.float32) if result.itemsize == 2 else _native(result)


def _finish(target: np.ndarray, dest: np.ndarray | None, result: np.ndarray | np.dtype) -> np.ndarray:  # fmt: skip
    """Turn what the kernel wrote into the result in ``dest`` (or a new array)."""
    result = np.dtype(result)
    if target.dtype == result:
        return target if dest is None else dest
    if result.itemsize == 2:  # float16: computed in float32
        if dest is None:
            return target.astype(result)
        np.copyto(dest, target, casting="unsafe")
        return dest
    target.byteswap(inplace=True)  # big-endian result: same bytes, swapped in place
    return target.view(result) if dest is None else dest
