"""
Convergence by accuracy order
=============================

The error of a finite-difference derivative of a smooth function shrinks like
:math:`h^p` for accuracy :math:`p`. This example measures it: the maximum error over
*all* points, edges included, of the first derivative of
:math:`f(x) = \\sin(3x) e^{-x/2}` on :math:`[0, 2]`, for accuracy 2 to 8, on uniform
grids and on smooth non-uniform ones, and fits the slope of each line on a log-log
plot.
"""

import matplotlib.pyplot as plt
import numpy as np

import gridgrad


def f(x):
    return np.sin(3 * x) * np.exp(-x / 2)


def df(x):
    return (3 * np.cos(3 * x) - 0.5 * np.sin(3 * x)) * np.exp(-x / 2)


sizes = np.array([16, 23, 32, 45, 64, 91, 128, 181, 256])
accuracies = (2, 4, 6, 8)

# %%
# Uniform grids take the step; non-uniform ones take the coordinates. The edges use
# one-sided stencils of the same order (:func:`gridgrad.derivative`'s default), so
# the whole array converges at the interior's rate.
errors = {}
for grid in ("uniform", "non-uniform"):
    for p in accuracies:
        errs = []
        for n in sizes:
            s = np.linspace(0.0, 1.0, n)
            x = 2.0 * s if grid == "uniform" else 2.0 * (s + 0.15 * np.sin(np.pi * s))
            spacing = x[1] - x[0] if grid == "uniform" else (x,)
            d = gridgrad.derivative(f(x), 0, accuracy=p, spacing=spacing)
            errs.append(np.abs(d - df(x)).max())
        errors[grid, p] = np.array(errs)

# %%
# The slopes, fitted on the part of each line above round-off:
h = 2.0 / (sizes - 1)
for (grid, p), e in errors.items():
    keep = e > 1e-11
    slope = np.polyfit(np.log(h[keep]), np.log(e[keep]), 1)[0]
    print(f"{grid:>11}, accuracy {p}: slope {slope:4.2f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True, layout="constrained")
for ax, grid in zip(axes, ("uniform", "non-uniform")):
    for k, p in enumerate(accuracies):
        e = errors[grid, p]
        ax.loglog(h, e, "o-", color=f"C{k}", label=f"accuracy {p}")
        ref = e[0] * (h / h[0]) ** p  # the expected slope, from the first point
        ax.loglog(h, ref, ":", color=f"C{k}", lw=1)
    ax.set_xlabel("step $h$ (mean step on the non-uniform grid)")
    ax.set_title(f"{grid} grid: max error, edges included")
    ax.grid(True, which="major", alpha=0.3)
axes[0].set_ylabel(r"$\max_i |D f_i - f'(x_i)|$")
axes[0].legend(title="dotted: slope $p$")
axes[0].set_ylim(1e-14, 10)
plt.show()
