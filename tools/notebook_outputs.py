"""Strip notebook outputs before a commit, keeping only the pinned answers.

Notebooks are committed without outputs: the book build and the tests execute them.
The exception is a cell that starts with ``# NBVAL_CHECK_OUTPUT``: nbval compares its
output with the stored one, so that output is the answer the notebook must keep giving.

Usage::

    python tools/notebook_outputs.py strip notebooks/*.ipynb exercises/*.ipynb
    python tools/notebook_outputs.py pin notebooks/hfo-worked-example.ipynb

``pin`` executes the notebook and stores the outputs of pinned cells only.
``check`` exits 1 if a notebook holds outputs other than pinned ones (a test runs it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

PIN = "# NBVAL_CHECK_OUTPUT"


def is_pinned(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and cell.source.lstrip().startswith(PIN)


def strip(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove every output and execution count, except the pinned cells' outputs.

    A pinned cell keeps an execution count, its place among the code cells: nbval
    refuses a cell that holds outputs but says it never ran.
    """
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        pinned = is_pinned(cell)
        cell.execution_count = number if pinned else None
        if not pinned:
            cell.outputs = []
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output["execution_count"] = number
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("widgets", None)
    return notebook


def unexpected_outputs(notebook: nbformat.NotebookNode) -> list[int]:
    """Indexes of cells that hold outputs although they are not pinned."""
    return [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and cell.get("outputs") and not is_pinned(cell)
    ]


def pin(path: Path) -> None:
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    nbformat.write(strip(notebook), path)


def main(arguments: list[str]) -> int:
    if len(arguments) < 2 or arguments[0] not in {"strip", "pin", "check"}:
        print(__doc__)
        return 2
    status = 0
    for name in arguments[1:]:
        path = Path(name)
        if arguments[0] == "pin":
            pin(path)
        elif arguments[0] == "strip":
            nbformat.write(strip(nbformat.read(path, as_version=4)), path)
        else:
            cells = unexpected_outputs(nbformat.read(path, as_version=4))
            if cells:
                print(
                    f"{path}: outputs in cells {cells}; run notebook_outputs.py strip"
                )
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
