"""Units: reading what reporters write, converting, refusing nonsense."""

from __future__ import annotations

import numpy as np
import pytest

from prtr.units import UnitError, conversion_factor, convert, parse_unit


@pytest.mark.parametrize(
    ("written", "in_kg"),
    [
        ("kg", 1.0),
        ("t", 1000.0),
        ("tonnes", 1000.0),
        ("tonne", 1000.0),
        ("g", 0.001),
        ("lb", 0.45359237),
        ("Mg", 1000.0),
    ],
)
def test_masses_that_reporters_write_convert_to_kilograms(written, in_kg):
    assert convert(1.0, written, "kg") == pytest.approx(in_kg)


def test_yearly_rates_read_with_the_common_abbreviations():
    assert convert(2.0, "t/yr", "kg/year") == pytest.approx(2000.0)
    assert convert(2.0, "tonnes/annum", "kg/year") == pytest.approx(2000.0)


def test_micro_sign_and_greek_mu_are_the_same_prefix():
    assert convert(1.0, "µg", "ug") == pytest.approx(1.0)
    assert convert(1.0, "μg", "g") == pytest.approx(1e-6)


def test_teq_is_a_dimension_of_its_own():
    assert convert(2.5, "g TEQ", "mg TEQ") == pytest.approx(2500.0)
    with pytest.raises(UnitError, match="measure different things"):
        convert(1.0, "g TEQ", "g")


def test_us_fuel_factor_converts_to_si():
    # 1 lb per 1000 US gallons, in kg per cubic metre: 0.45359237 / 3.785411784.
    assert conversion_factor("lb/kgal", "kg/m^3") == pytest.approx(0.1198264, rel=1e-6)


def test_arrays_convert_with_one_multiplication():
    values = np.arange(5.0)
    assert np.allclose(convert(values, "t", "kg"), values * 1000)
    assert np.allclose(convert([1, 2], "t", "kg"), [1000, 2000])


@pytest.mark.parametrize("bad", ["", "  ", "kgg", "per fortnight-ish", "1,2"])
def test_unknown_units_say_what_to_write(bad):
    with pytest.raises(UnitError, match="unit"):
        parse_unit(bad)


def test_incompatible_units_name_both():
    with pytest.raises(UnitError) as caught:
        convert(1.0, "kg", "m^3")
    assert "'kg'" in str(caught.value)
    assert "'m^3'" in str(caught.value)
