"""Sphinx configuration of gridgrad's documentation.

Build: ``pip install -e ".[docs]" && sphinx-build -W docs docs/_build``.

Everything that follows the code is generated at build time, so the pages cannot go
stale while the API moves:

- the API reference lists ``__all__`` of each module in :data:`API_MODULES` (a new
  public name appears by itself; a new public module is one line here), and every
  public name must have an ``Examples`` section (a warning otherwise, so an error
  under ``-W``);
- the CLI reference is the output of ``python -m gridgrad ... --help``;
- the ``>>>`` examples of every page under docs/ are run (a failing one is a warning,
  so an error under ``-W``); the docstrings' examples run in the test suite;
- the gallery (``docs/examples/plot_*.py``) runs and draws its figures.
"""

from __future__ import annotations

import doctest
import importlib
import os
import subprocess
import sys
from pathlib import Path

import gridgrad

DOCS = Path(__file__).resolve().parent
GENERATED = DOCS / "reference" / "_generated"
sys.path.insert(0, str(DOCS))  # _gallery_order

# The public modules of the reference: module -> the introduction of its page. The page
# (``reference/<module>.rst``, generated, not in git) lists the module's ``__all__``; a
# new public module is one entry here.
API_MODULES = {
    "gridgrad": ("The functions on NumPy, PyTorch, JAX, Dask, CuPy and any Array-API array."),
    "gridgrad.xarray": (
        "Coordinate-aware wrappers for xarray DataArrays and Datasets "
        "(``pip install 'gridgrad[xarray]'``)."
    ),
    "gridgrad.sphere": (
        "Gradient, divergence, vorticity and Laplacian on latitude-longitude grids, per "
        "metre, on every array library."
    ),
    "gridgrad.xarray_sphere": (
        "The operators of :mod:`gridgrad.sphere` on xarray DataArrays, latitude and "
        "longitude found by their CF metadata (``pip install 'gridgrad[xarray]'``)."
    ),
    "gridgrad.smooth": (
        "Derivatives of noisy samples: Savitzky–Golay filters and GCV smoothing splines, "
        "uniform or not, parameters chosen from the data (the spline needs "
        "``pip install 'gridgrad[smooth]'``)."
    ),
    "gridgrad.curvilinear": (
        "Derivatives on curvilinear grids: coordinates given as 2-D (N-D) arrays, "
        "the chain rule through the grid's Jacobian."
    ),
}
# The CLI commands whose ``--help`` the CLI reference shows (``[]`` is the top level).
CLI_COMMANDS = [[], ["compute"], ["demo"]]

project = "gridgrad"
author = "gridgrad developers"
copyright = "gridgrad developers"
release = version = gridgrad.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served with the site: it renders offline too
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "matplotlib.sphinxext.plot_directive",
]

exclude_patterns = ["_build", "examples/README.rst"]
html_static_path = ["_static"]
html_css_files = ["gridgrad.css"]
html_title = f"gridgrad {version}"
html_theme = "pydata_sphinx_theme"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "navbar_align": "left",
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "install": [], "quickstart": []}
html_show_sourcelink = False

autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc Parameters say it, in words
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
default_role = "code"

copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "_gallery_order.GalleryOrder",  # docs/_gallery_order.py
    "remove_config_comments": True,
    "download_all_examples": False,
    "reference_url": {"gridgrad": None},
    "backreferences_dir": None,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "default_thumb_file": None,
    "only_warn_on_example_error": False,
}

plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 130)]
plot_working_directory = str(DOCS)
plot_rcparams = {"figure.figsize": (9, 4)}


# --------------------------------------------------------------------------- generated


def _write(path: Path, text: str) -> None:
    """Write only when changed (so an incremental build does not redo every page)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _api_pages() -> None:
    """``reference/<module>.rst``: the module's docstring and an autosummary table of
    its ``__all__`` (one generated page per name)."""
    for module, intro in API_MODULES.items():
        names = sorted(n for n in importlib.import_module(module).__all__ if not n.startswith("_"))
        title = f"``{module}``"
        lines = [
            ".. This page is generated by docs/conf.py from the module's __all__.",
            "",
            title,
            "=" * len(title),
            "",
            f".. automodule:: {module}",
            "   :no-members:",
            "   :no-index:",
            "",
            intro,
            f"Every name in ``{module}.__all__``:",
            "",
            f".. currentmodule:: {module}",
            "",
            ".. autosummary::",
            "   :toctree: generated",
            "",
            *[f"   {n}" for n in names],
        ]
        _write(DOCS / "reference" / f"{module}.rst", "\n".join(lines) + "\n")


def _cli_help() -> None:
    """``_generated/cli_<command>.txt``: ``python -m gridgrad <command> --help``."""
    env = {**os.environ, "COLUMNS": "88", "PYTHONWARNINGS": "ignore"}
    for words in CLI_COMMANDS:
        result = subprocess.run(
            [sys.executable, "-m", "gridgrad", *words, "--help"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        name = "_".join(words) or "main"
        _write(GENERATED / f"cli_{name}.txt", result.stdout)


_SERIES = """time,temperature
2024-01-01T00:00,10.0
2024-01-01T06:00,13.0
2024-01-01T12:00,18.5
2024-01-01T18:00,15.0
2024-01-02T00:00,11.0
"""
_SERIES_CMD = [
    "compute",
    "series.csv",
    "-o",
    "out.csv",
    "--var",
    "temperature",
    "--dims",
    "time",
    "--datetime-unit",
    "h",
    "--no-progress",
]


def _cli_runs() -> None:
    """The user guide's command-line runs: ``gridgrad demo`` and a CSV file."""
    import tempfile

    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    demo = subprocess.run(
        [sys.executable, "-m", "gridgrad", "demo"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    _write(GENERATED / "cli_demo_output.txt", demo.stdout)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "series.csv").write_text(_SERIES)
        subprocess.run(
            [sys.executable, "-m", "gridgrad", *_SERIES_CMD],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=tmp,
        )
        _write(GENERATED / "cli_out.csv", (Path(tmp) / "out.csv").read_text())
    _write(GENERATED / "cli_series.csv", _SERIES)
    _write(GENERATED / "cli_series_cmd.txt", "gridgrad " + " ".join(_SERIES_CMD) + "\n")


_api_pages()
_cli_help()
_cli_runs()


# --------------------------------------------------------------------------- checks


def _check_examples(app, what, name, obj, options, lines) -> None:
    """Every public function documented here shows a runnable example."""
    if what in ("function", "class") and name.rsplit(".", 1)[0] in API_MODULES:
        if not any(line.strip() == "Examples" for line in (obj.__doc__ or "").splitlines()):
            from sphinx.util import logging

            logging.getLogger(__name__).warning(
                "%s has no Examples section in its docstring", name, type="gridgrad"
            )


_FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _run_page_examples(app, docname, source) -> None:
    """Run the ``>>>`` examples of a hand-written page; a failure is a build warning."""
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".rst" or "auto_examples" in path.parts or "generated" in path.parts:
        return
    text = source[0]
    if ">>>" not in text:
        return
    test = doctest.DocTestParser().get_doctest(text, {}, docname, str(path), 0)
    out: list[str] = []
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    cwd = os.getcwd()
    try:
        runner.run(test, out=out.append)
    finally:
        os.chdir(cwd)
        test.globs.clear()
    if runner.failures:
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            "%d example(s) failed on this page:\n%s",
            runner.failures,
            "".join(out),
            location=docname,
            type="gridgrad",
        )


def setup(app) -> None:
    app.connect("autodoc-process-docstring", _check_examples)
    app.connect("source-read", _run_page_examples)
