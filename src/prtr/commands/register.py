"""``prtr register``: look at what the register holds, and export it.

- ``prtr register facilities``: every facility, with the years it reported;
- ``prtr register history FACILITY``: every revision a facility submitted;
- ``prtr register export [--public] --out FILE.csv``: the current releases and
  transfers; with ``--public``, only what may be published.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import sqlalchemy as sa

from prtr import register as register_db


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--db`` to a parser, the same way for every register command."""
    parser.add_argument(
        "--db",
        metavar="URL",
        help=(
            "the register: an SQLAlchemy URL (sqlite:///file.sqlite, "
            "postgresql+psycopg://user@host/db) or an SQLite file; default "
            f"${register_db.ENVIRONMENT_VARIABLE}, else "
            f"{register_db.DEFAULT_SQLITE_FILE} in the working directory"
        ),
    )


@contextmanager
def open_register(db: str | None, *, must_exist: bool) -> Iterator[sa.Engine]:
    """Open the register for one command and close its connections afterwards."""
    engine = register_db.connect(db, must_exist=must_exist)
    try:
        yield engine
    finally:
        engine.dispose()


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "register", help="look at the register: facilities, history, export"
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    facilities = actions.add_parser(
        "facilities", help="list the facilities and the years they reported"
    )
    add_database_option(facilities)
    facilities.set_defaults(handler=show_facilities)

    history = actions.add_parser(
        "history", help="list every revision a facility submitted"
    )
    history.add_argument("facility", metavar="FACILITY", help="e.g. KH-00001")
    add_database_option(history)
    history.set_defaults(handler=show_history)

    export = actions.add_parser(
        "export", help="write the current releases and transfers to a CSV file"
    )
    export.add_argument("--out", required=True, metavar="FILE.csv", help="CSV to write")
    export.add_argument(
        "--public",
        action="store_true",
        help="only what may be published: confidential values appear only in sums",
    )
    export.add_argument("--year", type=int, help="one reporting year only")
    add_database_option(export)
    export.set_defaults(handler=run_export)


def _print_table(frame: pd.DataFrame) -> None:
    with pd.option_context("display.width", 200, "display.max_colwidth", 40):
        print(frame.to_string(index=False))


def show_facilities(arguments: argparse.Namespace) -> int:
    with open_register(arguments.db, must_exist=True) as engine:
        table = register_db.list_facilities(engine)
        print(f"Register: {register_db.describe(engine)}")
    if table.empty:
        print("No facility has submitted yet.")
        return 0
    table = table.assign(
        updated_at=table["updated_at"].dt.strftime("%Y-%m-%d %H:%M UTC")
    )
    _print_table(table)
    print(f"{len(table)} facilities.")
    return 0


def show_history(arguments: argparse.Namespace) -> int:
    with open_register(arguments.db, must_exist=True) as engine:
        table = register_db.history(engine, arguments.facility)
        print(f"Register: {register_db.describe(engine)}")
    print(f"Submissions of {arguments.facility}:")
    table = table.assign(
        received_at=table["received_at"].dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
        is_current=table["is_current"].map({True: "current", False: "replaced"}),
        sha256=table["sha256"].str[:12],
    ).rename(columns={"is_current": "status", "sha256": "sha256 (start)"})
    _print_table(table)
    return 0


def run_export(arguments: argparse.Namespace) -> int:
    with open_register(arguments.db, must_exist=True) as engine:
        rows = register_db.export_csv(
            engine,
            arguments.out,
            public=arguments.public,
            reporting_year=arguments.year,
        )
    what = (
        "public data (confidential values only in sums)"
        if arguments.public
        else "ALL data, confidential values included: do not publish this file"
    )
    print(f"Wrote {rows} rows to {arguments.out}: {what}.")
    return 0
