"""Sphinx configuration of the skrnn documentation.

Build it, warnings as errors, from the repository root with::

    python -m sphinx -W -b html docs docs/_build/html

``SKRNN_DOCS_QUICK=1`` runs only the quick examples of the gallery (the others
are still rendered, without their output); ``-D plot_gallery=0`` runs none.
"""

import os
import re
import warnings

import skrnn

project = "skrnn"
author = "The skrnn developers"
project_copyright = "2026, The skrnn developers"
release = skrnn.__version__
version = release.split(".dev")[0]

extensions = [
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "README.md", "**/*.ipynb", "**/*.py.md5"]
default_role = "literal"

# -- API reference -----------------------------------------------------------

autosummary_generate = True
autodoc_typehints = "none"  # numpydoc renders the types of the docstrings
numpydoc_show_class_members = False  # the class template lists the members
numpydoc_xref_param_type = False

#: ``:ref:`` and ``:term:`` roles, with or without an explicit target.
_SPHINX_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<([^`>]*)>)?`")


def _unlink_sklearn_roles(app, what, name, obj, options, lines):
    """Keep the words of the links in inherited scikit-learn docstrings.

    The methods that skrnn's estimators inherit (``score``, ``get_params``,
    ``set_output``, the metadata-routing setters...) link to labels and
    glossary terms of scikit-learn's own documentation, which do not exist
    here; without this every such link is an "undefined label" warning.
    """
    if (getattr(obj, "__module__", None) or "").startswith("sklearn"):
        lines[:] = [
            _SPHINX_ROLE.sub(lambda m: m.group(1) or m.group(2), line) for line in lines
        ]


def setup(app):
    """Connect the docstring hook."""
    app.connect("autodoc-process-docstring", _unlink_sklearn_roles)


# -- Examples gallery --------------------------------------------------------

#: Examples run when ``SKRNN_DOCS_QUICK`` is set (each takes a few seconds);
#: without it every ``plot_*.py`` runs (under a minute each).
QUICK_EXAMPLES = ("plot_save_load", "plot_partial_fit_streaming")
if os.environ.get("SKRNN_DOCS_QUICK"):
    filename_pattern = "/(" + "|".join(QUICK_EXAMPLES) + r")\.py$"
else:
    filename_pattern = r"/plot_"

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": filename_pattern,
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skrnn",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skrnn": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "matplotlib_animations": False,
}

# Examples stop training early on purpose; do not fill the pages with it.
warnings.filterwarnings("ignore", message=".*Maximum iterations.*")
# Matplotlib cannot show figures in a build; sphinx-gallery captures them.
warnings.filterwarnings("ignore", message=".*non-interactive.*cannot be shown")

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skrnn {version}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"changelog": [], "getting_started": []}
html_static_path = []
html_show_sourcelink = False
