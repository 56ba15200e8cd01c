"""
Autograd through the gradient: an edge-aware loss
=================================================

:func:`gridgrad.gradient` on torch tensors is built from torch operations, so a loss
written with it can be optimized by autograd. Here an image is denoised by gradient
descent on an *edge-aware* smoothness loss (the kind used for depth maps and optical
flow): the squared gradient of the estimate is penalised, but less where the noisy
image itself has strong edges, so edges survive while flat regions are smoothed.

.. math::

   L(u) = \\sum (u - g)^2 + \\lambda \\sum_k w_k\\,(\\partial_k u)^2, \\qquad
   w_k = \\exp(-|\\partial_k \\tilde g| / \\kappa)

with :math:`g` the noisy image and :math:`\\tilde g` a blurred copy of it.
"""

import matplotlib.pyplot as plt
import torch

import gridgrad

torch.manual_seed(0)
n = 96
yy, xx = torch.meshgrid(torch.linspace(-1, 1, n), torch.linspace(-1, 1, n), indexing="ij")
clean = ((xx**2 + yy**2) < 0.45).float() + 0.5 * (xx > 0.3).float() + 0.3 * yy
noisy = clean + 0.15 * torch.randn(n, n)

# %%
# The weights come from a blurred copy of the noisy image (a 5x5 box filter), so
# noise does not look like edges. They are constants: no autograd through them.
box = torch.ones(1, 1, 5, 5) / 25
guide = torch.nn.functional.conv2d(noisy[None, None], box, padding=2)[0, 0]
weights = [torch.exp(-g.abs() / 0.05) for g in gridgrad.gradient(guide, edge_order=2)]

# %%
# The loss uses ``gridgrad.gradient`` on the tensor being optimized; ``backward``
# goes through it.
u = noisy.clone().requires_grad_(True)
opt = torch.optim.Adam([u], lr=0.02)
history = []
for _ in range(150):
    opt.zero_grad()
    grads = gridgrad.gradient(u)
    smooth = sum((w * g**2).sum() for w, g in zip(weights, grads))
    loss = ((u - noisy) ** 2).sum() + 4.0 * smooth
    loss.backward()
    opt.step()
    history.append(loss.item())

denoised = u.detach()
rmse = lambda a: float(((a - clean) ** 2).mean().sqrt())  # noqa: E731
print(f"rms error: noisy {rmse(noisy):.3f}, denoised {rmse(denoised):.3f}")

# %%
# Autograd through gridgrad gives torch.gradient's own gradients:
t = torch.randn(6, 5, requires_grad=True)
(sum(g.pow(2).sum() for g in gridgrad.gradient(t, edge_order=2))).backward()
ours = t.grad.clone()
t.grad = None
(sum(g.pow(2).sum() for g in torch.gradient(t, edge_order=2))).backward()
print("same gradients as torch.gradient:", torch.allclose(ours, t.grad))

# %%
fig, axes = plt.subplots(1, 4, figsize=(13, 3.6), layout="constrained")
panels = [
    (clean, "clean"),
    (noisy, "noisy"),
    (denoised, "edge-aware smoothing"),
    (weights[0] * weights[1], "weights $w_0 w_1$"),
]
for ax, (img, title) in zip(axes, panels):
    ax.imshow(img, cmap="gray" if "weights" not in title else "viridis")
    ax.set_title(title)
    ax.set_axis_off()
plt.show()

# %%
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
ax.semilogy(history)
ax.set_xlabel("Adam step")
ax.set_ylabel("loss")
plt.show()
