"""The reference table of differential cases, shared by the tests (and later benchmarks).

Each case names an input shape, the dims to differentiate, a spacing form and an
edge order; ``spacing_for`` materialises the spacing for a given case.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

# (shape, dims) pairs: 1-D to 4-D, sizes down to edge_order + 1, size-1 dims that
# are not differentiated; dims as None, int, negative int, lists.
SHAPES_DIMS = [
    ((7,), None),
    ((2,), None),
    ((3,), 0),
    ((6,), -1),
    ((5, 4), None),
    ((5, 4), 1),
    ((5, 4), -2),
    ((5, 4), [1, 0]),
    ((1, 6), 1),
    ((3, 1, 4), [0, 2]),
    ((3, 1, 4), -1),
    ((4, 3, 5), None),
    ((4, 3, 5), [2, -3]),
    ((2, 3, 4, 3), None),
    ((3, 4, 1, 2), [3, 0, 1]),
    ((3, 5, 3, 3), [-1, 1]),
]

SPACING_FORMS = [
    "none",  # spacing omitted
    "scalar",  # one scalar for all dims
    "scalars",  # one scalar per dim
    "coords",  # non-uniform coordinates per dim
    "even-coords",  # evenly spaced coordinates per dim
    "mixed",  # alternating scalars and coordinates
]


@dataclass(frozen=True)
class Case:
    shape: tuple[int, ...]
    dim: object
    spacing: str
    edge_order: int

    @property
    def dims(self) -> tuple[int, ...]:
        nd = len(self.shape)
        if self.dim is None:
            return tuple(range(nd))
        ds = self.dim if isinstance(self.dim, list) else [self.dim]
        return tuple(d % nd for d in ds)

    def id(self) -> str:
        return f"{self.shape}-dim{self.dim}-{self.spacing}-eo{self.edge_order}".replace(" ", "")


def cases() -> list[Case]:
    out = []
    for (shape, dim), form, eo in itertools.product(SHAPES_DIMS, SPACING_FORMS, (1, 2)):
        case = Case(shape, dim, form, eo)
        if all(shape[d] >= eo + 1 for d in case.dims):
            out.append(case)
    return out


def coordinates(n: int, rng: np.random.Generator, even: bool = False) -> np.ndarray:
    """Sorted coordinates with steps in [0.5, 1.5], or evenly spaced by 0.75, offset."""
    if even:
        return 0.25 + 0.75 * np.arange(n)
    return np.cumsum(rng.uniform(0.5, 1.5, n)) - 1.0


def spacing_entries(case: Case, rng: np.random.Generator) -> list[object]:
    """Per-dim spacing entries (floats or 1-D float64 arrays) for the case."""
    entries: list[object] = []
    for k, d in enumerate(case.dims):
        n = case.shape[d]
        if case.spacing == "none":
            entries.append(1.0)
        elif case.spacing in ("scalar", "scalars"):
            entries.append(0.7 if case.spacing == "scalar" else 0.5 + 0.3 * k)
        elif case.spacing == "coords":
            entries.append(coordinates(n, rng))
        elif case.spacing == "even-coords":
            entries.append(coordinates(n, rng, even=True))
        else:  # mixed
            entries.append(coordinates(n, rng) if k % 2 == 0 else 1.3)
    return entries


def values(shape: tuple[int, ...], dtype: str, rng: np.random.Generator) -> np.ndarray:
    if dtype.startswith("int"):
        return rng.integers(-50, 50, size=shape).astype(dtype)
    if dtype.startswith("uint"):
        return rng.integers(0, 250, size=shape).astype(dtype)
    if dtype.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)
