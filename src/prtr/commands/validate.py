"""``prtr validate``: check filled reporting forms and list the findings by tier."""

from __future__ import annotations

import argparse
import json
import textwrap
from dataclasses import asdict

from prtr.validation import FileResult, check_files


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check filled reporting forms: critical errors, possible errors, alerts",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="filled .xlsx forms")
    parser.add_argument(
        "--json", action="store_true", help="print the findings as JSON for tools"
    )
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    results = check_files(arguments.files)
    if arguments.json:
        print(json.dumps([_as_json(result) for result in results], indent=2))
    else:
        for result in results:
            _print_table(result)
    return 1 if any(result.critical for result in results) else 0


def _as_json(result: FileResult) -> dict:
    submission = result.submission
    return {
        "file": str(result.path),
        "accepted": not result.critical,
        "facility_id": submission.facility.facility_id if submission else None,
        "reporting_year": submission.reporting_year if submission else None,
        "counts": {
            tier: result.count(tier) for tier in ("critical", "possible", "alert")
        },
        "findings": [asdict(finding) for finding in result.findings],
    }


def _print_table(result: FileResult) -> None:
    counts = ", ".join(
        f"{result.count(tier)} {tier}" for tier in ("critical", "possible", "alert")
    )
    verdict = "REJECTED (fix the critical findings)" if result.critical else "accepted"
    print(f"{result.path}: {verdict}; {counts}")
    if not result.findings:
        print("  No findings.")
    for finding in result.findings:
        where = finding.sheet or "(file)"
        if finding.row is not None or finding.column:
            where += f"!{finding.column or ''}{finding.row if finding.row else ''}"
        print(f"  {finding.tier:<8} {finding.code:<18} {where}")
        for line in textwrap.wrap(finding.message, 84):
            print(f"      {line}")
        for line in textwrap.wrap(f"How to fix: {finding.hint}", 84):
            print(f"      {line}")
    print()
