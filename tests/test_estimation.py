"""The four estimation techniques, with numbers worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prtr.errors import EstimationError, UnitError
from prtr.estimation import (
    direct_measurement,
    emission_factor,
    emission_factors,
    engineering_calculation,
    estimate_with_factors,
    mass_balance,
)
from prtr.units import quantity

POUND_KG = 0.45359237
SO2_FACTOR = "ap42_1_3_no6_normal_sox"


def test_direct_measurement_multiplies_concentration_flow_and_time():
    # 400 mg/m3 x 100,000 m3/h x 8,000 h = 3.2e11 mg = 320,000 kg.
    estimate = direct_measurement(
        "nox",
        "air",
        (400, "mg/m^3"),
        (100_000, "m^3/h"),
        (8_000, "h"),
        relative_uncertainty=0.1,
    )
    assert estimate.value == pytest.approx(320_000)
    assert estimate.unit == "kg"
    assert estimate.method == "M"
    assert (estimate.low, estimate.high) == pytest.approx((288_000, 352_000))


def test_mass_balance_subtracts_accounted_outputs():
    # 50,000 t of fuel at 0.02 mg/kg mercury holds 1 kg; 0.2 kg leaves in the ash.
    fuel_mercury = quantity(50_000, "t") * quantity(0.02, "mg/kg")
    estimate = mass_balance(
        "mercury",
        "air",
        {"fuel": fuel_mercury},
        {"ash": (200, "g")},
        relative_uncertainty=0.3,
    )
    assert estimate.value == pytest.approx(0.8)
    assert estimate.method == "C"


def test_mass_balance_refuses_more_out_than_in():
    with pytest.raises(EstimationError, match="exceed the inputs"):
        mass_balance(
            "mercury",
            "air",
            {"fuel": (1, "kg")},
            {"ash": (2, "kg")},
            relative_uncertainty=0.3,
        )


def test_engineering_calculation_of_so2_from_fuel_sulphur():
    # 10,000 t of fuel at 2 % sulphur holds 200 t of S; as SO2 x 64.06/32.06.
    ratio = 64.06 / 32.06
    estimate = engineering_calculation(
        "sox",
        "air",
        (10_000, "t"),
        (2, "percent"),
        stoichiometric_ratio=ratio,
        relative_uncertainty=0.05,
    )
    assert estimate.value == pytest.approx(200_000 * ratio)
    assert estimate.method == "C"


def test_control_efficiency_removes_its_share():
    estimate = engineering_calculation(
        "sox",
        "air",
        (10_000, "t"),
        (2, "percent"),
        stoichiometric_ratio=2.0,
        control_efficiency=0.9,
        relative_uncertainty=0.05,
    )
    assert estimate.value == pytest.approx(40_000)


def test_emission_factor_with_sulphur_content():
    # AP-42 Table 1.3-1: SO2 = 157 S lb per 1000 gal of No. 6 oil.
    estimate = emission_factor(
        SO2_FACTOR, (1_000, "kgal"), scaled_by=2.0, relative_uncertainty=0.2
    )
    assert estimate.value == pytest.approx(157 * 2 * 1_000 * POUND_KG)
    assert estimate.method == "E"
    assert "AP-42" in estimate.description


def test_emission_factor_converts_the_activity_unit():
    in_gallons = emission_factor(
        SO2_FACTOR, (1_000, "kgal"), scaled_by=1.0, relative_uncertainty=0.2
    )
    in_cubic_metres = emission_factor(
        SO2_FACTOR, (3_785.411784, "m^3"), scaled_by=1.0, relative_uncertainty=0.2
    )
    assert in_cubic_metres.value == pytest.approx(in_gallons.value)


def test_a_factor_that_needs_sulphur_says_so():
    with pytest.raises(EstimationError, match="scaled_by"):
        emission_factor(SO2_FACTOR, (1_000, "kgal"), relative_uncertainty=0.2)


def test_an_activity_in_the_wrong_kind_of_unit_is_refused():
    with pytest.raises(UnitError, match="kgal"):
        emission_factor(
            SO2_FACTOR, (1_000, "h"), scaled_by=1.0, relative_uncertainty=0.2
        )


def test_a_result_that_is_not_a_mass_is_refused():
    with pytest.raises(UnitError, match="reporting unit kg"):
        direct_measurement(
            "nox",
            "air",
            (400, "mg/m^3"),
            (100_000, "m^3/h"),
            (8, "m"),
            relative_uncertainty=0.1,
        )


def test_a_bare_number_is_not_a_quantity():
    with pytest.raises(EstimationError, match="quantity with its unit"):
        engineering_calculation(
            "sox", "air", 10_000, (2, "percent"), relative_uncertainty=0.05
        )


def _activity_table(rows: int, seed: int = 7) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    factor_ids = sorted(emission_factors())
    chosen = generator.choice(factor_ids, size=rows)
    units = generator.choice(["kgal", "m^3", "L"], size=rows)
    return pd.DataFrame(
        {
            "factor_id": chosen,
            "activity": generator.uniform(1, 500, size=rows),
            "activity_unit": units,
            "scaled_by": generator.uniform(0.5, 3.5, size=rows),
        }
    )


def test_the_vectorised_estimate_equals_the_one_row_at_a_time_estimate():
    activities = _activity_table(300)
    activities = activities[
        activities["factor_id"].map(lambda f: emission_factors()[f].activity_unit)
        == "kgal"
    ].reset_index(drop=True)
    table = estimate_with_factors(activities, relative_uncertainty=0.25)
    for row, result in zip(activities.itertuples(), table.itertuples(), strict=True):
        factor = emission_factors()[row.factor_id]
        one = emission_factor(
            factor,
            (row.activity, row.activity_unit),
            scaled_by=row.scaled_by if factor.scaled_by else None,
            relative_uncertainty=0.25,
        )
        assert result.release == pytest.approx(one.value)
        assert result.high == pytest.approx(one.high)
        assert result.substance_id == one.substance_id


def test_the_vectorised_estimate_names_bad_rows():
    activities = pd.DataFrame(
        {
            "factor_id": [SO2_FACTOR, "no_such_factor"],
            "activity": [1.0, 1.0],
            "activity_unit": ["kgal", "kgal"],
            "scaled_by": [1.0, 1.0],
        }
    )
    with pytest.raises(EstimationError, match=r"rows \[1\]"):
        estimate_with_factors(activities, relative_uncertainty=0.2)


def test_the_vectorised_estimate_wants_sulphur_where_the_factor_does():
    activities = pd.DataFrame(
        {"factor_id": [SO2_FACTOR], "activity": [1.0], "activity_unit": ["kgal"]}
    )
    with pytest.raises(EstimationError, match="scaled_by"):
        estimate_with_factors(activities, relative_uncertainty=0.2)
