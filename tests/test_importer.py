"""``prtr import``: real forms written with prtr.form, a real SQLite file and a real
PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from register_support import BACKENDS, database_url

from prtr import register
from prtr.cli import main
from prtr.form import fill_form, write_form

FACILITY = {
    "facility_id": "KH-00001",
    "name": "Pilot Power Station 01 (synthetic)",
    "isic_code": "3510",
    "province_code": "12",
    "latitude": 11.5447,
    "longitude": 104.9068,
    "employees": 106,
    "contact_name": "Sok Dara",
    "submitted_by": "Sok Dara",
}
MERCURY = {
    "substance": "mercury",
    "medium": "air",
    "quantity": 1.5,
    "unit": "kg",
    "method": "M",
    "method_description": "stack sampling, four campaigns",
}
LEAD = {
    "substance": "lead",
    "medium": "water",
    "quantity": 2.5,
    "unit": "kg",
    "method": "C",
    "method_description": "mass balance",
    "confidential_value": "yes",
    "confidentiality_ground": "trade_secret",
}


@pytest.fixture(scope="module")
def blanks(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("blank-forms")
    return {
        year: write_form(folder / f"blank-{year}.xlsx", year) for year in (2024, 2025)
    }


@pytest.fixture(params=BACKENDS)
def register_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url(request.param, tmp_path) as url:
        yield url


def filled(
    blanks: dict[int, Path],
    out: Path,
    *,
    year: int = 2024,
    releases: list[dict[str, Any]] | None = None,
    **facility: Any,
) -> Path:
    return fill_form(
        blanks[year],
        out,
        facility={**FACILITY, "reporting_year": year, **facility},
        releases=[MERCURY, LEAD] if releases is None else releases,
    )


def state(url: str) -> tuple[dict[str, int], str]:
    engine = register.connect(url)
    try:
        return register.row_counts(engine), register.register_checksum(engine)
    finally:
        engine.dispose()


def test_import_reports_each_file_and_keeps_revisions(
    blanks: dict[int, Path],
    tmp_path: Path,
    register_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = filled(blanks, tmp_path / "first.xlsx")
    broken = filled(
        blanks, tmp_path / "broken.xlsx", releases=[{**MERCURY, "quantity": "1,234.5"}]
    )
    corrected = filled(blanks, tmp_path / "corrected.xlsx", releases=[MERCURY])

    status_first = main(["import", str(first), "--db", register_url, "--by", "Vanna"])
    before = state(register_url)
    status_broken = main(["import", str(broken), str(first), "--db", register_url])
    after = state(register_url)
    status_corrected = main(["import", str(corrected), "--db", register_url])
    output = capsys.readouterr().out

    assert (status_first, status_broken, status_corrected) == (0, 1, 0)
    assert after == before
    assert "first.xlsx: imported as revision 1 of KH-00001 2024" in output
    assert "broken.xlsx: rejected" in output
    assert "C-NUMBER-SEPARATOR" in output
    assert "first.xlsx: unchanged: this file is already revision 1" in output
    assert (
        "corrected.xlsx: imported as revision 2 of KH-00001 2024, replacing" in output
    )
    engine = register.connect(register_url)
    revisions = register.history(engine, "KH-00001")
    current = register.current_releases(engine)
    engine.dispose()
    assert revisions["file_name"].tolist() == ["first.xlsx", "corrected.xlsx"]
    assert revisions["submitted_by"].tolist() == ["Vanna", "Sok Dara"]
    assert current["substance_id"].tolist() == ["mercury"]


def test_a_file_that_is_no_workbook_is_rejected(
    tmp_path: Path, register_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "report.xlsx"
    fake.write_text("facility_id,quantity\nKH-00001,12\n", encoding="utf-8")

    status = main(["import", str(fake), "--db", register_url])
    captured = capsys.readouterr()

    assert status == 1
    assert "report.xlsx: rejected" in captured.out
    assert "Traceback" not in captured.out + captured.err
    assert state(register_url)[0]["submissions"] == 0


def test_last_year_in_the_register_raises_alerts(
    blanks: dict[int, Path],
    tmp_path: Path,
    register_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    last_year = filled(blanks, tmp_path / "2024.xlsx")
    this_year = filled(
        blanks,
        tmp_path / "2025.xlsx",
        year=2025,
        releases=[{**MERCURY, "quantity": 150.0}],
    )

    status = main(["import", str(last_year), str(this_year), "--db", register_url])
    capsys.readouterr()

    assert status == 0
    engine = register.connect(register_url)
    with engine.connect() as connection:
        codes = connection.execute(
            sa.select(register.findings.c.code)
            .join(register.submissions)
            .where(register.submissions.c.reporting_year == 2025)
        ).scalars()
        stored = set(codes)
    engine.dispose()
    assert {"A-CHANGE", "A-MISSING"} <= stored


def test_facilities_not_registered_are_rejected(
    blanks: dict[int, Path],
    tmp_path: Path,
    register_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    registered = tmp_path / "facilities.csv"
    registered.write_text("facility_id,name\nKH-00002,Other\n", encoding="utf-8")
    form = filled(blanks, tmp_path / "form.xlsx")

    status = main(
        ["import", str(form), "--db", register_url, "--facilities", str(registered)]
    )
    output = capsys.readouterr().out

    assert status == 1
    assert "C-FACILITY" in output
    assert state(register_url)[0]["submissions"] == 0
