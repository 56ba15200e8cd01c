"""Figures for ``gridgrad demo --plot`` and ``gridgrad compute --plot`` (matplotlib, Agg)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MISSING", "demo_figure", "pyplot", "result_figure"]

MISSING = "matplotlib is needed for --plot; install it with: pip install 'gridgrad[plot]'"


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend; ImportError with an install hint if missing."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(MISSING) from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | os.PathLike[str]) -> None:
    """Write the PNG to ``path`` (the CLI passes a private staging path and publishes it)."""
    try:
        fig.savefig(Path(path), format="png", dpi=100)
    finally:
        pyplot().close(fig)


def demo_figure(
    path: str | os.PathLike[str], fields: dict[str, np.ndarray], table: list[dict[str, Any]]
) -> None:
    """The field, its gradient magnitude with arrows, and error against grid size."""
    plt = pyplot()
    fig, (a0, a1, a2) = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
    x, y = fields["x"], fields["y"]
    im = a0.pcolormesh(x, y, fields["f"].T, shading="auto", cmap="RdBu_r")
    fig.colorbar(im, ax=a0)
    a0.set(title="f(x, y) = sin(3x) exp(y)", xlabel="x", ylabel="y")
    im = a1.pcolormesh(x, y, fields["magnitude"].T, shading="auto", cmap="viridis")
    fig.colorbar(im, ax=a1)
    s = max(1, len(x) // 12)
    a1.quiver(x[::s], y[::s], fields["dfdx"][::s, ::s].T, fields["dfdy"][::s, ::s].T, color="w")
    a1.set(title="|grad f| and grad f (accuracy 4)", xlabel="x", ylabel="y")
    sizes = [row["n"] for row in table]
    for p in [k for k in table[0] if isinstance(k, int)]:
        (line,) = a2.loglog(sizes, [row[p][0] for row in table], "o-", label=f"gradient, p={p}")
        a2.loglog(
            sizes,
            [row[p][1] for row in table],
            "s--",
            color=line.get_color(),
            label=f"Laplacian, p={p}",
        )
    a2.set(title="max |error| against grid size", xlabel="n (points per side)", ylabel="max error")
    a2.set_xticks(sizes, [str(n) for n in sizes])
    a2.minorticks_off()
    a2.grid(True, which="major", alpha=0.3)
    a2.legend(fontsize="small")
    _save(fig, path)


def result_figure(
    path: str | os.PathLike[str],
    values: np.ndarray,
    coords: list[np.ndarray],
    labels: list[str],
    title: str,
) -> None:
    """A line (1-D) or a colour map (2-D, first two dims) of a computed result."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        ax.plot(coords[0], values)
        ax.set(xlabel=labels[0], ylabel=title)
    else:
        im = ax.pcolormesh(coords[1], coords[0], values, shading="auto")
        fig.colorbar(im, ax=ax)
        ax.set(xlabel=labels[1], ylabel=labels[0])
    ax.set_title(title)
    _save(fig, path)
