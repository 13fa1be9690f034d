"""Toxic equivalents from a congener profile."""

from __future__ import annotations

import pytest

from prtr.errors import PrtrError
from prtr.teq import toxic_equivalents
from prtr.units import convert


@pytest.mark.parametrize(
    ("scheme", "congener", "tef"),
    [  # Van den Berg et al. 2006, Table 1; NATO/CCMS 1988 for I-TEF.
        ("WHO-2005", "2,3,7,8-TCDD", 1.0),
        ("WHO-2005", "2,3,4,7,8-PeCDF", 0.3),
        ("WHO-2005", "OCDD", 0.0003),
        ("WHO-2005", "PCB 126", 0.1),
        ("WHO-2005", "PCB 169", 0.03),
        ("I-TEF", "1,2,3,7,8-PeCDD", 0.5),
        ("I-TEF", "OCDF", 0.001),
    ],
)
def test_tef_values_match_the_published_schemes(scheme, congener, tef):
    result = toxic_equivalents({congener: 1.0}, "ng", scheme=scheme)
    assert result.contributions["tef"].iloc[0] == pytest.approx(tef)


def test_the_teq_of_a_profile_is_the_tef_weighted_sum():
    profile = {"2,3,7,8-TCDD": 0.01, "2,3,4,7,8-PeCDF": 0.1, "OCDD": 10.0}
    result = toxic_equivalents(profile, "ng/m^3")
    expected = 0.01 * 1 + 0.1 * 0.3 + 10 * 0.0003
    assert result.total.magnitude == pytest.approx(expected)
    assert result.contributions["share"].sum() == pytest.approx(1.0)
    assert "1,2,3,7,8-PeCDD" in result.not_given


def test_the_total_is_in_teq_units():
    result = toxic_equivalents({"2,3,7,8-TCDD": 2.0}, "g")
    assert convert(result.total.magnitude, f"{result.total.units}", "mg TEQ") == 2000.0


def test_congeners_are_matched_loosely_and_by_cas():
    loose = toxic_equivalents({"pcb-126": 1.0, "1746-01-6": 1.0}, "pg")
    assert loose.total.magnitude == pytest.approx(1.1)


def test_who_2005_and_i_tef_differ_for_the_penta_furan():
    profile = {"2,3,4,7,8-PeCDF": 1.0}
    assert toxic_equivalents(profile, "ng").total.magnitude == pytest.approx(0.3)
    assert toxic_equivalents(profile, "ng", "I-TEF").total.magnitude == pytest.approx(
        0.5
    )


def test_an_unknown_congener_is_named():
    with pytest.raises(PrtrError, match="'PCB 999'"):
        toxic_equivalents({"PCB 999": 1.0}, "ng")


def test_an_unknown_scheme_lists_the_known_ones():
    with pytest.raises(PrtrError, match="WHO-2005"):
        toxic_equivalents({"OCDD": 1.0}, "ng", scheme="WHO-1998")
