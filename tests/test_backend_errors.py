"""The same clear errors on every array library, raised before any work."""

from __future__ import annotations

import numpy as np
import pytest

import gridgrad

F2 = np.arange(12.0).reshape(3, 4)

# (id, keyword arguments given the backend, exception, message pattern)
BAD = [
    (
        "edge-order-3",
        lambda b: {"edge_order": 3},
        ValueError,
        r"`edge_order` must be 1 or 2; got 3",
    ),
    (
        "edge-order-0",
        lambda b: {"edge_order": 0},
        ValueError,
        r"`edge_order` must be 1 or 2; got 0",
    ),
    (
        "too-few",
        lambda b: {"dim": 0, "edge_order": 2, "spacing": None, "_f": np.ones((2, 4))},
        ValueError,
        r"at least edge_order \+ 1 = 3 samples; `dim` 0",
    ),
    ("repeated-dims", lambda b: {"dim": [1, -1]}, ValueError, r"`dim` must not repeat a dimension"),
    ("dim-range", lambda b: {"dim": 2}, IndexError, r"`dim` 2 is out of range"),
    ("dim-type", lambda b: {"dim": 1.0}, TypeError, r"`dim` must be an int"),
    ("spacing-length", lambda b: {"spacing": [1.0]}, ValueError, r"one entry per differentiated"),
    (
        "bare-array",
        lambda b: {"spacing": b.asarray(np.arange(4.0)), "dim": 1},
        TypeError,
        r"spacing=\(x,\)",
    ),
    (
        "coords-2d",
        lambda b: {"spacing": [b.asarray(np.ones((3, 1))), 1.0]},
        ValueError,
        r"`spacing\[0\]` must be a scalar or 1-D coordinates; got an array of shape \(3, 1\)",
    ),
    (
        "coords-length",
        lambda b: {"spacing": [1.0, b.asarray(np.arange(3.0))]},
        ValueError,
        r"`spacing\[1\]` has 3 coordinates but dimension 1 of the input has 4 samples",
    ),
    (
        "coords-nan",
        lambda b: {"spacing": [1.0, b.asarray(np.array([0.0, 1.0, np.nan, 3.0]))]},
        ValueError,
        r"coordinates must be finite",
    ),
    (
        "coords-repeat",
        lambda b: {"spacing": [1.0, b.asarray(np.array([0.0, 2.0, 1.0, 2.0]))]},
        ValueError,
        r"coordinates must be distinct",
    ),
    (
        "coords-bool",
        lambda b: {"spacing": [1.0, b.asarray(np.array([True, False, True, False]))]},
        TypeError,
        r"must hold real or complex numbers|coordinates must be numbers",
    ),
    ("zero-step", lambda b: {"spacing": 0.0}, ValueError, r"finite, nonzero step"),
    ("bool-step", lambda b: {"spacing": True}, TypeError, r"must be a real or complex number"),
    (
        "bool-input",
        lambda b: {"_f": np.array([[True, False, True]] * 3)},
        TypeError,
        r"`input` must hold real or complex numbers",
    ),
    ("dim-and-axis", lambda b: {"dim": 0, "axis": 1}, TypeError, r"not both"),
]


@pytest.mark.parametrize(("kw", "exc", "pattern"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_errors_on_every_backend(backend, kw, exc, pattern) -> None:
    kwargs = kw(backend)
    f = kwargs.pop("_f", F2)
    with pytest.raises(exc, match=pattern):
        gridgrad.gradient(backend.asarray(f), **kwargs)
