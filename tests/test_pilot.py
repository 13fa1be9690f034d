"""The SYNTHETIC pilot: its releases table, and the forms fill_forms.py makes from it.

The forms are filled for a few facilities only (``--facility``), read back, validated,
imported into a real SQLite register and exported for the public, as a trainer would
run the exercise.
"""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
import sqlalchemy as sa

from prtr.cli import main
from prtr.datapackage import load_table, resources
from prtr.submission import CONFIDENTIALITY_GROUNDS
from prtr.validation import check_files

#: The facilities whose forms are filled here: a power station (factor estimates and a
#: deliberate formula), a garment factory (deliberate wrong year), the four facilities
#: with claims, and the cement works (its change of method raises an alert).
SUBSET = ["KH-00001", "KH-00004", "KH-00009", "KH-00015", "KH-00020", "KH-00022",
          "KH-00032"]

#: The deliberate critical mistakes among SUBSET, as fill_forms.py documents them.
BROKEN = {"KH-00001_2025": "C-FORMULA", "KH-00004_2025": "C-YEAR"}

#: Sectors as the exercise groups them: every group needs a facility without a claim.
SECTOR_GROUPS = {
    "textiles": {"1410", "1430", "1313"},
    "food and beverage": {"1061", "1103", "1104", "1030"},
    "rubber": {"2219"},
    "cement and bricks": {"2394", "2392"},
    "gold mining": {"0729"},
    "health care": {"8610"},
    "waste": {"3821", "3822"},
}


def _module(repo: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"pilot_{name}", repo / "datasets" / "pilot" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def releases() -> pd.DataFrame:
    return load_table("pilot_releases")


@pytest.fixture(scope="module")
def claims(releases: pd.DataFrame) -> pd.DataFrame:
    return releases[releases["confidential_value"] | releases["confidential_identity"]]


def test_pilot_releases_load_and_are_synthetic_in_every_row(releases):
    assert resources()["pilot_releases"].description.startswith("SYNTHETIC.")
    assert len(releases) > 100
    assert releases["synthetic"].all()
    assert set(releases["method"]) == {"M", "C"}
    assert releases["method_description"].str.endswith("(synthetic)").all()
    assert not releases["method_description"].str.contains(
        "factor|estimat", case=False
    ).any()
    transfers = releases[releases["kind"] == "transfer"]
    assert len(transfers) > 0
    assert (transfers["medium"] == "").all()
    assert (transfers["destination"].str.contains(r"\(synthetic\)")).all()
    assert transfers["treatment_code"].str.fullmatch(r"[DR][0-9]{0,2}").all()


def test_csv_files_are_what_make_pilot_writes(repo, tmp_path):
    make_pilot = _module(repo, "make_pilot")
    facilities, activities = make_pilot.build(random.Random(make_pilot.SEED))
    rows = make_pilot.build_releases(
        random.Random(make_pilot.RELEASES_SEED), activities
    )
    make_pilot.write(tmp_path / "releases.csv", make_pilot.RELEASES_HEADER, rows)
    written = (tmp_path / "releases.csv").read_bytes()
    assert written == (repo / "datasets/pilot/releases.csv").read_bytes()
    assert len(facilities) == len(load_table("pilot_facilities"))


def test_every_facility_reports_something_in_both_years(releases):
    facilities = set(load_table("pilot_facilities")["facility_id"])
    activities = load_table("pilot_activities")
    estimated = set(activities.loc[activities["factor_id"] != "", "facility_id"])
    for year in (2024, 2025):
        reported = set(releases.loc[releases["reporting_year"] == year, "facility_id"])
        assert reported | estimated == facilities, year
        # Facilities whose releases the factors estimate have no invented rows.
        assert not reported & estimated


def test_releases_go_where_the_thresholds_allow_and_in_the_reporting_unit(releases):
    thresholds = load_table("thresholds")
    allowed = set(
        thresholds.loc[thresholds["basis"] == "release", ["substance_id", "medium"]]
        .itertuples(index=False, name=None)
    )
    rows = releases[releases["kind"] == "release"]
    pairs = set(rows[["substance_id", "medium"]].itertuples(index=False, name=None))
    assert pairs <= allowed, pairs - allowed
    expected_unit = releases["substance_id"].map(
        load_table("substances").set_index("substance_id")["reporting_unit"]
    )
    assert (releases["unit"] == expected_unit).all()


def test_year_on_year_follows_the_activity_jumps(releases):
    activities = load_table("pilot_activities").set_index(
        ["facility_id", "reporting_year", "activity"]
    )["quantity"]

    def ratio(facility_id: str, substance_id: str, medium: str) -> float:
        rows = releases[
            (releases["facility_id"] == facility_id)
            & (releases["substance_id"] == substance_id)
            & (releases["medium"] == medium)
        ].set_index("reporting_year")["quantity"]
        return rows[2025] / rows[2024]

    mercury_used = (
        activities[("KH-00029", 2025, "mercury used")]
        / activities[("KH-00029", 2024, "mercury used")]
    )
    husk = (
        activities[("KH-00016", 2025, "rice husk burned")]
        / activities[("KH-00016", 2024, "rice husk burned")]
    )
    assert ratio("KH-00029", "mercury", "air") == pytest.approx(mercury_used, rel=0.06)
    assert ratio("KH-00016", "pm10", "air") == pytest.approx(husk, rel=0.06)
    # A garment factory without a jump stays within the drift of its activity.
    assert 0.7 < ratio("KH-00007", "total_nitrogen", "water") < 1.4


def test_gold_mining_mercury_balance_stays_within_the_mercury_used(releases):
    activities = load_table("pilot_activities")
    used = activities[activities["activity"] == "mercury used"].set_index(
        ["facility_id", "reporting_year"]
    )["quantity"]
    mercury = releases[
        (releases["substance_id"] == "mercury") & (releases["kind"] == "release")
    ]
    for (facility_id, year), rows in mercury[
        mercury["facility_id"].isin(used.index.get_level_values(0))
    ].groupby(["facility_id", "reporting_year"]):
        by_medium = rows.set_index("medium")["quantity"]
        assert by_medium.sum() < used[(facility_id, year)]
        assert by_medium["air"] > by_medium["water"]
        assert by_medium["land"] > by_medium["water"]


def test_claims_of_each_kind_with_a_ground_in_both_years(claims):
    facilities = load_table("pilot_facilities").set_index("facility_id")
    isic = claims["facility_id"].map(facilities["isic_code"])

    value_at_dye_house = claims[
        claims["confidential_value"]
        & (claims["confidentiality_ground"] == "trade_secret")
        & (isic == "1313")
    ]
    identity = claims[
        claims["confidential_identity"]
        & (claims["confidentiality_ground"] == "trade_secret")
    ]
    security = claims[claims["confidentiality_ground"] == "national_security"]
    assert len(value_at_dye_house) and len(identity) and len(security)
    assert not set(identity["facility_id"]) & set(value_at_dye_house["facility_id"])
    assert claims["confidentiality_ground"].isin(CONFIDENTIALITY_GROUNDS).all()
    assert (claims.groupby(["facility_id", "substance_id", "medium"]).size() == 2).all()

    claiming = set(claims["facility_id"])
    for group, codes in SECTOR_GROUPS.items():
        members = set(facilities.index[facilities["isic_code"].isin(codes)])
        assert members - claiming, f"every facility of {group} makes a claim"


def test_no_claimed_quantity_equals_another_rows_quantity(releases, claims):
    others = releases.drop(index=claims.index)
    assert not set(claims["quantity"]) & set(others["quantity"])


@pytest.fixture(scope="module")
def forms(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pilot-forms")
    command = [sys.executable, str(repo / "datasets/pilot/fill_forms.py"), str(folder)]
    for facility_id in SUBSET:
        command += ["--facility", facility_id]
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)
    return folder


def test_fill_forms_refuses_an_unknown_facility(repo, tmp_path):
    result = subprocess.run(
        [sys.executable, str(repo / "datasets/pilot/fill_forms.py"), str(tmp_path),
         "--facility", "KH-99999"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "KH-99999: not a pilot facility" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.xlsx"))


def test_filled_forms_carry_the_releases_and_only_the_broken_ones_are_critical(
    forms, releases
):
    paths = sorted(forms.glob("KH-*.xlsx"))
    assert [path.stem for path in paths] == [
        f"{facility_id}_{year}" for facility_id in SUBSET for year in (2024, 2025)
    ]
    results = {result.path.stem: result for result in check_files(paths)}

    critical = {
        stem: {item.code for item in result.findings if item.tier == "critical"}
        for stem, result in results.items()
        if result.critical
    }
    assert critical == {stem: {code} for stem, code in BROKEN.items()}
    codes = {item.code for result in results.values() for item in result.findings}
    assert "P-EMPTY" not in codes

    dye_house = results["KH-00015_2024"].submission
    expected = releases[
        (releases["facility_id"] == "KH-00015") & (releases["reporting_year"] == 2024)
    ]
    assert len(dye_house.releases) == (expected["kind"] == "release").sum()
    assert len(dye_house.transfers) == (expected["kind"] == "transfer").sum()
    chromium = next(
        item
        for item in dye_house.releases
        if (item.substance_id, item.medium) == ("chromium", "water")
    )
    assert chromium.confidential_value and not chromium.confidential_identity
    assert chromium.confidentiality_ground == "trade_secret"
    rubber = results["KH-00020_2025"].submission
    zinc = next(item for item in rubber.releases if item.substance_id == "zinc")
    assert zinc.confidential_identity


def test_imported_pilot_alerts_on_the_method_change_and_hides_claims(
    forms, claims, tmp_path
):
    database = f"sqlite:///{tmp_path / 'register.sqlite'}"
    public_csv = tmp_path / "public.csv"
    paths = [str(path) for path in sorted(forms.glob("KH-*.xlsx"))]

    assert main(["import", *paths, "--db", database]) == 1  # the broken forms
    assert main(
        ["register", "export", "--public", "--db", database, "--out", str(public_csv)]
    ) == 0

    engine = sa.create_engine(database)
    with engine.connect() as connection:
        findings = connection.execute(
            sa.text(
                "SELECT s.facility_id, s.reporting_year, f.code FROM findings f "
                "JOIN submissions s ON s.submission_id = f.submission_id "
                "WHERE f.tier = 'alert'"
            )
        ).all()
    engine.dispose()
    assert [tuple(row) for row in findings] == [("KH-00022", 2025, "A-CHANGE")]

    public = pd.read_csv(public_csv, dtype=str, keep_default_na=False)
    public_quantities = set(pd.to_numeric(public["quantity"], errors="coerce"))
    subset_claims = claims[claims["facility_id"].isin(SUBSET)]
    assert not set(subset_claims["quantity"]) & public_quantities
    for claim in subset_claims.itertuples(index=False):
        named = public[
            (public["facility_id"] == claim.facility_id)
            & (public["reporting_year"] == str(claim.reporting_year))
            & (public["substance_id"] == claim.substance_id)
            & (public["medium"] == claim.medium)
        ]
        assert named.empty, claim

    sums = public[public["row_kind"] == "confidential sum"]
    metals = subset_claims[subset_claims["unit"] == "kg"]
    for year, rows in metals.groupby("reporting_year"):
        published = sums[sums["reporting_year"] == str(year)]
        assert len(published) == 1
        assert float(published["quantity"].iloc[0]) == pytest.approx(
            rows["quantity"].sum()
        )
    withheld = public[public["row_kind"] == "confidential withheld"]
    assert set(withheld["unit"]) == {"g TEQ"}
