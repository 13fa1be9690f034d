"""``prtr report national|facilities|site``: make the reports from the register.

- ``prtr report national --year 2025 --audience public --out reports/``: the national
  report, as ``national-2025-public.ipynb``, ``.html`` and, with ``--format
  html,pdf``, ``.pdf``;
- ``prtr report facilities --year 2025 --audience restricted --out reports/
  [--facility KH-00001 ...]``: a feedback report for each facility that reported
  that year (or those named), in ``reports/facilities/``;
- ``prtr report site --year 2025 --out reports/pilot``: the pages of the website:
  the public national report as ``national.ipynb`` and the public reports of the
  facilities that claimed confidentiality for nothing, in any year, as
  ``facilities/ID.ipynb``, code hidden (``make book`` runs it for the pilot).

If one report fails, the others are still made; the command names the report and
the cell that failed, and exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlalchemy as sa

from prtr import register as register_db
from prtr import reports
from prtr.commands.register import add_database_option, open_register
from prtr.errors import PrtrError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="make the national report or facility reports from the register",
        description=(
            "Run the report notebooks (notebooks/reports/) for a reporting year, "
            "keep each executed notebook, and write HTML without code and, if "
            "asked, PDF. 'site' writes the public pages of the website. A failed "
            "report is named with its cell; the others are still made; the exit "
            "status is then 1."
        ),
    )
    parser.add_argument(
        "kind",
        choices=["national", "facilities", "site"],
        help="which reports: the national report, facility reports, or the website",
    )
    parser.add_argument("--year", type=int, required=True, help="the reporting year")
    parser.add_argument(
        "--audience",
        choices=register_db.AUDIENCES,
        default="public",
        help=(
            "public: only what may be published (default); restricted: everything, "
            "claimed values included, for the ministry"
        ),
    )
    parser.add_argument(
        "--format",
        default="html",
        metavar="LIST",
        help=(
            "comma-separated: html, pdf (the executed .ipynb is always kept); "
            "default html"
        ),
    )
    parser.add_argument(
        "--facility",
        action="append",
        metavar="ID",
        help="only this facility (repeat for more); default every facility that "
        "reported that year",
    )
    parser.add_argument(
        "--language", default="en", help="language of the reports' text (default en)"
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument(
        "--jobs",
        type=int,
        default=reports.MAX_WORKERS,
        metavar="N",
        help=f"reports run at once (at most {reports.MAX_WORKERS}, the default)",
    )
    parser.add_argument(
        "--kernel-per-report",
        action="store_true",
        help="start a new kernel for every report, as plain papermill does (slower)",
    )
    add_database_option(parser)
    parser.set_defaults(handler=run)


def _formats(value: str) -> list[str]:
    formats = [item.strip().lower() for item in value.split(",") if item.strip()]
    unknown = [item for item in formats if item not in reports.FORMATS]
    if unknown or not formats:
        raise PrtrError(
            f"--format {value!r}: use html, pdf or html,pdf (the executed notebook "
            "is always kept)."
        )
    return formats


def _absolute_sqlite(engine: sa.Engine) -> sa.Engine:
    # The notebooks run in their own folder: a relative SQLite path would point
    # elsewhere there.
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (
        None,
        "",
        ":memory:",
    ):
        absolute = str(Path(url.database).resolve())
        if absolute != url.database:
            return sa.create_engine(url.set(database=absolute))
    return engine


def _jobs(
    arguments: argparse.Namespace, engine: sa.Engine, db_url: str, stamp: str
) -> tuple[list[reports.ReportJob], bool]:
    year = arguments.year
    common = {"language": arguments.language, "generated": stamp}
    names = reports.facility_names(engine)
    reporting = reports.facilities_reporting(engine, year)
    if not reporting:
        raise PrtrError(
            f"The register holds no report for {year}. See which years it has with "
            "prtr register facilities, and give one of them with --year."
        )
    if arguments.kind == "national":
        return [reports.national_job(year, arguments.audience, db_url, **common)], False

    if arguments.kind == "site":
        if arguments.audience != "public":
            raise PrtrError(
                "prtr report site writes the website, which is public: leave out "
                "--audience restricted."
            )
        claimed = reports.facilities_with_claims(engine)
        published = [item for item in reporting if item not in claimed]
        national = reports.national_job(
            year, "public", db_url, **common, stem="national"
        )
        return [
            national,
            *reports.facility_jobs(
                published,
                year,
                "public",
                db_url,
                **common,
                with_year=False,
                names=names,
            ),
        ], True

    wanted = arguments.facility or reporting
    missing = [item for item in wanted if item not in reporting]
    if missing:
        raise PrtrError(
            f"No report for {year} in the register from {', '.join(missing)}. "
            "List the facilities with prtr register facilities."
        )
    return reports.facility_jobs(
        wanted, year, arguments.audience, db_url, **common, names=names
    ), False


def run(arguments: argparse.Namespace) -> int:
    formats = ["ipynb"] if arguments.kind == "site" else _formats(arguments.format)
    if arguments.jobs < 1:
        raise PrtrError("--jobs must be 1 or more.")
    if arguments.jobs > reports.MAX_WORKERS:
        print(
            f"prtr: --jobs {arguments.jobs}: running {reports.MAX_WORKERS} at once, "
            "the most that works reliably here.",
            file=sys.stderr,
        )

    with open_register(arguments.db, must_exist=True) as opened:
        engine = _absolute_sqlite(opened)
        try:
            db_url, env = reports.safe_database_url(engine)
            stamp = reports.generation_stamp(engine)
            jobs, for_site = _jobs(arguments, engine, db_url, stamp)
        finally:
            if engine is not opened:
                engine.dispose()

    out: Path = arguments.out
    if for_site:
        reports.clear_folder(out / "failed")
    print(f"Making {len(jobs)} report(s) for {arguments.year} into {out}/ ...")
    summary = reports.run_reports(
        jobs,
        out,
        formats=formats,
        stamp=stamp,
        workers=arguments.jobs,
        engine="papermill" if arguments.kernel_per_report else "warm",
        env=env,
        hide_code=for_site,
        progress=sys.stderr.isatty(),
    )
    if for_site:
        written = [path for path in summary.files if path.suffix == ".ipynb"]
        reports.remove_stale(out / "facilities", written)

    for outcome in summary.failed:
        assert outcome.failure is not None
        print(f"FAILED {outcome.job.label}: {outcome.failure.describe()}")
        kept = out / "failed" / f"{outcome.job.stem}.ipynb"
        if kept.exists():
            print(f"    the executed notebook is in {kept}")
    made = len(summary.outcomes) - len(summary.failed)
    print(
        f"{made} of {len(summary.outcomes)} report(s) written to {out}/ "
        f"({', '.join(['ipynb', *[item for item in formats if item != 'ipynb']])})."
    )
    if summary.failed:
        names = ", ".join(outcome.job.label for outcome in summary.failed)
        print(f"{len(summary.failed)} failed: {names}.")
        return 1
    return 0
