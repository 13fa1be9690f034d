"""How fast facility reports are made: plain papermill against one warm kernel.

The same facility feedback reports (``notebooks/reports/facility_report.ipynb``,
public audience, HTML and the executed notebook) are made three ways in one run:

- *plain papermill*: one report after the other, each with a new kernel, as
  ``papermill`` does by hand (:class:`prtr.reports.PapermillRunner`);
- *one warm kernel*: one kernel runs every report, its namespace reset in between
  (:class:`prtr.reports.WarmKernelRunner`);
- *prtr report*: what ``prtr report facilities`` does, two warm kernels at once.

Every way writes the same files; the benchmark checks that they are byte for byte
the same and says so in its results. The register is the synthetic pilot's
(``_build/pilot/register.sqlite``, made by ``make book``); without it the benchmark
fills and imports the pilot's forms into a temporary register first.

Usage::

    .venv/bin/python benchmarks/report_benchmark.py [--reports 40] [--db URL]
        [--out FILE.json]

It prints the seconds per report and the ratio, and writes them as JSON (by default
to ``benchmarks/results/reports.json``, a folder git ignores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from prtr import register, reports

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "reports.json"
PILOT_REGISTER = ROOT / "_build" / "pilot" / "register.sqlite"
TARGET_RATIO = 10.0


def pilot_register(folder: Path) -> Path:
    """Fill the pilot's forms and import them into a new register in ``folder``."""
    forms = folder / "forms"
    database = folder / "register.sqlite"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "datasets" / "pilot" / "fill_forms.py"),
            str(forms),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    imported = subprocess.run(
        [
            sys.executable,
            "-m",
            "prtr.cli",
            "import",
            *sorted(str(path) for path in forms.glob("*.xlsx")),
            "--db",
            str(database),
            "--facilities",
            str(ROOT / "datasets" / "pilot" / "facilities.csv"),
        ],
        stdout=subprocess.DEVNULL,
    )
    if imported.returncode not in (0, 1):  # 1: the pilot's deliberate mistakes
        raise SystemExit(f"importing the pilot failed ({imported.returncode})")
    return database


def facility_report_jobs(
    db_url: str, count: int, stamp: str
) -> list[reports.ReportJob]:
    """The first ``count`` (facility, year) reports of the register, latest year
    first."""
    engine = register.connect(db_url, must_exist=True)
    jobs: list[reports.ReportJob] = []
    facilities = register.list_facilities(engine)
    years = range(
        int(facilities["last_year"].max()), int(facilities["first_year"].min()) - 1, -1
    )
    for year in years:
        for facility_id in reports.facilities_reporting(engine, year):
            if len(jobs) == count:
                break
            jobs.extend(
                reports.facility_jobs(
                    [facility_id],
                    year,
                    "public",
                    db_url,
                    generated=stamp,
                    folder=f"facilities-{year}",
                )
            )
    engine.dispose()
    return jobs


def timed_run(
    jobs: list[reports.ReportJob], out: Path, engine: str, workers: int, stamp: str
) -> tuple[float, int]:
    start = time.perf_counter()
    summary = reports.run_reports(
        jobs, out, formats=("html",), stamp=stamp, engine=engine, workers=workers
    )
    return time.perf_counter() - start, len(summary.failed)


def same_files(first: Path, second: Path) -> bool:
    """True when both folders hold the same files with the same bytes."""
    names = sorted(
        path.relative_to(first) for path in first.rglob("*") if path.is_file()
    )
    others = sorted(
        path.relative_to(second) for path in second.rglob("*") if path.is_file()
    )
    return names == others and all(
        (first / name).read_bytes() == (second / name).read_bytes() for name in names
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--db", help="the register (default: the pilot's)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    arguments = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="prtr-report-bench-") as scratch:
        folder = Path(scratch)
        if arguments.db:
            db_url = register.database_url(arguments.db)
        elif PILOT_REGISTER.is_file():
            db_url = register.database_url(str(PILOT_REGISTER))
        else:
            print("No pilot register yet: filling and importing the pilot's forms ...")
            db_url = register.database_url(str(pilot_register(folder)))
        engine = register.connect(db_url, must_exist=True)
        stamp = reports.generation_stamp(engine)
        engine.dispose()
        jobs = facility_report_jobs(db_url, arguments.reports, stamp)
        print(f"{len(jobs)} facility reports from {db_url}")

        runs = {}
        for name, engine_name, workers in (
            ("plain_papermill", "papermill", 1),
            ("one_warm_kernel", "warm", 1),
            ("prtr_report", "warm", reports.MAX_WORKERS),
        ):
            seconds, failed = timed_run(
                jobs, folder / name, engine_name, workers, stamp
            )
            runs[name] = {
                "seconds": round(seconds, 3),
                "seconds_per_report": round(seconds / len(jobs), 4),
                "workers": workers,
                "failed": failed,
            }
            print(
                f"{name:16} {seconds:7.2f} s  {seconds / len(jobs):6.3f} s/report "
                f"({workers} kernel(s) at once, {failed} failed)"
            )

        identical = same_files(
            folder / "plain_papermill", folder / "one_warm_kernel"
        ) and same_files(folder / "plain_papermill", folder / "prtr_report")

    plain = runs["plain_papermill"]["seconds"]
    results = {
        "benchmark": "facility reports: plain papermill vs warm kernels",
        "reports": len(jobs),
        "formats": ["ipynb", "html"],
        "runs": runs,
        "ratio_one_warm_kernel": round(plain / runs["one_warm_kernel"]["seconds"], 2),
        "ratio_prtr_report": round(plain / runs["prtr_report"]["seconds"], 2),
        "target_ratio": TARGET_RATIO,
        "identical_output": identical,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(
        f"prtr report is {results['ratio_prtr_report']}x as fast as plain papermill "
        f"(one warm kernel alone: {results['ratio_one_warm_kernel']}x); "
        f"identical output: {identical}. Results in {arguments.out}"
    )
    return 0 if identical and not any(run["failed"] for run in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
