"""Engines execute a validated :class:`gridgrad._plan.GradientPlan`; they never validate.

Every engine implements :class:`Engine` and owns its guard, its loading and its
caches; :func:`select` is the one place that chooses one for a call:

- ``dask``: dask arrays (lazily, the reference engine on each block; a Laplacian,
  divergence or curl as one task per block on the fused NumPy path);
- ``numba``: large plain float/complex ndarrays, once numba is loaded (it loads in the
  background after the first such call, which runs without it);
- ``small``: plain ndarrays whose plan the plan cache keeps (compiled NumPy programs);
- ``reference``: anything else (the engine all others are tested against).

:func:`use_engine` (a thread-local context manager) and the ``GRIDGRAD_ENGINE``
environment variable force one engine instead; one that cannot serve the call raises.
A new engine (say, kernels for torch tensors) implements :class:`Engine`, joins
:data:`ENGINES`, and takes its place in :func:`select`; nothing before the engines
changes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, Protocol, get_args

import numpy as np

from gridgrad._combination import Combination
from gridgrad._engines import dask as _dask
from gridgrad._engines import reference as _reference
from gridgrad._engines import small as _small
from gridgrad._engines.numba import ENGINE as _NUMBA
from gridgrad._engines.numba import FUSED as _FUSED
from gridgrad._engines.numba import FUSED_MIN_SIZE as _MIN_FUSED
from gridgrad._engines.numba import MIN_SIZE as _MIN_NUMBA
from gridgrad._engines.numba import MIN_TENSOR_SIZE as _MIN_TENSOR
from gridgrad._engines.numba import FusedEngine
from gridgrad._engines.numba import is_tensor as _is_tensor
from gridgrad._engines.numba import loader as _numba_loader
from gridgrad._plan import GradientPlan

__all__ = ["ENGINES", "Engine", "EngineName", "forced", "fused", "prepare", "select", "use_engine"]

EngineName = Literal["auto", "reference", "small", "numba", "dask"]
_NAMES: tuple[str, ...] = get_args(EngineName)
ENV = "GRIDGRAD_ENGINE"


class Engine(Protocol):
    """How a plan is executed."""

    #: the name :func:`use_engine` knows it by
    name: str
    #: what it serves, in words (for the error a forced engine raises)
    serves: str

    def supports(self, plan: GradientPlan, x: Any) -> bool:
        """Whether it can run ``plan`` on ``x`` (loading what it needs first)."""
        ...

    def prepare(self, plan: GradientPlan) -> None:
        """``plan`` will be reused (the plan cache keeps it): precompute what to keep."""
        ...

    def run(self, plan: GradientPlan, x: Any, out: tuple[Any, ...] | None) -> tuple[Any, ...]:
        """The results of ``plan`` on ``x``, one per axis (written into ``out`` if given)."""
        ...


_SMALL = _small.ENGINE
ENGINES: dict[str, Engine] = {
    "reference": _reference.ENGINE,
    "small": _small.ENGINE,
    "numba": _NUMBA,
    "dask": _dask.ENGINE,
}


class _ThenLoadNumba:
    """Runs ``engine``, then starts loading the Numba kernels in the background (after
    the call, so that the loading does not compete with it)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name = engine.name
        self.serves = engine.serves

    def supports(self, plan: GradientPlan, x: Any) -> bool:
        return self.engine.supports(plan, x)

    def prepare(self, plan: GradientPlan) -> None:
        self.engine.prepare(plan)

    def run(self, plan: GradientPlan, x: Any, out: tuple[Any, ...] | None) -> tuple[Any, ...]:
        try:
            return self.engine.run(plan, x, out)
        finally:
            _numba_loader.start()


class _AsTensors:
    """Runs ``engine`` on ``view`` (a CPU tensor's memory as an ndarray: the NumPy
    path's engine for it) and hands the results back as tensors sharing their
    memory: an eager call on a plain tensor skips ``autograd.Function`` and the
    dispatcher, and takes the NumPy path's engine for its size (the small-array
    engine below 2**17 elements, as for arrays). The same bits as the kernels'
    tensor path (:func:`gridgrad._engines.numba.tensors.numpy_view`)."""

    def __init__(self, engine: Engine, view: np.ndarray) -> None:
        self.engine = engine
        self.view = view
        self.name = engine.name
        self.serves = engine.serves

    def supports(self, plan: GradientPlan, x: Any) -> bool:
        return self.engine.supports(plan, self.view)

    def prepare(self, plan: GradientPlan) -> None:
        self.engine.prepare(plan)

    def run(self, plan: GradientPlan, x: Any, out: tuple[Any, ...] | None) -> tuple[Any, ...]:
        import torch

        from gridgrad._engines.numba import tensors

        with tensors.torch_threads():  # as the tensor path: torch's thread count
            results = self.engine.run(plan, self.view, out)
        return tuple(torch.from_numpy(r) for r in results)


def _view_engine(plan: GradientPlan, view: np.ndarray) -> Engine | None:
    """The NumPy path's engine for a tensor's memory ``view``: the kernels or the
    small-array engine, which compute a tensor's plan as the kernels' tensor path
    does; None where the NumPy path would take the reference engine (NumPy's type
    promotion is not torch's: a 0-d float64 array promotes float32 values, a 0-d
    float64 tensor does not), so the tensor keeps its own path."""
    numba = _NUMBA.choice(plan, view) if view.size >= _MIN_NUMBA else "no"
    if numba == "now":
        return _NUMBA
    if not _SMALL.prepared(plan, view.dtype):
        return None
    return _ThenLoadNumba(_SMALL) if numba == "later" else _SMALL


def _tensor_view(plan: GradientPlan, x: Any) -> np.ndarray | None:
    """:func:`gridgrad._engines.numba.tensors.numpy_view` (that module needs torch,
    not numba: the NumPy path picks its engine)."""
    from gridgrad._engines.numba import tensors

    return tensors.numpy_view(plan, x)


# --------------------------------------------------------------------------- switch


class _Switch(threading.local):
    #: the forced engine of this thread; every thread starts from the process default
    name: str = os.environ.get(ENV, "auto").strip().lower() or "auto"


_switch = _Switch()


@contextmanager
def use_engine(name: EngineName) -> Iterator[None]:
    """Force one engine for the calls this thread makes inside the ``with`` block.

    gridgrad chooses an engine per call (``"auto"``): ``"dask"`` for dask arrays,
    ``"numba"`` (compiled kernels) for large NumPy arrays once numba has loaded,
    ``"small"`` (precompiled NumPy operations) for repeated calls on smaller NumPy
    arrays, and ``"reference"`` (slices and arithmetic of the Array API, on any array
    library) for everything else. They give the same results, bitwise (float16 stays
    on the NumPy engines, which round after each operation as numpy and torch do). Forcing one helps to find where a difference
    comes from, or to test an engine on inputs it would not be chosen for.

    Parameters
    ----------
    name : {"auto", "reference", "small", "numba", "dask"}
        The engine; "auto" restores the automatic choice.

    Raises
    ------
    ValueError
        An unknown name; and, from a call inside the block, an input the forced
        engine cannot run (no other engine runs instead).

    Notes
    -----
    The setting is thread-local; the environment variable ``GRIDGRAD_ENGINE``
    (read when gridgrad is imported) sets every thread's default. The dask engine
    runs each block on the reference engine (a Laplacian, divergence or curl: on the
    automatic choice for NumPy arrays, whatever is forced); forced, ``"reference"``
    runs on a dask array as on any other array library (one graph of slices and
    concatenations).

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad
    >>> f = np.array([1.0, 2.0, 4.0, 7.0])
    >>> with gridgrad.use_engine("reference"):
    ...     gridgrad.gradient(f)
    (array([1. , 1.5, 2.5, 3. ]),)
    """
    _check_name(name, "`name`")
    before = _switch.name
    _switch.name = name
    try:
        yield
    finally:
        _switch.name = before


def forced() -> str:
    """The engine :func:`use_engine` (or ``GRIDGRAD_ENGINE``) forces in this thread,
    "auto" when none: fast paths outside the engines (the sphere's fused kernels) run
    under "auto" and "numba" only."""
    return _switch.name


def _check_name(name: Any, where: str) -> None:
    if name not in _NAMES:
        choices = ", ".join(repr(n) for n in _NAMES)
        msg = f"{where} must be one of {choices}; got {name!r}."
        raise ValueError(msg)


# --------------------------------------------------------------------------- choice


def select(plan: GradientPlan, x: Any) -> Engine:
    """The engine that runs ``plan`` on ``x`` (the values the engines see: a plain
    ndarray for every NumPy input, datetimes viewed as timedeltas)."""
    name = _switch.name
    if name == "auto":
        return _automatic(plan, x)
    if name not in ENGINES:
        _check_name(name, f"the environment variable {ENV}")
    engine = ENGINES[name]
    if not engine.supports(plan, x):
        msg = (
            f"the {name!r} engine is forced (gridgrad.use_engine or {ENV}) but cannot run "
            f"this call: it runs {engine.serves}; got a {type(x).__module__}."
            f"{type(x).__name__} of dtype {x.dtype}"
            f"{' with periodic dims' if any(ax.halo for ax in plan.axes) else ''}."
        )
        raise ValueError(msg)
    return engine


def _automatic(plan: GradientPlan, x: Any) -> Engine:
    """The automatic choice of :func:`select`."""
    if type(x) is not np.ndarray:
        if not _is_tensor(x):
            return _dask.ENGINE if _dask.ENGINE.supports(plan, x) else _reference.ENGINE
        view = _tensor_view(plan, x)
        on_view = None if view is None else _view_engine(plan, view)
        if view is not None and on_view is not None:  # an eager call: the NumPy path
            return _AsTensors(on_view, view)  # on the tensor's memory
        numba = _NUMBA.choice(plan, x)
        if numba == "now":
            return _NUMBA
        return _ThenLoadNumba(_reference.ENGINE) if numba == "later" else _reference.ENGINE
    numba = _NUMBA.choice(plan, x) if x.size >= _MIN_NUMBA else "no"
    if numba == "now":
        return _NUMBA
    engine: Engine = _SMALL if _SMALL.prepared(plan, x.dtype) else _reference.ENGINE
    return _ThenLoadNumba(engine) if numba == "later" else engine


class Fused(Protocol):
    """How a :class:`Combination` is computed in one pass."""

    def run(self, comb: Combination, xs: tuple[Any, ...]) -> tuple[Any, ...]:
        """The outputs of ``comb`` on the inputs ``xs``."""
        ...


def _automatic_fused(comb: Combination, xs: tuple[Any, ...]) -> FusedEngine | None:
    """The automatic choice of :func:`fused` for ndarrays and tensors."""
    x = xs[comb.sources[0]]
    if type(x) is np.ndarray:
        if x.size < _MIN_FUSED or not _FUSED.pays(x):
            return None
    elif not _is_tensor(x) or x.numel() < _MIN_TENSOR or not _FUSED.pays(x):
        return None
    if not _FUSED.guard(comb, xs):
        return None
    choice = _NUMBA.choice(comb.plans[0], x, _MIN_FUSED)
    if choice == "later":  # composed this time; the kernels load meanwhile
        _numba_loader.start()
    return _FUSED if choice == "now" else None


def _blocks(comb: Combination, xs: tuple[np.ndarray, ...]) -> tuple[Any, ...]:
    """``comb`` on plain ndarrays (the blocks of dask arrays) as on NumPy input, by the
    automatic choice whatever the thread forces: in one pass on the Numba kernels
    where they take it, else composed from the derivatives one by one."""
    engine = _automatic_fused(comb, xs)
    if engine is not None:
        return engine.run(comb, xs)
    parts = [_automatic(plan, xs[s]).run(plan, xs[s], None) for plan, s in zip(comb.plans, comb.sources)]  # fmt: skip
    return comb.compose(parts)


_DASK_FUSED = _dask.FusedDaskEngine(_blocks)


def fused(comb: Combination, xs: tuple[Any, ...]) -> Fused | None:
    """The engine that computes ``comb`` on ``xs`` in one pass (the Numba kernels, on
    large plain ndarrays once numba is loaded, or forced; on dask arrays one task per
    block, automatically or with the dask engine forced), or None: then each
    derivative runs on the engine :func:`select` chooses for it and the outputs are
    composed from them (:meth:`Combination.compose`), the same numbers."""
    name = _switch.name
    if name in ("auto", "dask") and _DASK_FUSED.guard(comb, xs):
        return _DASK_FUSED
    if name == "auto":
        return _automatic_fused(comb, xs)
    if name != "numba" or not _FUSED.guard(comb, xs):
        return None
    return _FUSED if _numba_loader.load(wait=True) is not None else None


def prepare(plan: GradientPlan) -> None:
    """Tell every engine that ``plan`` will be reused (the plan cache keeps it)."""
    for engine in ENGINES.values():
        engine.prepare(plan)
