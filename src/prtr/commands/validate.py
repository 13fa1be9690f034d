"""``prtr validate``: check filled reporting forms and list the findings by tier."""

from __future__ import annotations

import argparse
import json
import textwrap
from dataclasses import asdict

from prtr.errors import PrtrError
from prtr.validation import DEFAULT_ALERT_FACTOR, FileResult, check_files


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check filled reporting forms: critical errors, possible errors, alerts",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="filled .xlsx forms")
    parser.add_argument(
        "--json", action="store_true", help="print the findings as JSON for tools"
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help=(
            "a register to compare with: alerts then flag large changes against "
            "the facility's previous year (without it, no alerts)"
        ),
    )
    add_alert_factor_option(parser)
    parser.set_defaults(handler=run)


def add_alert_factor_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--alert-factor``, the same way to ``validate`` and ``import``."""
    parser.add_argument(
        "--alert-factor",
        type=float,
        default=DEFAULT_ALERT_FACTOR,
        metavar="X",
        help=(
            "alert when a release changes by more than X times, up or down, against "
            f"the previous year (default {DEFAULT_ALERT_FACTOR:g})"
        ),
    )


def alert_factor(arguments: argparse.Namespace) -> float:
    """The ``--alert-factor`` given, checked."""
    if not arguments.alert_factor > 1:
        raise PrtrError(
            f"--alert-factor {arguments.alert_factor:g}: give a number above 1, "
            "e.g. 3 to flag releases that tripled or fell to a third."
        )
    return arguments.alert_factor


def run(arguments: argparse.Namespace) -> int:
    factor = alert_factor(arguments)
    if arguments.db:
        from prtr import register as register_db
        from prtr.commands.register import open_register

        with open_register(arguments.db, must_exist=True) as engine:
            results = check_files(
                arguments.files,
                previous_lookup=register_db.previous_lookup(engine),
                alert_factor=factor,
            )
    else:
        results = check_files(arguments.files, alert_factor=factor)
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
