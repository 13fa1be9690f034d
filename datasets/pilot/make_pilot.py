"""Write the SYNTHETIC pilot: pilot/facilities.csv, activities.csv and releases.csv.

Every facility, name, coordinate and quantity written by this script is invented.
No row describes a real facility. The data exist so that trainees can practise a
reporting round (two reporting years, so that a year-on-year check has something
to compare) without handling anyone's confidential figures.

``releases.csv`` holds what each invented facility says its own measurement (method M)
or mass balance (method C) gave, for the facilities whose releases cannot be estimated
with the factors of ``emission_factors.csv``. Its quantities are drawn from ranges
chosen by hand to look plausible for small facilities; they are not emission factor
estimates and come from no document.

Run from anywhere: ``python datasets/pilot/make_pilot.py``. The random generators have
fixed seeds and the script uses the standard library only, so every run writes the
same three files, byte for byte.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import NamedTuple

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

# The releases table has a seed of its own, so that changing it moves no facility and
# no activity of the two other files. Of the seeds tried, this is the first with which
# no claimed quantity equals another row's quantity, so that a search of the public
# export for a claimed number finds nothing by coincidence (tests/test_pilot.py).
RELEASES_SEED = 20250604


class Reported(NamedTuple):
    """A release or transfer that the facilities of one sector report themselves.

    ``low`` and ``high`` bound the invented 2024 quantity, in ``unit``; with ``share``
    they bound a share of the facility's 2024 ``driver`` activity instead (a mass
    balance of a substance bought, such as the mercury of a gold mine). The 2025
    quantity follows the ``driver`` activity from 2024 to 2025, with a small drift,
    so the jumps of YEAR_ON_YEAR_JUMPS carry over. A transfer has a ``destination``
    and a ``treatment_code`` (D disposal or R recovery, with the Basel Convention
    number) and no medium.
    """

    substance_id: str
    medium: str
    low: float
    high: float
    driver: str
    method: str
    method_description: str
    unit: str = "kg"
    share: bool = False
    waste_description: str = ""
    destination: str = ""
    treatment_code: str = ""

    @property
    def kind(self) -> str:
        return "transfer" if self.destination else "release"


# How the invented facilities obtained their numbers. Every description says
# "(synthetic)", and none names an emission factor: these are the facilities' own
# measurements (M) and mass balances (C), made up for the exercise.
EFFLUENT = "monthly effluent sampling and metered flow (synthetic)"
EFFLUENT_METALS = "quarterly effluent analysis for metals and metered flow (synthetic)"
BOILER_STACK = "annual boiler stack sampling and wood use records (synthetic)"
HUSK_STACK = "annual furnace stack sampling and rice husk records (synthetic)"
KILN_STACK = "stack sampling over two firing cycles (synthetic)"
DIOXIN_STACK = "one dioxin sampling campaign at the stack (synthetic)"
CEMS = "continuous emission monitoring of the kiln stack (synthetic)"
SLUDGE = "sludge analysis twice a year and weighbridge records (synthetic)"
ASH = "ash analysis and weighbridge records (synthetic)"
CONTRACTOR_01 = "Pilot Waste Contractor 01 (synthetic), Kandal"
CONTRACTOR_02 = "Pilot Waste Contractor 02 (synthetic), Phnom Penh"
RECYCLER = "Pilot Metal Recycler 01 (synthetic), Phnom Penh"

_TEXTILE_WATER = [
    Reported("total_nitrogen", "water", 300, 2500, "fabric processed", "M", EFFLUENT),
    Reported("total_phosphorus", "water", 40, 400, "fabric processed", "M", EFFLUENT),
    Reported("chromium", "water", 1, 12, "fabric processed", "M", EFFLUENT_METALS),
    Reported("copper", "water", 2, 20, "fabric processed", "M", EFFLUENT_METALS),
    Reported("zinc", "water", 5, 60, "fabric processed", "M", EFFLUENT_METALS),
]
_WOOD_BOILER = Reported(
    "pm10", "air", 300, 3000, "wood burned in boilers", "M", BOILER_STACK
)
_HEALTH_CARE_MERCURY = (
    "mass balance of mercury thermometers and dental amalgam in the waste burned "
    "(synthetic)"
)
_HCB_STACK = "one stack sampling campaign for chlorinated organics (synthetic)"
_WASTE_WATER = "waste water discharged"

#: Per sector (ISIC class): what every facility of the sector reports itself. The
#: power stations (3510) are absent: their releases are estimated with the heavy fuel
#: oil factors of emission_factors.csv.
REPORTED: dict[str, list[Reported]] = {
    "1410": [*_TEXTILE_WATER, _WOOD_BOILER],
    "1430": _TEXTILE_WATER,
    "1313": [
        Reported("total_nitrogen", "water", 4000, 9000, _WASTE_WATER, "M", EFFLUENT),
        Reported("total_phosphorus", "water", 600, 1500, _WASTE_WATER, "M", EFFLUENT),
        Reported("chromium", "water", 20, 60, _WASTE_WATER, "M", EFFLUENT_METALS),
        Reported("copper", "water", 30, 90, _WASTE_WATER, "M", EFFLUENT_METALS),
        Reported("zinc", "water", 50, 150, _WASTE_WATER, "M", EFFLUENT_METALS),
        _WOOD_BOILER._replace(low=1500, high=6000),
    ],
    "1061": [
        Reported("pm10", "air", 2000, 8000, "rice husk burned", "M", HUSK_STACK),
        Reported("co", "air", 10000, 40000, "rice husk burned", "M", HUSK_STACK),
    ],
    "1103": [
        Reported("total_nitrogen", "water", 5000, 15000, _WASTE_WATER, "M", EFFLUENT),
        Reported("total_phosphorus", "water", 1000, 3000, _WASTE_WATER, "M",
                 EFFLUENT),
    ],
    "1104": [
        Reported("total_nitrogen", "water", 300, 1500, "beverages produced", "M",
                 EFFLUENT),
        Reported("total_phosphorus", "water", 50, 300, "beverages produced", "M",
                 EFFLUENT),
    ],
    "1030": [
        Reported("total_nitrogen", "water", 200, 1200, "fruit processed", "M",
                 EFFLUENT),
        Reported("total_phosphorus", "water", 40, 250, "fruit processed", "M",
                 EFFLUENT),
    ],
    "2219": [
        Reported("total_nitrogen", "water", 4000, 15000, _WASTE_WATER, "M", EFFLUENT),
        Reported("zinc", "water", 10, 60, _WASTE_WATER, "M", EFFLUENT_METALS),
        Reported("nh3", "air", 2000, 10000, "dry rubber produced", "C",
                 "mass balance of ammonia bought for latex and left in the product "
                 "(synthetic)"),
    ],
    "2394": [
        Reported("mercury", "air", 4, 12, "clinker produced", "C",
                 "mass balance of mercury in coal and raw meal (synthetic)"),
        Reported("pcdd_pcdf", "air", 0.02, 0.2, "clinker produced", "M",
                 DIOXIN_STACK, unit="g TEQ"),
        Reported("nox", "air", 600000, 1500000, "clinker produced", "M", CEMS),
        Reported("sox", "air", 50000, 300000, "clinker produced", "M", CEMS),
        Reported("pm10", "air", 30000, 150000, "clinker produced", "M", CEMS),
    ],
    "2392": [
        Reported("pm10", "air", 2000, 15000, "bricks fired", "M", KILN_STACK),
        Reported("co", "air", 20000, 120000, "bricks fired", "M", KILN_STACK),
        Reported("pcdd_pcdf", "air", 0.002, 0.03, "bricks fired", "M",
                 DIOXIN_STACK, unit="g TEQ"),
    ],
    "1701": [
        Reported("total_nitrogen", "water", 3000, 10000, _WASTE_WATER, "M", EFFLUENT),
        Reported("total_phosphorus", "water", 500, 2000, _WASTE_WATER, "M", EFFLUENT),
    ],
    "2220": [
        Reported("nmvoc", "air", 2000, 15000, "plastics products made", "C",
                 "mass balance of solvents and monomers bought (synthetic)"),
    ],
    "2592": [
        Reported("zinc", "water", 20, 150, _WASTE_WATER, "M", EFFLUENT_METALS),
        Reported("chromium", "water", 5, 40, _WASTE_WATER, "M", EFFLUENT_METALS),
        Reported("nickel", "water", 5, 30, _WASTE_WATER, "M", EFFLUENT_METALS),
        Reported("zinc", "", 200, 1500, _WASTE_WATER, "M", SLUDGE,
                 waste_description="plating sludge", destination=RECYCLER,
                 treatment_code="R4"),
    ],
    "0729": [
        Reported("mercury", "air", 0.40, 0.50, "mercury used", "C",
                 "mass balance of mercury bought and recovered by retort, "
                 "whole-ore amalgamation (synthetic)", share=True),
        Reported("mercury", "land", 0.25, 0.35, "mercury used", "C",
                 "mass balance of mercury bought and recovered by retort; tailings "
                 "on site (synthetic)", share=True),
        Reported("mercury", "water", 0.05, 0.10, "mercury used", "C",
                 "mass balance of mercury bought and recovered by retort; washing "
                 "water to the stream (synthetic)", share=True),
    ],
    "8610": [
        Reported("pcdd_pcdf", "air", 0.5, 5, "health-care waste burned on site", "M",
                 DIOXIN_STACK, unit="g TEQ"),
        Reported("mercury", "air", 0.5, 3, "health-care waste burned on site", "C",
                 _HEALTH_CARE_MERCURY),
        Reported("hcb", "air", 0.005, 0.05, "health-care waste burned on site", "M",
                 _HCB_STACK),
        Reported("pcdd_pcdf", "", 0.1, 1, "health-care waste burned on site", "M",
                 ASH, unit="g TEQ", waste_description="incinerator bottom ash",
                 destination=CONTRACTOR_02, treatment_code="D1"),
    ],
    "3821": [
        Reported("pcdd_pcdf", "air", 5, 30, "municipal waste received", "C",
                 "engineering calculation from the fire log and the waste burned "
                 "in the open (synthetic)", unit="g TEQ"),
        Reported("pcdd_pcdf", "land", 2, 15, "municipal waste received", "C",
                 "engineering calculation from the fire log and the ash left on "
                 "the site (synthetic)", unit="g TEQ"),
        Reported("total_nitrogen", "water", 10000, 60000, "municipal waste received",
                 "M", "quarterly leachate sampling and pumped volume (synthetic)"),
    ],
    "3822": [
        Reported("pcdd_pcdf", "air", 2, 10, "medical waste incinerated", "M",
                 DIOXIN_STACK, unit="g TEQ"),
        Reported("mercury", "air", 3, 12, "medical waste incinerated", "C",
                 _HEALTH_CARE_MERCURY),
        Reported("hcb", "air", 0.02, 0.2, "medical waste incinerated", "M",
                 _HCB_STACK),
        Reported("pcdd_pcdf", "", 0.5, 4, "medical waste incinerated", "M", ASH,
                 unit="g TEQ", waste_description="incinerator bottom and fly ash",
                 destination=CONTRACTOR_02, treatment_code="D5"),
    ],
}

_SLUDGE_TRANSFER = Reported(
    "chromium", "", 0.5, 5, "fabric processed", "M", SLUDGE,
    waste_description="waste water treatment sludge", destination=CONTRACTOR_01,
    treatment_code="D1",
)

#: Rows only some facilities report, by facility number (1-based): a few garment
#: factories and the dye house send their treatment sludge off-site.
FACILITY_REPORTED: dict[int, list[Reported]] = {
    5: [_SLUDGE_TRANSFER],
    8: [_SLUDGE_TRANSFER],
    11: [_SLUDGE_TRANSFER._replace(destination=CONTRACTOR_02)],
    15: [_SLUDGE_TRANSFER._replace(low=10, high=40, driver=_WASTE_WATER)],
}

#: A 2025 figure obtained by a new method, by (facility number, substance_id,
#: medium): the factor applied to the 2025 quantity, the new method and its
#: description. The cement works measured its stack for mercury for the first time, so
#: the year-on-year check raises an alert that the description explains.
METHOD_CHANGES: dict[tuple[int, str, str], tuple[float, str, str]] = {
    (22, "mercury", "air"): (
        7.0,
        "M",
        "stack sampling, first campaign in 2025; the 2024 figure was a mass balance "
        "(synthetic)",
    ),
}

#: Confidentiality claims, by (facility number, substance_id, medium; "" for a
#: transfer): what is claimed (the quantity or the substance's identity) and the
#: ground, a key of prtr.submission.CONFIDENTIALITY_GROUNDS. Each claim is made in
#: both reporting years. Whether each claim would stand is for trainees to discuss.
CLAIMS: dict[tuple[int, str, str], tuple[str, str]] = {
    # A dye house: the chromium discharged would tell competitors its dye recipes.
    (15, "chromium", "water"): ("value", "trade_secret"),
    # A garment factory claims the same for copper; with the dye house and the rubber
    # factory it makes three facilities, enough for the public sum of claimed values.
    (9, "copper", "water"): ("value", "trade_secret"),
    # A rubber factory would rather not say which metal its vulcanising recipe uses.
    (20, "zinc", "water"): ("identity", "trade_secret"),
    # A hospital says it treats the waste of a military hospital.
    (32, "pcdd_pcdf", "air"): ("value", "national_security"),
}

RELEASES_HEADER = [
    "facility_id", "reporting_year", "kind", "substance_id", "medium",
    "waste_description", "destination", "treatment_code", "quantity", "unit", "method",
    "method_description", "confidential_value", "confidential_identity",
    "confidentiality_ground", "synthetic",
]


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


def build_releases(
    rng: random.Random, activities: list[list[object]]
) -> list[list[object]]:
    """Return the rows of releases.csv, header excluded, from the activity rows."""
    activity_quantity = {
        (str(row[0]), int(str(row[1])), str(row[2])): float(str(row[3]))
        for row in activities
    }
    rows: list[list[object]] = []

    for number, (isic_code, _province_code) in enumerate(FACILITIES, start=1):
        facility_id = f"KH-{number:05d}"
        for reported in REPORTED.get(isic_code, []) + FACILITY_REPORTED.get(number, []):
            driver = [
                activity_quantity[(facility_id, year, reported.driver)]
                for year in REPORTING_YEARS
            ]
            first_year = rng.uniform(reported.low, reported.high)
            if reported.share:
                first_year *= driver[0]
            quantities = (first_year, first_year * driver[1] / driver[0])
            claim, ground = CLAIMS.get(
                (number, reported.substance_id, reported.medium), ("", "")
            )
            for year, quantity in zip(REPORTING_YEARS, quantities, strict=True):
                method, description = reported.method, reported.method_description
                change = METHOD_CHANGES.get(
                    (number, reported.substance_id, reported.medium)
                )
                if year != REPORTING_YEARS[0]:
                    # A measurement or a balance is never the same twice.
                    quantity *= rng.uniform(0.95, 1.05)
                    if change is not None:
                        quantity *= change[0]
                        method, description = change[1], change[2]
                rows.append([
                    facility_id, year, reported.kind, reported.substance_id,
                    reported.medium, reported.waste_description, reported.destination,
                    reported.treatment_code, _round(quantity), reported.unit, method,
                    description, str(claim == "value").lower(),
                    str(claim == "identity").lower(), ground, "true",
                ])
    return rows


def main() -> None:
    facilities, activities = build(random.Random(SEED))
    releases = build_releases(random.Random(RELEASES_SEED), activities)
    write(HERE / "facilities.csv",
          ["facility_id", "name", "isic_code", "province_code", "latitude", "longitude",
           "employees", "sme", "synthetic"],
          facilities)
    write(HERE / "activities.csv",
          ["facility_id", "reporting_year", "activity", "quantity", "unit", "factor_id",
           "synthetic"],
          activities)
    write(HERE / "releases.csv", RELEASES_HEADER, releases)


if __name__ == "__main__":
    main()
