"""The ``--smooth`` option of the command line: ``METHOD[:KEY=VALUE,...]`` -> keyword
arguments of :func:`gridgrad.smooth.derivative` (checked there; here only the syntax)."""

from __future__ import annotations

from typing import Any

__all__ = ["parse_spec"]

_KEYS = {"window": int, "degree": int, "cutoff": float}


def parse_spec(text: str, name: str = "--smooth") -> dict[str, Any]:
    """``"savgol:window=11,degree=3"`` -> ``{"method": "savgol", "window": 11, "degree": 3}``.

    >>> parse_spec("auto")
    {'method': 'auto'}
    >>> parse_spec("savgol:window=11,degree=3")
    {'method': 'savgol', 'window': 11, 'degree': 3}
    >>> parse_spec("auto:cutoff=2.5")
    {'method': 'auto', 'cutoff': 2.5}
    """
    from gridgrad.smooth import METHODS

    method, _, rest = text.strip().partition(":")
    if method not in METHODS:
        msg = f"`{name}` must start with one of {', '.join(METHODS)}; got {text!r}."
        raise ValueError(msg)
    out: dict[str, Any] = {"method": method}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in _KEYS:
            msg = f"`{name}` options must be KEY=VALUE with KEY one of {', '.join(_KEYS)}; got {item!r}."
            raise ValueError(msg)
        if key in out:
            msg = f"`{name}` repeats {key!r}; got {text!r}."
            raise ValueError(msg)
        try:
            out[key] = _KEYS[key](value.strip())
        except ValueError:
            kind = "an integer" if _KEYS[key] is int else "a number"
            msg = f"`{name}` option {key!r} must be {kind}; got {value.strip()!r}."
            raise ValueError(msg) from None
    return out
