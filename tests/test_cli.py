"""The command line as a user meets it: plain messages, exit codes, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from prtr.cli import main


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prtr.cli", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_substance_is_shown_with_its_identity(capsys):
    assert main(["substance", "2921-88-2"]) == 0
    shown = capsys.readouterr().out
    assert "Chlorpyrifos" in shown
    assert "Stockholm A" in shown


def test_an_unknown_substance_is_a_message_and_status_2():
    result = _run("substance", "unobtainium")
    assert result.returncode == 2
    assert result.stderr.startswith("prtr: error: 'unobtainium' is not a substance")
    assert "Traceback" not in result.stderr


def test_thresholds_decide_per_scheme(capsys):
    assert main(["thresholds", "mercury", "--amount", "air=12 kg"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("E-PRTR") and "Must report" in line for line in lines)


@pytest.mark.parametrize("amount", ["air=twelve kg", "air=12 furlongs"])
def test_a_bad_amount_is_explained(amount):
    result = _run("thresholds", "mercury", "--amount", amount)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "prtr: error:" in result.stderr


def test_the_data_package_check_lists_every_table(capsys):
    assert main(["datasets"]) == 0
    assert "pilot_facilities" in capsys.readouterr().out


def test_a_closed_pipe_ends_quietly():
    command = f"{sys.executable} -m prtr.cli datasets | head -n 1"
    result = subprocess.run(
        command, shell=True, capture_output=True, text=True, check=False
    )
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr


def test_validate_compares_with_the_register_at_the_alert_factor_asked(tmp_path):
    from prtr.form import fill_form, write_form

    facility = {
        "facility_id": "KH-00001",
        "name": "Test plant (synthetic)",
        "isic_code": "3510",
        "province_code": "12",
        "latitude": 11.55,
        "longitude": 104.92,
        "employees": 40,
    }
    files = {}
    for year, quantity in ((2024, 1.0), (2025, 3.0)):  # mercury tripled
        blank = write_form(tmp_path / f"blank-{year}.xlsx", year)
        files[year] = fill_form(
            blank,
            tmp_path / f"filled-{year}.xlsx",
            facility={**facility, "reporting_year": year},
            releases=[
                {
                    "substance": "mercury",
                    "medium": "air",
                    "quantity": quantity,
                    "unit": "kg",
                    "method": "M",
                    "method_description": "stack sampling",
                }
            ],
        )
    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    assert main(["import", str(files[2024]), "--db", url]) == 0

    def alert_codes(*options: str) -> list[str]:
        result = _run("validate", str(files[2025]), "--json", *options)
        assert result.returncode == 0, result.stderr
        return [
            finding["code"]
            for finding in json.loads(result.stdout)[0]["findings"]
            if finding["tier"] == "alert"
        ]

    assert alert_codes() == []  # no register, nothing to compare with
    assert alert_codes("--db", url) == []  # tripled: below the default factor of 5
    assert alert_codes("--db", url, "--alert-factor", "2") == ["A-CHANGE"]
    refused = _run("validate", str(files[2025]), "--alert-factor", "0.5")
    assert refused.returncode == 2
    assert "above 1" in refused.stderr
