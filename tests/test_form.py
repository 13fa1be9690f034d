"""The reporting form: written from the datasets, protected, bilingual, read back by
key so that an English and a Khmer form give the same submission."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from prtr.errors import PrtrError
from prtr.form import fill_form, read_form, write_form
from prtr.formlayout import FORM_VERSION, LABELS, TABLES
from prtr.submission import CONFIDENTIALITY_GROUNDS
from prtr.substances import all_substances
from prtr.workbookfile import UnreadableFormError

FACILITY = {
    "facility_id": "KH-00017",
    "name": "Pilot Brewery 01 (synthetic)",
    "isic_code": "1103",
    "province_code": "12",
    "latitude": 11.5438,
    "longitude": 104.9247,
    "employees": 158,
    "reporting_year": 2024,
}
RELEASES = [
    {
        "substance": "Total nitrogen (as N)",
        "medium": "water",
        "quantity": 55000,
        "unit": "kg",
        "method": "M",
        "method_description": "monthly effluent sampling",
        "confidential_value": "yes",
        "confidentiality_ground": "trade_secret",
    },
]


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("forms")
    return {
        language: write_form(folder / f"{language}.xlsx", 2024, language=language)
        for language in ("en", "km")
    }


def test_blank_form_has_the_sheets_and_records_its_version(forms: dict) -> None:
    workbook = load_workbook(forms["en"])
    assert workbook.sheetnames[:5] == [
        "instructions",
        "facility",
        "activities",
        "releases",
        "transfers",
    ]
    assert workbook["meta"].sheet_state == "hidden"
    meta = {row[0]: row[1] for row in workbook["meta"].iter_rows(values_only=True)}
    assert meta["form_version"] == FORM_VERSION
    assert meta["reporting_year"] == 2024
    assert f"version={FORM_VERSION}; year=2024" in workbook.properties.keywords


def test_headings_are_protected_and_input_cells_marked(forms: dict) -> None:
    sheet = load_workbook(forms["en"])["releases"]
    assert sheet.protection.sheet
    assert sheet["A2"].protection.locked
    assert not sheet["A3"].protection.locked
    assert sheet["A3"].fill.start_color.rgb.endswith("FFF2CC")
    assert sheet.row_dimensions[1].hidden
    assert [cell.value for cell in sheet[1]] == [c.key for c in TABLES["releases"]]


def test_dropdowns_come_from_the_datasets(forms: dict) -> None:
    workbook = load_workbook(forms["en"])
    lists = workbook["lists"]
    columns = {
        column[0].value: [c.value for c in column[1:] if c.value]
        for column in lists.iter_cols()
    }
    assert columns["substance"] == [s.name for s in all_substances().values()]
    assert columns["method"] == ["M", "C", "E"]
    assert columns["medium"] == ["air", "water", "land"]
    assert len(columns["confidentiality_ground"]) == len(CONFIDENTIALITY_GROUNDS)
    assert any(item.startswith("12 — Phnom Penh") for item in columns["province_code"])
    formulas = {
        str(rule.sqref): rule.formula1
        for rule in workbook["releases"].data_validations.dataValidation
    }
    assert formulas["A3:A302"].startswith("=lists!$A$2")


def test_khmer_form_has_khmer_labels(forms: dict) -> None:
    workbook = load_workbook(forms["km"])
    assert LABELS["releases"]["km"] in workbook.sheetnames
    sheet = workbook[LABELS["releases"]["km"]]
    assert sheet["A2"].value == LABELS["substance"]["km"]
    assert sheet["A1"].value == "substance"
    lists = workbook["lists"]
    assert "12 — ភ្នំពេញ" in [
        cell.value for column in lists.iter_cols() for cell in column
    ]


def test_english_and_khmer_forms_read_the_same(forms: dict, tmp_path: Path) -> None:
    khmer_releases = [
        {**RELEASES[0], "medium": "water — ទឹក", "confidential_value": "បាទ/ចាស"}
    ]
    english = read_form(
        fill_form(
            forms["en"], tmp_path / "en.xlsx", facility=FACILITY, releases=RELEASES
        )
    )
    khmer = read_form(
        fill_form(
            forms["km"],
            tmp_path / "km.xlsx",
            facility=FACILITY,
            releases=khmer_releases,
        )
    )

    assert english.language == "en" and khmer.language == "km"
    assert english.facility == khmer.facility
    assert english.releases == khmer.releases
    release = english.releases[0]
    assert (release.substance_id, release.medium, release.quantity) == (
        "total_nitrogen",
        "water",
        55000.0,
    )
    assert (
        release.confidential_value and release.confidentiality_ground == "trade_secret"
    )
    assert english.findings == khmer.findings == ()
    assert english.form_year == english.reporting_year == 2024


def test_read_form_refuses_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    renamed = tmp_path / "releases.xlsx"
    renamed.write_text("substance,quantity\nlead,3\n", encoding="utf-8")
    with pytest.raises(UnreadableFormError) as raised:
        read_form(renamed)
    assert raised.value.code == "C-FILE"
    assert "text file" in raised.value.message
    assert isinstance(raised.value, PrtrError)


def test_write_form_checks_its_arguments(tmp_path: Path) -> None:
    with pytest.raises(PrtrError, match="--lang"):
        write_form(tmp_path / "x.xlsx", 2025, language="fr")
    with pytest.raises(PrtrError, match="four-digit"):
        write_form(tmp_path / "x.xlsx", 25)


def test_prtr_form_command(tmp_path: Path) -> None:
    out = tmp_path / "blank-km.xlsx"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "prtr.cli",
            "form",
            "--year",
            "2026",
            "--out",
            str(out),
            "--lang",
            "km",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert read_form(out).form_year == 2026

    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "prtr.cli",
            "form",
            "--year",
            "2026",
            "--out",
            str(tmp_path / "no" / "such" / "folder.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr and "Cannot write" in missing.stderr
