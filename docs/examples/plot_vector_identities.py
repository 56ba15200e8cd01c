"""
Vector-calculus identities
==========================

:math:`\\nabla \\times \\nabla \\phi = 0`, :math:`\\nabla \\cdot (\\nabla \\times
\\mathbf{F}) = 0` and :math:`\\nabla \\cdot \\nabla \\phi = \\nabla^2 \\phi` hold for
the discrete operators too. The first two hold to round-off: each difference operator
acts along one dim, so operators along different dims commute, with periodic dims and
with one-sided edges alike. The third holds to truncation error: ``div grad`` applies
the first-derivative stencil twice, a wider stencil than the Laplacian's. This
example checks them on 3-D fields with :func:`gridgrad.gradient`, :func:`gridgrad.curl`,
:func:`gridgrad.divergence` and :func:`gridgrad.laplacian`.
"""

import matplotlib.pyplot as plt
import numpy as np

import gridgrad

n = 32
x = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
h = x[1] - x[0]
X, Y, Z = np.meshgrid(x, x, x, indexing="ij")
phi = np.sin(X) * np.cos(2 * Y) * np.sin(Z) + np.cos(X + Z)
F = (np.sin(Y) * np.cos(Z), np.sin(Z) * np.cos(X) ** 2, np.cos(X) * np.sin(Y))

# %%
# Periodic in every dim: the identities hold everywhere, to round-off.
kw = {"spacing": h, "accuracy": 4, "boundary": "periodic"}
grad_phi = gridgrad.gradient(phi, **kw)
curl_grad = gridgrad.curl(grad_phi, **kw)
div_curl = gridgrad.divergence(gridgrad.curl(F, **kw), **kw)
print(f"max |curl grad phi| = {max(np.abs(c).max() for c in curl_grad):.1e}")
print(f"max |div curl F|    = {np.abs(div_curl).max():.1e}")

# %%
# ``div grad`` is a Laplacian too, but a wider one (it applies the first-derivative
# stencil twice); both converge to the exact :math:`\\nabla^2 \\phi`.
lap = gridgrad.laplacian(phi, **kw)
div_grad = gridgrad.divergence(grad_phi, **kw)
exact = -6 * np.sin(X) * np.cos(2 * Y) * np.sin(Z) - 2 * np.cos(X + Z)
print(
    f"laplacian error {np.abs(lap - exact).max():.1e}, "
    f"div grad error {np.abs(div_grad - exact).max():.1e}"
)

# %%
# With one-sided edges (not periodic) the operators along different dims still
# commute: the residual is round-off in the interior and at the edges.
kw_edges = {"spacing": h, "accuracy": 4}
div_curl_edges = gridgrad.divergence(gridgrad.curl(F, **kw_edges), **kw_edges)
inner = np.abs(div_curl_edges[3:-3, 3:-3, 3:-3]).max()
print(f"one-sided edges: interior {inner:.1e}, whole array {np.abs(div_curl_edges).max():.1e}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
k = n // 3
im = axes[0].imshow((div_grad - exact)[:, :, k], cmap="RdBu_r", origin="lower")
axes[0].set_title(r"$\nabla\cdot\nabla\phi - \nabla^2\phi$ (truncation error)")
fig.colorbar(im, ax=axes[0], shrink=0.8)
im = axes[1].imshow(
    np.abs(div_curl[:, :, k]) + 1e-18,
    cmap="magma",
    origin="lower",
    norm="log",
    vmin=1e-17,
    vmax=1e-13,
)
axes[1].set_title(r"$|\nabla\cdot\nabla\times F|$, periodic")
fig.colorbar(im, ax=axes[1], shrink=0.8)
im = axes[2].imshow(
    np.abs(div_curl_edges[:, :, k]) + 1e-18,
    cmap="magma",
    origin="lower",
    norm="log",
    vmin=1e-17,
    vmax=1e-13,
)
axes[2].set_title(r"$|\nabla\cdot\nabla\times F|$, one-sided edges")
fig.colorbar(im, ax=axes[2], shrink=0.8)
for ax in axes:
    ax.set_xlabel("y index")
    ax.set_ylabel("x index")
plt.show()
