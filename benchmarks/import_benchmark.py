"""How fast the register takes in releases: validate and import 100,000 release rows.

Two runs, each into a fresh SQLite file:

- *bulk*: every submission validated with :func:`prtr.validation.validate` and written
  with :func:`prtr.register.import_submission` (one transaction per submission, one
  ``executemany`` per table);
- *one statement at a time*: the same rows, one ``INSERT`` per row (still one
  transaction per submission), which is what a naive import does.

The submissions are built in code (synthetic facilities ``BM-00001`` ...), so the time
is the register's and the validation's, not the time to read Excel files. The target
is under 10 s for the bulk run on the course's reference machine (2 cores).

Usage::

    .venv/bin/python benchmarks/import_benchmark.py [--rows 100000] [--out FILE.json]

It prints the times and rows per second and writes them as JSON (by default to
``benchmarks/results/import.json``, a folder git ignores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from prtr import register
from prtr.datapackage import load_table
from prtr.submission import Facility, Release, Submission
from prtr.substances import all_substances
from prtr.validation import validate

RESULTS = Path(__file__).resolve().parent / "results" / "import.json"
TARGET_SECONDS = 10.0
RECEIVED_AT = dt.datetime(2025, 3, 31, tzinfo=dt.UTC)


def release_combinations() -> list[tuple[str, str, str]]:
    """Every (substance, medium, unit) a facility may report, from thresholds.csv."""
    thresholds = load_table("thresholds")
    by_release = thresholds[thresholds["basis"] == "release"]
    units = {key: item.reporting_unit for key, item in all_substances().items()}
    pairs = sorted(
        set(zip(by_release["substance_id"], by_release["medium"], strict=True))
    )
    return [(substance, medium, units[substance]) for substance, medium in pairs]


def synthetic_submissions(rows: int) -> list[Submission]:
    """Submissions holding ``rows`` releases in all, as many per facility as the list
    of substances and media allows."""
    combinations = release_combinations()
    submissions = []
    number = 0
    while rows > 0:
        number += 1
        count = min(rows, len(combinations))
        rows -= count
        releases = tuple(
            Release(
                row=3 + index,
                substance_id=substance,
                medium=medium,
                quantity=round(0.5 + (number * 7 + index * 13) % 997 / 10, 3),
                unit=unit,
                quantity_reported=round(0.5 + (number * 7 + index * 13) % 997 / 10, 3),
                unit_reported=unit,
                method="E",
                method_description="emission factor (synthetic benchmark row)",
            )
            for index, (substance, medium, unit) in enumerate(combinations[:count])
        )
        facility_id = f"BM-{number:05d}"
        submissions.append(
            Submission(
                file=f"{facility_id}.xlsx",
                sha256=hashlib.sha256(facility_id.encode()).hexdigest(),
                form_version="benchmark",
                reporting_year=2025,
                language="en",
                facility=Facility(
                    facility_id=facility_id,
                    name=f"Benchmark facility {number} (synthetic)",
                    isic_code="3510",
                    province_code="12",
                    latitude=11.5,
                    longitude=104.9,
                    employees=50,
                ),
                releases=releases,
            )
        )
    return submissions


def fresh_register(folder: Path, name: str) -> sa.Engine:
    engine = register.connect(f"sqlite:///{folder / name}")
    register.create_schema(engine)
    return engine


def run_bulk(engine: sa.Engine, submissions: list[Submission]) -> dict[str, float]:
    validation_seconds = 0.0
    import_seconds = 0.0
    cpu_started = time.process_time()
    for submission in submissions:
        started = time.perf_counter()
        findings = validate(submission, None)
        validation_seconds += time.perf_counter() - started

        started = time.perf_counter()
        result = register.import_submission(
            engine,
            submission,
            findings=findings,
            submitted_by="benchmark",
            received_at=RECEIVED_AT,
        )
        import_seconds += time.perf_counter() - started
        if result.status != "imported":
            raise SystemExit(
                f"{submission.file} was {result.status}: "
                + "; ".join(item.message for item in result.critical[:3])
            )
    return {
        "validation_seconds": validation_seconds,
        "import_seconds": import_seconds,
        "cpu_seconds": time.process_time() - cpu_started,
    }


def run_one_at_a_time(engine: sa.Engine, submissions: list[Submission]) -> float:
    """Insert the same rows with one INSERT statement per row."""
    labels = {key: (item.name, item.group) for key, item in all_substances().items()}
    started = time.perf_counter()
    for submission in submissions:
        facility = submission.facility
        with engine.begin() as connection:
            connection.execute(
                register.facilities.insert().values(
                    facility_id=facility.facility_id,
                    name=facility.name,
                    isic_code=facility.isic_code,
                    province_code=facility.province_code,
                    details_from_year=submission.reporting_year,
                    first_received_at=RECEIVED_AT,
                    updated_at=RECEIVED_AT,
                )
            )
            submission_id = connection.execute(
                register.submissions.insert().values(
                    facility_id=facility.facility_id,
                    reporting_year=submission.reporting_year,
                    revision=1,
                    is_current=True,
                    file_name=submission.file,
                    sha256=submission.sha256,
                    submitted_by="benchmark",
                    received_at=RECEIVED_AT,
                    form_version=submission.form_version,
                    language=submission.language,
                    facility_name=facility.name,
                    isic_code=facility.isic_code,
                    province_code=facility.province_code,
                )
            ).inserted_primary_key[0]
            for item in submission.releases:
                connection.execute(
                    register.releases.insert().values(
                        submission_id=submission_id,
                        row_number=item.row,
                        substance_id=item.substance_id,
                        substance_name=labels[item.substance_id][0],
                        substance_group=labels[item.substance_id][1],
                        medium=item.medium,
                        quantity=item.quantity,
                        unit=item.unit,
                        quantity_reported=item.quantity_reported,
                        unit_reported=item.unit_reported,
                        method=item.method,
                        method_description=item.method_description,
                    )
                )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="release rows")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON to write")
    arguments = parser.parse_args(argv)

    submissions = synthetic_submissions(arguments.rows)
    rows = sum(len(item.releases) for item in submissions)
    with tempfile.TemporaryDirectory(prefix="prtr-bench-") as folder:
        bulk_engine = fresh_register(Path(folder), "bulk.sqlite")
        bulk = run_bulk(bulk_engine, submissions)
        stored = register.row_counts(bulk_engine)["releases"]
        bulk_engine.dispose()

        naive_engine = fresh_register(Path(folder), "one-at-a-time.sqlite")
        naive_seconds = run_one_at_a_time(naive_engine, submissions)
        naive_stored = register.row_counts(naive_engine)["releases"]
        naive_engine.dispose()
    if stored != rows or naive_stored != rows:
        raise SystemExit(f"stored {stored} and {naive_stored} rows, not {rows}")

    total = bulk["validation_seconds"] + bulk["import_seconds"]
    results = {
        "benchmark": "validate and import release rows into SQLite",
        "rows": rows,
        "submissions": len(submissions),
        "validate_and_import_seconds": round(total, 3),
        "validate_and_import_rows_per_second": round(rows / total),
        "validate_and_import_cpu_seconds": round(bulk["cpu_seconds"], 3),
        "validation_seconds": round(bulk["validation_seconds"], 3),
        "bulk_import_seconds": round(bulk["import_seconds"], 3),
        "bulk_import_rows_per_second": round(rows / bulk["import_seconds"]),
        "one_statement_at_a_time_seconds": round(naive_seconds, 3),
        "one_statement_at_a_time_rows_per_second": round(rows / naive_seconds),
        "speed_up_of_bulk_import": round(naive_seconds / bulk["import_seconds"], 1),
        "target_seconds": TARGET_SECONDS,
        "within_target": total < TARGET_SECONDS,
        "machine": {
            "python": sys.version.split()[0],
            "sqlalchemy": sa.__version__,
            "sqlite": __import__("sqlite3").sqlite_version,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        # Wall times include waiting for the CPU when other work shares the machine.
        "load_average_1_min": round(os.getloadavg()[0], 2),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    print(f"{rows:,} release rows in {len(submissions):,} submissions (SQLite)")
    print(
        f"  validate + import (bulk):   {total:6.2f} s  "
        f"{results['validate_and_import_rows_per_second']:>9,} rows/s  "
        f"(validation {bulk['validation_seconds']:.2f} s, "
        f"import {bulk['import_seconds']:.2f} s; CPU {bulk['cpu_seconds']:.2f} s)"
    )
    print(
        f"  insert one row at a time:   {naive_seconds:6.2f} s  "
        f"{results['one_statement_at_a_time_rows_per_second']:>9,} rows/s"
    )
    print(
        f"  bulk import is {results['speed_up_of_bulk_import']}x faster than one "
        f"statement at a time; target {TARGET_SECONDS:.0f} s: "
        f"{'met' if results['within_target'] else 'MISSED'}"
    )
    print(f"  results: {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
