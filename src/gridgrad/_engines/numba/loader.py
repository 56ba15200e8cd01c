"""Loads the Numba engine in a background thread, once per process.

Importing numba and loading the cached kernels takes a second or so, so it happens in
a daemon thread while the first calls run on the NumPy engines (same results). Any
number of threads may ask at once: one lock guards the start, and the thread is
published only once started, so a waiter never joins an unstarted thread. A fork waits
for the loading to end, so a child never inherits a half-done import.
"""

from __future__ import annotations

import os
import threading
from types import ModuleType

import numpy as np

__all__ = ["load", "loaded", "start", "started"]

_lock = threading.Lock()
_done = threading.Event()  # set once the loading has ended, however it ended
_thread: threading.Thread | None = None
_driver: ModuleType | None = None  # the driver once loaded; None if numba is unusable


def _load() -> None:
    """Import the driver and load its common kernels (from numba's disk cache)."""
    global _driver
    try:
        from gridgrad._engines.numba import driver
    except Exception:  # numba missing or broken: the other engines run
        _done.set()
        return
    try:
        from gridgrad._layout import AxisSpec
        from gridgrad._plan import build_plan
        from gridgrad._spacing import Step

        for dtype in (np.float64, np.float32):  # C-contiguous, all dims of a 3-D array
            x = np.zeros((4, 4, 4), dtype)
            plan = build_plan(x.shape, (0, 1, 2), [Step(1.0)] * 3, 1, x.dtype, x.dtype,
                              specs=[AxisSpec()] * 3)  # fmt: skip
            driver.gradient(plan, x)
            from gridgrad._combination import gradient as all_dims
            from gridgrad._engines.numba import fused

            fused.combine(all_dims(plan), (x,))  # the fused operators' kernel
    except Exception:  # only a warm-up: the real call reports the error
        pass
    _driver = driver
    _done.set()


def _wait_for_loading() -> None:
    if _thread is not None:
        _done.wait()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # another thread may have held it at the fork


def start() -> None:
    """Start the loading in the background, unless it has started already."""
    global _thread
    with _lock:
        if _thread is not None:
            return
        # Fork hooks run last registered first: the modules whose hooks take a lock
        # the loading needs register theirs before this one, which waits for the
        # loading before they take it.
        import concurrent.futures.thread  # noqa: F401
        import logging  # noqa: F401

        os.register_at_fork(before=_wait_for_loading, after_in_child=_after_fork_in_child)
        thread = threading.Thread(target=_load, name="gridgrad-kernels", daemon=True)
        thread.start()
        _thread = thread


def started() -> bool:
    return _thread is not None


def loaded() -> bool:
    """Whether the loading has ended (successfully or not)."""
    return _done.is_set()


def load(wait: bool = True) -> ModuleType | None:
    """The driver module, loaded on first use; None if numba cannot be imported, or,
    with ``wait=False``, while the loading (started if need be) is not done."""
    if not _done.is_set():
        start()
        if not wait:
            return None
        _done.wait()
    return _driver
