"""The gallery's order, for sphinx-gallery's ``within_subsection_order`` (a class named
by a string, so that Sphinx can pickle the configuration)."""

from __future__ import annotations

from pathlib import Path

# files not listed come last, by name
ORDER = [
    "plot_torch_reference.py",
    "plot_torch_tutorial.py",
    "plot_convergence.py",
    "plot_noise.py",
    "plot_vector_identities.py",
    "plot_curvilinear_polar.py",
    "plot_autograd_edge_loss.py",
    "plot_dask_zarr.py",
    "plot_xarray_units.py",
    "plot_sphere_vorticity.py",
]


class GalleryOrder:
    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        name = Path(filename).name
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)

    def __repr__(self) -> str:
        return "GalleryOrder"
