"""gridgrad: derivatives of sampled data by finite differences.

``gradient`` has torch.gradient's semantics, ``numpy_gradient`` is a drop-in for
numpy.gradient; both run on one validated plan and one engine (``use_engine`` forces one).
Submodules: ``gridgrad.xarray`` (coordinate-aware, and the ``.gridgrad`` accessor),
``gridgrad.sphere`` (latitude-longitude grids), ``gridgrad.curvilinear`` (2-D coordinate
arrays), ``gridgrad.smooth`` (noisy data).
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
from gridgrad._errors import GradientTypeError, GradientValueError

__all__ = [
    "GradientTypeError",
    "GradientValueError",
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

#: submodules loaded on first access (``gridgrad.smooth``, ...): ``import gridgrad`` stays
#: cheap, and ``gridgrad.xarray`` imports xarray only when used
_SUBMODULES = frozenset({"curvilinear", "smooth", "sphere", "xarray", "xarray_sphere"})


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"gridgrad.{name}")
    msg = f"module 'gridgrad' has no attribute {name!r}"
    raise AttributeError(msg)
