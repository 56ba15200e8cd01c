"""gridgrad: derivatives of sampled data by finite differences.

``gradient`` has torch.gradient's semantics, ``numpy_gradient`` is a drop-in for
numpy.gradient; both run on one validated plan and one engine.
"""

from gridgrad._api import gradient, numpy_gradient

__all__ = ["__version__", "gradient", "numpy_gradient"]

__version__ = "0.1.0"
