"""Sphinx configuration of the skrnn documentation.

Build it, warnings as errors, from the repository root with::

    python -m sphinx -W -b html docs docs/_build/html

``SKRNN_DOCS_QUICK=1`` runs only the quick examples of the gallery (the others
are still rendered, without their output); ``-D plot_gallery=0`` runs none.
"""

import os
import re
import warnings

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList

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
# Defaults as written: token_pattern=DEFAULT_TOKEN_PATTERN, not its 11,000
# characters of Unicode ranges.
autodoc_preserve_defaults = True
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


def _shape_formula(shape):
    """A cell parameter's ``shape(input_size, hidden_size)``, written out.

    Each dimension is read as ``a * input_size + b * hidden_size + c`` from
    three evaluations and checked at a fourth; "?" if it is not linear.
    """
    base, input_size, hidden_size, check = (
        shape(i, h) for i, h in ((0, 0), (1, 0), (0, 1), (3, 5))
    )
    dims = []
    for c, x, h, z in zip(base, input_size, hidden_size, check, strict=True):
        a, b = x - c, h - c
        if z != 3 * a + 5 * b + c:
            dims.append("?")
            continue
        terms = [
            name if k == 1 else f"{k} * {name}"
            for k, name in ((a, "input_size"), (b, "hidden_size"))
            if k
        ]
        dims.append(" + ".join(terms + [str(c)] * bool(c or not terms)))
    return f"({', '.join(dims)}{',' * (len(dims) == 1)})"


class CellsTable(Directive):
    """``.. skrnn-cells::``: the registered cells and their parameters' shapes."""

    def run(self):
        """The table, one row per cell of ``skrnn.nn.CELLS``."""
        from skrnn.nn import CELLS

        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "",
            "   * - ``cell``",
            "     - parameters of a layer, per direction (shape)",
            "     - penalised by ``alpha``",
        ]
        for name, cell in CELLS.items():
            shapes = [
                f"``{param_name}`` {_shape_formula(param.shape)}"
                for param_name, param in cell.params.items()
            ]
            penalised = [f"``{n}``" for n, p in cell.params.items() if p.penalized]
            lines += [
                f'   * - ``"{name}"``',
                f"     - {', '.join(shapes)}",
                f"     - {', '.join(penalised)}",
            ]
        container = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        return container.children


def setup(app):
    """Connect the docstring hook; add the table of the registered cells."""
    app.connect("autodoc-process-docstring", _unlink_sklearn_roles)
    app.add_directive("skrnn-cells", CellsTable)


# -- Examples gallery --------------------------------------------------------

#: Examples run when ``SKRNN_DOCS_QUICK`` is set (each takes a few seconds);
#: without it every ``plot_*.py`` runs (under a minute each).
QUICK_EXAMPLES = (
    "plot_save_load",
    "plot_partial_fit_streaming",
    "plot_dataframe_text_column",
)
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
