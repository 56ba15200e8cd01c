"""The stencil options every entry point shares, defined once.

:class:`Options` is the bundle ``accuracy, edge_order, boundary, period`` as the public
functions, :mod:`gridgrad.xarray` and the command line take it (unchecked);
:func:`schemes` checks it and gives one :class:`~gridgrad._layout.AxisSpec` (the
per-axis scheme) per differentiated dim. A new boundary kind is added to
:data:`Boundary` and to :mod:`gridgrad._layout`, nowhere else.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple, get_args

import numpy as np

from gridgrad._errors import error
from gridgrad._layout import AxisSpec

__all__ = [
    "BOUNDARIES",
    "MAX_ACCURACY",
    "Boundary",
    "EdgeDefault",
    "Form",
    "Options",
    "check_edge_order",
    "schemes",
]

#: how the stencils treat the two ends of a differentiated dim
Boundary = Literal["one-sided", "periodic"]
BOUNDARIES: tuple[Boundary, ...] = get_args(Boundary)
#: ``edge_order`` None means: 1 at accuracy 2, else the accuracy ("torch", gradient's
#: rule); or always the accuracy ("accuracy", the rule of derivative and friends)
EdgeDefault = Literal["torch", "accuracy"]
#: the highest accuracy order: measured on x**2 and sin(3x), the error of accuracy p grows
#: like eps * sum |w| of the one-sided edge stencil (1e-7 at p = 30, 2e-4 at p = 40)
MAX_ACCURACY = 30
#: whose expressions compute an axis: gridgrad's difference form, or a drop-in's anchor's
Form = Literal["difference", "torch", "numpy"]


class Options(NamedTuple):
    """The stencil options, as given (checked by :func:`schemes`).

    ``boundary`` and ``period`` are one value for every dim or a sequence with one per
    dim. A tuple: cheap to build on every call and hashable when its values are.
    """

    accuracy: int = 2
    edge_order: int | None = None
    boundary: Boundary | Sequence[Boundary] = "one-sided"
    period: float | Sequence[float | None] | None = None


def check_edge_order(edge_order: Any, anchor: str | None = None) -> int:
    """Return ``edge_order`` as an int, or raise if it is not 1 or 2 (``anchor``: the
    drop-in's anchor, whose words the message also holds)."""
    if (
        isinstance(edge_order, (bool, np.bool_))
        or not isinstance(edge_order, numbers.Real)
        or edge_order not in (1, 2)
    ):
        msg = f"`edge_order` must be 1 or 2; got {edge_order!r}."
        raise error(ValueError, msg, anchor, "edge_order")
    return int(edge_order)  # type: ignore[call-overload]


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral)):
        msg = f"`{name}` must be a positive integer; got {value!r}."
        raise TypeError(msg)
    if value < 1:
        msg = f"`{name}` must be a positive integer; got {value!r}."
        raise ValueError(msg)
    return int(value)


def _per_dim(value: Any, n: int, name: str) -> list[Any]:
    """One value for every dim, or a list/tuple with one per dim."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            msg = f"`{name}` must be one value or one per differentiated dimension ({n}); got {value!r}."
            raise ValueError(msg)
        return list(value)
    return [value] * n


def _edge(
    accuracy: Any, edge_order: Any, default: EdgeDefault, anchor: str | None
) -> tuple[int, int]:
    """The checked ``(accuracy, edge order)``."""
    if isinstance(accuracy, (bool, np.bool_)) or not isinstance(accuracy, numbers.Integral):
        msg = f"`accuracy` must be an even integer >= 2; got {accuracy!r}."
        raise TypeError(msg)
    if accuracy < 2 or accuracy % 2:
        msg = f"`accuracy` must be an even integer >= 2; got {accuracy!r}."
        raise ValueError(msg)
    if int(accuracy) > MAX_ACCURACY:
        msg = (
            f"`accuracy` must be at most {MAX_ACCURACY}; got {accuracy!r}. Beyond it the "
            "one-sided stencils' float64 weights amplify rounding errors by more than 1e8 "
            "(sum |w| = 7.4e7 at accuracy 30), so higher orders give less accurate results."
        )
        raise ValueError(msg)
    p = int(accuracy)
    if edge_order is None:
        return p, 1 if (p == 2 and default == "torch") else p
    if p == 2:
        return p, check_edge_order(edge_order, anchor)
    if (
        isinstance(edge_order, (bool, np.bool_))
        or not isinstance(edge_order, numbers.Real)
        or edge_order not in range(1, p + 1)
    ):
        msg = f"`edge_order` must be an integer from 1 to accuracy={p}; got {edge_order!r}."
        raise ValueError(msg)
    return p, int(edge_order)  # type: ignore[call-overload]


def _period(t: Any) -> Any:
    if t is None:
        return None
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (numbers.Real, np.floating)):
        msg = f"`period` must be a positive real number; got {t!r}."
        raise TypeError(msg)
    if not (np.isfinite(float(t)) and float(t) > 0):
        msg = f"`period` must be a positive real number; got {t!r}."
        raise ValueError(msg)
    return t


def schemes(
    n: int,
    options: Options,
    order: Any = 1,
    default_edge: EdgeDefault = "torch",
    form: Form = "difference",
) -> list[AxisSpec]:
    """Check the options (and the derivative ``order``, one for all dims or one per
    dim) and give one :class:`AxisSpec` per differentiated dim. ``form``: whose
    expressions compute it (see :class:`~gridgrad._layout.AxisSpec`)."""
    anchor = None if form == "difference" else form
    p, e = _edge(options.accuracy, options.edge_order, default_edge, anchor)
    orders = [_positive_int(m, "order") for m in _per_dim(order, n, "order")]
    boundaries = _per_dim(options.boundary, n, "boundary")
    for b in boundaries:
        if b not in BOUNDARIES:
            choices = " or ".join(repr(c) for c in BOUNDARIES)
            msg = f"`boundary` must be {choices}; got {b!r}."
            raise ValueError(msg)
    periods = [_period(t) for t in _per_dim(options.period, n, "period")]
    for b, t in zip(boundaries, periods):
        if t is not None and b != "periodic":
            msg = (
                f"`period` applies to periodic dims only; got period={t!r} for a dim with "
                f"boundary={b!r} (give boundary='periodic', or one period per dim with None "
                "for the others)."
            )
            raise ValueError(msg)
    return [
        AxisSpec(m, p, e, b == "periodic", t, form) for m, b, t in zip(orders, boundaries, periods)
    ]
