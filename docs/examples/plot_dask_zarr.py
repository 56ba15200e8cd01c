"""
Out of core: Dask and Zarr
==========================

A field stored in a chunked Zarr array is read lazily with Dask, differentiated block
by block (each block borrows ghost cells from its neighbours along the
differentiated dimension), and written back to Zarr; nothing holds the whole array in
memory. The array here is small and lives in a temporary directory, but the code is
the same for one larger than memory (``benchmarks/zarr_out_of_core.py`` does 1024³).
"""

import tempfile
from pathlib import Path

import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
import zarr

import gridgrad

tmp = tempfile.TemporaryDirectory()
store = Path(tmp.name) / "field.zarr"

# %%
# Write a 2-D field, 400 x 600, in 100 x 100 chunks.
ny, nx = 400, 600
y = np.linspace(0.0, 4.0, ny)
x = np.linspace(0.0, 6.0, nx)
field = np.sin(2 * x)[None, :] * np.cos(3 * y)[:, None] + 0.1 * y[:, None]
z = zarr.create_array(store, shape=field.shape, chunks=(100, 100), dtype="f8")
z[:] = field

# %%
# Read it lazily, differentiate along both dims (fourth-order accuracy; the steps are
# scalars), and write both components back, in one pass over the chunks.
f = da.from_zarr(str(store))
dfdy, dfdx = gridgrad.gradient(f, spacing=(y[1] - y[0], x[1] - x[0]), accuracy=4)
print(type(dfdx).__name__, dfdx.chunks == f.chunks, "tasks:", len(dfdx.__dask_graph__()))
out_y = da.to_zarr(dfdy, str(Path(tmp.name) / "dfdy.zarr"), compute=False)
out_x = da.to_zarr(dfdx, str(Path(tmp.name) / "dfdx.zarr"), compute=False)
dask.compute(out_y, out_x)

# %%
# The stored results are the NumPy path's, bitwise:
stored = zarr.open_array(str(Path(tmp.name) / "dfdx.zarr"))[:]
(reference,) = gridgrad.gradient(field, spacing=(x[1] - x[0],), dim=1, accuracy=4)
print("bitwise equal to NumPy:", np.array_equal(stored, reference))
exact = 2 * np.cos(2 * x)[None, :] * np.cos(3 * y)[:, None]
print(f"max error against the exact derivative: {np.abs(stored - exact).max():.1e}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
extent = (x[0], x[-1], y[0], y[-1])
for ax, img, title in (
    (axes[0], field, "field (Zarr, 100 x 100 chunks)"),
    (axes[1], stored, r"$\partial f / \partial x$ read back from Zarr"),
):
    im = ax.imshow(img, origin="lower", extent=extent, cmap="RdBu_r")
    for k in range(1, 6):
        ax.axvline(x[0] + k * 100 * (x[1] - x[0]), color="k", lw=0.4, alpha=0.5)
    for k in range(1, 4):
        ax.axhline(y[0] + k * 100 * (y[1] - y[0]), color="k", lw=0.4, alpha=0.5)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, shrink=0.8)
plt.show()
tmp.cleanup()
