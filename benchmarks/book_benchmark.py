"""Cold and warm builds of the website.

Cold: a copy of the sources with no build folder and no notebook cache, as after a
fresh clone. Warm: the same copy rebuilt after one sentence of one page changed, as
when an author edits a page. Both run in one process, on a copy in a temporary folder,
so the working tree is not touched.

    python benchmarks/book_benchmark.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
SKIPPED = {".git", ".venv", "_build", "node_modules", ".team", "benchmarks", "tests"}
EDITED_PAGE = Path("book/using-the-data.md")


def _build(source: Path) -> float:
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    environment = {**os.environ, "PRTR_STATIC_SITE": "1"}
    start = time.perf_counter()
    subprocess.run(
        [str(jupyter_book), "build", ".", "-W", "-n", "--keep-going", "-q"],
        cwd=source, env=environment, check=True, capture_output=True,
    )
    return time.perf_counter() - start


def main() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="prtr-book-") as folder:
        source = Path(folder) / "workbook"
        shutil.copytree(REPO, source, ignore=lambda _, names: SKIPPED & set(names))
        shutil.copytree(REPO / "node_modules" / "mathjax" / "es5",
                        source / "_build" / "assets" / "mathjax")

        cold_seconds = _build(source)
        page = source / EDITED_PAGE
        page.write_text(page.read_text(encoding="utf-8") + "\nOne more sentence.\n",
                        encoding="utf-8")
        warm_seconds = _build(source)

    result = {
        "cold_seconds": cold_seconds,
        "warm_seconds": warm_seconds,
        "cold_over_warm": cold_seconds / warm_seconds,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "book.json").write_text(json.dumps(result, indent=2))
    share = warm_seconds / cold_seconds
    print(f"Book build: cold {cold_seconds:.1f} s, warm after editing one page "
          f"{warm_seconds:.1f} s: the warm build takes {share:.0%} of the cold one")
    return result


if __name__ == "__main__":
    main()
