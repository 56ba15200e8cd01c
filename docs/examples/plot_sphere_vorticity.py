"""
Vorticity on the sphere
=======================

:mod:`gridgrad.sphere` differentiates fields on latitude-longitude grids with the
metric terms of the sphere, per metre. Here the wind of a Rossby-Haurwitz wave
(Williamson et al. 1992, test 6: a closed-form solution with known vorticity) on a
global 1-degree grid, north to south with pole rows as ERA5: its relative vorticity
at fourth order, and the error against the exact values for accuracies 2, 4 and 6,
pole rows included.
"""

import matplotlib.pyplot as plt
import numpy as np

import gridgrad.sphere as gs

R = 6371008.8  # m, the default radius
OMEGA = K = 7.848e-6  # s-1
N = 4  # zonal wavenumber

lat = np.linspace(90.0, -90.0, 181)
lon = np.arange(360) * 1.0  # closes the circle: cyclic
phi, lam = np.deg2rad(lat)[:, None], np.deg2rad(lon)[None, :]
c, s = np.cos(phi), np.sin(phi)
u = R * OMEGA * c + R * K * c ** (N - 1) * (N * s**2 - c**2) * np.cos(N * lam)
v = -R * K * N * c ** (N - 1) * s * np.sin(N * lam) + 0 * phi
exact = 2 * OMEGA * s - K * s * c**N * (N**2 + 3 * N + 2) * np.cos(N * lam)

# %%
# One call; ``lat`` and ``lon`` in degrees, the result in s-1:
zeta = gs.vorticity(u, v, lat, lon, accuracy=4)
print(f"max |vorticity| {np.abs(zeta).max():.3e} s-1, at the north pole {zeta[0, 0]:.6e} s-1")
print(f"relative error, all points: {np.abs(zeta - exact).max() / np.abs(exact).max():.1e}")

fig, (ax, bx) = plt.subplots(
    1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1.9, 1]}, layout="constrained"
)
m = ax.pcolormesh(lon, lat, zeta * 1e5, cmap="RdBu_r", shading="nearest", vmin=-12, vmax=12)
fig.colorbar(m, ax=ax, label="relative vorticity (1e-5 s-1)", shrink=0.9)
ax.quiver(lon[::8], lat[::8], u[::8, ::8], v[::8, ::8], scale=1500, width=0.0018)
ax.set(xlabel="longitude", ylabel="latitude", title="gridgrad.sphere.vorticity, accuracy 4")

# %%
# The error along the latitude: every accuracy keeps its order up to the pole rows,
# where the vorticity is the circulation around a shrinking polar cap.
for p in (2, 4, 6):
    err = np.abs(gs.vorticity(u, v, lat, lon, accuracy=p) - exact).max(axis=1)
    bx.semilogx(np.maximum(err, 1e-22), lat, label=f"accuracy {p}")
bx.set(xlabel="max |error| (s-1)", ylabel="latitude", ylim=(-90, 90), title="error")
bx.set_xlim(left=1e-17)
bx.legend(loc="lower left")
bx.grid(alpha=0.3)
plt.show()
