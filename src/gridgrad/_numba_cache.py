"""numba's on-disk kernel cache, safe for processes compiling at once (imports numba).

numba keeps one index file per function (``<name>.nbi``: signature -> data file) and
one data file per compiled variant (``<name>.<k>.nbc``). Saving a variant reads the
index, picks the first free number ``k``, writes the index, then the data file; each
write is atomic, the sequence is not. Two processes that finish compiling two
variants of one kernel at the same moment (dask or multiprocessing workers, test
workers, on a cold cache) can both pick ``k``: the index may then name one variant's
signature and the data file hold the other's code, which a later process would load
and run on the wrong argument types (numba/numba#10128 is the same race for
gufuncs).

:func:`lock_caches` gives the cached kernels of a module a cache file whose saves
and loads hold an exclusive lock (``fcntl.flock`` on ``<name>.nbi.lock``, beside the
index, created once and left there), so a save's index and data land together
before any other process reads or saves that function's cache. Where locking is
unavailable (no ``fcntl``, or a cache directory the lock file cannot be made in),
the cache behaves as numba's own.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from numba.core.caching import IndexDataCacheFile

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["LockedCacheFile", "lock_cache", "lock_caches"]


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    """An exclusive lock on ``path`` (created if need be) for the block; no lock
    where it cannot be taken."""
    fd = -1
    if fcntl is not None:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            fd = -1
    try:
        if fd >= 0:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        if fd >= 0:
            os.close(fd)  # closing releases the lock


class LockedCacheFile(IndexDataCacheFile):
    """numba's index-and-data cache file, each save and load under one lock per
    function, shared by every process using the cache directory."""

    def save(self, key: Any, data: Any) -> None:
        with _locked(self._index_path + ".lock"):
            super().save(key, data)

    def load(self, key: Any) -> Any:
        with _locked(self._index_path + ".lock"):
            return super().load(key)


def lock_cache(dispatcher: Any) -> Any:
    """``dispatcher`` (a numba function compiled with ``cache=True``) with its cache
    file locked; anything else returned as it is."""
    cache = getattr(dispatcher, "_cache", None)
    cache_file = getattr(cache, "_cache_file", None)
    if type(cache_file) is IndexDataCacheFile:
        cache_file.__class__ = LockedCacheFile
    return dispatcher


def lock_caches(namespace: dict[str, Any]) -> None:
    """:func:`lock_cache` on every value of ``namespace`` (a module's ``globals()``)."""
    for value in list(namespace.values()):
        lock_cache(value)
