"""``prtr form``: write a blank reporting form for one reporting year."""

from __future__ import annotations

import argparse

from prtr.form import write_form
from prtr.formlayout import FORM_VERSION, LANGUAGES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "form", help="write a blank Excel reporting form for one reporting year"
    )
    parser.add_argument("--year", type=int, required=True, help="e.g. 2025")
    parser.add_argument(
        "--out", required=True, metavar="FILE.xlsx", help="the workbook to write"
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="en",
        help="language of the labels and instructions (default: en)",
    )
    parser.set_defaults(handler=run)


def run(arguments: argparse.Namespace) -> int:
    path = write_form(arguments.out, arguments.year, language=arguments.lang)
    print(
        f"Wrote {path}: the {arguments.lang} reporting form for {arguments.year} "
        f"(form version {FORM_VERSION}). Fill the yellow cells, then check it with "
        f"`prtr validate {path}`."
    )
    return 0
