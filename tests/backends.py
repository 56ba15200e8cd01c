"""The array libraries the semantic tests run on (listed in conftest.BACKENDS), behind one interface."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from conftest import require


@dataclass(frozen=True)
class Backend:
    name: str
    asarray: Callable[[np.ndarray], Any]
    to_numpy: Callable[[Any], np.ndarray]
    #: dtype integer input becomes
    default_float: np.dtype
    #: whether coordinate arrays take part in the result's type promotion
    #: (torch, JAX, Array API); NumPy and Dask keep the input's dtype (numpy.gradient)
    promotes_coordinates: bool
    #: whether the arithmetic is numpy's/torch's, op for op (JAX's XLA may fuse)
    bitwise: bool
    dtypes: tuple[str, ...] = (
        "float16",
        "float32",
        "float64",
        "complex64",
        "complex128",
        "int64",
        "uint8",
    )

    def is_native(self, a: Any) -> bool:
        return type(a) is type(self.asarray(np.zeros(1)))


def make(name: str) -> Backend:
    if name == "numpy":
        return Backend(name, np.asarray, np.asarray, np.dtype("float64"), False, True)
    if name == "torch":
        torch = require("torch")

        def t_asarray(a):
            return torch.from_numpy(np.ascontiguousarray(a))

        return Backend(
            name,
            t_asarray,
            lambda t: t.detach().cpu().numpy(),
            np.dtype(str(torch.get_default_dtype()).split(".")[1]),
            True,
            True,
        )
    if name == "jax":
        jax = require("jax")
        jax.config.update("jax_enable_x64", True)
        jnp = jax.numpy
        return Backend(name, jnp.asarray, np.asarray, np.dtype("float64"), True, False)
    if name == "dask":
        da = require("dask.array")
        return Backend(
            name,
            lambda a: da.from_array(a, chunks=3),
            lambda d: np.asarray(d.compute()),
            np.dtype("float64"),
            False,
            True,
        )
    if name == "array_api_strict":
        xs = require("array_api_strict")
        return Backend(
            name,
            xs.asarray,
            np.from_dlpack,
            np.dtype("float64"),
            True,
            True,
            dtypes=("float32", "float64", "complex64", "complex128", "int64", "uint8"),
        )
    raise ValueError(name)
