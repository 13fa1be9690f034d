"""Book build tasks run by the Makefile as ``python -m prtr.booktools``."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["trainer_config"]


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


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "trainer-config":
        trainer_config(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        raise SystemExit("usage: python -m prtr.booktools trainer-config SOURCE TARGET")
