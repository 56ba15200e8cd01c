"""``gridgrad.gradient`` on torch tensors inside ``torch.compile`` (imports torch).

Dynamo traces Python bytecode and turns NumPy calls into tensor operations; the
checks and the plan (NumPy on a few numbers) are not for it to trace. The public
function hands a torch call under compilation to :func:`gradient`, which Dynamo
treats as one opaque call (``torch._dynamo.nonstrict_trace``): AOTAutograd runs
it as plain Python on fake tensors, so the plan is built as in eager mode and the
graph gets what the engine calls, the ``gridgrad::stencil`` operator on the kernel
path (no graph break), torch's own operations on the reference engine.

Such a call takes tensors and plain values only: the arguments other than tensors
travel as one string (their ``repr``, read back with :func:`ast.literal_eval`), on
which Dynamo guards like on any constant. Arguments whose ``repr`` does not read
back (NumPy scalars or arrays as spacing) are traced by Dynamo as usual instead.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

import torch

__all__ = ["call", "gradient", "inside"]

_SLOT = "__gridgrad_tensor__"


def _split(spacing: Any) -> tuple[Any, list[torch.Tensor]]:
    """``spacing`` with its tensors replaced by slots, and the tensors."""
    tensors: list[torch.Tensor] = []

    def take(s: Any) -> Any:
        if isinstance(s, torch.Tensor):
            tensors.append(s)
            return (_SLOT, len(tensors) - 1)
        return s

    if isinstance(spacing, (list, tuple)):
        return type(spacing)(take(s) for s in spacing), tensors
    return take(spacing), tensors


def _join(spacing: Any, tensors: list[torch.Tensor]) -> Any:
    def put(s: Any) -> Any:
        if isinstance(s, tuple) and len(s) == 2 and s[0] == _SLOT:
            return tensors[s[1]]
        return s

    if isinstance(spacing, (list, tuple)):
        return type(spacing)(put(s) for s in spacing)
    return put(spacing)


def _plain(value: Any) -> bool:
    """Whether ``repr(value)`` reads back as ``value`` (Python literals only)."""
    if value is None or type(value) in (bool, int, float, complex, str):
        return True
    if type(value) in (list, tuple):
        return all(_plain(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False


def gradient(input: Any, spacing: Any, dim: Any, options: tuple[Any, ...]) -> tuple[Any, ...]:
    """``gridgrad.gradient`` as :func:`gridgrad._api.gradient` runs it (``options``:
    the stencil options as a tuple), one opaque call for Dynamo."""
    template, tensors = _split(spacing)
    static = (template, dim, options)
    if not _plain(static):
        return _run(input, spacing, dim, options)
    return tuple(_traced(input, tensors, repr(static)))


def _run(input: Any, spacing: Any, dim: Any, options: tuple[Any, ...]) -> tuple[Any, ...]:
    from gridgrad._api import _build, run
    from gridgrad._request import gradient_request

    return tuple(run(*_build(gradient_request, input, dim, spacing, options, 1, None)))


@torch._dynamo.nonstrict_trace
def _traced(input: torch.Tensor, tensors: list[torch.Tensor], static: str) -> list[Any]:
    template, dim, options = ast.literal_eval(static)
    return list(_run(input, _join(template, tensors), dim, options))


# --------------------------------------------------------------------------- calculus

_INSIDE = threading.local()


def inside() -> bool:
    """Whether this thread runs a call :func:`call` handed over (the public function
    then runs as in eager mode, without handing it over again)."""
    return bool(getattr(_INSIDE, "active", False))


def call(fn: Any, first: Any, kwargs: dict[str, Any], shape: Any) -> Any:
    """``fn(first, **kwargs)`` (a vector-calculus function: ``first`` a tensor or a
    list of tensors) as one opaque call for Dynamo; ``shape`` says how the results
    come back: None (one tensor), ``k`` (a tuple of ``k``) or ``(n, m)`` (a tuple of
    ``n`` tuples of ``m``). None where an argument cannot travel as a literal."""
    many = isinstance(first, (list, tuple))
    firsts = list(first) if many else [first]
    if not all(isinstance(t, torch.Tensor) for t in firsts):
        return None
    template, tensors = _split(kwargs.get("spacing"))
    rest = {k: v for k, v in kwargs.items() if k != "spacing"}
    static = (fn.__name__, many, len(firsts), template, rest)
    if not _plain(static):
        return None
    flat = _traced_call([*firsts, *tensors], repr(static))
    if shape is None:
        return flat[0]
    if isinstance(shape, int):
        return tuple(flat)
    n, m = shape
    return tuple(tuple(flat[i * m : (i + 1) * m]) for i in range(n))


@torch._dynamo.nonstrict_trace
def _traced_call(tensors: list[torch.Tensor], static: str) -> list[Any]:
    import gridgrad

    name, many, count, template, rest = ast.literal_eval(static)
    firsts, coords = tensors[:count], tensors[count:]
    first = firsts if many else firsts[0]
    _INSIDE.active = True
    try:
        result = getattr(gridgrad, name)(first, spacing=_join(template, coords), **rest)
    finally:
        _INSIDE.active = False
    if isinstance(result, torch.Tensor):
        return [result]
    flat: list[Any] = []
    for r in result:
        flat.extend(r if isinstance(r, (list, tuple)) else [r])
    return flat
