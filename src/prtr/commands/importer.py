"""``prtr import FILE...``: validate filled forms and write them into the register.

Each file is read, validated against the register (for the alerts that compare with
last year) and written in one transaction of its own. A file with a critical finding
is rejected whole; the others are still imported. The exit status is 1 when any file
was rejected, so that a script can tell.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from prtr import register as register_db
from prtr.commands.register import add_database_option, open_register
from prtr.commands.validate import add_alert_factor_option, alert_factor
from prtr.errors import PrtrError, RegisterError
from prtr.submission import Finding

#: At most this many critical findings are printed per rejected file.
SHOWN_FINDINGS = 10


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="validate filled forms and write them into the register",
        description=(
            "Validate each FILE and write it into the register in one transaction. "
            "A file with a critical finding is rejected and changes nothing; the "
            "same file imported twice changes nothing; a corrected file becomes a "
            "new revision. Exit status 1 when any file was rejected."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="filled forms (.xlsx)")
    parser.add_argument(
        "--by",
        metavar="NAME",
        help="who submitted the files (default: the name in the form, else your login)",
    )
    parser.add_argument(
        "--facilities",
        metavar="FILE.csv",
        help=(
            "the facilities the ministry registered (a CSV with a facility_id "
            "column, e.g. datasets/pilot/facilities.csv); a form for any other "
            "identifier is rejected. Without it any identifier is accepted."
        ),
    )
    add_database_option(parser)
    add_alert_factor_option(parser)
    parser.set_defaults(handler=run)


def _registered_facilities(path: str) -> set[str]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise PrtrError(f"--facilities {path}: cannot read it ({error}).") from None
    if "facility_id" not in table.columns:
        raise PrtrError(
            f"--facilities {path}: no facility_id column; the first line must name "
            "the columns, one of them facility_id."
        )
    return {value.strip() for value in table["facility_id"] if value.strip()}


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _print_findings(found: tuple[Finding, ...]) -> None:
    critical = [item for item in found if item.tier == "critical"]
    for item in critical[:SHOWN_FINDINGS]:
        print(f"    {item.code} {item.location}: {item.message} {item.hint}")
    if len(critical) > SHOWN_FINDINGS:
        print(
            f"    ... and {len(critical) - SHOWN_FINDINGS} more; "
            "run prtr validate on the file to see them all."
        )


def import_file(
    engine: sa.Engine,
    path: Path,
    *,
    known_facilities: set[str] | None,
    submitted_by: str | None,
    factor: float,
) -> str:
    """Validate and import one file, print what was done; return the status."""
    from prtr.validation import check_files

    (checked,) = check_files(
        [path],
        previous_lookup=register_db.previous_lookup(engine),
        known_facilities=known_facilities,
        alert_factor=factor,
    )
    submission = checked.submission
    if submission is None:
        critical = [item for item in checked.findings if item.tier == "critical"]
        print(
            f"{path}: rejected: {len(critical)} critical finding(s); the file could "
            "not be read; the register is unchanged"
        )
        _print_findings(checked.findings)
        return "rejected"

    try:
        result = register_db.import_submission(
            engine,
            submission,
            findings=[
                item for item in checked.findings if item not in submission.findings
            ],
            submitted_by=submitted_by or submission.submitted_by or _login(),
        )
    except RegisterError as error:
        print(f"{path}: rejected: {error}")
        return "rejected"

    others = [item for item in result.findings if item.tier != "critical"]
    remark = (
        f" ({len(others)} non-blocking finding(s) kept with it)"
        if others and result.status == "imported"
        else ""
    )
    print(f"{path}: {result.summary}{remark}")
    if result.status == "rejected":
        _print_findings(result.findings)
    return result.status


def run(arguments: argparse.Namespace) -> int:
    factor = alert_factor(arguments)
    known = (
        _registered_facilities(arguments.facilities) if arguments.facilities else None
    )
    counts = {"imported": 0, "unchanged": 0, "rejected": 0}
    with open_register(arguments.db, must_exist=False) as engine:
        register_db.create_schema(engine)
        print(f"Register: {register_db.describe(engine)}")
        # One file at a time: a file for 2025 is then checked against the 2024 file
        # imported just before it in the same run.
        for path in arguments.files:
            status = import_file(
                engine,
                Path(path),
                known_facilities=known,
                submitted_by=arguments.by,
                factor=factor,
            )
            counts[status] += 1

    print(
        f"{len(arguments.files)} file(s): {counts['imported']} imported, "
        f"{counts['unchanged']} unchanged, {counts['rejected']} rejected."
    )
    return 1 if counts["rejected"] else 0
