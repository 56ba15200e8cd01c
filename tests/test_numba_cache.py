"""numba's on-disk cache under a lock (gridgrad._numba_cache): two processes saving
variants of one kernel at once must not leave an index naming one variant's
signature over the other's code."""

from __future__ import annotations

import os
import threading

import pytest

pytest.importorskip("numba")
from numba.core.caching import IndexDataCacheFile

from gridgrad._numba_cache import LockedCacheFile, lock_cache


def _file(tmp_path, cls=LockedCacheFile):  # type: ignore[no-untyped-def]
    """One process's view of a function's cache (each process builds its own)."""
    return cls(cache_path=str(tmp_path), filename_base="kernel-1.py311", source_stamp=("stamp", 1))


def _interleave(a, b) -> None:  # type: ignore[no-untyped-def]
    """Make the saves of ``a`` and ``b`` interleave as two processes can: both read
    the empty index, ``a`` writes its index, ``b`` writes its index and data, then
    ``a`` its data (each step waits at most half a second for the other's, so a
    lock that keeps ``b`` out makes ``a`` go on alone)."""
    ev = {k: threading.Event() for k in ("a_read", "b_read", "a_index", "b_data")}

    def wrap(obj, name, before=None, after=None):  # type: ignore[no-untyped-def]
        real = getattr(obj, name)

        def step(*args):  # type: ignore[no-untyped-def]
            if before:
                ev[before].wait(0.5)
            result = real(*args)
            if after:
                ev[after[0]].set()
                if after[1]:
                    ev[after[1]].wait(0.5)
            return result

        setattr(obj, name, step)

    wrap(a, "_load_index", after=("a_read", "b_read"))
    wrap(a, "_save_index", after=("a_index", "b_data"))
    wrap(b, "_load_index", before="a_read", after=("b_read", None))
    wrap(b, "_save_index", before="a_index")
    wrap(b, "_save_data", after=("b_data", None))


def _race(tmp_path, cls):  # type: ignore[no-untyped-def]
    a, b = _file(tmp_path, cls), _file(tmp_path, cls)
    _interleave(a, b)
    threads = [threading.Thread(target=a.save, args=("float64 variant", "code for float64")),
               threading.Thread(target=b.save, args=("float32 variant", "code for float32"))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    later = _file(tmp_path, cls)  # a third process, loading
    return later.load("float64 variant"), later.load("float32 variant")


def test_racing_saves_keep_each_signature_with_its_code(tmp_path) -> None:
    assert _race(tmp_path, LockedCacheFile) == ("code for float64", "code for float32")
    assert os.path.exists(os.path.join(tmp_path, "kernel-1.py311.nbi.lock"))


def test_the_race_is_real_without_the_lock(tmp_path) -> None:
    """The same interleaving on numba's own cache file gives an index that names a
    signature over another variant's code (what the lock prevents): if numba ever
    orders its writes safely, this test says so and the lock can go."""
    got = _race(tmp_path, IndexDataCacheFile)
    assert got != ("code for float64", "code for float32")
    assert "code for float64" in got  # the float32 signature loads float64 code
    assert got[1] == "code for float64"


def test_without_a_lock_file_the_cache_still_works(tmp_path, monkeypatch) -> None:
    real_open = os.open

    def refuse(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).endswith(".lock"):
            raise PermissionError(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    f = _file(tmp_path)
    f.save("key", ("data", 1))
    assert _file(tmp_path).load("key") == ("data", 1)
    assert not os.path.exists(os.path.join(tmp_path, "kernel-1.py311.nbi.lock"))


def test_every_cached_kernel_is_locked() -> None:
    from gridgrad import _curvilinear_numba, _smooth_savgol, _sphere_numba
    from gridgrad._engines.numba import fused_kernels, kernels

    found = []
    for module in (kernels, fused_kernels, _sphere_numba, _curvilinear_numba):
        for value in vars(module).values():
            cache = getattr(getattr(value, "_cache", None), "_cache_file", None)
            if cache is not None:
                found.append(type(cache))
    found.extend(type(k._cache._cache_file) for k in _smooth_savgol._kernels().values())
    assert len(found) >= 20
    assert set(found) == {LockedCacheFile}


def test_lock_cache_leaves_other_objects_alone() -> None:
    import numba

    plain = numba.njit(lambda v: v + 1)  # no cache=True: nothing on disk to lock
    assert lock_cache(plain) is plain and lock_cache(len) is len


_MODULE = """
import numba

from gridgrad._numba_cache import lock_caches


@numba.njit(cache=True)
def twice(x):
    return x * 2


lock_caches(globals())
"""

_CALLER = """
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
import {name} as m
open(os.path.join(sys.argv[1], "ready"), "w").close()
start = time.time()
m.twice(1.5)
done = time.time()
print(json.dumps({{"start": start, "done": done,
                  "hits": sum(m.twice.stats.cache_hits.values()),
                  "misses": sum(m.twice.stats.cache_misses.values())}}))
"""


def test_a_variant_compiles_once_across_processes(tmp_path, monkeypatch) -> None:
    """While one process compiles a variant (here: this one, holding the variant's
    lock), another that needs it waits, then loads it from the cache instead of
    compiling it again."""
    import hashlib
    import json
    import subprocess
    import sys
    import time

    import numba

    from gridgrad import _numba_cache

    name = f"gg_twice_{os.getpid()}"
    (tmp_path / f"{name}.py").write_text(_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = __import__(name)
    twice = module.twice
    index = twice._cache._cache_file._index_path
    variant = hashlib.sha1(repr((numba.float64,)).encode()).hexdigest()[:16]
    with _numba_cache._locked(f"{index}.{variant}.lock"):  # "this process compiles"
        other = subprocess.Popen([sys.executable, "-c", _CALLER.format(name=name), str(tmp_path)],
                                 stdout=subprocess.PIPE, text=True)  # fmt: skip
        deadline = time.time() + 60
        while not (tmp_path / "ready").exists() and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the other process is calling twice(1.5) by now
        getattr(twice.compile, "__wrapped__", twice.compile)((numba.float64,))  # compile, save
        released = time.time()
    out, _ = other.communicate(timeout=120)
    report = json.loads(out.strip().splitlines()[-1])
    assert report["start"] < released <= report["done"]  # it waited for the lock
    assert (report["hits"], report["misses"]) == (1, 0)  # and loaded, not compiled
    assert twice(2.5) == 5.0
