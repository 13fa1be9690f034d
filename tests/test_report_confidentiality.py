"""No claimed value or identity reaches a public report or the website; the
restricted reports show them all.

The real report notebooks (``notebooks/reports/``) run on a small real SQLite
register seeded with claims. Every public output is searched: the HTML of the
national report and of every facility report (claimants included), the text of their
PDFs (printed by Chromium, read back with pypdf), and the executed notebooks that
``prtr report site`` writes for the website. The website's pages are rendered by
Jupyter Book from those notebooks' stored outputs and Markdown only (they are
excluded from execution at build time), so what is not in a notebook cannot be on its
page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from register_support import release, submission, transfer

from prtr import register, reports
from prtr.cli import main
from prtr.reporttext import format_number

YEAR = 2024

#: Claimed quantities, each by one facility; none may be published.
CADMIUM_TO_WATER = 4321.987
NICKEL_TO_AIR = {"KH-00002": 8765.4321, "KH-00003": 9876.5432, "KH-00004": 7654.3219}
DIOXINS_G_TEQ = 0.0812077
HCB_SENT_OFF_SITE = 3456.789
CLAIMED_VALUES = [CADMIUM_TO_WATER, *NICKEL_TO_AIR.values(), DIOXINS_G_TEQ]
#: HCB's identity is claimed on its transfer: its name and CAS number stay unpublished
#: (and its quantity with them).
CLAIMED_IDENTITY = ["Hexachlorobenzene", "118-74-1"]
CLAIMANTS = {"KH-00001", "KH-00002", "KH-00003", "KH-00004", "KH-00005"}
FACILITIES = sorted(CLAIMANTS | {"KH-00006", "KH-00007"})


def writings(value: float) -> set[str]:
    """The ways a report may write ``value`` (none so short that other numbers
    would match it by chance)."""
    forms = {repr(value), f"{value:,}", format_number(value)}
    if value < 1:
        return forms | {f"{value:.3g}", f"{value:.4f}", f"{value:.5f}"}
    for decimals in (1, 2, 3):
        forms |= {f"{value:.{decimals}f}", f"{value:,.{decimals}f}"}
    return forms | {f"{value:.0f}", f"{value:,.0f}"}


def claim(ground: str = "trade_secret") -> dict:
    return {"confidential_value": True, "confidentiality_ground": ground}


def seed(database: Path) -> str:
    engine = register.connect(str(database))
    register.create_schema(engine)
    for number, facility_id in enumerate(FACILITIES, start=1):
        rows = [
            release(5, "mercury", "air", 1.25 * number),
            release(6, "lead", "water", 12.5 * number),
        ]
        moved = [transfer(5, "zinc", 140.0 + number)]
        if facility_id == "KH-00001":
            rows.append(
                release(7, "cadmium", "water", CADMIUM_TO_WATER, **claim("A42d"))
            )
            moved.append(
                transfer(
                    6,
                    "hcb",
                    HCB_SENT_OFF_SITE,
                    confidential_identity=True,
                    confidentiality_ground="trade_secret",
                )
            )
        if facility_id in NICKEL_TO_AIR:
            rows.append(
                release(7, "nickel", "air", NICKEL_TO_AIR[facility_id], **claim())
            )
        if facility_id == "KH-00005":
            rows.append(
                release(7, "pcdd_pcdf", "air", DIOXINS_G_TEQ, unit="g TEQ", **claim())
            )
        register.import_submission(
            engine,
            submission(
                facility_id,
                YEAR,
                tuple(rows),
                tuple(moved),
                facility_changes={"province_code": "12" if number % 2 else "08"},
            ),
        )
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    return url


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def texts(folder: Path) -> dict[Path, str]:
    """Every output file in ``folder`` as text (a PDF's extracted text)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".html", ".ipynb"):
            found[path] = path.read_text(encoding="utf-8")
        elif path.suffix == ".pdf":
            found[path] = pdf_text(path)
    return found


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("confidentiality")
    db = seed(folder / "register.sqlite")
    engine = register.connect(db, must_exist=True)
    stamp = reports.generation_stamp(engine)
    engine.dispose()

    public = folder / "public"
    summary = reports.run_reports(
        [
            reports.national_job(YEAR, "public", db, generated=stamp),
            *reports.facility_jobs(FACILITIES, YEAR, "public", db, generated=stamp),
        ],
        public,
        formats=("html", "pdf"),
        stamp=stamp,
    )
    assert not summary.failed, [o.failure for o in summary.failed]

    site = folder / "site"
    status = main(
        ["report", "site", "--year", str(YEAR), "--db", db, "--out", str(site)]
    )
    assert status == 0

    restricted = folder / "restricted"
    summary = reports.run_reports(
        [
            reports.national_job(YEAR, "restricted", db, generated=stamp),
            *reports.facility_jobs(
                sorted(CLAIMANTS), YEAR, "restricted", db, generated=stamp
            ),
        ],
        restricted,
        formats=("html",),
        stamp=stamp,
    )
    assert not summary.failed, [o.failure for o in summary.failed]
    return {"public": public, "site": site, "restricted": restricted}


def test_every_public_output_was_made(outputs: dict[str, Path]) -> None:
    public = texts(outputs["public"])
    assert len([path for path in public if path.suffix == ".pdf"]) == 1 + len(
        FACILITIES
    )
    assert all("PRTR" in text or "report" in text.lower() for text in public.values())
    site = sorted(path.name for path in outputs["site"].rglob("*.ipynb"))
    # Only facilities that claimed nothing get a page.
    assert site == ["KH-00006.ipynb", "KH-00007.ipynb", "national.ipynb"]


@pytest.mark.parametrize("audience_folder", ["public", "site"])
def test_no_claimed_value_or_identity_is_published(
    outputs: dict[str, Path], audience_folder: str
) -> None:
    leaks = []
    for path, text in texts(outputs[audience_folder]).items():
        for value in [*CLAIMED_VALUES, HCB_SENT_OFF_SITE]:
            leaks += [(path.name, form) for form in writings(value) if form in text]
        leaks += [(path.name, name) for name in CLAIMED_IDENTITY if name in text]
    assert leaks == []


def test_the_restricted_reports_show_every_claim(outputs: dict[str, Path]) -> None:
    restricted = texts(outputs["restricted"])
    facility_pages = {
        path.name.split("-2024")[0]: text
        for path, text in restricted.items()
        if path.suffix == ".html" and path.parent.name == "facilities"
    }
    own = {
        "KH-00001": [CADMIUM_TO_WATER],
        **{key: [value] for key, value in NICKEL_TO_AIR.items()},
        "KH-00005": [DIOXINS_G_TEQ],
    }
    for facility_id, values in own.items():
        page = facility_pages[facility_id]
        for value in values:
            assert any(form in page for form in writings(value)), (facility_id, value)
    assert "Hexachlorobenzene" in facility_pages["KH-00001"]
    everything = "\n".join(restricted.values())
    for value in CLAIMED_VALUES:
        assert any(form in everything for form in writings(value)), value
