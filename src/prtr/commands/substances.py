"""``prtr substance`` and ``prtr thresholds``: look up substances and thresholds."""

from __future__ import annotations

import argparse

from prtr.substances import find
from prtr.thresholds import SCHEMES, must_report_all, thresholds_for


def register(subparsers: argparse._SubParsersAction) -> None:
    substance = subparsers.add_parser(
        "substance", help="look a substance up by identifier, CAS number or name"
    )
    substance.add_argument(
        "query", help="e.g. mercury, 7439-97-6 or 'Mercury and compounds'"
    )
    substance.set_defaults(handler=show_substance)

    thresholds = subparsers.add_parser(
        "thresholds",
        help="list a substance's thresholds, or decide whether it must be reported",
    )
    thresholds.add_argument("query", help="identifier, CAS number or name")
    thresholds.add_argument(
        "--amount",
        action="append",
        default=[],
        metavar="KEY=VALUE UNIT",
        help="a yearly amount, e.g. 'air=12 kg' or 'use=15 t'; repeat for several",
    )
    thresholds.set_defaults(handler=show_thresholds)


def show_substance(arguments: argparse.Namespace) -> int:
    found = find(arguments.query)
    print(f"{found.name}")
    print(f"  identifier      {found.substance_id}")
    print(f"  CAS number      {found.cas or '(a group of substances)'}")
    print(f"  group           {found.group}")
    print(f"  conventions     {'; '.join(found.conventions) or '-'}")
    print(f"  reporting unit  {found.reporting_unit} per year")
    print(f"  PBT             {'yes' if found.pbt else 'no'}")
    return 0


def _amounts(items: list[str]) -> dict[str, tuple[float, str]]:
    from prtr.errors import PrtrError

    amounts = {}
    for item in items:
        key, _, text = item.partition("=")
        value, _, unit = text.strip().partition(" ")
        try:
            amounts[key.strip()] = (float(value), unit.strip())
        except ValueError:
            raise PrtrError(
                f"--amount {item!r}: write KEY=VALUE UNIT, for example 'air=12 kg'."
            ) from None
    return amounts


def show_thresholds(arguments: argparse.Namespace) -> int:
    found = find(arguments.query)
    if not arguments.amount:
        rows = thresholds_for(found.substance_id)
        print(f"Thresholds for {found.name}: {len(rows)}")
        for scheme in SCHEMES:
            for row in (item for item in rows if item.scheme == scheme):
                print(f"  {row}")
        return 0
    for scheme, decision in must_report_all(
        found.substance_id, _amounts(arguments.amount)
    ).items():
        print(f"{scheme:<9} {decision.reason}")
    return 0
