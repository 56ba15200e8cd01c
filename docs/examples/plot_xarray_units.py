"""
An xarray field with units
==========================

:mod:`gridgrad.xarray` reads the spacing from the coordinates (here a non-uniform
height axis and a uniform horizontal one), keeps dims, coords and names, and carries
the units over: ``attrs["units"]`` of the result is the variable's units over the
coordinate's. xarray's plotting then labels the axes and colour bars with them.
"""

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

import gridgrad.xarray as gx

# %%
# Potential temperature on a vertical section: heights stretched towards the ground
# (non-uniform), 2 km between columns.
z = 12.0 * np.linspace(0.0, 1.0, 41) ** 1.6  # km
xk = np.arange(0.0, 400.0, 2.0)  # km
Z, X = np.meshgrid(z, xk, indexing="ij")
theta = 290.0 + 4.0 * Z + 6.0 * np.exp(-((X - 200.0) ** 2) / 60.0**2) * np.exp(-Z / 4.0)
T = xr.DataArray(
    theta,
    dims=("z", "x"),
    coords={
        "z": ("z", z, {"units": "km", "long_name": "height"}),
        "x": ("x", xk, {"units": "km", "long_name": "distance"}),
    },
    name="theta",
    attrs={"units": "K", "long_name": "potential temperature"},
)

# %%
# One call gives both components as a Dataset, named ``dtheta_dz`` and ``dtheta_dx``,
# at fourth-order accuracy on the stretched grid.
grad = gx.gradient(T, ["z", "x"], accuracy=4)
print(grad)
print(grad["dtheta_dz"].attrs["units"], "|", grad["dtheta_dx"].attrs["units"])

# %%
# Second derivatives carry squared units:
d2 = gx.derivative(T, "z", order=2, accuracy=4)
print(d2.attrs["units"])

# %%
# Against the exact vertical derivative:
exact = 4.0 - 1.5 * np.exp(-((X - 200.0) ** 2) / 60.0**2) * np.exp(-Z / 4.0)
print(f"max error of dtheta/dz: {float(np.abs(grad['dtheta_dz'] - exact).max()):.1e} K/km")

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), layout="constrained")
T.plot(ax=axes[0], cmap="inferno")
grad["dtheta_dz"].plot(ax=axes[1], cmap="viridis")
grad["dtheta_dx"].plot(ax=axes[2], cmap="RdBu_r")
for ax in axes:
    ax.set_title(ax.get_title(), fontsize=9)
plt.show()
