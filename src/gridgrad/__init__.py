"""gridgrad: derivatives of sampled data by finite differences.

``gradient`` has torch.gradient's semantics, ``numpy_gradient`` is a drop-in for
numpy.gradient; both run on one validated plan and one engine (``use_engine`` forces one).
"""

from gridgrad._api import gradient, numpy_gradient
from gridgrad._calculus import (
    curl,
    derivative,
    divergence,
    fd_weights,
    hessian,
    jacobian,
    laplacian,
)
from gridgrad._engines import use_engine

__all__ = [
    "__version__",
    "curl",
    "derivative",
    "divergence",
    "fd_weights",
    "gradient",
    "hessian",
    "jacobian",
    "laplacian",
    "numpy_gradient",
    "use_engine",
]

__version__ = "0.1.0"
