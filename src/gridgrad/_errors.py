"""gridgrad's exceptions, with the words of the anchors' own messages.

Where a drop-in (``gradient``, ``numpy_gradient``) rejects a call that its anchor
(torch.gradient, numpy.gradient) rejects too, the message holds gridgrad's sentence
(the argument, the rule, what it got) followed by the anchor's own words, and the
exception is an instance of the anchor's type as well as of gridgrad's: code written
against the anchor keeps catching and matching it. gridgrad's own functions
(``derivative``, ``laplacian``, ...) have no anchor and raise plain errors.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GradientTypeError", "GradientValueError", "error"]


class GradientValueError(ValueError, RuntimeError):
    """A bad value that torch.gradient rejects with a ``RuntimeError``: catchable as
    either, and its message holds gridgrad's sentence and then torch's own words.

    Examples
    --------
    >>> import numpy as np
    >>> import gridgrad
    >>> try:
    ...     gridgrad.gradient(np.arange(4.0), edge_order=3)
    ... except RuntimeError as exc:  # as code written for torch.gradient catches it
    ...     print(type(exc).__name__, isinstance(exc, ValueError))
    GradientValueError True
    """


class GradientTypeError(TypeError, RuntimeError):
    """A bad type that torch.gradient rejects with a ``RuntimeError``: catchable as
    either, and its message holds gridgrad's sentence and then torch's own words.

    Examples
    --------
    >>> import gridgrad
    >>> issubclass(gridgrad.GradientTypeError, (TypeError, RuntimeError))
    True
    """


# public as gridgrad.GradientValueError / gridgrad.GradientTypeError (tracebacks say so)
GradientValueError.__module__ = GradientTypeError.__module__ = "gridgrad"

#: (anchor, rule) -> (the anchor's exception type, its words; ``{}`` fields filled in)
_WORDS: dict[tuple[str, str], tuple[type[Exception], str]] = {
    ("torch", "edge_order"): (
        RuntimeError,
        "torch.gradient only supports edge_order=1 and edge_order=2.",
    ),
    ("numpy", "edge_order"): (ValueError, "'edge_order' greater than 2 not supported"),
    ("torch", "size"): (
        RuntimeError,
        "torch.gradient expected each dimension size to be at least edge_order+1",
    ),
    ("numpy", "size"): (
        ValueError,
        "Shape of array too small to calculate a numerical gradient, at least "
        "(edge_order + 1) elements are required.",
    ),
    ("torch", "dim_range"): (
        IndexError,
        "Dimension out of range (expected to be in range of [-{ndim}, {hi}], but got {dim})",
    ),
    ("numpy", "dim_range"): (
        IndexError,
        "axis {dim} is out of bounds for array of dimension {ndim}",
    ),
    ("torch", "repeat"): (RuntimeError, "dim {dim} appears multiple times in the list of dims"),
    ("numpy", "repeat"): (ValueError, "repeated axis"),
    ("torch", "spacing_dims"): (
        RuntimeError,
        "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
        "arguments to have the same length, but got a spacing argument of length {got} and "
        "a dim argument of length {want}.",
    ),
    ("torch", "spacing_ndim"): (
        RuntimeError,
        "torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
        "equal to 'self.dim() = {want}', since dim argument was not given, but got a list "
        "of length {got}",
    ),
    ("numpy", "nargs"): (TypeError, "invalid number of arguments"),
    ("torch", "coords_ndim"): (
        RuntimeError,
        "torch.gradient expected each element of spacing to have one dimension, but got an "
        "element with {ndim} dimensions!",
    ),
    ("numpy", "coords_ndim"): (ValueError, "distances must be either scalars or 1d"),
    ("numpy", "coords_length"): (
        ValueError,
        "when 1d, distances must match the length of the corresponding dimension",
    ),
    ("torch", "device"): (
        RuntimeError,
        "torch.gradient expected each tensor to be on the same device, but got devices "
        "{a} and {b}!",
    ),
}


def error(
    cls: type[Exception], msg: str, anchor: str | None, rule: str, **fields: Any
) -> Exception:
    """The exception to raise: ``cls(msg)``, with the anchor's words appended and a
    class that is also the anchor's type where the anchor has a rule of that name."""
    entry = _WORDS.get((anchor or "", rule))
    if entry is None:
        return cls(msg)
    kind, words = entry
    if not issubclass(cls, kind):
        cls = GradientTypeError if issubclass(cls, TypeError) else GradientValueError
    return cls(f"{msg} [{anchor}: {words.format(**fields)}]")
