"""The numbers, words and confidentiality of the PRTR reports, on a small real register.

The register is a real SQLite file in ``tmp_path``, filled through
:func:`prtr.register.import_submission` with submissions validated by
:func:`prtr.validation.validate`, as ``prtr import`` does. Its numbers are chosen so
that every expected value below can be worked out by hand.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from register_support import release

from prtr import register, reportdata, reportview
from prtr.reporttext import (
    format_number,
    format_percent,
    say_change,
    say_coverage,
    say_substance_total,
)
from prtr.submission import Activity, Facility, Release, Submission, Transfer
from prtr.validation import validate

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO / "notebooks" / "reports"

#: Values that are claimed confidential in the register below: none of them, in any
#: way a report could write it, may appear in a public output.
CLAIMED_TEXTS = (
    "4321",
    "4,321",
    "4,322",
    "777.7",
    "777.8",
    "778",
    "Cadmium",
    "cadmium",
)

FACILITIES = {
    "KH-00001": ("3510", "12", 11.55, 104.91),
    "KH-00002": ("3510", "18", 10.67, 103.57),
    "KH-00003": ("3510", "08", 11.30, 104.95),
    "KH-00004": ("0729", "16", 13.70, 107.00),
    "KH-00005": ("1410", "12", 11.56, 104.89),
    "KH-00006": ("1410", "08", 11.40, 104.80),
}


def _submission(
    facility_id: str,
    year: int,
    releases: tuple[Release, ...] = (),
    transfers: tuple[Transfer, ...] = (),
    activities: tuple[Activity, ...] = (),
) -> Submission:
    isic_code, province_code, latitude, longitude = FACILITIES[facility_id]
    content = repr((facility_id, year, releases, transfers, activities))
    return Submission(
        file=f"{facility_id}_{year}.xlsx",
        sha256=hashlib.sha256(content.encode()).hexdigest(),
        form_version="test",
        reporting_year=year,
        language="en",
        facility=Facility(
            facility_id=facility_id,
            name=f"Test Facility {facility_id[-1]} (synthetic)",
            isic_code=isic_code,
            province_code=province_code,
            latitude=latitude,
            longitude=longitude,
            employees=50,
        ),
        activities=activities,
        releases=releases,
        transfers=transfers,
        submitted_by="test",
    )


def _fuel(quantity: float) -> tuple[Activity, ...]:
    return (Activity(3, "heavy fuel oil burned", quantity, "kgal"),)


def _submissions() -> list[Submission]:
    claimed_cadmium = {
        "confidential_identity": True,
        "confidentiality_ground": "trade_secret",
    }
    claimed_value = {"confidential_value": True, "confidentiality_ground": "A42d"}
    return [
        _submission(
            "KH-00001",
            2024,
            releases=(
                release(5, "sox", "air", 2000.0, "E"),
                release(6, "lead", "air", 5.0, "M"),
            ),
            activities=_fuel(90.0),
        ),
        _submission("KH-00006", 2024, activities=_fuel(1.0)),
        _submission(
            "KH-00001",
            2025,
            releases=(
                release(5, "mercury", "air", 2.0, "M"),
                release(6, "sox", "air", 1000.0, "E"),
                release(7, "pcdd_pcdf", "air", 0.004, "M", unit="g TEQ"),
            ),
            transfers=(
                Transfer(
                    row=5,
                    substance_id="lead",
                    waste_description="fly ash",
                    quantity=50.0,
                    unit="kg",
                    quantity_reported=50.0,
                    unit_reported="kg",
                    destination="Landfill (synthetic)",
                    treatment_code="D1",
                    method="C",
                ),
            ),
            activities=_fuel(100.0),
        ),
        _submission(
            "KH-00002",
            2025,
            releases=(
                release(5, "mercury", "air", 1.0, "E"),
                release(6, "sox", "air", 3000.0, "E"),
            ),
            activities=_fuel(200.0),
        ),
        _submission(
            "KH-00003",
            2025,
            releases=(
                release(5, "sox", "air", 500.0, "C"),
                release(6, "cadmium", "air", 4321.987, "E", **claimed_cadmium),
            ),
            activities=_fuel(50.0),
        ),
        _submission(
            "KH-00004",
            2025,
            releases=(
                release(5, "mercury", "air", 9.0, "E"),
                release(6, "mercury", "water", 3.0, "E"),
                release(7, "mercury", "land", 777.777, "E", **claimed_value),
            ),
            activities=(Activity(3, "ore processed", 1000.0, "t"),),
        ),
        _submission("KH-00005", 2025, activities=_fuel(1.0)),
    ]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    engine = register.connect(url)
    register.create_schema(engine)
    for submission in _submissions():
        previous = register.previous_year_releases(
            engine, submission.facility.facility_id, submission.reporting_year
        )
        found = validate(submission, previous or None)
        assert not [item for item in found if item.tier == "critical"], found
        result = register.import_submission(engine, submission, findings=found)
        assert result.status == "imported"
    engine.dispose()
    return url


@pytest.fixture
def public(db_url: str) -> reportdata.Snapshot:
    return reportdata.load_snapshot(db_url, 2025, "public")


@pytest.fixture
def restricted(db_url: str) -> reportdata.Snapshot:
    return reportdata.load_snapshot(db_url, 2025, "restricted")


def _row(frame: pd.DataFrame, **values: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in values.items():
        mask &= frame[column] == value
    assert mask.sum() == 1, frame
    return frame[mask].iloc[0]


# --- Numbers ---


def test_coverage_counts_facilities_known_reported_and_empty(public):
    result = reportdata.coverage(public)

    assert (result.expected, result.reported, result.empty_reports) == (6, 5, 1)
    garments = _row(result.by_sector, sector=reportdata.sector_of("1410"))
    assert (garments["expected"], garments["reported"]) == (2, 1)
    kandal = _row(result.by_province, province="Kandal")
    assert (kandal["expected"], kandal["reported"]) == (2, 1)


def test_totals_add_up_by_medium_with_the_documented_range(restricted):
    table = reportdata.totals(restricted)

    sox = _row(table, key="sox")
    assert sox["air"] == pytest.approx(4500.0)
    assert math.isnan(sox["water"])
    # E values share their error (0.5 x 4000), the C value is independent (0.3 x 500).
    half_width = math.sqrt(2000.0**2 + 150.0**2)
    assert sox["low"] == pytest.approx(4500.0 - half_width)
    assert sox["high"] == pytest.approx(4500.0 + half_width)
    assert sox["facilities"] == 3

    mercury = _row(table, key="mercury")
    assert mercury["total"] == pytest.approx(2.0 + 1.0 + 9.0 + 3.0 + 777.777)
    assert list(table["unit"]).index("g TEQ") > list(table["unit"]).index("kg")


def test_total_range_of_measured_values_adds_in_quadrature():
    rows = pd.DataFrame({"quantity": [30.0, 40.0], "method": ["M", "M"]})

    total, low, high = reportdata.total_range(rows)

    assert total == 70.0
    assert high - total == pytest.approx(math.hypot(6.0, 8.0))
    assert low == pytest.approx(70.0 - 10.0)


def test_mercury_by_medium_names_the_largest_sector(public):
    result = reportdata.mercury(public)

    air = next(item for item in result["media"] if item["medium"] == "air")
    assert air["total"] == pytest.approx(12.0)
    assert air["top_sector"] == reportdata.sector_of("0729")
    assert air["top_share"] == pytest.approx(0.75)
    assert [item["medium"] for item in result["media"]] == ["air", "water"]


def test_pops_put_dioxins_first_in_their_own_unit(public):
    table = reportdata.pops(public)

    assert list(table["key"]) == ["pcdd_pcdf"]
    assert table["unit"].iloc[0] == "g TEQ"
    assert table["total"].iloc[0] == pytest.approx(0.004)


def test_largest_sources_rank_facilities_by_share(public):
    table = reportdata.largest_sources(public)

    sox = table[table["substance_name"].str.startswith("Sulphur")]
    assert list(sox["facility_id"]) == ["KH-00002", "KH-00001", "KH-00003"]
    assert sox["share"].iloc[0] == pytest.approx(3000 / 4500)


def test_transfers_split_disposal_and_recovery(public):
    table = reportdata.transfers_by_treatment(public)

    assert table.to_dict("records") == [
        {
            "substance_name": "Lead and compounds (as Pb)",
            "treatment": "D",
            "unit": "kg",
            "quantity": 50.0,
            "facilities": 1,
        }
    ]


def test_methods_count_values_and_kg(restricted):
    table = reportdata.methods(restricted).set_index("method")

    assert table["values"].to_dict() == {"M": 2, "C": 1, "E": 7}
    assert table.loc["C", "share_kg"] == pytest.approx(
        500.0 / (4500.0 + 4321.987 + 792.777)
    )


def test_change_against_previous_year(public):
    table = reportdata.change_from_previous(public)

    # Only KH-00001 reported in both years: KH-00002 and KH-00003 joined in 2025,
    # and their 3,500 kg of SOx must not read as a rise.
    sox = _row(table, key="sox")
    assert (sox["previous"], sox["current"]) == (2000.0, 1000.0)
    assert sox["change"] == pytest.approx(-0.5)
    mercury = _row(table, key="mercury")
    assert mercury["current"] == pytest.approx(2.0)
    assert math.isnan(mercury["change"])


def test_no_previous_year_gives_none(db_url):
    assert (
        reportdata.change_from_previous(
            reportdata.load_snapshot(db_url, 2024, "public")
        )
        is None
    )


def test_where_and_map_place_facilities_that_reported(public):
    by_province, substances = reportdata.where(public)
    points, substance = reportdata.map_points(public)

    assert substances[0] == "mercury"
    assert substance == "mercury"
    assert list(points["facility_id"]) == [f"KH-0000{n}" for n in range(1, 6)]
    assert _row(points, facility_id="KH-00004")["quantity"] == pytest.approx(12.0)
    assert _row(by_province, province="Phnom Penh")["facilities"] == 1


def test_facility_compared_per_unit_of_activity(public):
    table, activity = reportdata.sector_comparison(public, "KH-00001")

    assert activity == {
        "activity": "heavy fuel oil burned",
        "unit": "kgal",
        "sector": reportdata.sector_of("3510"),
    }
    sox = _row(
        table, medium="air", unit="kg", substance_name="Sulphur oxides (SOx, as SO2)"
    )
    assert sox["intensity"] == pytest.approx(10.0)
    assert sox["peer_median"] == pytest.approx(12.5)
    assert sox["peers"] == 2


def test_facility_releases_carry_last_year_and_advice(public):
    releases = reportdata.facility_releases(public, "KH-00001")
    advice = dict(reportdata.improvements(public, "KH-00001"))

    sox = _row(releases, substance_id="sox")
    assert (sox["quantity"], sox["previous"]) == (1000.0, 2000.0)
    assert advice["improve.missing"]["names"] == ["Lead and compounds (as Pb)"]
    assert advice["improve.estimated"]["count"] == 1


def test_facility_findings_are_the_stored_ones(public, restricted):
    stored = reportdata.facility_findings(restricted, "KH-00005")
    shown = reportdata.facility_findings(public, "KH-00005")

    assert list(stored["code"]) == ["P-EMPTY"]
    assert stored["finding"].iloc[0] == "No release and no transfer."
    assert list(shown["code"]) == ["P-EMPTY"]


def test_facility_that_did_not_report_and_unknown_facility(public):
    assert reportdata.facility_profile(public, "KH-00006")["reported"] is False
    assert reportdata.facility_profile(public, "KH-09999") is None
    assert reportdata.facility_releases(public, "KH-09999").empty


# --- Words ---


def test_numbers_are_written_for_print():
    assert format_number(1234567.8) == "1,234,568"
    assert format_number(12.34) == "12.3"
    assert format_number(0.004123) == "0.00412"
    assert format_number(0.0) == "0"
    assert format_number(float("nan")) == "–"
    assert format_percent(0.642) == "64 %"
    assert format_percent(0.001) == "<1 %"


def test_sentences_read_naturally_with_zero_and_one_source():
    assert (
        say_substance_total(
            "mercury",
            total=12.3,
            unit="kg",
            year=2025,
            medium="air",
            top_sector="Gold mining",
            top_share=0.64,
        )
        == "Mercury releases to air totalled 12.3 kg in 2025, 64 % of them from gold "
        "mining."
    )
    assert (
        say_substance_total(
            "mercury",
            total=0.0,
            unit="kg",
            year=2025,
            medium="air",
            top_sector="",
            top_share=0.0,
        )
        == "No facility reported a release of mercury for 2025."
    )
    assert "all of them" in say_substance_total(
        "mercury",
        total=5.0,
        unit="kg",
        year=2025,
        medium="water",
        top_sector="Gold mining",
        top_share=1.0,
    )
    assert say_coverage(0, 0, 2025, 0) == "The register holds no facility yet."
    assert say_change("SOx", 0.0, 10.0, "kg").endswith("for the first time (10.0 kg).")
    assert "fell" in say_change("SOx", 100.0, 50.0, "kg")


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language 'xx'"):
        format_number(1.0, "xx")


# --- Confidentiality and determinism ---


def _national_html(snapshot: reportdata.Snapshot) -> str:
    year = snapshot.year
    by_province, substances = reportdata.where(snapshot)
    points, map_substance = reportdata.map_points(snapshot)
    names = {
        row.substance_id: (row.substance_name, row.unit)
        for row in snapshot.releases.itertuples(index=False)
        if row.row_kind == "facility"
    }
    reported_both = int(
        (
            snapshot.facilities["reported"] & snapshot.facilities["reported_previous"]
        ).sum()
    )
    return "".join(
        [
            reportview.report_header(snapshot, str(year), "stamp"),
            reportview.coverage_section(reportdata.coverage(snapshot), year),
            reportview.totals_section(
                reportdata.totals(snapshot),
                year,
                withheld=reportdata.withheld_units(snapshot),
            ),
            reportview.pops_section(reportdata.pops(snapshot), year),
            reportview.mercury_section(reportdata.mercury(snapshot), year),
            reportview.largest_sources_section(
                reportdata.largest_sources(snapshot), year
            ),
            reportview.transfers_section(
                reportdata.transfers_by_treatment(snapshot), year
            ),
            reportview.methods_section(reportdata.methods(snapshot), year),
            reportview.change_section(
                reportdata.change_from_previous(snapshot), year, reported_both
            ),
            reportview.where_section(
                by_province, substances, points, map_substance, names, year
            ),
        ]
    )


def _facility_html(snapshot: reportdata.Snapshot, facility_id: str) -> str:
    year = snapshot.year
    profile = reportdata.facility_profile(snapshot, facility_id)
    parts = [reportview.facility_intro(profile, facility_id, year)]
    if profile and profile["reported"]:
        comparison, activity = reportdata.sector_comparison(snapshot, facility_id)
        parts += [
            reportview.facility_reported_section(
                reportdata.facility_releases(snapshot, facility_id),
                reportdata.facility_transfers(snapshot, facility_id),
                reportdata.facility_activities(snapshot, facility_id),
                profile,
                year,
                snapshot.audience,
            ),
            reportview.facility_compare_section(
                comparison, activity, profile["sector"], year
            ),
            reportview.facility_findings_section(
                reportdata.facility_findings(snapshot, facility_id), year
            ),
            reportview.facility_improve_section(
                reportdata.improvements(snapshot, facility_id), year
            ),
        ]
    return "".join(parts)


def _visible_text(html: str) -> str:
    """The HTML without embedded images (their base64 could contain any digits)."""
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)


def _public_frames(snapshot: reportdata.Snapshot) -> list[pd.DataFrame]:
    frames = [
        snapshot.releases,
        snapshot.previous_releases,
        snapshot.transfers,
        reportdata.totals(snapshot),
        reportdata.pops(snapshot),
        reportdata.mercury(snapshot)["by_sector"],
        reportdata.largest_sources(snapshot),
        reportdata.transfers_by_treatment(snapshot),
        reportdata.methods(snapshot),
        reportdata.change_from_previous(snapshot),
        reportdata.where(snapshot)[0],
        reportdata.map_points(snapshot)[0],
    ]
    for facility_id in FACILITIES:
        frames += [
            reportdata.facility_releases(snapshot, facility_id),
            reportdata.facility_transfers(snapshot, facility_id),
            reportdata.sector_comparison(snapshot, facility_id)[0],
            reportdata.facility_findings(snapshot, facility_id),
        ]
    return frames


def test_public_tables_hold_no_claimed_value_or_identity(public):
    assert reportdata.withheld_units(public) == ["kg"]
    for frame in _public_frames(public):
        assert not frame.isin(["cadmium", "Cadmium and compounds (as Cd)"]).any().any()
        numbers = frame.select_dtypes("number").to_numpy(dtype=float).ravel()
        for claimed in (4321.987, 777.777, 9.0 + 3.0 + 777.777, 4321.987 + 777.777):
            assert not any(math.isclose(value, claimed) for value in numbers), frame
        assert reportdata.mercury(public)["confidential_heavy_metals"] == 0.0


def test_public_reports_never_write_a_claimed_value_or_identity(public, restricted):
    public_html = _visible_text(
        _national_html(public)
        + "".join(_facility_html(public, facility_id) for facility_id in FACILITIES)
    )
    restricted_html = _visible_text(
        _national_html(restricted)
        + "".join(_facility_html(restricted, facility_id) for facility_id in FACILITIES)
    )

    for claimed in CLAIMED_TEXTS:
        assert claimed not in public_html, claimed
    assert "Cadmium" in restricted_html
    assert "4,322" in restricted_html
    assert "777.8" in restricted_html or "778" in restricted_html


def test_reports_say_the_data_are_synthetic(public):
    assert "SYNTHETIC PILOT DATA" in reportview.report_header(public, "2025")


def test_same_register_gives_the_same_report(db_url):
    first = reportdata.load_snapshot(db_url, 2025, "public")
    second = reportdata.load_snapshot(db_url, 2025, "public")

    assert _national_html(first) == _national_html(second)
    assert _facility_html(first, "KH-00001") == _facility_html(second, "KH-00001")


# --- The notebooks, run by papermill as `prtr report` runs them ---


def _outputs(notebook: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("data", {}).get("text/html", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


@pytest.mark.slow
def test_national_notebook_runs_with_papermill(db_url, tmp_path):
    papermill = pytest.importorskip("papermill")

    executed = papermill.execute_notebook(
        str(REPORTS / "national_report.ipynb"),
        str(tmp_path / "national.ipynb"),
        parameters={"year": 2025, "audience": "public", "db_url": db_url},
        progress_bar=False,
        cwd=str(tmp_path),
    )

    html = _visible_text(_outputs(executed))
    assert (
        "Mercury releases to air totalled 12.0 kg in 2025, 75 % of them from gold "
        "mining." in html
    )
    assert "SYNTHETIC PILOT DATA" in html
    assert 'alt="' in _outputs(executed)
    for claimed in CLAIMED_TEXTS:
        assert claimed not in html, claimed


@pytest.mark.slow
def test_facility_notebook_runs_with_papermill(db_url, tmp_path):
    papermill = pytest.importorskip("papermill")

    executed = papermill.execute_notebook(
        str(REPORTS / "facility_report.ipynb"),
        str(tmp_path / "facility.ipynb"),
        parameters={
            "facility_id": "KH-00003",
            "year": 2025,
            "audience": "restricted",
            "db_url": db_url,
        },
        progress_bar=False,
        cwd=str(tmp_path),
    )

    html = _outputs(executed)
    assert "RESTRICTED edition" in html
    assert "Cadmium and compounds (as Cd) *" in html
    assert "Release per unit of activity, 2025" in html


def test_notebooks_take_the_agreed_parameters():
    expected = {
        "national_report.ipynb": {
            "year",
            "audience",
            "db_url",
            "language",
            "generated",
        },
        "facility_report.ipynb": {
            "facility_id",
            "year",
            "audience",
            "db_url",
            "language",
            "generated",
        },
    }
    for name, parameters in expected.items():
        notebook = nbformat.read(REPORTS / name, as_version=4)
        cells = [
            cell
            for cell in notebook.cells
            if "parameters" in cell.metadata.get("tags", [])
        ]
        assert len(cells) == 1
        assigned = set(re.findall(r"^(\w+) = ", cells[0].source, flags=re.MULTILINE))
        assert assigned == parameters
        assert notebook.metadata["mystnb"] == {"remove_code_source": True}


def test_counts_of_one_take_the_singular():
    from prtr.reporttext import text

    assert text("confidential.sum", name="Heavy metals", count=1).endswith(
        "(sum of 1 facility)"
    )
    assert text("confidential.sum", name="Heavy metals", count="3").endswith(
        "(sum of 3 facilities)"
    )
