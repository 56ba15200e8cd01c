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
before any other process reads or saves that function's cache.

It also compiles each variant once across processes: compiling a signature that
is not loaded yet holds a lock of that variant (``<name>.nbi.<hash>.lock``), so a
second process that needs the same variant meanwhile waits for the first to save
it and then loads it from the cache, instead of compiling it again (test workers
and process pools starting on a cold cache compile the same common kernels at the
same moment; a kernel variant takes 5-20 s to compile). Different variants still
compile in parallel. The lock is taken inside numba's compiler lock, so threads of
one process never wait on each other's file locks, and nested compiles (a kernel
calling another) lock the callee's variant only, whose calls never lead back.

Where locking is unavailable (no ``fcntl``, or a cache directory the lock file
cannot be made in), the cache behaves as numba's own.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from numba.core import sigutils
from numba.core.caching import IndexDataCacheFile
from numba.core.compiler_lock import global_compiler_lock

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


def _compiling_once(dispatcher: Any, compile: Callable[[Any], Any], index_path: str) -> Callable[[Any], Any]:  # fmt: skip
    """``dispatcher.compile`` holding the lock of the signature's variant while it
    compiles one that is not loaded in this process."""

    def locked_compile(sig: Any) -> Any:
        with global_compiler_lock:  # reentrant; numba's compile takes it too
            args, _ = sigutils.normalize_signature(sig)
            if dispatcher.overloads.get(tuple(args)) is not None:
                return compile(sig)  # loaded here already: nothing to compile
            variant = hashlib.sha1(repr(tuple(args)).encode()).hexdigest()[:16]
            with _locked(f"{index_path}.{variant}.lock"):
                return compile(sig)  # loads what another process saved meanwhile

    locked_compile.__wrapped__ = compile  # type: ignore[attr-defined]
    return locked_compile


def lock_cache(dispatcher: Any) -> Any:
    """``dispatcher`` (a numba function compiled with ``cache=True``) with its cache
    file locked and its variants compiled once across processes; anything else
    returned as it is."""
    cache = getattr(dispatcher, "_cache", None)
    cache_file = getattr(cache, "_cache_file", None)
    if type(cache_file) is IndexDataCacheFile:
        cache_file.__class__ = LockedCacheFile
        dispatcher.compile = _compiling_once(dispatcher, dispatcher.compile, cache_file._index_path)  # fmt: skip
    return dispatcher


def lock_caches(namespace: dict[str, Any]) -> None:
    """:func:`lock_cache` on every value of ``namespace`` (a module's ``globals()``)."""
    for value in list(namespace.values()):
        lock_cache(value)
