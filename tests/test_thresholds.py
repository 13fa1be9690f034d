"""Thresholds: the published values, and the decision whether to report."""

from __future__ import annotations

import pytest

from prtr.datapackage import load_table
from prtr.errors import UnitError
from prtr.thresholds import SCHEMES, must_report, must_report_all, thresholds_for


def _value(scheme: str, substance_id: str, medium: str) -> tuple[float, str]:
    rows = load_table("thresholds")
    row = rows[
        (rows.scheme == scheme)
        & (rows.substance_id == substance_id)
        & (rows.medium == medium)
    ].iloc[0]
    return row.threshold, row.unit


@pytest.mark.parametrize(
    ("substance_id", "medium", "expected"),
    [  # Regulation (EC) No 166/2006, Annex II.
        ("mercury", "air", 10),
        ("mercury", "water", 1),
        ("mercury", "land", 1),
        ("cadmium", "air", 10),
        ("lead", "air", 200),
        ("nox", "air", 100_000),
        ("sox", "air", 150_000),
        ("co2", "air", 100_000_000),
        ("pm10", "air", 50_000),
        ("total_nitrogen", "water", 50_000),
        ("total_phosphorus", "water", 5_000),
    ],
)
def test_e_prtr_annex_ii_values(substance_id, medium, expected):
    value, unit = _value("E-PRTR", substance_id, medium)
    assert (value, unit) == (expected, "kg/year")


def test_e_prtr_dioxin_threshold_is_0_0001_kg_teq():
    value, unit = _value("E-PRTR", "pcdd_pcdf", "air")
    assert value == pytest.approx(0.0001)
    assert unit.replace(" ", "").lower() in {"kgteq/year", "kgteq/yr"}


def test_tri_pbt_threshold_for_mercury_is_10_pounds():
    rows = [row for row in thresholds_for("mercury", "TRI") if row.category == "PBT"]
    assert rows and all(row.value == 10 and row.unit == "lb/year" for row in rows)


def test_every_scheme_in_the_table_is_known():
    assert set(load_table("thresholds")["scheme"]) <= set(SCHEMES)


def test_a_release_above_the_e_prtr_threshold_must_be_reported():
    decision = must_report("E-PRTR", "mercury", {"air": (11, "kg")})
    assert decision.must_report
    assert "above 10 kg/year" in decision.reason


def test_a_release_at_or_below_the_threshold_need_not_be():
    decision = must_report(
        "E-PRTR",
        "mercury",
        {
            "air": (10, "kg"),
            "water": (0.5, "kg"),
            "land": (0, "kg"),
            "offsite_wastewater": (0, "kg"),
        },
    )
    assert not decision.must_report
    assert decision.reason == "Below every threshold of the scheme."


def test_amounts_convert_to_the_threshold_unit():
    # 12 lb of mercury used is above TRI's 10 lb PBT threshold; 4 kg (8.8 lb) is not.
    assert must_report("TRI", "mercury", {"otherwise_use": (12, "lb")}).must_report
    assert not must_report(
        "TRI", "mercury", {"otherwise_use": (4, "kg"), "manufacture_process": (0, "kg")}
    ).must_report


def test_a_missing_amount_makes_the_answer_provisional():
    decision = must_report("E-PRTR", "mercury", {"air": (1, "kg")})
    assert not decision.must_report
    assert "not final" in decision.reason
    assert "water" in decision.reason


def test_all_schemes_at_once():
    decisions = must_report_all(
        "mercury", {"air": (50, "kg"), "use": (20, "kg"), "otherwise_use": (20, "kg")}
    )
    assert set(decisions) == set(SCHEMES)
    assert decisions["E-PRTR"].must_report
    assert decisions["TRI"].must_report


def test_an_amount_in_the_wrong_kind_of_unit_is_refused():
    with pytest.raises(UnitError, match="kg/year"):
        must_report("E-PRTR", "mercury", {"air": (11, "m^3")})
