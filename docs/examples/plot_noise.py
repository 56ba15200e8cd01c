"""
Noisy and clean signals
=======================

Differencing amplifies noise. A central difference of samples carrying independent
noise of standard deviation :math:`\\sigma` has noise of standard deviation
:math:`\\sigma / (\\sqrt{2} h)`: halving the step doubles it, and wider stencils of
higher accuracy, whose weights grow, amplify it further. Truncation error shrinks
with :math:`h` while noise grows like :math:`1/h`, so on noisy data there is a best
step, and it is not the smallest.

When the noise is larger than that, fitting before differentiating beats any step:
:mod:`gridgrad.smooth` (last part of this example, and :doc:`/guide/noisy`).
"""

import matplotlib.pyplot as plt
import numpy as np

import gridgrad

rng = np.random.default_rng(0)
x = np.linspace(0.0, 2.0 * np.pi, 400)
h = x[1] - x[0]
clean = np.sin(x)
sigma = 1e-3
noisy = clean + sigma * rng.standard_normal(x.size)

(d_clean,) = gridgrad.gradient(clean, spacing=h)
(d_noisy,) = gridgrad.gradient(noisy, spacing=h)
print(f"noise in the samples:    {sigma:.1e}")
print(
    f"noise in the derivative: {np.std(d_noisy - d_clean):.1e}"
    f" (predicted sigma / (sqrt(2) h) = {sigma / (np.sqrt(2) * h):.1e})"
)

# %%
# The gain of each accuracy order is the norm of its weights divided by :math:`h`,
# from :func:`gridgrad.fd_weights`:
for p in (2, 4, 6, 8):
    w = gridgrad.fd_weights(np.arange(-p // 2, p // 2 + 1))
    print(f"accuracy {p}: noise gain {np.linalg.norm(w):.3f} / h")

# %%
# The error against the step: a :math:`h^2` branch where the truncation error
# dominates and a :math:`1/h` branch where noise does. Subsampling the same noisy
# signal gives the larger steps.
steps, err_clean, err_noisy = [], [], []
fine = np.linspace(0.0, 2.0 * np.pi, 20001)
noisy_fine = np.sin(fine) + sigma * rng.standard_normal(fine.size)
for k in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024):
    xs = fine[::k]
    step = xs[1] - xs[0]
    (dc,) = gridgrad.gradient(np.sin(xs), spacing=step, edge_order=2)
    (dn,) = gridgrad.gradient(noisy_fine[::k], spacing=step, edge_order=2)
    steps.append(step)
    err_clean.append(np.sqrt(np.mean((dc - np.cos(xs)) ** 2)))
    err_noisy.append(np.sqrt(np.mean((dn - np.cos(xs)) ** 2)))
best = steps[int(np.argmin(err_noisy))]
print(f"best step on the noisy signal: {best:.3f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
axes[0].plot(x, d_noisy, color="C1", lw=0.8, label=r"noisy samples ($\sigma = 10^{-3}$)")
axes[0].plot(x, d_clean, color="C0", lw=2, label="clean samples")
axes[0].set_xlabel("$x$")
axes[0].set_title(f"derivative of sin(x), step {h:.3f}")
axes[0].legend(loc="lower left")
axes[1].loglog(steps, err_clean, "o-", label="clean")
axes[1].loglog(steps, err_noisy, "s-", label="noisy")
axes[1].axvline(best, color="gray", ls=":", lw=1)
axes[1].set_xlabel("step $h$")
axes[1].set_ylabel("rms error of the derivative")
axes[1].set_title("truncation ~ $h^2$, noise ~ $1/h$")
axes[1].legend()
plt.show()

# %%
# Smoothing before differentiating
# --------------------------------
#
# With 5 % noise, differences are useless at any step. :func:`gridgrad.smooth.derivative`
# fits the samples first: a Savitzky–Golay filter (local least-squares polynomials, here
# a fixed window), the same with window and degree chosen from the data, or the spline
# where its estimated error is smaller (``method="auto"``), and the cubic smoothing spline whose smoothing is chosen by
# generalized cross-validation (``method="spline"``). The samples need not be evenly
# spaced: the last panel uses jittered sample times.
from gridgrad import smooth  # noqa: E402

t = np.linspace(0.0, 4.0, 400)
t_irr = np.sort(t + rng.uniform(-0.4, 0.4, t.size) * (t[1] - t[0]))
truth = np.cos(3 * t)
y = np.sin(3 * t) / 3 + 0.05 * np.std(np.sin(3 * t) / 3) * rng.standard_normal(t.size)
y_irr = np.sin(3 * t_irr) / 3 + 0.05 * np.std(np.sin(3 * t) / 3) * rng.standard_normal(t.size)

(plain,) = gridgrad.gradient(y, spacing=(t,))
fixed = smooth.derivative(y, 0, spacing=t, window=41, degree=3)
auto, info = smooth.derivative(y, 0, spacing=t, method="auto", return_info=True)
spline = smooth.derivative(y, 0, spacing=t, method="spline")
auto_irr = smooth.derivative(y_irr, 0, spacing=t_irr, method="auto")


def rms(d, true):
    return np.sqrt(np.mean((d - true) ** 2))


for label, d in [
    ("central differences", plain),
    ("Savitzky–Golay, window 41", fixed),
    ("auto", auto),
    ("GCV spline", spline),
]:
    print(f"{label:>26}: rms error {rms(d, truth):.3f}")
print(f"{'auto, irregular samples':>26}: rms error {rms(auto_irr, np.cos(3 * t_irr)):.3f}")
# auto reports what it chose: a window and degree, or the spline and its smoothing
chose = (
    f"window {info.window}, degree {info.degree}"
    if info.method == "savgol"
    else f"the spline, lambda {info.lam:.2g}"
)
print(f"auto chose {chose}; its own error estimate {info.rmse:.3f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
axes[0].plot(t, plain, color="0.8", lw=0.6, label="central differences")
axes[0].plot(t, fixed, lw=1.2, label="Savitzky–Golay, window 41")
axes[0].plot(t, auto, lw=1.2, label=f"auto ({chose})")
axes[0].plot(t, spline, lw=1.2, ls="--", label="GCV spline")
axes[0].plot(t, truth, color="k", lw=0.8, label="true derivative")
axes[0].set_ylim(-2, 2)
axes[0].set_xlabel("$t$")
axes[0].set_title("5 % noise, even samples")
axes[0].legend(loc="lower left", fontsize=8)
axes[1].plot(t_irr, auto_irr, lw=1.2, label="auto")
axes[1].plot(t_irr, np.cos(3 * t_irr), color="k", lw=0.8, label="true derivative")
axes[1].set_xlabel("$t$")
axes[1].set_title("the same on jittered sample times")
axes[1].legend(loc="lower left", fontsize=8)
plt.show()
