"""Book build tasks run by the Makefile as ``python -m prtr.booktools``."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["learner_worksheet", "trainer_config"]

SOLUTION_TAG = "solution"


def trainer_config(source: Path, target: Path) -> None:
    """Write the trainer's ``_config.yml``: the same, with solutions shown."""
    text = source.read_text(encoding="utf-8")
    marker = "    hide_solutions: true"
    if marker not in text:
        raise SystemExit(
            f"{source}: no line {marker.strip()!r} to switch for the trainer."
        )
    text = text.replace(marker, "    hide_solutions: false")
    text = text.replace(
        "title: The PRTR Workbook", "title: The PRTR Workbook (trainer's edition)"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def learner_worksheet(source: Path, target: Path) -> int:
    """Write the learner's copy of an exercise notebook: no solutions, no outputs.

    Solutions are the cells tagged ``solution`` and the markdown cells that hold a
    ``{solution}`` directive. Returns how many cells were removed.
    """
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    def is_solution(cell: nbformat.NotebookNode) -> bool:
        tagged = SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])
        return tagged or cell.source.lstrip().startswith("```{solution}")

    kept = [cell for cell in notebook.cells if not is_solution(cell)]
    removed = len(notebook.cells) - len(kept)
    for cell in kept:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.cells = kept
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return removed


USAGE = """usage:
  python -m prtr.booktools trainer-config SOURCE TARGET
  python -m prtr.booktools worksheets TARGET_FOLDER NOTEBOOK..."""


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "trainer-config":
        trainer_config(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "worksheets":
        for name in sys.argv[3:]:
            source = Path(name)
            learner_worksheet(source, Path(sys.argv[2]) / source.name)
    else:
        raise SystemExit(USAGE)
