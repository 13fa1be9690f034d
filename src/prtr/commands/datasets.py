"""``prtr datasets``: check the data package, list its tables."""

from __future__ import annotations

import argparse

from prtr.datapackage import check_all, datasets_dir, resources


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "datasets", help="check every table of the data package against its schema"
    )
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    counts = check_all()
    tables = resources()
    print(f"Data package: {datasets_dir()}")
    for name, count in counts.items():
        print(f"  {name:<20} {count:>6} rows  {tables[name].path.name}  ok")
    return 0
