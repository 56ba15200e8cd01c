"""
The torch.gradient tutorial, with coordinates
=============================================

The examples of the tutorial "How to estimate the gradient of a function in one or
more dimensions in PyTorch", run with :func:`gridgrad.gradient`. They estimate the
gradient with respect to the sample *index*: ``spacing`` is not given, so every step
counts as 1. Giving the points as coordinates gives the derivative with respect to
:math:`x` instead.
"""

import matplotlib.pyplot as plt
import torch

import gridgrad

# %%
# Example 1: :math:`f(x) = x^3` at the points -1, -2, 3, 4
# ---------------------------------------------------------
x = torch.tensor([-1.0, -2.0, 3.0, 4.0])
print("Points\n", x)


def f(x):
    return x**3


values = f(x)
print("Function Value:\n", values)
grad = gridgrad.gradient(values)
print("Estimated Gradients:\n", grad)
assert torch.equal(grad[0], torch.gradient(values)[0])

# %%
# Example 2: :math:`f(x) = x^2 + 3` on a 2-D tensor
# --------------------------------------------------
# The tutorial's function values (its points were random), all dims, then one dim
# at a time.
values = torch.tensor([[5.8914, 5.2864], [3.3569, 4.4682]])
print("Function Value:\n", values)
grad = gridgrad.gradient(values)
print("Estimated Gradients:\n", grad)
grad_dim0 = gridgrad.gradient(values, dim=0)
print("Estimated Gradients in dim 0:\n", grad_dim0)
grad_dim1 = gridgrad.gradient(values, dim=1)
print("Estimated Gradients in dim 1:\n", grad_dim1)
assert torch.equal(grad_dim1[0], torch.gradient(values, dim=1)[0])

# %%
# With respect to :math:`x`, not the index
# ----------------------------------------
# ``[-7, 14, 36, 37]`` are differences between neighbouring samples, not
# :math:`3x^2 = [3, 12, 27, 48]`. With the points as coordinates (in any order, but
# distinct) the estimate is of :math:`df/dx`; it is second order inside, and exact at
# the edges for a cubic only with wider stencils (``accuracy=4``, via
# :func:`gridgrad.derivative`).
xs = torch.tensor([-1.0, -2.0, 3.0, 4.0])
(by_x,) = gridgrad.gradient(f(xs), spacing=(xs,), edge_order=2)
print("d/dx with coordinates:", by_x)
xs_sorted, _ = torch.sort(torch.tensor([-2.0, -1.0, 0.5, 1.5, 3.0, 4.0]))
by_x4 = gridgrad.derivative(f(xs_sorted), 0, spacing=(xs_sorted,), accuracy=4)
print("accuracy 4 on six points:", by_x4, "exact:", 3 * xs_sorted**2)

fine = torch.linspace(-2.2, 4.2, 200)
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(fine, 3 * fine**2, "k-", lw=1, label="exact $3x^2$")
ax.plot(xs, gridgrad.gradient(f(xs))[0], "x", ms=9, mew=2, label="no spacing (per index)")
ax.plot(xs, by_x, "o", label="spacing=(x,), edge_order=2")
ax.plot(xs_sorted, by_x4, "s", ms=5, label="derivative(..., accuracy=4)")
ax.set_xlabel("$x$")
ax.legend()
ax.set_title("$f(x) = x^3$ sampled at a few points")
plt.show()
