"""The small-array engine: a plan's runs as precomputed NumPy ufunc calls.

Small arrays spend their time in Python, not in arithmetic: the reference engine
(:mod:`gridgrad._engines.reference`) walks the plan, builds index tuples and temporaries
on every call. For a plan with a uniform step on a plain ndarray, :func:`compile_plan`
does that walk once: each run becomes its index tuples and the ufunc calls of the
reference's ``_evaluate``, which then write straight into the run's part of the output
(``out=``). The operations, their order, their operands and their dtypes are the
reference engine's, so the results are bitwise the same; only the temporaries go.

Compiling costs more than one reference run, so the engine compiles the plans that
will be reused: those the plan cache keeps (:meth:`SmallEngine.prepare`), and any plan
it is forced to run. Programs hold no data: every call allocates its own outputs (or
writes the caller's ``out``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridgrad._cache import Bounded
from gridgrad._plan import GradientPlan, Run

__all__ = ["ENGINE", "Program", "SmallEngine", "compile_plan"]

_add = np.add
_subtract = np.subtract
_multiply = np.multiply
_divide = np.divide
_empty = np.empty

#: one term: (how, weight, plus index, minus index or None), as in ``Run.program``
_Term = tuple[int, Any, tuple[slice, ...], "tuple[slice, ...] | None"]
#: one run: (output index, first term, further terms, divisor or None, then halve?)
_Step = tuple[tuple[slice, ...], _Term, tuple[_Term, ...], Any, bool]


class Program:
    """A compiled plan: call it with an ndarray of the plan's shape (and the dtype its
    cache key was made for) to get one new array per axis, or pass ``outs``."""

    __slots__ = ("axes", "out_dtype", "shape", "value_dtype")

    def __init__(
        self,
        shape: tuple[int, ...],
        value_dtype: np.dtype,
        out_dtype: np.dtype,
        axes: tuple[tuple[_Step, ...], ...],
    ) -> None:
        self.shape = shape
        self.value_dtype = value_dtype
        self.out_dtype = out_dtype
        self.axes = axes

    def __call__(
        self, x: np.ndarray, outs: tuple[np.ndarray, ...] | None = None
    ) -> tuple[Any, ...]:
        if x.dtype != self.value_dtype:  # integers: differenced in float64, as the reference
            x = x.astype(self.value_dtype)
        results = []
        for k, steps in enumerate(self.axes):
            o = _empty(self.shape, self.out_dtype) if outs is None else outs[k]
            for index, first, rest, scale, halve in steps:
                v = o[index]
                how, c, plus, minus = first
                if minus is None:
                    if how == 1:
                        v[...] = x[plus]
                    else:
                        _multiply(c, x[plus], out=v)
                else:
                    _subtract(x[plus], x[minus], out=v)
                    if how != 1:
                        _multiply(c, v, out=v)
                for how, c, plus, minus in rest:
                    s = x[plus] if minus is None else _subtract(x[plus], x[minus])
                    if how == 1:
                        _add(v, s, out=v)
                    elif how == -1:
                        _subtract(v, s, out=v)
                    elif how == -2:
                        _subtract(v, _multiply(c, s), out=v)
                    else:
                        _add(v, _multiply(c, s), out=v)
                if scale is not None:
                    _divide(v, scale, out=v)
                if halve:
                    _divide(v, 2, out=v)
            results.append(o)
        return tuple(results)


def _weight(c: Any, dtype: np.dtype) -> Any:
    """``c`` as the reference engine's ``_weight`` passes it to the ufuncs (Python numbers
    as they are, NumPy scalars as 0-d arrays), or None where the arithmetic would not
    stay in ``dtype`` (the reference's temporaries would then have another dtype than
    the output written into here)."""
    t = type(c)
    if t is int or t is float:
        return c
    if t is complex:
        return c if dtype.kind == "c" else None
    if isinstance(c, np.generic) and np.result_type(c, dtype) == dtype:
        return np.asarray(c)
    return None


def _same(a: Any, b: Any) -> bool:
    """Whether two coefficients are the same number of the same type (signed zeros of
    complex ones included)."""
    if type(a) is not type(b) or a != b:
        return False
    if isinstance(a, (complex, np.complexfloating)):
        return np.signbit(a.real) == np.signbit(b.real) and np.signbit(a.imag) == np.signbit(b.imag)
    return True


def _twins(a: Run, b: Run) -> bool:
    """Whether two single-point runs do the same arithmetic (on other samples): the two
    edges of an axis, which one step can then compute together."""
    if a.stop - a.start != 1 or b.stop - b.start != 1 or len(a.terms) != len(b.terms):
        return False
    for (how, c, _, minus), (how_b, c_b, _, minus_b) in zip(a.program, b.program):
        if how != how_b or (minus is None) != (minus_b is None) or not _same(c, c_b):
            return False
    if a.halve != b.halve:
        return False
    return a.divides == b.divides and (not a.divides or _same(a.scale, b.scale))


def _select(axis: int, runs: tuple[Run, ...], offset: tuple[int, ...]) -> tuple[slice, ...] | None:
    """The index of sample ``i + offset`` for the points of one run, or of two single-point
    runs (a 2-element strided slice; None where both read the same sample)."""
    lead = (slice(None),) * axis
    if len(runs) == 1:
        (run,), (o,) = runs, offset
        return (*lead, slice(run.start + o, run.stop + o))
    a, b = runs[0].start + offset[0], runs[1].start + offset[1]
    step = b - a
    if step == 0:
        return None
    stop = b + 1 if step > 0 else b - 1 if b > 0 else None
    return (*lead, slice(a, stop, step))


def _step(runs: tuple[Run, ...], axis: int, dtype: np.dtype) -> _Step | None:
    """One run (or two twin runs) as indices and weights for :meth:`Program.__call__`."""
    terms = []
    for parts in zip(*(run.program for run in runs)):
        how, c, _, minus = parts[0]
        w = _weight(c, dtype)
        plus_at = _select(axis, runs, tuple(t[2] for t in parts))
        minus_at = None if minus is None else _select(axis, runs, tuple(t[3] for t in parts))
        if w is None or plus_at is None or (minus is not None and minus_at is None):
            return None
        terms.append((how, w, plus_at, minus_at))
    scale = None
    if runs[0].divides:
        scale = _weight(runs[0].scale, dtype)
        if scale is None:
            return None
    halve = runs[0].halve
    if halve and dtype.kind == "f" and type(scale) is float and scale == 1.0:
        # (v / 1.0) / 2 is v / 2.0 on real values, bit for bit (v / 1.0 is v): one
        # ufunc call instead of two for torch's default unit step
        scale, halve = 2.0, False
    index = _select(axis, runs, (0,) * len(runs))
    assert index is not None  # distinct runs
    return index, terms[0], tuple(terms[1:]), scale, halve


def _axis_steps(runs: tuple[Run, ...], axis: int, dtype: np.dtype) -> list[_Step] | None:
    """The steps of one axis (None if a run does not compile); twin edges share one."""
    singles = [_step((run,), axis, dtype) for run in runs]
    steps: list[_Step] = []
    paired: set[int] = set()
    for i, single in enumerate(singles):
        if single is None:
            return None
        if i in paired:
            continue
        step = single
        for j in range(i + 1, len(runs)):
            if j not in paired and _twins(runs[i], runs[j]):
                pair = _step((runs[i], runs[j]), axis, dtype)
                if pair is not None:
                    step = pair
                    paired.add(j)
                    break
        steps.append(step)
    return steps


def _open(plan: GradientPlan) -> bool:
    """Whether ``plan`` leaves its dtypes to its input (a torch tensor's plan)."""
    return plan.value_dtype is None and plan.out_dtype is None


def compile_plan(plan: GradientPlan, dtype: np.dtype | None = None) -> Program | None:
    """The program of ``plan`` for plain ndarrays, or None where the reference engine
    must run: coordinates (per-point weights), periodic axes, a result dtype other
    than the dtype the values are differenced in (complex spacing on real values),
    non-floating values (datetimes). A torch tensor's plan leaves its dtypes to the
    input (None): ``dtype``, that of the tensor's memory viewed as an ndarray."""
    if _open(plan):
        if dtype is None:
            return None
        dtype, out_dtype = np.dtype(dtype), np.dtype(dtype)
    else:
        dtype, out_dtype = plan.value_dtype, plan.out_dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "fc" or out_dtype != dtype:
        return None
    axes = []
    for ax in plan.axes:
        if ax.halo or ax.dtype is not None:
            return None
        steps = _axis_steps(ax.runs, ax.axis, dtype)
        if steps is None:
            return None
        axes.append(tuple(steps))
    return Program(tuple(plan.shape), dtype, dtype, tuple(axes))


class SmallEngine:
    """Plain ndarrays whose plan compiles (uniform steps, no periodic dim, floating
    values differenced in the result dtype); chosen automatically for reused plans."""

    name = "small"
    serves = (
        "plain NumPy arrays of floating dtype with scalar steps (no coordinates), no "
        "periodic dims and no change of dtype"
    )

    def __init__(self) -> None:
        #: compiled programs (None: the plan does not compile), by plan object
        self._programs: Bounded[GradientPlan, Program | None] = Bounded(256)

    def prepare(self, plan: GradientPlan) -> None:
        """Compile ``plan``, which will be reused (the plan cache keeps it); a plan
        that leaves its dtype to the input (a tensor's) compiles on first use."""
        if not _open(plan):
            self._programs.put(plan, compile_plan(plan))

    def _program(self, plan: GradientPlan, dtype: np.dtype) -> Program | None:
        """``plan``'s program for values of ``dtype``, compiled and kept on first use
        (a kept program of another dtype, for a plan that leaves its dtype to the
        input, is replaced)."""
        program = self._programs.get(plan)
        if plan in self._programs and (program is None or not _open(plan) or program.value_dtype == dtype):  # fmt: skip
            return program
        program = compile_plan(plan, dtype)  # forced, or on a plan the cache does not keep
        self._programs.put(plan, program)
        return program

    def prepared(self, plan: GradientPlan, dtype: np.dtype | None = None) -> bool:
        """Whether ``plan`` is compiled (for values of ``dtype``): the automatic
        choice's test (for plain ndarrays; a tensor's plan compiles here, on first
        use, for its memory viewed as an ndarray)."""
        if dtype is not None and _open(plan):
            return self._program(plan, dtype) is not None
        return self._programs.get(plan) is not None

    def supports(self, plan: GradientPlan, x: Any) -> bool:
        if type(x) is not np.ndarray:
            return False
        return self._program(plan, x.dtype) is not None

    def run(
        self, plan: GradientPlan, x: np.ndarray, out: tuple[np.ndarray, ...] | None
    ) -> tuple[np.ndarray, ...]:
        program = self._program(plan, x.dtype)  # compiled again if evicted since chosen
        assert program is not None, "run a plan the engine supports"
        return program(x, out)


ENGINE = SmallEngine()
