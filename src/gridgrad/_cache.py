"""The plan cache: plans of repeated calls, found without checking the arguments again.

A plan depends only on the arguments, so a call that repeats another's arguments can
reuse its plan. Building and hashing a request costs microseconds that small arrays
cannot spend, so the key is built from the raw arguments instead, and only where that
is cheap and exact: a plain ``numpy.ndarray`` and plain scalar arguments (numbers,
strings, None, and lists or tuples of them). For the entries that allow it
(:data:`TENSOR_ENTRIES`: ``gradient``, torch.gradient's drop-in), a plain strided
``torch.Tensor`` of a floating or complex dtype keys by shape, dtype and device as
well (its checks read nothing else; integer tensors stay out: their values are
checked for overflow on every call). Every other call builds its plan afresh.
The key is this module's business: callers look up and store plans by their arguments.

One cache, bounded (oldest entry out first), safe under calls from many threads:
reads take no lock (a dict lookup is atomic), writes take one.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections.abc import Hashable
from typing import Any, TypeVar

import numpy as np

from gridgrad._plan import GradientPlan

__all__ = ["PLANS", "TENSOR_ENTRIES", "Bounded", "lookup", "store"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Bounded(dict[K, V]):
    """A dict of at most ``size`` entries that drops its oldest entry to make room.

    Reads are plain dict reads (atomic, no lock); every write goes through :meth:`put`,
    which holds a lock, so two threads never evict the same entry."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self._lock = threading.Lock()
        this = weakref.ref(self)

        def after_fork_in_child() -> None:  # another thread may have held the lock
            cache = this()
            if cache is not None:
                cache._lock = threading.Lock()

        os.register_at_fork(after_in_child=after_fork_in_child)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            if key not in self:
                while len(self) >= self.size:
                    del self[next(iter(self))]
            self[key] = value

    def clear(self) -> None:
        with self._lock:
            super().clear()


#: values that key as (type, value): equal values of one of these types mean the same
#: thing (NumPy scalars too, but not datetimes: 1 s equals 1000 ms)
_PLAIN = frozenset(
    {type(None), bool, int, float, str}
    | {np.dtype(c).type for c in "?" + np.typecodes["AllInteger"] + np.typecodes["Float"]}
)
#: complex values also key by the signs of their zeros (1+0j equals 1-0j, but a step
#: or coordinate of either gives different signed zeros in the results)
_COMPLEX = frozenset({complex} | {np.dtype(c).type for c in np.typecodes["Complex"]})


def _typed(value: Any) -> tuple[Any, ...] | None:
    """A hashable key that tells apart values that compare equal but mean different
    things (1, 1.0, True, np.float64(1.0), 1+0j and 1-0j); None for anything else."""
    t = type(value)
    if t in _PLAIN:
        return (t, value)
    if t in _COMPLEX:
        return (t, value, math.copysign(1.0, value.real), math.copysign(1.0, value.imag))
    if t is list or t is tuple:
        items = []
        for v in value:
            key = _typed(v)
            if key is None:
                return None
            items.append(key)
        return (t, tuple(items))
    return None


#: the entry points whose plans torch tensors may key (their array is the input itself)
TENSOR_ENTRIES: set[Any] = set()


def _tensor(f: Any) -> tuple[Any, ...] | None:
    """What a plain torch tensor's plan depends on (shape, dtype, device); None for
    anything else: subclasses (fake, functional, parameters), sparse or nested
    layouts, integer and boolean dtypes."""
    t = type(f)
    if t.__name__ != "Tensor" or t.__module__ != "torch":
        return None
    dtype = f.dtype
    if not (dtype.is_floating_point or dtype.is_complex) or f.is_nested:
        return None
    if str(f.layout) != "torch.strided":
        return None
    return (t, tuple(f.shape), dtype, str(f.device))


def _key(entry: Any, f: Any, dim: Any, spacing: Any, options: tuple[Any, ...], order: Any) -> Any:
    """The key of a call, or None where the arguments are not plain (never cached)."""
    if type(f) is np.ndarray:
        head: tuple[Any, ...] = (entry, f.shape, f.dtype)
    elif entry in TENSOR_ENTRIES and (found := _tensor(f)) is not None:
        head = (entry, *found)
    else:
        return None
    # the usual call: plain scalars (a tuple of them for numpy's varargs), typed in one go
    if type(spacing) is tuple:
        values = (dim, order, *spacing, *options)
    else:
        values = (dim, order, spacing, *options)
    types = tuple(map(type, values))
    if _PLAIN.issuperset(types):
        return (*head, type(spacing), values, types)
    typed = _typed((dim, order, spacing, *options))
    return None if typed is None else (*head, typed)


#: plans by their call's key: the plan cache of every entry point
PLANS: Bounded[Any, GradientPlan] = Bounded(256)


def lookup(
    entry: Any, f: Any, dim: Any, spacing: Any, options: tuple[Any, ...], order: Any
) -> GradientPlan | None:
    """The plan of an earlier call with these arguments, if it is kept. ``entry``: the
    validation the arguments go through (the same arguments mean different things to
    different entry points); ``options``: the stencil options, as a tuple."""
    key = _key(entry, f, dim, spacing, options, order)
    return None if key is None else PLANS.get(key)


def store(
    entry: Any,
    f: Any,
    dim: Any,
    spacing: Any,
    options: tuple[Any, ...],
    order: Any,
    plan: GradientPlan,
) -> bool:
    """Keep ``plan`` for calls with these arguments; False where they cannot key."""
    key = _key(entry, f, dim, spacing, options, order)
    if key is None:
        return False
    PLANS.put(key, plan)
    return True
