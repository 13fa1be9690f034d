"""Write the SYNTHETIC pilot: pilot/facilities.csv and pilot/activities.csv.

Every facility, name, coordinate and quantity written by this script is invented.
No row describes a real facility. The data exist so that trainees can practise a
reporting round (two reporting years, so that a year-on-year check has something
to compare) without handling anyone's confidential figures.

Run from anywhere: ``python datasets/pilot/make_pilot.py``. The random generator has a
fixed seed and the script uses the standard library only, so every run writes the
same two files, byte for byte.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

SEED = 20240601
REPORTING_YEARS = (2024, 2025)
HERE = Path(__file__).resolve().parent

# Approximate points inside each province used, around which the synthetic facilities
# are scattered by at most JITTER_DEGREES. They are placed by hand for the exercise and
# are not province centroids: provinces.csv leaves centroids empty until a citable
# source is found.
PROVINCE_POINTS = {
    "02": (13.10, 103.20),  # Battambang
    "03": (12.00, 105.45),  # Kampong Cham
    "04": (12.25, 104.65),  # Kampong Chhnang
    "05": (11.45, 104.50),  # Kampong Speu
    "07": (10.62, 104.22),  # Kampot
    "08": (11.30, 104.95),  # Kandal
    "12": (11.56, 104.91),  # Phnom Penh
    "13": (13.80, 104.98),  # Preah Vihear
    "16": (13.74, 106.98),  # Ratanak Kiri
    "17": (13.36, 103.86),  # Siem Reap
    "18": (10.65, 103.55),  # Preah Sihanouk
    "20": (11.08, 105.80),  # Svay Rieng
    "21": (10.98, 104.80),  # Takeo
    "25": (11.92, 105.68),  # Tbong Khmum
}
JITTER_DEGREES = 0.02

# The activity that links to a factor in emission_factors.csv. The SO2 factor is named;
# the NOx and CO factors of the same sector and activity unit apply to the same fuel.
HFO_FACTOR_ID = "ap42_1_3_no6_normal_sox"

# Per sector: a short label for the invented name, the employee range, and the yearly
# activities as (activity, unit, low, high, factor_id) for the 2024 quantity.
SECTORS = {
    "3510": ("Power Station", (40, 180), [
        ("heavy fuel oil burned", "kgal", 3000, 12000, HFO_FACTOR_ID),
        ("heavy fuel oil sulfur content", "percent", 1.5, 3.0, ""),
        ("electricity generated", "MWh", 60000, 250000, ""),
    ]),
    "1410": ("Garments", (60, 3000), [
        ("fabric processed", "t", 80, 2500, ""),
        ("wood burned in boilers", "t", 50, 1500, ""),
        ("electricity used", "MWh", 300, 6000, ""),
    ]),
    "1430": ("Knitwear", (80, 1500), [
        ("fabric processed", "t", 60, 900, ""),
        ("electricity used", "MWh", 200, 3000, ""),
    ]),
    "1313": ("Dye House", (30, 400), [
        ("fabric dyed", "t", 200, 3000, ""),
        ("waste water discharged", "m^3", 20000, 300000, ""),
        ("wood burned in boilers", "t", 300, 4000, ""),
    ]),
    "1061": ("Rice Mill", (15, 150), [
        ("paddy milled", "t", 5000, 60000, ""),
        ("rice husk burned", "t", 500, 8000, ""),
    ]),
    "1103": ("Brewery", (100, 600), [
        ("beer produced", "m^3", 20000, 150000, ""),
        ("waste water discharged", "m^3", 60000, 500000, ""),
    ]),
    "1104": ("Bottled Drinks", (20, 300), [
        ("beverages produced", "m^3", 5000, 60000, ""),
    ]),
    "1030": ("Fruit Processing", (10, 120), [
        ("fruit processed", "t", 500, 8000, ""),
    ]),
    "2219": ("Rubber Factory", (20, 250), [
        ("dry rubber produced", "t", 1000, 20000, ""),
        ("waste water discharged", "m^3", 10000, 150000, ""),
    ]),
    "2394": ("Cement Works", (200, 800), [
        ("clinker produced", "t", 400000, 1200000, ""),
        ("coal burned", "t", 50000, 150000, ""),
    ]),
    "2392": ("Brick Kiln", (8, 90), [
        ("bricks fired", "t", 2000, 30000, ""),
        ("wood burned in kilns", "t", 400, 6000, ""),
    ]),
    "1701": ("Paper Mill", (50, 300), [
        ("paper produced", "t", 5000, 40000, ""),
        ("waste water discharged", "m^3", 100000, 800000, ""),
    ]),
    "2220": ("Plastics", (15, 200), [
        ("plastics products made", "t", 300, 6000, ""),
    ]),
    "2592": ("Metal Coating", (10, 90), [
        ("metal parts coated", "t", 100, 3000, ""),
        ("waste water discharged", "m^3", 2000, 30000, ""),
    ]),
    "0729": ("Gold Mine", (5, 60), [
        ("ore processed", "t", 200, 5000, ""),
        ("mercury used", "kg", 5, 80, ""),
    ]),
    "8610": ("Hospital", (150, 1200), [
        ("health-care waste burned on site", "t", 20, 300, ""),
    ]),
    "3821": ("Dumpsite", (20, 150), [
        ("municipal waste received", "t", 100000, 800000, ""),
    ]),
    "3822": ("Medical Waste Incinerator", (10, 60), [
        ("medical waste incinerated", "t", 300, 3000, ""),
    ]),
}

# One entry per facility: (isic_code, province_code), in facility_id order.
FACILITIES = [
    ("3510", "12"), ("3510", "18"), ("3510", "08"),
    ("1410", "12"), ("1410", "12"), ("1410", "08"), ("1410", "08"), ("1410", "05"),
    ("1410", "05"), ("1410", "20"), ("1410", "21"), ("1410", "04"),
    ("1430", "12"), ("1430", "20"), ("1313", "08"),
    ("1061", "02"), ("1103", "12"), ("1104", "08"), ("1030", "07"),
    ("2219", "03"), ("2219", "25"),
    ("2394", "07"),
    ("2392", "08"), ("2392", "04"), ("2392", "17"),
    ("1701", "08"), ("2220", "12"), ("2592", "12"),
    ("0729", "16"), ("0729", "13"),
    ("8610", "12"), ("8610", "17"),
    ("3821", "12"), ("3822", "08"),
]

# Facilities whose 2025 quantities jump, so the year-on-year check has findings to
# discuss: facility number (1-based) and the factor applied to every 2025 quantity.
YEAR_ON_YEAR_JUMPS = {2: 2.6, 16: 0.3, 29: 3.0}

SME_EMPLOYEE_LIMIT = 100


def _round(quantity: float) -> str:
    """Round to three significant figures, as a reporter would, without exponent."""
    rounded = float(f"{quantity:.3g}")
    return str(int(rounded)) if rounded.is_integer() else str(rounded)


def build(rng: random.Random) -> tuple[list[list[object]], list[list[object]]]:
    """Return the facility rows and activity rows, header excluded."""
    facilities: list[list[object]] = []
    activities: list[list[object]] = []
    count_by_sector: dict[str, int] = {}

    for number, (isic_code, province_code) in enumerate(FACILITIES, start=1):
        label, (fewest, most), sector_activities = SECTORS[isic_code]
        count_by_sector[isic_code] = count_by_sector.get(isic_code, 0) + 1
        facility_id = f"KH-{number:05d}"
        name = f"Pilot {label} {count_by_sector[isic_code]:02d} (synthetic)"
        latitude, longitude = PROVINCE_POINTS[province_code]
        latitude += rng.uniform(-JITTER_DEGREES, JITTER_DEGREES)
        longitude += rng.uniform(-JITTER_DEGREES, JITTER_DEGREES)
        employees = rng.randint(fewest, most)
        facilities.append([
            facility_id, name, isic_code, province_code, f"{latitude:.4f}",
            f"{longitude:.4f}", employees, str(employees < SME_EMPLOYEE_LIMIT).lower(),
            "true",
        ])

        for activity, unit, low, high, factor_id in sector_activities:
            first_year = rng.uniform(low, high)
            change = YEAR_ON_YEAR_JUMPS.get(number, rng.uniform(0.85, 1.2))
            if unit == "percent":
                # A fuel property drifts a little; a jump in fuel use leaves it.
                change = rng.uniform(0.9, 1.1)
            quantities = (first_year, first_year * change)
            for year, quantity in zip(REPORTING_YEARS, quantities, strict=True):
                activities.append([
                    facility_id, year, activity, _round(quantity), unit, factor_id,
                    "true",
                ])
    return facilities, activities


def write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    facilities, activities = build(random.Random(SEED))
    write(HERE / "facilities.csv",
          ["facility_id", "name", "isic_code", "province_code", "latitude", "longitude",
           "employees", "sme", "synthetic"],
          facilities)
    write(HERE / "activities.csv",
          ["facility_id", "reporting_year", "activity", "quantity", "unit", "factor_id",
           "synthetic"],
          activities)


if __name__ == "__main__":
    main()
