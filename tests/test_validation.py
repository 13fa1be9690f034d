"""Validation: every broken form of the corpus gives its finding, through the library
and through the ``prtr validate`` command, and the good form validates clean."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from prtr.form import read_form
from prtr.submission import TIERS
from prtr.validation import RULES, check_files, validate

_SPEC = importlib.util.spec_from_file_location(
    "make_broken_forms", Path(__file__).parent / "data" / "make_broken_forms.py"
)
broken = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = broken
_SPEC.loader.exec_module(broken)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return broken.make_all(tmp_path_factory.mktemp("broken"))


@pytest.fixture(scope="module")
def results(corpus: dict[str, Path]) -> dict[str, object]:
    return dict(zip(corpus, check_files(corpus.values()), strict=True))


def test_corpus_has_at_least_25_broken_forms() -> None:
    assert sum(case.code is not None for case in broken.CASES) >= 25


def test_good_form_validates_clean(results: dict) -> None:
    result = results["good"]
    assert result.findings == ()
    assert result.submission.facility.facility_id == "KH-00001"
    assert {r.substance_id for r in result.submission.releases} == {"sox", "nox"}


@pytest.mark.parametrize("case", broken.CASES, ids=lambda case: case.name)
def test_broken_form_gives_its_finding(case, results: dict) -> None:
    result = results[case.name]
    where = [(f.code, f.sheet, f.row, f.column) for f in result.findings]
    if case.code is None:
        assert [f for f in result.findings if f.tier != "alert"] == [], where
        return
    assert (case.code, case.sheet, case.row, case.column) in where
    found = next(f for f in result.findings if f.code == case.code)
    assert found.tier == RULES[case.code].tier
    assert found.message and found.hint
    assert found.file == str(result.path)
    assert result.critical == (case.code.startswith("C-"))


def test_accepted_units_are_converted(results: dict) -> None:
    good = results["good"].submission.releases[0]
    for name in ("unit_kg_per_year", "unit_tonnes"):
        release = results[name].submission.releases[0]
        assert release.unit == "kg"
        assert release.quantity == pytest.approx(good.quantity)


def test_a_bound_is_named_in_the_message(results: dict) -> None:
    bomb = results["zip_bomb"].findings[0]
    assert "GB" in bomb.message and "bound" in bomb.message
    rows = next(f for f in results["million_rows"].findings if f.code == "C-BOUND")
    assert "1,048,576 rows" in rows.message


def test_the_row_bound_holds_without_a_declared_size(
    corpus: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import prtr.form

    monkeypatch.setattr(prtr.form, "MAX_ROWS", 1)
    findings = read_form(corpus["good"]).findings
    assert any(f.code == "C-BOUND" and f.sheet == "releases" for f in findings)


def test_formula_text_is_neutralised(results: dict) -> None:
    release = results["text_equals"].submission.releases[0]
    assert release.method_description.startswith("'=HYPERLINK")


def test_alerts_compare_with_last_year(corpus: dict) -> None:
    submission = read_form(corpus["good"])
    nox = next(r for r in submission.releases if r.substance_id == "nox")
    previous = {("nox", "air"): nox.quantity / 6, ("lead", "water"): 4.0}

    findings = validate(submission, previous)
    codes = {(f.code, f.row) for f in findings}
    assert ("A-CHANGE", nox.row) in codes
    assert ("A-MISSING", None) in codes
    assert all(f.tier == "alert" for f in findings)

    relaxed = validate(submission, previous, alert_factor=10)
    assert [f.code for f in relaxed] == ["A-MISSING"]


def test_unknown_facility_is_critical_when_the_register_is_given(corpus: dict) -> None:
    result = check_files([corpus["good"]], known_facilities={"KH-00002"})[0]
    assert [f.code for f in result.findings] == ["C-FACILITY-ID"]
    lookup_calls = []

    def lookup(facility_id: str, year: int) -> dict:
        lookup_calls.append((facility_id, year))
        return {}

    check_files([corpus["good"]], lookup)
    assert lookup_calls == [("KH-00001", 2025)]


def test_rules_table_is_complete() -> None:
    for code, rule in RULES.items():
        assert code == rule.code
        assert rule.tier in TIERS
        assert code[0] == rule.tier[0].upper()
        for name in ("title", "description", "example", "hint"):
            assert getattr(rule, name).strip(), (code, name)
    assert {case.code for case in broken.CASES} - {None} <= set(RULES)


def _prtr(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "prtr.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cli_reports_every_broken_form_without_a_traceback(corpus: dict) -> None:
    names = [case.name for case in broken.CASES]
    completed = _prtr("validate", "--json", *(str(corpus[name]) for name in names))

    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout
    assert completed.stderr == ""
    reports = json.loads(completed.stdout)
    assert [Path(report["file"]).stem for report in reports] == names
    for case, report in zip(broken.CASES, reports, strict=True):
        codes = {finding["code"] for finding in report["findings"]}
        if case.code:
            assert case.code in codes, case.name
        assert report["accepted"] == (not (case.code or "").startswith("C-"))


def test_cli_table_and_exit_status(corpus: dict) -> None:
    good = _prtr("validate", str(corpus["good"]))
    assert good.returncode == 0, good.stderr
    assert "accepted" in good.stdout and "No findings." in good.stdout

    bad = _prtr("validate", str(corpus["pdf_renamed"]), str(corpus["formula"]))
    assert bad.returncode == 1
    assert "REJECTED" in bad.stdout
    assert "C-FILE" in bad.stdout and "releases!C3" in bad.stdout
    assert "How to fix:" in bad.stdout
    assert "Traceback" not in bad.stderr


def test_findings_are_plain_data(results: dict) -> None:
    finding = results["formula"].findings[0]
    assert json.loads(json.dumps(dataclasses.asdict(finding)))["code"] == "C-FORMULA"
