"""The numbers of the national PRTR report and of the facility feedback reports.

The report notebooks (``notebooks/reports/``) call this module for every number they
show, and :mod:`prtr.reporttext` for every word. Data come from the register through
:mod:`prtr.register` only: releases and transfers through
:func:`~prtr.register.current_releases` and :func:`~prtr.register.current_transfers`
with the report's audience, so that a public report is built only from what
:func:`~prtr.register.public_view` lets out. A public table here therefore never holds a
claimed value or a claimed substance identity; claimed values appear only inside the
register's confidential sums, under generic names.

Decisions, each a choice a ministry may change:

- *Expected to report* means known to the register: every facility that has ever
  submitted a report (the register's facility table). A facility that should report
  but never did is not in the register and cannot be counted.
- *Synthetic*: the register has no flag for synthetic data; a facility is synthetic
  when its name contains "(synthetic)", as every pilot facility's does.
- *Uncertainty of a national total*: each value is taken to be uncertain by
  :data:`METHOD_RELATIVE_UNCERTAINTY` of itself according to its method code (an
  assumption of this workbook, not a published figure). Measured and calculated
  values are taken as independent between facilities (their half-widths add in
  quadrature); estimated values are taken to share their error (their half-widths add
  up), since the facilities of a sector use the same emission factors. A confidential
  sum, whose methods are not public, counts as estimated.
- *Sector comparison*: other facilities are always compared through the public view,
  even in a restricted report, so a facility's feedback report never reveals another
  facility's claimed value.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from prtr import register
from prtr.datapackage import datasets_dir, load_table
from prtr.errors import PrtrError

__all__ = [
    "MEDIA",
    "METHOD_RELATIVE_UNCERTAINTY",
    "POPS_GROUPS",
    "SYNTHETIC_MARK",
    "Coverage",
    "Snapshot",
    "build_demo_register",
    "change_from_previous",
    "coverage",
    "facility_activities",
    "facility_findings",
    "facility_profile",
    "facility_releases",
    "facility_transfers",
    "improvements",
    "largest_sources",
    "load_snapshot",
    "map_points",
    "mercury",
    "methods",
    "pops",
    "resolve_db_url",
    "sector_comparison",
    "sector_of",
    "total_range",
    "totals",
    "transfers_by_treatment",
    "where",
    "withheld_units",
]

logger = logging.getLogger(__name__)

#: The media of a release, in the order reports show them.
MEDIA = ("air", "water", "land")

#: Relative uncertainty (half-width of the range, as a fraction of the value) taken
#: for a value obtained by each method. An assumption of this workbook, chosen to rank
#: the methods as the PRTR guidance does (measured most reliable, estimated least);
#: not a figure from a published source.
METHOD_RELATIVE_UNCERTAINTY = {"M": 0.2, "C": 0.3, "E": 0.5}

#: The substance groups of ``substances.csv`` that the POPs section covers.
POPS_GROUPS = ("Unintentional POPs", "Industrial POPs", "POPs pesticides")

#: What marks a synthetic facility's name.
SYNTHETIC_MARK = "(synthetic)"

#: Where ``make book`` leaves the pilot register; the notebooks use it when no
#: register is named.
PILOT_REGISTER = Path("_build") / "pilot" / "register.sqlite"

_TIER_ORDER = {"critical": 0, "possible": 1, "alert": 2}

#: Findings that give no advice of their own for next year: the first asks for no
#: change, the second is said more precisely by the "improve.missing" advice.
_NO_ADVICE = frozenset({"P-BELOW-THRESHOLD", "A-MISSING"})


# --- Reading the register ---


def sector_of(isic_code: str) -> str:
    """Return the PRTR sector of an ISIC code (a class may be listed by its group or
    division in ``sectors.csv``), or the code itself when no sector lists it.

    Args:
        isic_code: e.g. ``"3510"``.

    Returns:
        The sector name, e.g. ``"Electric power generation"``.
    """
    sectors = _sectors()
    code = str(isic_code)
    for length in range(len(code), 1, -1):
        if code[:length] in sectors:
            return sectors[code[:length]]
    return code


@functools.cache
def _sectors() -> dict[str, str]:
    table = load_table("sectors")
    return dict(zip(table["isic_code"], table["prtr_sector"], strict=True))


@functools.cache
def _provinces() -> dict[str, str]:
    table = load_table("provinces")
    return dict(zip(table["province_code"], table["name_en"], strict=True))


def _normalise(frame: pd.DataFrame, audience: str) -> pd.DataFrame:
    """Give restricted and public tables the same columns: ``row_kind``, ``claimed``,
    ``facility_count``."""
    frame = frame.copy()
    if audience == "restricted":
        frame["row_kind"] = "facility"
        frame["facility_count"] = 1
        frame["claimed"] = frame["confidential_value"] | frame["confidential_identity"]
    else:
        frame["claimed"] = False
    frame["quantity"] = pd.to_numeric(frame["quantity"], errors="coerce").astype(float)
    frame["method"] = frame["method"].fillna("").astype(str)
    for name in ("facility_id", "facility_name", "sector", "province", "substance_id"):
        frame[name] = frame[name].fillna("").astype(str)
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class Snapshot:
    """What the register holds for one reporting year, as one audience may see it.

    Load it once with :func:`load_snapshot`; every section of the national report and
    every facility report is computed from it, so many facility reports share one
    read of the register.

    Attributes:
        register: the register's URL, password hidden.
        year: the reporting year.
        audience: ``"public"`` or ``"restricted"``.
        releases: releases of ``year`` (public view when public), with ``row_kind``
            ("facility", "confidential sum", "confidential withheld") and ``claimed``.
        previous_releases: the same for ``year - 1``.
        peer_releases: releases of ``year`` in the public view, for comparisons
            between facilities.
        transfers: off-site transfers of ``year``, like ``releases``.
        activities: activity rows of the current reports of ``year``.
        findings: validation findings stored with the current reports of ``year``.
        facilities: every facility known to the register, with its sector, province,
            whether it reported for ``year`` and ``year - 1``, the revision and the
            coordinates of its current report.
    """

    register: str
    year: int
    audience: str
    releases: pd.DataFrame
    previous_releases: pd.DataFrame
    peer_releases: pd.DataFrame
    transfers: pd.DataFrame
    activities: pd.DataFrame
    findings: pd.DataFrame
    facilities: pd.DataFrame
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def synthetic_count(self) -> int:
        """How many facilities of the register are synthetic."""
        names = self.facilities["name"].astype(str).str.casefold()
        return int(names.str.contains(SYNTHETIC_MARK, regex=False).sum())

    @property
    def has_previous_year(self) -> bool:
        """True when any facility reported for ``year - 1``."""
        return bool(self.facilities["reported_previous"].any())


#: Snapshots already read in this process, by (register, year, audience, state).
_SNAPSHOTS: dict[tuple[Any, ...], Snapshot] = {}
_SNAPSHOTS_KEPT = 4


def load_snapshot(db_url: str, year: int, audience: str) -> Snapshot:
    """Read what the reports of one year need from the register.

    A snapshot is kept for the life of the process and given again while the
    register's submissions are unchanged (same number and same highest identifier),
    so that many facility reports run in one kernel read the register once.

    Args:
        db_url: the register's SQLAlchemy URL (or an SQLite file path).
        year: the reporting year.
        audience: ``"public"`` or ``"restricted"``.

    Returns:
        The snapshot; treat its tables as read-only.

    Raises:
        PrtrError: if the audience is not one of the two.
        RegisterError: if the register cannot be opened or holds no register.
    """
    if audience not in register.AUDIENCES:
        raise PrtrError(
            f"audience must be one of {', '.join(register.AUDIENCES)}, not "
            f"{audience!r}."
        )
    engine = register.connect(db_url, must_exist=True)
    try:
        state = _register_state(engine)
        key = (register.describe(engine), int(year), audience, state)
        if key not in _SNAPSHOTS:
            if len(_SNAPSHOTS) >= _SNAPSHOTS_KEPT:
                _SNAPSHOTS.pop(next(iter(_SNAPSHOTS)))
            _SNAPSHOTS[key] = _snapshot(engine, int(year), audience)
        return _SNAPSHOTS[key]
    finally:
        engine.dispose()


def _register_state(engine: Engine) -> tuple[Any, ...]:
    # Every import adds a submission row and a revision changes which one is
    # current; a register whose submissions are unchanged holds the same data.
    table = register.submissions
    if not sa.inspect(engine).has_table(table.name):
        return ()
    query = sa.select(
        sa.func.count(),
        sa.func.max(table.c.submission_id),
        sa.func.sum(sa.case((table.c.is_current, table.c.submission_id), else_=0)),
    )
    with engine.connect() as connection:
        return tuple(connection.execute(query).one())


def _snapshot(engine: Engine, year: int, audience: str) -> Snapshot:
    known = register.list_facilities(engine)

    releases = _normalise(
        register.current_releases(engine, year, audience=audience), audience
    )
    previous = _normalise(
        register.current_releases(engine, year - 1, audience=audience), audience
    )
    peers = (
        releases
        if audience == "public"
        else _normalise(
            register.current_releases(engine, year, audience="public"), "public"
        )
    )
    transfers = _normalise(
        register.current_transfers(engine, year, audience=audience), audience
    )

    activities = register.current_rows(
        engine,
        register.activities,
        ["row_number", "activity", "quantity", "unit"],
        year,
    )
    findings = register.current_rows(
        engine,
        register.findings,
        [
            "finding_id",
            "code",
            "tier",
            "sheet",
            "row_number",
            "column_name",
            "message",
            "hint",
        ],
        year,
    )

    submitted = register.current_submissions(engine, (year - 1, year))
    this_year = submitted[submitted["reporting_year"] == year].set_index("facility_id")
    last_year = set(
        submitted.loc[submitted["reporting_year"] == year - 1, "facility_id"]
    )
    facilities = pd.DataFrame(
        {
            "facility_id": known["facility_id"].astype(str),
            "name": known["name"].astype(str),
            "isic_code": known["isic_code"].astype(str),
            "province_code": known["province_code"].astype(str),
        }
    )
    facilities["sector"] = facilities["isic_code"].map(sector_of)
    facilities["province"] = (
        facilities["province_code"]
        .map(_provinces())
        .fillna(facilities["province_code"])
    )
    facilities["reported"] = facilities["facility_id"].isin(this_year.index)
    facilities["reported_previous"] = facilities["facility_id"].isin(last_year)
    facilities["revision"] = facilities["facility_id"].map(this_year["revision"])
    facilities["latitude"] = facilities["facility_id"].map(this_year["latitude"])
    facilities["longitude"] = facilities["facility_id"].map(this_year["longitude"])
    facilities = facilities.sort_values("facility_id").reset_index(drop=True)

    return Snapshot(
        register=register.describe(engine),
        year=year,
        audience=audience,
        releases=releases,
        previous_releases=previous,
        peer_releases=peers,
        transfers=transfers,
        activities=activities,
        findings=findings,
        facilities=facilities,
    )


# --- Where the notebooks find a register ---


def resolve_db_url(db_url: str = "", root: str | Path | None = None) -> str:
    """Return the register a report notebook reads.

    Args:
        db_url: the notebook's ``db_url`` parameter; used as it is when not empty.
        root: the repository's folder, where ``_build/pilot/register.sqlite`` is
            looked for; by default the folder above the data package.

    Returns:
        ``db_url``; else the pilot register that ``make book`` builds, when it exists;
        else a demonstration register built from the synthetic pilot in a temporary
        folder (see :func:`build_demo_register`), once per process.
    """
    if db_url:
        return db_url
    root = Path(root) if root is not None else datasets_dir().parent
    pilot = root / PILOT_REGISTER
    if pilot.is_file():
        return f"sqlite:///{pilot.resolve()}"
    return _demo_register()


@functools.cache
def _demo_register() -> str:
    # Built once per process, in a temporary folder left for the system to clean.
    folder = Path(tempfile.mkdtemp(prefix="prtr-demo-register-"))
    return build_demo_register(folder / "register.sqlite")


def _pilot_form_filler() -> Any:
    # The pilot's forms are filled by datasets/pilot/fill_forms.py; the demonstration
    # register uses the same release estimates without writing Excel files.
    path = datasets_dir() / "pilot" / "fill_forms.py"
    spec = importlib.util.spec_from_file_location("prtr_pilot_fill_forms", path)
    if spec is None or spec.loader is None:
        raise PrtrError(f"Cannot load {path}: the pilot's form filler is missing.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_demo_register(path: str | Path) -> str:
    """Build a register of the SYNTHETIC pilot, for a report notebook run on its own.

    Every pilot facility's report for every year is built in code, with the releases
    that ``datasets/pilot/fill_forms.py`` puts in its forms, validated with
    :func:`prtr.validation.validate` against the year before, and imported with
    :func:`prtr.register.import_submission`. Unlike the pilot exercise, no report
    carries a deliberate mistake. Quick: no Excel file is written.

    Args:
        path: the SQLite file to write (must not exist yet).

    Returns:
        The register's URL.
    """
    from prtr.submission import Activity, Facility, Release, Submission
    from prtr.substances import all_substances
    from prtr.validation import reporting_quantity, validate

    filler = _pilot_form_filler()
    url = f"sqlite:///{Path(path).resolve()}"
    engine = register.connect(url)
    register.create_schema(engine)
    substances = all_substances()
    facilities = load_table("pilot_facilities")
    activities = load_table("pilot_activities")
    years = sorted(int(year) for year in activities["reporting_year"].unique())
    for year in years:
        for facility in facilities.itertuples(index=False):
            mine = activities[
                (activities["facility_id"] == facility.facility_id)
                & (activities["reporting_year"] == year)
            ]
            releases = []
            for row, item in enumerate(filler.estimated_releases(mine), start=5):
                unit = substances[item["substance"]].reporting_unit
                releases.append(
                    Release(
                        row=row,
                        substance_id=item["substance"],
                        medium=item["medium"],
                        quantity=reporting_quantity(
                            item["quantity"], item["unit"], unit
                        ),
                        unit=unit,
                        quantity_reported=item["quantity"],
                        unit_reported=item["unit"],
                        method=item["method"],
                        method_description=item["method_description"],
                    )
                )
            submission = Submission(
                file=f"{facility.facility_id}_{year}.demo",
                sha256=f"demo-{facility.facility_id}-{year}",
                form_version="demo",
                reporting_year=year,
                language="en",
                facility=Facility(
                    facility_id=facility.facility_id,
                    name=facility.name,
                    isic_code=facility.isic_code,
                    province_code=facility.province_code,
                    latitude=float(facility.latitude),
                    longitude=float(facility.longitude),
                    employees=int(facility.employees),
                ),
                activities=tuple(
                    Activity(row, item.activity, float(item.quantity), item.unit)
                    for row, item in enumerate(mine.itertuples(index=False), start=5)
                ),
                releases=tuple(releases),
                submitted_by="Pilot exercise (synthetic)",
            )
            previous = register.previous_year_releases(
                engine, facility.facility_id, year
            )
            found = validate(submission, previous or None)
            register.import_submission(
                engine, submission, findings=found, received_at=_demo_time(year)
            )
    engine.dispose()
    logger.info("built the demonstration register %s", url)
    return url


def _demo_time(year: int) -> Any:
    import datetime as dt

    return dt.datetime(year + 1, 3, 31, tzinfo=dt.UTC)


# --- National report ---


@dataclass(frozen=True)
class Coverage:
    """Who reported for a year, against who is known to the register."""

    expected: int
    reported: int
    empty_reports: int
    by_sector: pd.DataFrame
    by_province: pd.DataFrame


def coverage(snapshot: Snapshot) -> Coverage:
    """Count the facilities that reported, by sector and by province.

    Args:
        snapshot: the register's data for the year.

    Returns:
        The counts; each table has ``expected``, ``reported`` and ``share`` columns,
        sorted by name.
    """
    facilities = snapshot.facilities
    empty = (
        snapshot.findings.loc[
            snapshot.findings["code"] == "P-EMPTY", "facility_id"
        ].nunique()
        if not snapshot.findings.empty
        else 0
    )

    def count_by(column: str) -> pd.DataFrame:
        table = (
            facilities.groupby(column, sort=True)
            .agg(expected=("facility_id", "size"), reported=("reported", "sum"))
            .reset_index()
        )
        table["reported"] = table["reported"].astype(int)
        table["share"] = table["reported"] / table["expected"]
        return table

    return Coverage(
        expected=len(facilities),
        reported=int(facilities["reported"].sum()),
        empty_reports=int(empty),
        by_sector=count_by("sector"),
        by_province=count_by("province"),
    )


def _label(frame: pd.DataFrame) -> pd.Series:
    """One name per substance: the id for facility rows, the generic name for sums."""
    return frame["substance_id"].where(
        frame["substance_id"] != "", frame["substance_name"]
    )


def total_range(rows: pd.DataFrame) -> tuple[float, float, float]:
    """Return the total of some release rows (all in one unit) and its range.

    See the module's documentation for the assumption.

    Args:
        rows: release rows with ``quantity`` and ``method``.

    Returns:
        ``(total, low, high)``; withheld rows (no quantity) are left out.
    """
    rows = rows[rows["quantity"].notna()]
    total = float(rows["quantity"].sum())
    share = (
        rows["method"]
        .map(METHOD_RELATIVE_UNCERTAINTY)
        .fillna(METHOD_RELATIVE_UNCERTAINTY["E"])
    )
    half_widths = rows["quantity"] * share
    estimated = rows["method"].map(lambda method: method not in ("M", "C"))
    correlated = float(half_widths[estimated].sum())
    independent = float((half_widths[~estimated] ** 2).sum())
    half_width = math.sqrt(independent + correlated**2)
    return total, max(0.0, total - half_width), total + half_width


def _by_medium(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sum quantities into air, water, land and total columns per ``keys``."""
    media = [*MEDIA, "all media"]
    wide = (
        rows.pivot_table(
            index=keys, columns="medium", values="quantity", aggfunc="sum", sort=True
        )
        .reindex(columns=media)
        .reset_index()
    )
    wide.columns.name = None
    wide["total"] = wide[media].sum(axis=1, min_count=1).fillna(0.0)
    return wide.drop(columns="all media")


def totals(snapshot: Snapshot, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Total releases per substance and medium, with the range of each total.

    Args:
        snapshot: the register's data for the year.
        rows: a subset of ``snapshot.releases`` to total; all of them by default.

    Returns:
        One row per substance (or confidential sum) and unit: ``key, substance_name,
        substance_group, unit, air, water, land, total, low, high, facilities,
        confidential``; sorted by unit (kg first), group and name. A medium nobody
        released to is NaN. Confidential sums over all media count in ``total`` only.
    """
    rows = snapshot.releases if rows is None else rows
    rows = rows[rows["quantity"].notna()].copy()
    columns = [
        "key",
        "substance_name",
        "substance_group",
        "unit",
        *MEDIA,
        "total",
        "low",
        "high",
        "facilities",
        "confidential",
    ]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows["key"] = _label(rows)
    rows["confidential"] = rows["row_kind"] != "facility"
    keys = ["key", "substance_name", "substance_group", "unit", "confidential"]
    wide = _by_medium(rows, keys)

    ranges = []
    facility_counts = []
    for values in wide[keys].itertuples(index=False):
        mine = rows[(rows[keys] == pd.Series(values, index=keys)).all(axis=1)]
        ranges.append(total_range(mine))
        facility_counts.append(
            int(mine["facility_count"].sum())
            if values.confidential
            else mine["facility_id"].nunique()
        )
    wide["low"] = [item[1] for item in ranges]
    wide["high"] = [item[2] for item in ranges]
    wide["facilities"] = facility_counts
    wide["unit_order"] = (wide["unit"] != "kg").astype(int)
    wide = wide.sort_values(
        ["unit_order", "substance_group", "confidential", "substance_name"]
    )
    return wide[columns].reset_index(drop=True)


def withheld_units(snapshot: Snapshot) -> list[str]:
    """The units in which the public view withheld claimed values even as a sum
    (too few facilities to publish it); empty in a restricted snapshot."""
    releases = snapshot.releases
    rows = releases[releases["row_kind"] == "confidential withheld"]
    return sorted(set(rows["unit"]), key=lambda unit: (unit != "kg", unit))


def pops(snapshot: Snapshot) -> pd.DataFrame:
    """The totals of :func:`totals` for the POPs groups, PCDD/F first."""
    releases = snapshot.releases
    table = totals(snapshot, releases[releases["substance_group"].isin(POPS_GROUPS)])
    order = table["key"].map({"pcdd_pcdf": 0, "pcbs": 1, "hcb": 2}).fillna(3)
    return (
        table.assign(order=order)
        .sort_values(["order", "confidential", "substance_group", "substance_name"])
        .drop(columns="order")
        .reset_index(drop=True)
    )


def _sector_shares(rows: pd.DataFrame) -> pd.DataFrame:
    table = (
        rows.groupby("sector", sort=True)["quantity"]
        .sum()
        .reset_index()
        .sort_values(["quantity", "sector"], ascending=[False, True])
    )
    total = table["quantity"].sum()
    table["share"] = table["quantity"] / total if total else 0.0
    return table.reset_index(drop=True)


def mercury(snapshot: Snapshot) -> dict[str, Any]:
    """Mercury releases: per medium, the total and the sector with the largest share.

    Args:
        snapshot: the register's data for the year.

    Returns:
        ``{"media": [{"medium", "total", "unit", "top_sector", "top_share"}, ...],
        "by_sector": DataFrame (sector, air, water, land, total),
        "confidential_heavy_metals": total kg of confidential heavy-metal sums}``.
    """
    releases = snapshot.releases
    rows = releases[
        (releases["row_kind"] == "facility") & (releases["substance_id"] == "mercury")
    ]
    media = []
    for medium in MEDIA:
        mine = rows[rows["medium"] == medium]
        total = float(mine["quantity"].sum())
        if total <= 0:
            continue
        shares = _sector_shares(mine)
        media.append(
            {
                "medium": medium,
                "total": total,
                "unit": "kg",
                "top_sector": shares["sector"].iloc[0],
                "top_share": float(shares["share"].iloc[0]),
            }
        )
    by_sector = (
        _by_medium(rows, ["sector"]).sort_values(
            ["total", "sector"], ascending=[False, True]
        )
        if not rows.empty
        else pd.DataFrame(columns=["sector", *MEDIA, "total"])
    )
    hidden = releases[
        (releases["row_kind"] == "confidential sum")
        & (releases["substance_group"].isin(["Heavy metals", "All groups"]))
        & (releases["unit"] == "kg")
    ]
    return {
        "media": media,
        "by_sector": by_sector.reset_index(drop=True),
        "confidential_heavy_metals": float(hidden["quantity"].sum()),
    }


def largest_sources(snapshot: Snapshot, per_substance: int = 3) -> pd.DataFrame:
    """The facilities with the largest releases of each substance (all media).

    Args:
        snapshot: the register's data for the year.
        per_substance: how many facilities to keep per substance.

    Returns:
        ``substance_name, unit, rank, facility_id, facility_name, sector, province,
        quantity, share, claimed``; ``share`` is of the national total of facility
        rows of that substance. Sorted by substance name and rank.
    """
    rows = snapshot.releases[snapshot.releases["row_kind"] == "facility"]
    columns = [
        "substance_name",
        "unit",
        "rank",
        "facility_id",
        "facility_name",
        "sector",
        "province",
        "quantity",
        "share",
        "claimed",
    ]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    per_facility = (
        rows.groupby(
            [
                "substance_id",
                "substance_name",
                "unit",
                "facility_id",
                "facility_name",
                "sector",
                "province",
            ],
            sort=True,
        )
        .agg(quantity=("quantity", "sum"), claimed=("claimed", "any"))
        .reset_index()
    )
    national = per_facility.groupby("substance_id")["quantity"].transform("sum")
    per_facility["share"] = (per_facility["quantity"] / national).where(national > 0)
    per_facility = per_facility.sort_values(
        ["substance_name", "quantity", "facility_id"], ascending=[True, False, True]
    )
    per_facility["rank"] = per_facility.groupby("substance_id").cumcount() + 1
    kept = per_facility[
        (per_facility["rank"] <= per_substance) & (per_facility["quantity"] > 0)
    ]
    return kept[columns].reset_index(drop=True)


def transfers_by_treatment(snapshot: Snapshot) -> pd.DataFrame:
    """Off-site transfers per substance (or waste) and treatment class.

    Args:
        snapshot: the register's data for the year.

    Returns:
        ``substance_name, treatment, unit, quantity, facilities`` where ``treatment``
        is ``D`` (disposal), ``R`` (recovery) or ``?``; sorted.
    """
    rows = snapshot.transfers[snapshot.transfers["quantity"].notna()].copy()
    columns = ["substance_name", "treatment", "unit", "quantity", "facilities"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows["treatment"] = (
        rows["treatment_code"]
        .fillna("")
        .astype(str)
        .str[:1]
        .where(lambda code: code.isin(["D", "R"]), "?")
    )
    rows["substance_name"] = rows["substance_name"].fillna("").astype(str)
    named = rows["substance_name"] != ""
    rows.loc[~named, "substance_name"] = rows.loc[~named, "waste_description"].astype(
        str
    )
    rows["open_facility"] = rows["facility_id"].where(rows["row_kind"] == "facility")
    rows["summed_facilities"] = rows["facility_count"].where(
        rows["row_kind"] != "facility", 0
    )
    table = (
        rows.groupby(["substance_name", "treatment", "unit"], sort=True)
        .agg(
            quantity=("quantity", "sum"),
            open_facilities=("open_facility", "nunique"),
            summed_facilities=("summed_facilities", "sum"),
        )
        .reset_index()
    )
    table["facilities"] = (
        table["open_facilities"] + table["summed_facilities"].fillna(0)
    ).astype(int)
    return table[columns]


def methods(snapshot: Snapshot) -> pd.DataFrame:
    """How the release values of facilities were obtained.

    Args:
        snapshot: the register's data for the year.

    Returns:
        One row per method code (``M``, ``C``, ``E``, then ``?`` if any value gives
        none): ``method, values, share_values, kg, share_kg``. Confidential sums are
        left out: their methods are not public.
    """
    rows = snapshot.releases[snapshot.releases["row_kind"] == "facility"].copy()
    rows["method"] = rows["method"].where(rows["method"].isin(["M", "C", "E"]), "?")
    order = ["M", "C", "E", "?"]
    counts = rows.groupby("method")["quantity"].size().reindex(order, fill_value=0)
    kg = (
        rows[rows["unit"] == "kg"]
        .groupby("method")["quantity"]
        .sum()
        .reindex(order, fill_value=0.0)
    )
    table = pd.DataFrame(
        {"method": order, "values": counts.to_numpy(), "kg": kg.to_numpy()}
    )
    table = table[(table["method"] != "?") | (table["values"] > 0)]
    values_total = table["values"].sum()
    kg_total = table["kg"].sum()
    table["share_values"] = table["values"] / values_total if values_total else math.nan
    table["share_kg"] = table["kg"] / kg_total if kg_total else math.nan
    return table[["method", "values", "share_values", "kg", "share_kg"]].reset_index(
        drop=True
    )


def change_from_previous(snapshot: Snapshot) -> pd.DataFrame | None:
    """Totals per substance this year and the year before, over the same facilities.

    Only facilities that reported in both years are compared, so that a facility
    that joined, left or was refused does not read as a change in releases. Sums of
    confidential values name no facility; they are compared as they are.

    Args:
        snapshot: the register's data for the year.

    Returns:
        None when nobody reported for the year before; else ``key, substance_name,
        unit, previous, current, change`` (``change`` a fraction, NaN when the
        substance is new), sorted by unit and name.
    """
    if not snapshot.has_previous_year:
        return None

    facilities = snapshot.releases["row_kind"] == "facility"
    previous_facilities = snapshot.previous_releases["row_kind"] == "facility"
    in_both = set(snapshot.releases.loc[facilities, "facility_id"]) & set(
        snapshot.previous_releases.loc[previous_facilities, "facility_id"]
    )

    def by_substance(rows: pd.DataFrame) -> pd.DataFrame:
        compared = (rows["row_kind"] != "facility") | rows["facility_id"].isin(in_both)
        rows = rows[compared & rows["quantity"].notna()].copy()
        rows["key"] = _label(rows)
        return rows.groupby(["key", "substance_name", "unit"], sort=True)[
            "quantity"
        ].sum()

    table = (
        pd.concat(
            {
                "previous": by_substance(snapshot.previous_releases),
                "current": by_substance(snapshot.releases),
            },
            axis=1,
        )
        .fillna(0.0)
        .reset_index()
    )
    table["change"] = (table["current"] - table["previous"]) / table["previous"].where(
        table["previous"] > 0
    )
    table["unit_order"] = (table["unit"] != "kg").astype(int)
    table = table.sort_values(["unit_order", "substance_name"]).drop(
        columns="unit_order"
    )
    return table.reset_index(drop=True)


def where(snapshot: Snapshot, substances: int = 3) -> tuple[pd.DataFrame, list[str]]:
    """Releases by province, for the substances most facilities reported.

    Args:
        snapshot: the register's data for the year.
        substances: how many substances to give a column.

    Returns:
        The table (``province, facilities``, then one column per substance id, in kg
        or g TEQ) sorted by province, and the substance ids of the columns.
    """
    rows = snapshot.releases[snapshot.releases["row_kind"] == "facility"]
    if rows.empty:
        return pd.DataFrame(columns=["province", "facilities"]), []
    reach = (
        rows.groupby("substance_id")["facility_id"]
        .nunique()
        .reset_index()
        .sort_values(["facility_id", "substance_id"], ascending=[False, True])
    )
    chosen = list(reach["substance_id"].head(substances))
    table = (
        rows.groupby("province", sort=True)["facility_id"]
        .nunique()
        .rename("facilities")
    )
    parts = [table]
    for substance_id in chosen:
        parts.append(
            rows[rows["substance_id"] == substance_id]
            .groupby("province")["quantity"]
            .sum()
            .rename(substance_id)
        )
    return pd.concat(parts, axis=1).reset_index().rename(
        columns={"index": "province"}
    ), chosen


def map_points(snapshot: Snapshot) -> tuple[pd.DataFrame, str | None]:
    """The facilities to put on the map, with their release of one substance.

    Every facility that reported for the year and gave coordinates is a point; the
    substance is mercury when anyone released it, otherwise the substance most
    facilities released (ties by identifier).

    Args:
        snapshot: the register's data for the year.

    Returns:
        ``facility_id, province, latitude, longitude, quantity`` (0 for facilities
        without a visible release of the substance), sorted by identifier, and the
        substance id (None when there is no visible release).
    """
    columns = ["facility_id", "province", "latitude", "longitude", "quantity"]
    facilities = snapshot.facilities
    places = facilities[
        facilities["reported"]
        & facilities["latitude"].notna()
        & facilities["longitude"].notna()
    ][["facility_id", "province", "latitude", "longitude"]].copy()
    rows = snapshot.releases[snapshot.releases["row_kind"] == "facility"]
    if rows.empty:
        return places.assign(quantity=0.0)[columns].reset_index(drop=True), None
    if (rows["substance_id"] == "mercury").any():
        substance_id = "mercury"
    else:
        reach = rows.groupby("substance_id")["facility_id"].nunique()
        substance_id = sorted(reach.index, key=lambda key: (-reach[key], key))[0]
    quantity = (
        rows[rows["substance_id"] == substance_id]
        .groupby("facility_id")["quantity"]
        .sum()
    )
    places["quantity"] = places["facility_id"].map(quantity).fillna(0.0)
    places = places.sort_values("facility_id")
    return places[columns].reset_index(drop=True), substance_id


# --- Facility report ---


def facility_profile(snapshot: Snapshot, facility_id: str) -> dict[str, Any] | None:
    """The facility's details, or None when the register does not know it.

    Args:
        snapshot: the register's data for the year.
        facility_id: e.g. ``KH-00001``.

    Returns:
        ``facility_id, name, sector, province, reported, revision`` and
        ``reported_previous``.
    """
    rows = snapshot.facilities[snapshot.facilities["facility_id"] == facility_id]
    if rows.empty:
        return None
    row = rows.iloc[0]
    return {
        "facility_id": facility_id,
        "name": row["name"],
        "sector": row["sector"],
        "province": row["province"],
        "reported": bool(row["reported"]),
        "reported_previous": bool(row["reported_previous"]),
        "revision": None if pd.isna(row["revision"]) else int(row["revision"]),
    }


def _own(frame: pd.DataFrame, facility_id: str) -> pd.DataFrame:
    return frame[
        (frame["row_kind"] == "facility") & (frame["facility_id"] == facility_id)
    ]


def facility_releases(snapshot: Snapshot, facility_id: str) -> pd.DataFrame:
    """What the facility released this year and the year before.

    Args:
        snapshot: the register's data for the year.
        facility_id: e.g. ``KH-00001``.

    Returns:
        ``substance_id, substance_name, medium, unit, quantity, method, claimed,
        previous`` (NaN when not reported the year before, or not visible to the
        audience); rows of either year, sorted by unit, name and medium.
    """
    keys = ["substance_id", "substance_name", "medium", "unit"]
    current = _own(snapshot.releases, facility_id)[
        [*keys, "quantity", "method", "claimed"]
    ]
    previous = (
        _own(snapshot.previous_releases, facility_id)
        .groupby(keys)["quantity"]
        .sum()
        .rename("previous")
        .reset_index()
    )
    table = current.merge(previous, on=keys, how="outer")
    table["claimed"] = table["claimed"].fillna(False).astype(bool)
    table["method"] = table["method"].fillna("")
    table["unit_order"] = (table["unit"] != "kg").astype(int)
    order = {medium: index for index, medium in enumerate(MEDIA)}
    table["medium_order"] = table["medium"].map(order)
    table = table.sort_values(["unit_order", "substance_name", "medium_order"])
    return table.drop(columns=["unit_order", "medium_order"]).reset_index(drop=True)


def facility_transfers(snapshot: Snapshot, facility_id: str) -> pd.DataFrame:
    """The facility's off-site transfers this year (as the audience may see them)."""
    rows = _own(snapshot.transfers, facility_id)
    columns = [
        "substance_name",
        "waste_description",
        "quantity",
        "unit",
        "destination",
        "treatment_code",
        "claimed",
    ]
    present = [name for name in columns if name in rows.columns]
    return rows[present].reset_index(drop=True)


def facility_activities(snapshot: Snapshot, facility_id: str) -> pd.DataFrame:
    """The facility's activity rows this year: ``activity, quantity, unit``."""
    rows = snapshot.activities[snapshot.activities["facility_id"] == facility_id]
    return rows[["activity", "quantity", "unit"]].reset_index(drop=True)


def sector_comparison(
    snapshot: Snapshot, facility_id: str
) -> tuple[pd.DataFrame, dict[str, str] | None]:
    """The facility's releases per unit of activity, against its sector.

    The activity used is the facility's activity (name and unit) that the most other
    facilities of its sector also reported. Other facilities' releases come from the
    public view, whatever the report's audience.

    Args:
        snapshot: the register's data for the year.
        facility_id: e.g. ``KH-00001``.

    Returns:
        The table (``substance_name, medium, unit, intensity, peer_median, peer_low,
        peer_high, peers``; peers are other facilities with the same activity and a
        release of the same substance to the same medium) and the activity used
        (``{"activity", "unit", "sector"}``), or an empty table and None when the
        facility reported no activity.
    """
    columns = [
        "substance_name",
        "medium",
        "unit",
        "intensity",
        "peer_median",
        "peer_low",
        "peer_high",
        "peers",
    ]
    profile = facility_profile(snapshot, facility_id)
    activities = snapshot.activities[snapshot.activities["quantity"] > 0]
    own_activities = activities[activities["facility_id"] == facility_id]
    if profile is None or own_activities.empty:
        return pd.DataFrame(columns=columns), None

    sector_ids = set(
        snapshot.facilities.loc[
            snapshot.facilities["sector"] == profile["sector"], "facility_id"
        ]
    ) - {facility_id}
    peers_activities = activities[activities["facility_id"].isin(sector_ids)]
    candidates = []
    for item in own_activities.itertuples(index=False):
        sharing = peers_activities[
            (peers_activities["activity"] == item.activity)
            & (peers_activities["unit"] == item.unit)
        ]["facility_id"].nunique()
        candidates.append((-sharing, item.row_number, item.activity, item.unit))
    _, _, activity, activity_unit = min(candidates)
    chosen = {"activity": activity, "unit": activity_unit, "sector": profile["sector"]}

    def amounts(frame: pd.DataFrame) -> pd.Series:
        rows = frame[(frame["activity"] == activity) & (frame["unit"] == activity_unit)]
        return rows.groupby("facility_id")["quantity"].sum()

    own_amount = float(amounts(own_activities).iloc[0])
    peer_amounts = amounts(peers_activities)

    own = _own(snapshot.releases, facility_id)
    peers = snapshot.peer_releases[
        (snapshot.peer_releases["row_kind"] == "facility")
        & snapshot.peer_releases["facility_id"].isin(peer_amounts.index)
    ]
    rows = []
    for item in own.sort_values(["substance_name", "medium"]).itertuples(index=False):
        mine = peers[
            (peers["substance_id"] == item.substance_id)
            & (peers["medium"] == item.medium)
        ]
        ratios = (
            mine.groupby("facility_id")["quantity"].sum()
            / peer_amounts.reindex(mine["facility_id"].unique())
        ).dropna()
        rows.append(
            {
                "substance_name": item.substance_name,
                "medium": item.medium,
                "unit": item.unit,
                "intensity": item.quantity / own_amount,
                "peer_median": float(ratios.median()) if len(ratios) else math.nan,
                "peer_low": float(ratios.min()) if len(ratios) else math.nan,
                "peer_high": float(ratios.max()) if len(ratios) else math.nan,
                "peers": len(ratios),
            }
        )
    return pd.DataFrame(rows, columns=columns), chosen


def facility_findings(snapshot: Snapshot, facility_id: str) -> pd.DataFrame:
    """The validation findings stored with the facility's current report.

    In a public report a finding is described by its rule's title and hint from
    :data:`prtr.validation.RULES`, never by its message, which may quote a claimed
    value or substance.

    Args:
        snapshot: the register's data for the year.
        facility_id: e.g. ``KH-00001``.

    Returns:
        ``tier, code, sheet, row_number, finding, hint``, most severe first.
    """
    from prtr.validation import RULES

    rows = snapshot.findings[snapshot.findings["facility_id"] == facility_id].copy()
    columns = ["tier", "code", "sheet", "row_number", "finding", "hint"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    if snapshot.audience == "public":
        rows["finding"] = rows["code"].map(
            lambda code: RULES[code].title if code in RULES else code
        )
        rows["hint"] = rows["code"].map(
            lambda code: RULES[code].hint if code in RULES else ""
        )
        rows["row_number"] = pd.NA
    else:
        rows["finding"] = rows["message"]
    rows["order"] = rows["tier"].map(_TIER_ORDER).fillna(3)
    rows = rows.sort_values(["order", "code", "sheet", "row_number", "finding_id"])
    if snapshot.audience == "public":
        rows = rows.drop_duplicates(["tier", "code", "sheet"])
    return rows[columns].reset_index(drop=True)


def improvements(
    snapshot: Snapshot,
    facility_id: str,
    comparison: pd.DataFrame | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """What the facility could improve next year, as template keys of
    :mod:`prtr.reporttext` with their values, in a fixed order.

    Args:
        snapshot: the register's data for the year.
        facility_id: e.g. ``KH-00001``.
        comparison: the facility's :func:`sector_comparison` table, when the caller
            has it already; computed here otherwise.

    Returns:
        ``[(key, values), ...]``; empty when nothing stands out.
    """
    from prtr.validation import RULES

    advice: list[tuple[str, dict[str, Any]]] = []
    found = facility_findings(snapshot, facility_id)
    for code in dict.fromkeys(found["code"]):
        rule = RULES.get(code)
        if rule is not None and rule.tier != "critical" and code not in _NO_ADVICE:
            advice.append(("improve.finding", {"title": rule.title, "hint": rule.hint}))

    releases = facility_releases(snapshot, facility_id)
    current = releases[releases["quantity"].notna()]
    estimated = current[current["method"] == "E"]
    if len(estimated):
        largest = estimated[estimated["unit"] == "kg"].nlargest(2, "quantity")
        advice.append(
            (
                "improve.estimated",
                {
                    "count": len(estimated),
                    "total": len(current),
                    "names": list(largest["substance_name"]),
                },
            )
        )

    profile = facility_profile(snapshot, facility_id)
    if profile and profile["reported_previous"]:
        reported_now = set(current["substance_name"])
        missing = sorted(
            set(releases.loc[releases["previous"].fillna(0) > 0, "substance_name"])
            - reported_now
        )
        if missing:
            advice.append(
                (
                    "improve.missing",
                    {"names": missing, "previous": snapshot.year - 1},
                )
            )

    if facility_activities(snapshot, facility_id).empty:
        advice.append(("improve.no_activity", {}))
    else:
        if comparison is None:
            comparison, _ = sector_comparison(snapshot, facility_id)
        for item in comparison.itertuples(index=False):
            if item.peers and item.peer_median > 0:
                ratio = item.intensity / item.peer_median
                if ratio >= 10 or ratio <= 0.1:
                    advice.append(
                        (
                            "improve.far_from_sector",
                            {
                                "substance": item.substance_name,
                                "medium": item.medium,
                                "ratio": ratio,
                            },
                        )
                    )
    return advice
