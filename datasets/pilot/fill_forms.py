"""Fill the SYNTHETIC pilot's reporting forms, one per facility and reporting year.

Every form is a blank form made by the library's form writer (the same as
``prtr form``), filled from ``pilot/facilities.csv``, ``pilot/activities.csv`` and
``pilot/releases.csv``: the facility sheet from the facility's row, the activities
sheet from its activity rows, and the releases and transfers sheets with

- what ``prtr.estimation.estimate_with_factors`` gives for the activities that name an
  emission factor (method E). A factor named in ``activities.csv`` brings the other
  factors of the same sector, process, technology and activity unit with it (the SO2
  factor of heavy fuel oil brings its NOx and CO factors), as the note in
  ``make_pilot.py`` says;
- the facility's own rows of ``releases.csv`` (method M or C, with their
  confidentiality claims): invented measurements and mass balances of the facilities
  that no factor of ``emission_factors.csv`` covers.

Every form says on its instructions sheet, and in its facility name, that the data are
synthetic.

The mistakes first-time reporters make, on purpose, for the training exercise (each
one on the 2025 form of one facility, see :data:`MISTAKES`):

- KH-00001: a quantity left as an Excel formula instead of a value (critical);
- KH-00002: the NOx quantity typed as text with thousands separators, "1,234,567"
  (critical);
- KH-00003: SO2 reported in "tons", with method M and the description of an emission
  factor (two possible errors);
- KH-00004: the 2024 reporting year written on the 2025 form (critical);
- KH-00006: the province typed by hand as "Kandal province" instead of chosen from
  the list (critical).

Run: ``python datasets/pilot/fill_forms.py _build/pilot/forms`` (the folder is made);
add ``--facility KH-00015`` (as often as needed) to fill only some facilities' forms.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from prtr.datapackage import load_table
from prtr.errors import PrtrError
from prtr.estimation import emission_factors, estimate_with_factors
from prtr.form import fill_form, write_form

SYNTHETIC_NOTE = (
    "SYNTHETIC DATA for training: this facility and every number in this form are "
    "invented (PRTR Workbook pilot exercise)."
)

logger = logging.getLogger("fill_forms")


def _factor_family(factor_id: str) -> list[str]:
    factors = emission_factors()
    named = factors[factor_id]
    return [
        item.factor_id
        for item in factors.values()
        if (item.sector, item.process, item.technology, item.activity_unit)
        == (named.sector, named.process, named.technology, named.activity_unit)
    ]


def _sulphur_percent(activities: pd.DataFrame) -> float | None:
    rows = activities[activities["activity"].str.contains("sulfur|sulphur", case=False)]
    return float(rows["quantity"].iloc[0]) if len(rows) else None


def estimated_releases(activities: pd.DataFrame) -> list[dict]:
    """Release rows for the form, from one facility-year's activity rows."""
    rows = []
    sulphur = _sulphur_percent(activities)
    factors = emission_factors()
    for activity in activities[activities["factor_id"] != ""].itertuples(index=False):
        for factor_id in _factor_family(activity.factor_id):
            rows.append(
                {
                    "factor_id": factor_id,
                    "activity": activity.quantity,
                    "activity_unit": activity.unit,
                    "scaled_by": sulphur if factors[factor_id].scaled_by else None,
                }
            )
    if not rows:
        return []
    estimates = estimate_with_factors(pd.DataFrame(rows), relative_uncertainty=0.5)
    return [
        {
            "substance": row.substance_id,
            "medium": row.medium,
            "quantity": round(float(row.release), 1),
            "unit": row.unit,
            "method": "E",
            "method_description": (
                f"Emission factor {row.factor_id}: {factors[row.factor_id].citation}"
            ),
        }
        for row in estimates.itertuples(index=False)
    ]


def _claim(row: Any) -> dict:
    """The claim columns of a form row, as a facility fills them."""
    claimed_value = bool(row.confidential_value)
    claimed_identity = bool(row.confidential_identity)
    return {
        "confidential_value": "yes" if claimed_value else None,
        "confidential_identity": "yes" if claimed_identity else None,
        "confidentiality_ground": row.confidentiality_ground or None,
    }


def reported_rows(reported: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """Release and transfer rows for the form, from one facility-year's rows of
    ``releases.csv``."""
    releases = [
        {
            "substance": row.substance_id,
            "medium": row.medium,
            "quantity": float(row.quantity),
            "unit": row.unit,
            "method": row.method,
            "method_description": row.method_description,
            **_claim(row),
        }
        for row in reported[reported["kind"] == "release"].itertuples(index=False)
    ]
    transfers = [
        {
            "substance": row.substance_id,
            "waste_description": row.waste_description,
            "quantity": float(row.quantity),
            "unit": row.unit,
            "destination": row.destination,
            "treatment_code": row.treatment_code,
            "method": row.method,
            **_claim(row),
        }
        for row in reported[reported["kind"] == "transfer"].itertuples(index=False)
    ]
    return releases, transfers


def _formula(form: dict) -> None:
    release = form["releases"][0]
    release["quantity"] = f"={release['quantity']}*1"


def _separators(form: dict) -> None:
    release = next(r for r in form["releases"] if r["substance"] == "nox")
    release["quantity"] = f"{release['quantity']:,.0f}"


def _tons_and_method(form: dict) -> None:
    release = next(r for r in form["releases"] if r["substance"] == "sox")
    release["quantity"] = round(release["quantity"] / 1000, 1)
    release["unit"] = "tons"
    release["method"] = "M"


def _wrong_year(form: dict) -> None:
    form["facility"]["reporting_year"] = 2024


def _province_typed(form: dict) -> None:
    form["facility"]["province_code"] = "Kandal province"


#: The deliberate mistakes, by (facility, reporting year).
MISTAKES: dict[tuple[str, int], Callable[[dict], None]] = {
    ("KH-00001", 2025): _formula,
    ("KH-00002", 2025): _separators,
    ("KH-00003", 2025): _tons_and_method,
    ("KH-00004", 2025): _wrong_year,
    ("KH-00006", 2025): _province_typed,
}


def fill_all(folder: Path, facility_ids: list[str] | None = None) -> list[Path]:
    """Write pilot facilities' forms for every reporting year into ``folder``.

    Args:
        folder: where to write the forms; it is made if missing.
        facility_ids: the facilities to fill; None for every pilot facility.

    Returns:
        The forms written.

    Raises:
        PrtrError: if a facility of ``facility_ids`` is not a pilot facility.
    """
    facilities = load_table("pilot_facilities")
    activities = load_table("pilot_activities")
    releases_table = load_table("pilot_releases")
    if facility_ids is not None:
        unknown = sorted(set(facility_ids) - set(facilities["facility_id"]))
        if unknown:
            raise PrtrError(
                f"--facility {', '.join(unknown)}: not a pilot facility; choose from "
                f"{facilities['facility_id'].iloc[0]} to "
                f"{facilities['facility_id'].iloc[-1]}."
            )
        facilities = facilities[facilities["facility_id"].isin(facility_ids)]
    folder.mkdir(parents=True, exist_ok=True)
    years = sorted(int(year) for year in activities["reporting_year"].unique())
    blanks = {
        year: write_form(
            folder / f"blank-{year}.xlsx", year, synthetic_note=SYNTHETIC_NOTE
        )
        for year in years
    }

    written = []
    for facility in facilities.itertuples(index=False):
        for year in years:
            mine = activities[
                (activities["facility_id"] == facility.facility_id)
                & (activities["reporting_year"] == year)
            ]
            reported_releases, reported_transfers = reported_rows(
                releases_table[
                    (releases_table["facility_id"] == facility.facility_id)
                    & (releases_table["reporting_year"] == year)
                ]
            )
            form = {
                "facility": {
                    "facility_id": facility.facility_id,
                    "name": facility.name,
                    "isic_code": facility.isic_code,
                    "province_code": facility.province_code,
                    "latitude": facility.latitude,
                    "longitude": facility.longitude,
                    "employees": int(facility.employees),
                    "reporting_year": year,
                    "submitted_by": "Pilot exercise (synthetic)",
                },
                "activities": [
                    {
                        "activity": row.activity,
                        "quantity": row.quantity,
                        "unit": row.unit,
                    }
                    for row in mine.itertuples(index=False)
                ],
                "releases": estimated_releases(mine) + reported_releases,
                "transfers": reported_transfers,
            }
            mistake = MISTAKES.get((facility.facility_id, year))
            if mistake is not None:
                mistake(form)
            out = folder / f"{facility.facility_id}_{year}.xlsx"
            fill_form(blanks[year], out, **form)
            written.append(out)
    for blank in blanks.values():
        blank.unlink()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where to write the forms")
    parser.add_argument(
        "--facility",
        action="append",
        metavar="ID",
        help="fill only this facility's forms, e.g. KH-00015 (may be repeated)",
    )
    arguments = parser.parse_args()
    try:
        written = fill_all(arguments.folder, arguments.facility)
    except PrtrError as error:
        parser.exit(2, f"fill_forms.py: {error}\n")
    print(f"Wrote {len(written)} synthetic pilot forms into {arguments.folder}.")
    filled = {path.stem for path in written}
    broken = [f"{f}_{y}" for f, y in MISTAKES if f"{f}_{y}" in filled]
    print(f"With deliberate mistakes: {', '.join(broken) or 'none'}.")


if __name__ == "__main__":
    main()
