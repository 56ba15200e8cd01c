"""``gridgrad demo sphere``: vorticity of a Rossby-Haurwitz wave on latitude-longitude
grids (Williamson et al. 1992, test 6), an accuracy table and a vorticity map."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from gridgrad import sphere

__all__ = ["accuracy_table", "figure", "rossby_haurwitz_wind"]

#: Williamson et al. (1992), test 6: wavenumber 4, omega = K = 7.848e-6 s-1
WAVENUMBER, OMEGA, K = 4, 7.848e-6, 7.848e-6


def rossby_haurwitz_wind(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, ...]:
    """Eastward and northward wind (m s-1) of the wave on the Earth, and its exact
    relative vorticity (s-1), on the lat x lon grid (degrees)."""
    a, n = sphere.EARTH_RADIUS, WAVENUMBER
    phi = np.deg2rad(lat)[:, None]
    lam = np.deg2rad(lon)[None, :]
    c, s = np.cos(phi), np.sin(phi)
    u = a * OMEGA * c + a * K * c ** (n - 1) * (n * s**2 - c**2) * np.cos(n * lam)
    v = -a * K * n * c ** (n - 1) * s * np.sin(n * lam)
    zeta = 2 * OMEGA * s - K * s * c**n * (n**2 + 3 * n + 2) * np.cos(n * lam)
    return u + 0 * lam, v + 0 * phi, zeta + 0 * lam


def grid(step: float) -> tuple[np.ndarray, np.ndarray]:
    """A global grid with pole rows, north to south as ERA5, cyclic longitude."""
    ny = round(180 / step) + 1
    return np.linspace(90.0, -90.0, ny), np.arange(round(360 / step)) * step


def accuracy_table(steps: tuple[float, ...] = (4.0, 2.0, 1.0)) -> list[dict[Any, Any]]:
    """Max |error| of the vorticity over all points (pole rows included) relative to
    max |vorticity|, for accuracies 2, 4, 6, with the observed orders."""
    rows: list[dict[Any, Any]] = []
    for step in steps:
        lat, lon = grid(step)
        u, v, zeta = rossby_haurwitz_wind(lat, lon)
        row: dict[Any, Any] = {"step": step}
        for p in (2, 4, 6):
            err = float(np.abs(sphere.vorticity(u, v, lat, lon, accuracy=p) - zeta).max())
            err /= float(np.abs(zeta).max())
            order = None if not rows else np.log2(rows[-1][p][0] / err)
            row[p] = (err, order)
        rows.append(row)
    return rows


def figure(path: str | os.PathLike[str], step: float = 1.0) -> None:
    """The vorticity map with wind arrows, and the error along latitude for each accuracy."""
    from gridgrad._plot import _save, pyplot

    plt = pyplot()
    lat, lon = grid(step)
    u, v, zeta = rossby_haurwitz_wind(lat, lon)
    fig, (ax, bx) = plt.subplots(
        1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [1.9, 1]}, layout="constrained"
    )
    z = sphere.vorticity(u, v, lat, lon, accuracy=4)
    m = ax.pcolormesh(lon, lat, z * 1e5, cmap="RdBu_r", shading="nearest", vmin=-12, vmax=12)
    fig.colorbar(m, ax=ax, label="relative vorticity (1e-5 s-1)", shrink=0.9)
    k = max(1, round(8 / step))
    ax.quiver(lon[::k], lat[::k], u[::k, ::k], v[::k, ::k], scale=1500, width=0.0018)
    ax.set(
        xlabel="longitude (degrees east)",
        ylabel="latitude (degrees north)",
        title=f"gridgrad.sphere.vorticity, accuracy 4, {step:g}-degree grid",
    )
    for p in (2, 4, 6):
        err = np.abs(sphere.vorticity(u, v, lat, lon, accuracy=p) - zeta).max(axis=1)
        bx.semilogx(np.maximum(err, 1e-22), lat, label=f"accuracy {p}")
    bx.set(
        xlabel="max |error| along the latitude (s-1)",
        ylabel="latitude",
        title="error against the exact vorticity",
        ylim=(-90, 90),
    )
    bx.set_xlim(left=1e-17)
    bx.legend(loc="lower left")
    bx.grid(alpha=0.3)
    _save(fig, path)
