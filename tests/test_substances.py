"""Substances: the list the issue asks for, CAS check digits, look-up."""

from __future__ import annotations

import pytest

from prtr.datapackage import load_table
from prtr.errors import UnknownSubstanceError
from prtr.substances import all_substances, cas_is_valid, find


@pytest.mark.parametrize(
    ("cas", "valid"),
    [
        ("7439-97-6", True),
        ("1746-01-6", True),
        ("2921-88-2", True),
        ("50-00-0", True),
        ("7439-97-7", False),
        ("1746-01-5", False),
        ("7439976", False),
        ("", False),
    ],
)
def test_cas_check_digit(cas, valid):
    assert cas_is_valid(cas) is valid


# The substances that later tools rely on by identifier.
REQUIRED = [
    "mercury",
    "cadmium",
    "lead",
    "arsenic",
    "chromium",
    "nickel",
    "copper",
    "zinc",
    "pcdd_pcdf",
    "pcbs",
    "hcb",
    "pecb",
    "pahs",
    "co2",
    "ch4",
    "n2o",
    "nox",
    "sox",
    "pm10",
    "nmvoc",
    "nh3",
    "co",
    "total_nitrogen",
    "total_phosphorus",
]


def test_the_register_covers_what_the_programme_agreed():
    substances = all_substances()
    missing = [
        substance_id for substance_id in REQUIRED if substance_id not in substances
    ]
    assert not missing


@pytest.mark.parametrize("name", ["chlorpyrifos", "chlorinated paraffins", "perfluoro"])
def test_stockholm_listings_up_to_2025_are_present(name):
    names = " ".join(
        substance.name.casefold() for substance in all_substances().values()
    )
    assert name in names


def test_every_pop_is_marked_pbt_and_has_a_listing_year():
    table = load_table("substances")
    pops = table[table["conventions"].str.contains("Stockholm")]
    assert len(pops) >= 30
    assert pops["pbt"].all()
    # A group row (the E-PRTR's PBDEs) sums several listings: it has no one year.
    listed = pops[pops["cas"] != ""]
    assert listed["listed_year"].notna().all()


def test_dioxins_are_reported_as_teq():
    assert find("pcdd_pcdf").reporting_unit == "g TEQ"
    assert find("mercury").reporting_unit == "kg"


@pytest.mark.parametrize(
    "query", ["chlorpyrifos", "2921-88-2", " CHLORPYRIFOS ", "2921-88-2 "]
)
def test_find_by_identifier_cas_or_name(query):
    assert find(query).substance_id == "chlorpyrifos"


def test_find_by_full_name():
    mercury = find("mercury")
    assert find(mercury.name.upper()) == mercury


def test_an_unknown_substance_points_to_the_list():
    with pytest.raises(UnknownSubstanceError, match=r"datasets/substances\.csv"):
        find("unobtainium")
