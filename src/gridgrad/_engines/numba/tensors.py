"""torch CPU tensors on the Numba kernels, with autograd (this module imports torch).

A tensor's memory is handed to the kernels as a NumPy view (no copy), and each result
is a tensor torch allocated, written by the kernels in place, on
``torch.get_num_threads()`` threads. The computation is the
NumPy path's, so results are bitwise the NumPy path's and the reference engine's.

Autograd. Along one axis the stencil is a linear map ``y = D f``; its backward is
the transposed map ``D^T`` (:mod:`.adjoint`), run by the same kernels. Both are one
operator registered with ``torch.library`` (``gridgrad::stencil``: apply a weight
table along a dim; the transpose is the same operator given the transposed table),
with a fake implementation (``torch.compile`` traces it without running it) and a
vmap rule. :class:`Stencil`, a ``torch.autograd.Function`` in ``setup_context``
style, calls it: ``backward`` applies ``D^T`` and ``jvp`` applies ``D`` (forward
mode), both through :class:`Stencil` again, so double backward, forward-over-reverse
and ``torch.func`` transforms work (``generate_vmap_rule``: under ``vmap`` the
operator's vmap rule runs the batch at once).

The guard serves CPU tensors of float32/float64/complex64/complex128 whose plan
computes in the tensor's own dtype: weights that are Python numbers or arrays of the
tensor's real dtype, coordinate tensors that do not require grad. The rest (CUDA and
MPS tensors, bfloat16 and float16, coordinates that require grad, coordinates of
another dtype than the input, which torch promotes, and coordinate tensors while
torch.compile traces, whose values it hides) runs on the reference engine (torch's
own operations), as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch

from gridgrad._cache import Bounded
from gridgrad._engines.numba.tables import Table, table
from gridgrad._layout import complex_weights
from gridgrad._plan import AxisPlan, GradientPlan, Run
from gridgrad._spacing import readable

__all__ = [
    "Combine",
    "Gradient",
    "Operator",
    "Program",
    "Stencil",
    "TracedCombine",
    "TracedGradient",
    "TracedStencil",
    "combine",
    "combine_guard",
    "guard",
    "run",
]

_DTYPES: dict[torch.dtype, np.dtype] = {
    torch.float32: np.dtype(np.float32),
    torch.float64: np.dtype(np.float64),
    torch.complex64: np.dtype(np.complex64),
    torch.complex128: np.dtype(np.complex128),
}
_REAL = {torch.float32: torch.float32, torch.float64: torch.float64,
         torch.complex64: torch.float32, torch.complex128: torch.float64}  # fmt: skip


# --------------------------------------------------------------------------- guard


def _plain(c: Any, real: torch.dtype) -> bool:
    """Whether the weight ``c`` keeps the arithmetic in the input's dtype: a Python
    number, or an array/tensor of the input's real dtype (torch promotes a float32
    input to float64 by a float64 coordinate tensor, even a 0-d one at the edges in
    another order: those stay on the reference engine)."""
    if type(c) in (int, float):
        return True
    if isinstance(c, torch.Tensor):  # values readable: not while torch.compile traces
        return c.dtype == real and c.device.type == "cpu" and not c.requires_grad and readable(c)
    if isinstance(c, (np.ndarray, np.generic)):
        return c.dtype == _DTYPES[real]
    return False


def guard(plan: GradientPlan, x: torch.Tensor) -> bool:
    """Whether the kernels compute ``plan`` on the tensor ``x`` exactly as the
    reference engine does."""
    if x.device.type != "cpu" or x.layout != torch.strided or x.dtype not in _DTYPES:
        return False
    if x.is_quantized or x.is_nested or (type(x) is not torch.Tensor and not _traced(x)):
        return False
    if plan.value_dtype not in (None, x.dtype) or plan.out_dtype not in (None, x.dtype):
        return False
    real = _REAL[x.dtype]
    for ax in plan.axes:
        if ax.dtype not in (None, x.dtype):
            return False
        for run in ax.runs:
            if not _plain(run.scale, real) or not all(_plain(c, real) for c, _, _ in run.terms):
                return False
    return not (x.dtype.is_complex and any(complex_weights(ax.runs) for ax in plan.axes))


def numpy_view(plan: GradientPlan, x: torch.Tensor) -> np.ndarray | None:
    """``x``'s memory as an ndarray for the NumPy path, where that path computes
    ``plan`` on it exactly as the kernels do here (a plain CPU tensor of a kernel
    dtype, :func:`guard`, with every weight a plain Python number: the plan needs no
    NumPy copy of tensor weights) and nothing records or intercepts the call
    (:func:`_eager`); else None. Lazy conjugate and negative views are resolved
    first (a copy)."""
    if type(x) is not torch.Tensor or x.device.type != "cpu" or x.layout != torch.strided or x.is_nested:  # fmt: skip
        return None
    if x.dtype not in _DTYPES or not _numbers_only(plan) or not _eager((x,)):
        return None
    return _readable(x).detach().numpy()


def _numbers_only(plan: GradientPlan) -> bool:
    """Whether ``plan`` leaves its dtypes to its input and weighs by Python numbers
    only (remembered per plan: plans are immutable)."""
    known = _NUMBERS.get(plan)
    if known is None:
        known = plan.value_dtype is None and plan.out_dtype is None
        known = known and all(ax.dtype is None and all(map(_numbers, ax.runs)) for ax in plan.axes)
        _NUMBERS.put(plan, known)
    return known


def _numbers(run: Run) -> bool:
    """Whether ``run`` weighs and scales by Python numbers only."""
    return type(run.scale) in (int, float) and all(type(c) in (int, float) for c, _, _ in run.terms)


_NUMBERS: Bounded[GradientPlan, bool] = Bounded(256)  # :func:`_numbers_only`'s answers


def _traced(x: torch.Tensor) -> bool:
    """Tensor subclasses torch's own transforms use (fake and functional tensors)."""
    return type(x).__module__.startswith("torch.")


# --------------------------------------------------------------------------- tables


def _numpy(c: Any) -> Any:
    if isinstance(c, torch.Tensor):
        return c.detach().numpy()
    return c


def _numpy_axis(ax: AxisPlan) -> AxisPlan:
    """``ax`` with its tensor weights as NumPy arrays (the tables are NumPy)."""

    def run_of(run: Run) -> Run:
        terms = tuple((_numpy(c), p, m) for c, p, m in run.terms)
        return Run(run.start, run.stop, terms, _numpy(run.scale), run.ops, run.halve)

    if not any(isinstance(c, torch.Tensor) for r in ax.runs for c in (r.scale, *(t[0] for t in r.terms))):  # fmt: skip
        return ax
    return AxisPlan(ax.axis, ax.size, tuple(map(run_of, ax.runs)), ax.dtype, ax.halo)


_TABLES: dict[int, Table] = {}  # the operator's table argument: an index into this
_KEYS: dict[bytes, int] = {}  # a table's contents -> its index
_LOCK = threading.Lock()


def _register(t: Table) -> int:
    """The index of the table ``t`` (the same contents, the same index), so that the
    operator takes an int: a constant torch.compile keeps in its graph. One entry per
    distinct stencil (grid, dtype, options) a process uses."""
    seen = _SEEN.get(id(t))
    if seen is not None and seen[0] is t:  # this very table (tables are remembered)
        return seen[1]
    parts = (t.runs, t.terms, t.coef, t.scale)
    digest = b"|".join(a.dtype.str.encode() + a.tobytes() for a in parts)
    with _LOCK:
        key = _KEYS.get(digest)
        if key is None:
            key = _KEYS[digest] = len(_TABLES)
            _TABLES[key] = t
        _SEEN.put(id(t), (t, key))  # holds t: its id is not reused while it is here
    return key


_SEEN: Bounded[int, tuple[Table, int]] = Bounded(1024)  # tables registered lately, by identity


class Operator:
    """One axis' stencil ``D`` as the operator's table argument, and its transpose
    (built on first use: a forward pass alone never needs it)."""

    def __init__(self, ax: AxisPlan, dtype: np.dtype, key: int | None = None, transposed: Operator | None = None) -> None:  # fmt: skip
        self.ax = ax
        self.dtype = dtype
        self._key = key
        self._transposed = transposed

    @property
    def key(self) -> int:
        """The table of ``D``, registered."""
        if self._key is None:
            self._key = _register(table(self.ax, self.dtype))
        return self._key

    @property
    def T(self) -> Operator:
        """The transposed operator (whose transpose is this one). Two threads may
        both build it on first use (the same table, registered once)."""
        if self._transposed is None:
            from gridgrad._engines.numba.adjoint import transpose

            coef = _TABLES[self.key].coef.dtype
            self._transposed = Operator(
                self.ax, self.dtype, _register(transpose(self.ax, coef)), self
            )
        return self._transposed


# --------------------------------------------------------------------------- operator


_HUGE = 1 << 21  # a transparent huge page (x86-64, aarch64 with 4 KiB pages)


@functools.cache
def _madvise() -> Any:
    """libc's ``madvise`` (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        madvise = libc.madvise
    except (OSError, AttributeError):  # pragma: no cover - no libc symbol
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    return madvise


def _fresh(x: torch.Tensor) -> torch.Tensor:
    """An uninitialised tensor like ``x``, its large memory asked to be backed by
    transparent huge pages before the kernels first touch it, as NumPy does for its
    own arrays (4 KiB page faults cost a 256^3 float64 result 50 ms, more than the
    kernel's pass)."""
    out = torch.empty_like(x)
    nbytes = out.untyped_storage().nbytes()
    madvise = _madvise() if nbytes >= 1 << 22 else None
    if madvise is not None:
        start = (out.data_ptr() + _HUGE - 1) & ~(_HUGE - 1)
        stop = (out.data_ptr() + nbytes) & ~(_HUGE - 1)
        if stop > start:
            madvise(start, stop - start, 14)  # MADV_HUGEPAGE; a refusal changes nothing
    return out


def _readable(x: torch.Tensor) -> torch.Tensor:
    """``x`` as memory the kernels read: lazy conjugate and negative views resolved,
    an expanded tensor (elements sharing memory) made contiguous."""
    x = x.resolve_conj().resolve_neg()
    if any(s == 0 for s, n in zip(x.stride(), x.shape) if n > 1):
        x = x.contiguous()
    return x


@contextlib.contextmanager
def torch_threads() -> Iterator[None]:
    """The kernels' calls on ``torch.get_num_threads()`` threads meanwhile, where they
    are loaded (a tensor's call on the NumPy path; nothing waits for the loading)."""
    from gridgrad._engines.numba import loader

    driver = loader.load(wait=False) if loader.loaded() else None
    if driver is None:
        yield
        return
    before = driver.set_threads(torch.get_num_threads())
    try:
        yield
    finally:
        driver.set_threads(before)


@contextlib.contextmanager
def _kernels() -> Iterator[Any]:
    """The driver, its calls on ``torch.get_num_threads()`` threads meanwhile."""
    from gridgrad._engines.numba import loader

    driver = loader.load(wait=True)
    if driver is None:  # pragma: no cover - the guard checked numba first
        msg = "the numba engine cannot run: numba cannot be imported."
        raise RuntimeError(msg)
    before = driver.set_threads(torch.get_num_threads())
    try:
        yield driver
    finally:
        driver.set_threads(before)


def _stencil_call(x: torch.Tensor, axis: int, table: int) -> torch.Tensor:
    """Apply the registered weight table ``table`` along dim ``axis`` of ``x`` (the
    operator ``gridgrad::stencil``'s implementation; called directly on the eager path,
    :func:`_eager`)."""
    x = _readable(x)
    out = _fresh(x)
    xn, on = x.detach().numpy(), out.numpy()
    with _kernels() as driver:
        order = driver._memory_order(on)
        driver._run_axis(xn.transpose(order), on.transpose(order), order.index(axis), _TABLES[table])  # fmt: skip
    return out


_stencil = torch.library.custom_op("gridgrad::stencil", mutates_args=())(_stencil_call)


@_stencil.register_fake
def _(x: torch.Tensor, axis: int, table: int) -> torch.Tensor:
    return torch.empty_like(x)


@torch.library.register_vmap("gridgrad::stencil")
def _(info: Any, in_dims: tuple[Any, ...], x: torch.Tensor, axis: int, table: int) -> tuple[torch.Tensor, Any]:  # fmt: skip
    if in_dims[0] is None:
        return _stencil(x, axis, table), None
    return _stencil(x.movedim(in_dims[0], 0), axis + 1, table), 0


class TracedStencil(torch.autograd.Function):
    """``D x`` along one axis, differentiable in reverse mode: the backward is
        ``D^T``, applied by the same class (so it is differentiable again; a subclass
    overrides ``backward`` to apply itself: functorch wraps the class it runs). Without
        ``jvp``: for ``torch.compile``, whose Dynamo does not trace an autograd.Function
        that defines one."""

    @staticmethod
    def forward(x: torch.Tensor, axis: int, op: Operator) -> torch.Tensor:
        if _eager((x,)):  # autograd runs the forward without grad: a plain call
            return _stencil_call(x, axis, op.key)
        return torch.ops.gridgrad.stencil(x, axis, op.key)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
        _, ctx.axis, ctx.op = inputs

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        return TracedStencil.apply(grad, ctx.axis, ctx.op.T), None, None


class Stencil(TracedStencil):
    """:class:`TracedStencil` with forward mode: the tangent is ``D t``; vmap by
    ``generate_vmap_rule`` (the operator's vmap rule runs the batch at once)."""

    generate_vmap_rule = True

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        return _stencil_apply(grad, ctx.axis, ctx.op.T), None, None

    @staticmethod
    def jvp(ctx: Any, tangent: torch.Tensor, *_: Any) -> torch.Tensor:
        return Stencil.apply(tangent, ctx.axis, ctx.op)


def _stencil_apply(x: torch.Tensor, axis: int, op: Operator) -> torch.Tensor:
    """``Stencil.apply``, or its operator's implementation where :func:`_eager` holds."""
    if _eager((x,)):
        return _stencil_call(x, axis, op.key)
    result: torch.Tensor = Stencil.apply(x, axis, op)
    return result


# --------------------------------------------------------------------------- fused


class Program:
    """Outputs that are signed sums of stencils on inputs (a Laplacian, a divergence,
    a curl): entries ``(output, input, dim, operator, sign)``, grouped by output, each
    output's first entry added (sign 1). ``T`` is the program of the transposes: the
    backward, with one output per input."""

    def __init__(self, entries: list[tuple[int, int, int, Operator, int]], nout: int, nin: int) -> None:  # fmt: skip
        self.entries = entries
        self.nout = nout
        self.nin = nin
        self.plain = False  # a gradient's forward: one pass only where the NumPy path takes one

    def flat(self) -> list[int]:
        """The entries as the operator takes them: five ints each, operators by key."""
        return [v for k, s, d, op, sign in self.entries for v in (k, s, d, op.key, sign)]

    @property
    def T(self) -> tuple[Program, tuple[int, ...]]:
        """The transposed program (input ``i``'s gradient is output ``i``, the sum of
        the transposed stencils of the entries that read it) and the outputs to negate
        after it (those whose every entry subtracts: the kernel's first entry adds)."""
        entries: list[tuple[int, int, int, Operator, int]] = []
        negate = []
        for i in range(self.nin):
            mine = [(s, k, d, op.T, sign) for k, s, d, op, sign in self.entries if s == i]
            if mine and all(e[4] == -1 for e in mine):
                negate.append(i)
                mine = [(*e[:4], 1) for e in mine]
            mine.sort(key=lambda e: -e[4])  # one that adds first
            entries.extend(mine)
        return Program(entries, self.nin, self.nout), tuple(negate)

    def read(self) -> set[int]:
        """The inputs some entry reads."""
        return {s for _, s, _, _, _ in self.entries}


_SLOTS = 4  # inputs and outputs of the operator (fixed: torch's legacy vmap, which
# ``autograd.grad(is_grads_batched=True)`` and gradcheck use, batches an operator of
# plain tensor arguments and results only)


def _combine_call(x0: torch.Tensor, x1: torch.Tensor, x2: torch.Tensor, x3: torch.Tensor, program: list[int], nin: int, nout: int, plain: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """Outputs that are signed sums of registered weight tables applied along dims of
    the first ``nin`` inputs (``program``: five ints per entry, see :class:`Program`),
    in one pass (the fused kernel); more than 4 dims (a vmapped call), entry by entry.
    With ``plain`` (a gradient's forward: one entry per output), one pass only where
    the NumPy path takes one on the same memory (``ONE_PASS``, rows long enough, the
    interior path), else entry by entry, as the NumPy path's per-axis passes (the same
    bits either way). The first ``nout`` results are the outputs, the others empty.
    (The operator ``gridgrad::combine``'s implementation; called directly on the
    eager path, :func:`_eager`.)"""
    from gridgrad._engines import numba as engine
    from gridgrad._engines.numba import fused

    xs = [_readable(x) for x in (x0, x1, x2, x3)[:nin]]
    outs = [_fresh(xs[0]) for _ in range(nout)]
    entries: list[tuple[int, int, int, Any, int]] = [
        (program[i], program[i + 1], program[i + 2], program[i + 3], program[i + 4])
        for i in range(0, len(program), 5)
    ]
    xn = tuple(x.detach().numpy() for x in xs)
    on = tuple(o.numpy() for o in outs)
    found = {key: _TABLES[key] for _, _, _, key, _ in entries}
    with _kernels() as driver:
        if xs[0].ndim > 4:
            _entrywise(driver, entries, xn, on)
        elif not plain:
            fused.apply(found, entries, xn, nout, on)
        elif not (engine.ONE_PASS and engine.FUSED.pays(xn[0])) or fused.apply(found, entries, xn, nout, on, plain_only=True) is None:  # fmt: skip
            _entrywise(driver, entries, xn, on)
    return tuple(outs + [x0.new_empty(0) for _ in range(_SLOTS - nout)])  # type: ignore[return-value]


_combine = torch.library.custom_op("gridgrad::combine", mutates_args=())(_combine_call)


def _entrywise(driver: Any, entries: list[Any], xs: tuple[np.ndarray, ...], outs: tuple[np.ndarray, ...]) -> None:  # fmt: skip
    """:func:`_combine` one stencil at a time: each output its first entry, then the
    others added or subtracted (the composed expression's order and numbers)."""
    order = driver._memory_order(outs[0])
    done: set[int] = set()
    for k, s, axis, key, sign in entries:
        part = np.empty_like(outs[k]) if k in done else outs[k]
        driver._run_axis(xs[s].transpose(order), part.transpose(order), order.index(axis), _TABLES[key])  # fmt: skip
        if k in done:
            (np.add if sign == 1 else np.subtract)(outs[k], part, out=outs[k])
        done.add(k)


@_combine.register_fake
def _(x0: torch.Tensor, x1: torch.Tensor, x2: torch.Tensor, x3: torch.Tensor, program: list[int], nin: int, nout: int, plain: bool) -> tuple[torch.Tensor, ...]:  # fmt: skip
    return tuple([torch.empty_like(x0) for _ in range(nout)] + [x0.new_empty(0) for _ in range(_SLOTS - nout)])  # fmt: skip


@torch.library.register_vmap("gridgrad::combine")
def _(info: Any, in_dims: tuple[Any, ...], x0: torch.Tensor, x1: torch.Tensor, x2: torch.Tensor, x3: torch.Tensor, program: list[int], nin: int, nout: int, plain: bool) -> tuple[Any, Any]:  # fmt: skip
    size = info.batch_size
    moved = [x.unsqueeze(0).expand(size, *x.shape) if d is None else x.movedim(d, 0)
             for x, d in zip((x0, x1, x2, x3), in_dims[:4])]  # fmt: skip
    shifted = [v + 1 if i % 5 == 2 else v for i, v in enumerate(program)]  # the dims
    results = _combine(*moved, shifted, nin, nout, plain)
    return results, tuple([0] * nout + [None] * (_SLOTS - nout))


def _call(program: Program, xs: tuple[torch.Tensor, ...], eager: bool = False) -> tuple[torch.Tensor, ...]:  # fmt: skip
    """The operator on ``xs`` (padded to its four inputs): ``program``'s outputs; with
    ``eager`` (:func:`_eager` holds), its implementation called directly."""
    x0, x1, x2, x3 = (*xs, *(xs[0],) * (_SLOTS - len(xs)))
    op: Any = _combine_call if eager else torch.ops.gridgrad.combine
    results = op(x0, x1, x2, x3, program.flat(), len(xs), program.nout, program.plain)
    return tuple(results[: program.nout])


def _eager(xs: Iterable[torch.Tensor]) -> bool:
    """Whether the operators may run as plain calls on ``xs``: eager mode, nothing to
    record or intercept. That is: no autograd graph to build (grad mode off or no
    input requiring grad), no forward-mode level open, no functorch transform
    (vmap, grad, jvp), no mode (fake tensors, functionalization, ``torch.device`` as
    a context: any ``TorchDispatchMode`` or ``TorchFunctionMode``), neither
    ``torch.compile`` nor ``torch.jit.trace`` at work, and plain tensors only (no
    subclass, no legacy batched tensor). There ``Function.apply`` and the dispatcher
    would only add their overhead (a (64, 64) float32 gradient spent 190 us in them,
    where torch.gradient takes 40 us in all); the results are the same tensors."""
    if torch.compiler.is_compiling() or torch.jit.is_tracing():
        return False
    if torch._C._len_torch_dispatch_stack() or torch._C._len_torch_function_stack():
        return False
    if torch._C._functorch.peek_interpreter_stack() is not None:
        return False
    if getattr(torch.autograd.forward_ad, "_current_level", 0) >= 0:  # a dual level
        return False  # is open (private; where it is gone, never plain)
    grad = torch.is_grad_enabled()
    for x in xs:
        if type(x) is not torch.Tensor or (grad and x.requires_grad):
            return False
        if torch._C._functorch.is_legacy_batchedtensor(x):
            return False
    return True


class TracedCombine(torch.autograd.Function):
    """A :class:`Program` on tensors, differentiable in reverse mode (the backward is
    the transposed program); for torch.compile (no ``jvp``, see :class:`TracedStencil`)."""

    @staticmethod
    def forward(program: Program, *xs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return _call(program, xs, eager=_eager(xs))  # autograd runs it without grad

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        ctx.program = inputs[0]

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor) -> tuple[Any, ...]:
        return (None, *_transposed(TracedCombine, ctx.program, grads))


class Combine(TracedCombine):
    """:class:`TracedCombine` with forward mode (the tangents' program) and vmap."""

    generate_vmap_rule = True

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor) -> tuple[Any, ...]:
        return (None, *_transposed(Combine, ctx.program, grads))

    @staticmethod
    def jvp(ctx: Any, *tangents: Any) -> tuple[torch.Tensor, ...]:
        program = ctx.program
        ts = tangents[1:]
        ref = next(t for t in ts if t is not None)
        ts = tuple(torch.zeros_like(ref) if t is None else t for t in ts)
        return Combine.apply(program, *ts)


def _transposed(fn: Any, program: Program, grads: tuple[Any, ...]) -> tuple[Any, ...]:
    """The inputs' gradients from the outputs' (``fn``: the class that applies the
    transposed program, so the backward is differentiable again)."""
    ref = next(g for g in grads if g is not None)
    grads = tuple(torch.zeros_like(ref) if g is None else g for g in grads)
    back, negate = program.T
    results = list(_call(back, grads, eager=True) if _eager(grads) else fn.apply(back, *grads))
    read = program.read()
    for i in range(len(results)):
        if i not in read:
            results[i] = None
        elif i in negate:
            results[i] = -results[i]
    return tuple(results)


def combine_guard(comb: Any, xs: tuple[Any, ...]) -> bool:
    """Whether the fused kernel computes ``comb`` (a :class:`gridgrad._combination.Combination`)
    on the tensors ``xs`` as the reference engine composes it."""
    x0 = xs[0]
    if not all(isinstance(x, torch.Tensor) for x in xs) or not 1 <= x0.ndim <= 4:
        return False
    if any(x.shape != x0.shape or x.dtype != x0.dtype or x.device != x0.device for x in xs):
        return False
    return all(guard(plan, xs[s]) for plan, s in zip(comb.plans, comb.sources))


def combine(comb: Any, xs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """The outputs of ``comb`` on the tensors ``xs`` in one pass, with autograd."""
    dtype = _DTYPES[xs[0].dtype]
    ops: dict[tuple[int, int], Operator] = {}
    entries = []
    for k, terms in enumerate(comb.outputs):
        for p, a, sign in terms:
            ax = comb.plans[p].axes[a]
            if (p, a) not in ops:
                ops[p, a] = Operator(_numpy_axis(ax), dtype)
            entries.append((k, comb.sources[p], ax.axis, ops[p, a], sign))
    program = Program(entries, len(comb.outputs), len(xs))
    if _eager(xs):
        return _call(program, xs, eager=True)
    if not torch.compiler.is_compiling():
        return tuple(Combine.apply(program, *xs))
    _before_tracing(ops.values(), any(x.requires_grad for x in xs))
    return tuple(TracedCombine.apply(program, *xs))


def _before_tracing(ops: Iterable[Operator], backward: bool) -> None:
    """Register the tables (NumPy work) before torch.compile traces the forward and
    backward as subgraphs that must only call operators."""
    for op in ops:
        op.key  # noqa: B018
        if backward:
            op.T.key  # noqa: B018


class TracedGradient(TracedCombine):
    """The partial derivatives along several axes of one input (a :class:`Program`
    with ``plain`` set: its forward in one pass reading the input once where the
    NumPy path takes one, else one stencil pass per axis, decided by the operator on
    the memory it gets); the backward ``sum_k D_k^T g_k`` in one fused pass (the
    transposed program: every upstream gradient read once, the input's gradient
    written once)."""


class Gradient(Combine):
    """:class:`TracedGradient` with forward mode and vmap."""

    @staticmethod
    def jvp(ctx: Any, *tangents: Any) -> tuple[torch.Tensor, ...]:
        return Gradient.apply(ctx.program, tangents[1])


def run(plan: GradientPlan, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The results of ``plan`` on the CPU tensor ``x`` (one per axis), on the kernels:
    one axis a :class:`Stencil`, several a :class:`Gradient` (its backward fused)."""
    dtype = _DTYPES[x.dtype]
    ops = [Operator(_numpy_axis(ax), dtype) for ax in plan.axes]
    many = len(ops) > 1 and x.ndim <= 4
    program = Program([(k, 0, ax.axis, op, 1) for k, (ax, op) in enumerate(zip(plan.axes, ops))], len(ops), 1)  # fmt: skip
    program.plain = True
    if _eager((x,)):
        if many:
            return _call(program, (x,), eager=True)
        return tuple(_stencil_call(x, ax.axis, op.key) for ax, op in zip(plan.axes, ops))
    if not torch.compiler.is_compiling():
        if many:
            return tuple(Gradient.apply(program, x))
        return tuple(Stencil.apply(x, ax.axis, op) for ax, op in zip(plan.axes, ops))
    _before_tracing(ops, x.requires_grad)
    if many:
        return tuple(TracedGradient.apply(program, x))
    return tuple(TracedStencil.apply(x, ax.axis, op) for ax, op in zip(plan.axes, ops))
