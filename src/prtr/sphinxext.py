"""A Sphinx extension for the workbook: solution code, and a site that stays offline.

Solution code.
sphinx-exercise hides ``{solution}`` blocks when ``hide_solutions`` is true, but a
solution often needs code cells too, and a notebook cannot put a code cell inside a
directive. Code cells tagged ``solution`` carry those answers: they run at build time
(so a wrong answer fails the build) and this extension removes them from the learner's
pages. The trainer's edition (``make trainer``) keeps them.

Offline. Jupyter Book always loads sphinx-thebe, which writes the address of its
script on a CDN into every page, although the workbook switches thebe off. The
extension drops that script and its loader, so no page names an outside address.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

__all__ = ["setup"]

SOLUTION_CLASS = "tag_solution"


def _remove_solution_cells(app: Sphinx, doctree: nodes.document) -> None:
    if not app.config.hide_solutions:
        return
    for node in list(doctree.findall(nodes.Element)):
        if SOLUTION_CLASS in node.get("classes", []) and node.parent is not None:
            node.parent.remove(node)


def _drop_thebe(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    scripts = context.get("script_files")
    if scripts is None:
        return
    scripts[:] = [
        script
        for script in scripts
        if "thebe" not in str(script)
        and "thebe" not in str(getattr(script, "attributes", {}).get("body", ""))
    ]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", _remove_solution_cells)
    app.connect("html-page-context", _drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
