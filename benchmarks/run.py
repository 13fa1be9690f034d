"""Run every benchmark, one after the other, and print the ratios the README quotes.

    .venv/bin/python benchmarks/run.py [--only NAME ...]

Each benchmark is a script of this folder that writes ``results/NAME.json``. They run
one at a time, because two at once on a 2-core machine would slow each other down.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    "estimation": "estimation_benchmark.py",
    "import": "import_benchmark.py",
    "book": "book_benchmark.py",
    "reports": "report_benchmark.py",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=None)
    arguments = parser.parse_args()

    failed = []
    for name in arguments.only or BENCHMARKS:
        script = HERE / BENCHMARKS[name]
        if not script.is_file():
            print(f"{name}: {script.name} is missing, skipped")
            continue
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        finished = subprocess.run([sys.executable, str(script)], check=False)
        print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)
        if finished.returncode:
            failed.append(name)
    if failed:
        print(f"Failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
