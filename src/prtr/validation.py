"""Three-tier validation of a facility's report, as TRI's reporting software sorts it.

- **critical**: the report cannot enter the register until it is fixed;
- **possible** error: probably wrong, the facility should look and may keep it;
- data-quality **alert**: a large change against the facility's previous year, which
  the ministry will ask about.

Every rule is a row of :data:`RULES`, with a code, its tier, a title, what it checks,
an example and a hint that says how to fix it. The book's reporting chapter renders the
table from here, so the documentation cannot drift from the code.

:func:`validate` checks a :class:`~prtr.submission.Submission`; :func:`check_files`
reads and validates form files, and is what ``prtr validate`` and ``prtr import`` run.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from prtr import formlayout
from prtr.datapackage import load_table
from prtr.errors import PrtrError, UnknownSubstanceError
from prtr.submission import (
    CONFIDENTIALITY_GROUNDS,
    MEDIA,
    TIERS,
    Finding,
    Release,
    Submission,
    Tier,
    Transfer,
)

__all__ = [
    "DEFAULT_ALERT_FACTOR",
    "FACILITY_ID_PATTERN",
    "FACTOR_RATIO",
    "RULES",
    "FileResult",
    "PreviousLookup",
    "Rule",
    "check_files",
    "make_finding",
    "reporting_quantity",
    "sort_findings",
    "validate",
]

#: An alert is raised when a release changes by more than this factor, up or down,
#: against the facility's previous year. A choice of this workbook, not of a document.
DEFAULT_ALERT_FACTOR = 5.0

logger = logging.getLogger(__name__)

#: What a facility identifier looks like: country code, dash, five digits.
FACILITY_ID_PATTERN = re.compile(r"[A-Z]{2}-[0-9]{5}")

#: A release more than this many times above or below what the sector's emission
#: factors and the reported activity give is a possible error.
FACTOR_RATIO = 10.0

#: The country's bounding box for coordinates, in decimal degrees (Cambodia; the same
#: bounds as the schema of provinces.csv).
LATITUDE_RANGE = (9.5, 15.0)
LONGITUDE_RANGE = (102.0, 108.0)

#: Called with a facility identifier and the reporting year; returns that facility's
#: releases of the previous year keyed (substance_id, medium) in reporting units, or
#: None when the register holds no previous year.
PreviousLookup = Callable[[str, int], Mapping[tuple[str, str], float] | None]


@dataclass(frozen=True)
class Rule:
    """One validation rule: what it checks and how to fix what it finds."""

    code: str
    tier: Tier
    title: str
    description: str
    example: str
    hint: str


def _rules(*rows: tuple[str, str, str, str, str, str]) -> dict[str, Rule]:
    return {row[0]: Rule(*row) for row in rows}  # type: ignore[arg-type]


#: Every rule, by code, in the order the book lists them.
RULES: dict[str, Rule] = _rules(
    (
        "C-FILE",
        "critical",
        "Not a readable workbook",
        "The file is missing, empty, damaged, an old .xls file, or another kind of "
        "file (CSV, PDF) renamed .xlsx.",
        "report.xlsx is a CSV file saved under an .xlsx name.",
        "Fill the blank form made by `prtr form`; save it as Excel Workbook (.xlsx).",
    ),
    (
        "C-ENCRYPTED",
        "critical",
        "Workbook protected by a password",
        "An encrypted workbook cannot be read without its password.",
        "The officer set a password to open the file before sending it.",
        "Remove the password in Excel (File > Info > Protect Workbook) and send again.",
    ),
    (
        "C-BOUND",
        "critical",
        "File larger than the bounds",
        "The file, what it expands to, or a sheet's number of rows is above the bound "
        "the register reads; nothing beyond the bound is read.",
        "A releases sheet with 1,048,576 rows.",
        "Delete empty rows and unused sheets; split a very large report.",
    ),
    (
        "C-NOT-FORM",
        "critical",
        "Not the reporting form",
        "The workbook has no form version and reporting year, so it was not made by "
        "`prtr form`, or they were deleted.",
        "A workbook the facility designed itself.",
        "Copy the data into a blank form made by `prtr form --year YEAR`.",
    ),
    (
        "C-SHEET",
        "critical",
        "Sheet missing",
        "A sheet of the form is missing or was renamed.",
        "The sheet 'releases' was renamed 'emissions 2025'.",
        "Give the sheet its original name back, or copy the data into a blank form.",
    ),
    (
        "C-COLUMN",
        "critical",
        "Column missing",
        "A column of a sheet is missing, or its heading was changed.",
        "The 'Unit' column of the releases sheet was deleted.",
        "Use the columns of the blank form, in any order, with their headings.",
    ),
    (
        "C-MERGED",
        "critical",
        "Merged cells",
        "Cells are merged on a data sheet, so their values cannot be told apart.",
        "B5:C5 merged across the medium and quantity of one release.",
        "Select the cells, choose Unmerge Cells, and write one value per cell.",
    ),
    (
        "C-FORMULA",
        "critical",
        "Formula in a cell",
        "A cell holds a formula; the register stores values, not formulas.",
        "=B4*0.2 in a quantity cell.",
        "Copy the cell and paste it as a value (Paste Special > Values).",
    ),
    (
        "C-EXCEL-ERROR",
        "critical",
        "Excel error value",
        "A cell holds an Excel error such as #DIV/0!, #REF! or #VALUE!.",
        "#DIV/0! in a quantity cell.",
        "Fix the calculation that gave the error and paste the result as a value.",
    ),
    (
        "C-FACILITY-ID",
        "critical",
        "Facility identifier missing or unknown",
        "The facility identifier is empty, not of the form KH-00000, or not a "
        "facility of the register.",
        "Facility identifier 'KH-1'.",
        "Write the identifier the ministry gave your facility, e.g. KH-00012.",
    ),
    (
        "C-FACILITY",
        "critical",
        "Facility details missing or unknown",
        "The facility name, its ISIC class or its province is empty or not in the "
        "lists of the form.",
        "Province 'Phnom Pen' instead of '12 — Phnom Penh'.",
        "Choose the ISIC class and the province from the dropdown lists.",
    ),
    (
        "C-YEAR",
        "critical",
        "Reporting year not the form's year",
        "The reporting year written on the facility sheet is not the year the form "
        "was made for.",
        "A 2025 form with reporting year 2024.",
        "Report each year on the form made for that year (`prtr form --year YEAR`).",
    ),
    (
        "C-REQUIRED",
        "critical",
        "Required value missing",
        "A filled row lacks a value that every row needs.",
        "A release of mercury with no medium.",
        "Fill every column marked required, or delete the row.",
    ),
    (
        "C-SUBSTANCE",
        "critical",
        "Unknown substance",
        "The substance is not in the register's list of substances.",
        "'Mercurry' instead of 'Mercury and compounds'.",
        "Choose the substance from the dropdown list.",
    ),
    (
        "C-NUMBER-TEXT",
        "critical",
        "Text where a number belongs",
        "A quantity is text, not a number.",
        "'about 12' or 'n/a' in a quantity cell.",
        "Write the number alone, e.g. 12, and the unit in the unit column.",
    ),
    (
        "C-NUMBER-SEPARATOR",
        "critical",
        "Number written with separators",
        "A quantity is written with thousands separators or a decimal comma, which "
        "reads differently in different countries; the register does not guess.",
        "'1,234.5' or '1.234,5' typed as text.",
        "Type the number with a decimal point and no thousands separator: 1234.5.",
    ),
    (
        "C-DATE",
        "critical",
        "Date where a number belongs",
        "A quantity cell holds a date; Excel turns some numbers into dates as they "
        "are typed.",
        "'3/4' became 3 April.",
        "Format the cell as Number and type the quantity again.",
    ),
    (
        "C-NEGATIVE",
        "critical",
        "Negative quantity",
        "A quantity is below zero.",
        "-12 kg of lead to water.",
        "Report the quantity released or transferred, 0 or more.",
    ),
    (
        "C-UNIT",
        "critical",
        "Unit unknown or not convertible",
        "The unit is not a unit, or cannot be converted to the substance's reporting "
        "unit (kg, or g TEQ for dioxins and furans).",
        "'m3' for a release of lead; 'g' for dioxins (needs g TEQ).",
        "Write a mass unit such as kg or t, and g TEQ for dioxins and furans.",
    ),
    (
        "C-MEDIUM",
        "critical",
        "Medium not valid",
        "The medium is not air, water or land, or the substance is not reported to "
        "that medium (no release threshold of any scheme names it).",
        "Carbon dioxide released to water.",
        "Choose air, water or land from the list, as the substance allows.",
    ),
    (
        "C-METHOD",
        "critical",
        "Method code not M, C or E",
        "The method code is not M (measured), C (calculated) or E (estimated).",
        "'measured' or 'X' in the method column.",
        "Choose M, C or E from the list and explain in the description column.",
    ),
    (
        "C-TREATMENT",
        "critical",
        "Disposal or recovery code not valid",
        "An off-site transfer's code is not D (disposal) or R (recovery), optionally "
        "with the Basel Convention number (D10, R4).",
        "'landfill' in the code column.",
        "Write D or R, or the Basel code such as D1 or R5.",
    ),
    (
        "C-DUPLICATE",
        "critical",
        "Duplicate rows",
        "The same substance and medium (or the same transfer) appears twice.",
        "Two rows of nitrogen oxides to air.",
        "Add the rows up into one row and delete the other.",
    ),
    (
        "C-CLAIM",
        "critical",
        "Confidentiality claim without a ground",
        "A value or a substance identity is claimed confidential without a ground "
        "from the list.",
        "Quantity confidential: yes; ground: empty.",
        "Choose the ground from the list, or answer 'no' to the claim.",
    ),
    (
        "P-METHOD-TEXT",
        "possible",
        "Method code contradicts its description",
        "The method description speaks of another method than the code says.",
        "Code M with the description 'AP-42 emission factor'.",
        "Make the code match how the number was obtained: M, C or E.",
    ),
    (
        "P-FACTORS",
        "possible",
        "Far from the emission factor estimate",
        f"The quantity is more than {FACTOR_RATIO:g} times above or below what the "
        "sector's emission factors and the reported activity give.",
        "1.2 kg of sulphur dioxide from 8,000 kgal of heavy fuel oil.",
        "Check the unit, the decimal point and the activity; explain the method.",
    ),
    (
        "P-BELOW-THRESHOLD",
        "possible",
        "Below every release threshold",
        "The substance's releases are below every release threshold; reporting it "
        "is not required, but it is welcome.",
        "0.5 kg of mercury to air against a 10 kg threshold.",
        "Keep the row if the number is right; nothing to change.",
    ),
    (
        "P-TOTALS",
        "possible",
        "Totals that do not add up",
        "The accidental part of a release is larger than the release itself.",
        "Quantity 10 kg, of which accidental 25 kg.",
        "The quantity is the total for the year, accidents included.",
    ),
    (
        "P-FORMULA-TEXT",
        "possible",
        "Text that a spreadsheet would run",
        "A text begins with =, +, - or @; a spreadsheet may run it as a formula. "
        "The register keeps it with an apostrophe in front.",
        "'=HYPERLINK(...)' as a method description.",
        "Begin the text with a letter or a digit.",
    ),
    (
        "P-UNIT-AMBIGUOUS",
        "possible",
        "Ambiguous unit",
        "'ton' can mean a metric tonne (1,000 kg) or a short ton (907 kg); it is read "
        "as a metric tonne.",
        "12 tons of zinc.",
        "Write t for metric tonnes.",
    ),
    (
        "P-COORDINATES",
        "possible",
        "Coordinates outside the country",
        "The latitude or longitude is not a number in decimal degrees inside the "
        "country.",
        "Latitude and longitude swapped: 104.9, 11.5.",
        "Write decimal degrees, latitude first: 11.5620, 104.9160.",
    ),
    (
        "P-EMPTY",
        "possible",
        "Nothing reported",
        "The form has no release and no transfer.",
        "A form with only the facility sheet filled.",
        "Report releases and transfers, or tell the ministry why there are none.",
    ),
    (
        "A-CHANGE",
        "alert",
        "Large change since last year",
        "A release changed by more than the alert factor against the facility's "
        "previous year in the register.",
        "Nitrogen oxides to air: 3,000 kg last year, 45,000 kg this year.",
        "If the number is right, explain the change in the method description.",
    ),
    (
        "A-MISSING",
        "alert",
        "Reported last year, missing now",
        "A substance and medium reported last year is not reported this year.",
        "Lead to water reported for 2024, not for 2025.",
        "Report it, or explain to the ministry why the release stopped.",
    ),
)


def make_finding(
    code: str,
    file: str,
    sheet: str | None,
    row: int | None,
    column: str | None,
    message: str,
    hint: str | None = None,
) -> Finding:
    """Return a finding of rule ``code``, with the rule's tier and (by default) hint.

    Raises:
        KeyError: if ``code`` is not a rule of :data:`RULES` (a bug, not bad input).
    """
    rule = RULES[code]
    return Finding(
        code=code,
        tier=rule.tier,
        file=file,
        sheet=sheet,
        row=row,
        column=column,
        message=message,
        hint=hint or rule.hint,
    )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Sort findings by tier (critical first), then by where they are."""
    return sorted(
        findings,
        key=lambda item: (
            TIERS.index(item.tier),
            item.sheet or "",
            item.row or 0,
            item.column or "",
            item.code,
        ),
    )


def reporting_quantity(value: float, unit: str, reporting_unit: str) -> float:
    """Convert a reported quantity to the substance's reporting unit.

    A yearly rate (``"kg/yr"``, ``"t/year"``) is taken as the amount of the reporting
    year, since every quantity on the form is one year's.

    Raises:
        UnitError: if the unit is unknown or measures something else.
    """
    from prtr.units import UnitError, conversion_factor

    try:
        return value * conversion_factor(unit, reporting_unit)
    except UnitError as error:
        try:
            return value * conversion_factor(unit, f"{reporting_unit}/year")
        except UnitError:
            raise error from None


@dataclass(frozen=True)
class FileResult:
    """What checking one file gave.

    Attributes:
        path: the file.
        submission: what was read, or None when the file could not be read at all.
        findings: every finding, reading and validation, sorted critical first.
    """

    path: Path
    submission: Submission | None
    findings: tuple[Finding, ...]

    @property
    def critical(self) -> bool:
        """True when any finding blocks the import."""
        return any(item.tier == "critical" for item in self.findings)

    def count(self, tier: Tier) -> int:
        """Return the number of findings of one tier."""
        return sum(1 for item in self.findings if item.tier == tier)


def check_files(
    paths: Iterable[str | Path],
    previous_lookup: PreviousLookup | None = None,
    *,
    known_facilities: Collection[str] | None = None,
    alert_factor: float = DEFAULT_ALERT_FACTOR,
) -> list[FileResult]:
    """Read and validate form files, one result per file, in the order given.

    Never raises for a bad file: what is wrong with it is a finding.

    Args:
        paths: the form files.
        previous_lookup: gives a facility's previous-year releases; without it no
            alert is raised.
        known_facilities: the facility identifiers of the register; None skips the
            check that the identifier is known.
        alert_factor: the year-on-year change that raises an alert.

    Returns:
        One :class:`FileResult` per path.
    """
    # Imported here: prtr.form builds its findings with this module's rules.
    from prtr.form import read_form
    from prtr.workbookfile import UnreadableFormError

    results = []
    for raw_path in paths:
        path = Path(raw_path)
        try:
            submission = read_form(path)
        except UnreadableFormError as error:
            finding = make_finding(
                error.code, str(path), None, None, None, error.message, error.hint
            )
            results.append(FileResult(path, None, (finding,)))
            continue

        previous = None
        facility_id = submission.facility.facility_id
        if previous_lookup is not None and facility_id:
            previous = previous_lookup(facility_id, submission.reporting_year)
        findings = list(submission.findings) + validate(
            submission,
            previous,
            alert_factor=alert_factor,
            known_facilities=known_facilities,
        )
        results.append(FileResult(path, submission, tuple(sort_findings(findings))))
        logger.info("%s: %d finding(s)", path, len(findings))
    return results


def validate(
    submission: Submission,
    previous: Mapping[tuple[str, str], float] | None = None,
    *,
    alert_factor: float = DEFAULT_ALERT_FACTOR,
    known_facilities: Collection[str] | None = None,
) -> list[Finding]:
    """Check a submission against every rule of :data:`RULES` that looks at content.

    Problems found while reading the file (formulas, dates in number cells, missing
    sheets) are already in ``submission.findings`` and are not repeated here.

    Args:
        submission: what the facility reported.
        previous: the facility's releases of the previous year from the register,
            keyed ``(substance_id, medium)``, in reporting units.
        alert_factor: a change by more than this factor, up or down, is an alert.
        known_facilities: the register's facility identifiers; None skips that check.

    Returns:
        The findings, critical first.
    """
    checker = _Checker(submission)
    checker.facility(known_facilities)
    checker.year()
    for release in submission.releases:
        checker.release(release)
    for transfer in submission.transfers:
        checker.transfer(transfer)
    checker.duplicates()
    checker.empty()
    checker.thresholds()
    checker.factors()
    if previous is not None:
        checker.alerts(previous, alert_factor)
    return sort_findings(checker.findings)


_METHOD_WORDS = {
    "M": ("measur", "monitor", "sampl", "cems", "stack test", "analys", "វាស់"),
    "C": ("mass balance", "calculat", "engineering", "stoichiometr", "គណនា"),
    "E": ("emission factor", "estimat", "ap-42", "toolkit", "judgement", "ប៉ាន់ស្មាន"),
}

_TREATMENT_PATTERN = re.compile(r"[DR](?:[0-9]{1,2})?")


class _Checker:
    """Runs the content rules over one submission and collects the findings."""

    def __init__(self, submission: Submission) -> None:
        self.submission = submission
        self.findings: list[Finding] = []

    def add(
        self,
        code: str,
        sheet_key: str,
        field_key: str | None,
        row: int | None,
        message: str,
        hint: str | None = None,
    ) -> None:
        sheet = self.submission.sheet_titles.get(sheet_key) or formlayout.label(
            sheet_key, self.submission.language or "en"
        )
        column = None
        if field_key is not None:
            row, column = self._cell(sheet_key, field_key, row)
        self.findings.append(
            make_finding(code, self.submission.file, sheet, row, column, message, hint)
        )

    def _cell(
        self, sheet_key: str, field_key: str, row: int | None
    ) -> tuple[int | None, str | None]:
        where = self.submission.cells.get(sheet_key, {}).get(field_key)
        if sheet_key == "facility":
            if where is None:
                keys = [key for key, _, _ in formlayout.FACILITY_FIELDS]
                return (keys.index(field_key) + 3, "C")
            match = re.fullmatch(r"([A-Z]+)([0-9]+)", where)
            return (int(match.group(2)), match.group(1)) if match else (None, None)
        if where is None:
            where = formlayout.column_letter(sheet_key, field_key)
        return row, where

    # Facility and year.

    def facility(self, known_facilities: Collection[str] | None) -> None:
        facility = self.submission.facility
        facility_id = facility.facility_id.strip()
        if not facility_id:
            self.add(
                "C-FACILITY-ID",
                "facility",
                "facility_id",
                None,
                "The facility identifier is empty.",
            )
        elif not FACILITY_ID_PATTERN.fullmatch(facility_id):
            self.add(
                "C-FACILITY-ID",
                "facility",
                "facility_id",
                None,
                f"{facility_id!r} is not a facility identifier (two capital letters, a "
                "dash, five digits, e.g. KH-00012).",
            )
        elif known_facilities is not None and facility_id not in known_facilities:
            self.add(
                "C-FACILITY-ID",
                "facility",
                "facility_id",
                None,
                f"{facility_id} is not a facility of the register.",
                "Check the identifier in the ministry's letter; a new facility must be "
                "registered with the ministry before it reports.",
            )

        if not facility.name.strip():
            self.add(
                "C-FACILITY",
                "facility",
                "name",
                None,
                "The facility name is empty.",
                "Write the facility's name as registered with the ministry.",
            )
        if facility.isic_code not in _isic_codes():
            self.add(
                "C-FACILITY",
                "facility",
                "isic_code",
                None,
                f"{facility.isic_code or 'An empty value'!r} is not an ISIC class of "
                "the form's list."
                if facility.isic_code
                else "The ISIC class is empty.",
            )
        if facility.province_code not in _province_codes():
            self.add(
                "C-FACILITY",
                "facility",
                "province_code",
                None,
                f"{facility.province_code!r} is not a province of the form's list."
                if facility.province_code
                else "The province is empty.",
            )
        self._coordinates()

    def _coordinates(self) -> None:
        facility = self.submission.facility
        for key, value, (low, high) in (
            ("latitude", facility.latitude, LATITUDE_RANGE),
            ("longitude", facility.longitude, LONGITUDE_RANGE),
        ):
            if value is not None and not low <= value <= high:
                self.add(
                    "P-COORDINATES",
                    "facility",
                    key,
                    None,
                    f"The {key} {value:g} is outside the country ({low:g} to "
                    f"{high:g} degrees).",
                )

    def year(self) -> None:
        form_year = self.submission.form_year
        reported = self.submission.reporting_year
        if form_year is not None and reported != form_year:
            self.add(
                "C-YEAR",
                "facility",
                "reporting_year",
                None,
                f"The reporting year is {reported or 'empty'}, but this form was made "
                f"for {form_year}.",
            )

    # Rows.

    def release(self, release: Release) -> None:
        self._substance("releases", release.row, release.substance_id, required=True)
        if release.medium not in MEDIA:
            self.add(
                "C-MEDIUM",
                "releases",
                "medium",
                release.row,
                f"{release.medium!r} is not a medium; choose air, water or land."
                if release.medium
                else "The medium is empty.",
            )
        elif release.substance_id in _release_media():
            allowed = _release_media()[release.substance_id]
            if release.medium not in allowed:
                self.add(
                    "C-MEDIUM",
                    "releases",
                    "medium",
                    release.row,
                    f"{release.substance_id} is not reported to {release.medium}: the "
                    f"release thresholds name only {', '.join(sorted(allowed))}.",
                )
        self._quantity("releases", release.row, release)
        if release.method not in ("M", "C", "E"):
            self.add(
                "C-METHOD",
                "releases",
                "method",
                release.row,
                f"{release.method!r} is not a method code."
                if release.method
                else "The method code is empty.",
            )
        else:
            self._method_text(release)
        self._claim("releases", release)
        if not math.isnan(release.quantity) and release.accidental_quantity > (
            release.quantity_reported
        ):
            self.add(
                "P-TOTALS",
                "releases",
                "accidental_quantity",
                release.row,
                f"Of which accidental ({release.accidental_quantity:g}) is more than "
                f"the "
                f"total quantity ({release.quantity_reported:g} "
                f"{release.unit_reported}).",
            )

    def transfer(self, transfer: Transfer) -> None:
        if transfer.substance_id:
            self._substance("transfers", transfer.row, transfer.substance_id, True)
        elif not transfer.waste_description.strip():
            self.add(
                "C-REQUIRED",
                "transfers",
                "substance",
                transfer.row,
                "The transfer names neither a substance nor a waste.",
                "Choose the substance, or describe the waste.",
            )
        self._quantity("transfers", transfer.row, transfer)
        if not transfer.destination.strip():
            self.add(
                "C-REQUIRED",
                "transfers",
                "destination",
                transfer.row,
                "The destination of the transfer is empty.",
            )
        if not _TREATMENT_PATTERN.fullmatch(transfer.treatment_code):
            self.add(
                "C-TREATMENT",
                "transfers",
                "treatment_code",
                transfer.row,
                f"{transfer.treatment_code!r} is not a disposal or recovery code."
                if transfer.treatment_code
                else "The disposal or recovery code is empty.",
            )
        if transfer.method and transfer.method not in ("M", "C", "E"):
            self.add(
                "C-METHOD",
                "transfers",
                "method",
                transfer.row,
                f"{transfer.method!r} is not a method code.",
            )
        self._claim("transfers", transfer)

    def _substance(
        self, sheet: str, row: int, substance_id: str, required: bool
    ) -> None:
        from prtr.substances import find

        if not substance_id:
            if required:
                self.add(
                    "C-REQUIRED", sheet, "substance", row, "The substance is empty."
                )
            return
        try:
            find(substance_id)
        except UnknownSubstanceError as error:
            self.add("C-SUBSTANCE", sheet, "substance", row, str(error))

    def _quantity(self, sheet: str, row: int, item: Release | Transfer) -> None:
        from prtr.units import UnitError

        if math.isnan(item.quantity_reported):
            return
        if item.quantity_reported < 0:
            self.add(
                "C-NEGATIVE",
                sheet,
                "quantity",
                row,
                f"The quantity is negative: {item.quantity_reported:g}.",
            )
        if not item.unit_reported.strip():
            self.add("C-REQUIRED", sheet, "unit", row, "The unit is empty.")
            return
        target = _reporting_unit(item.substance_id) if item.substance_id else "t"
        if target is None:
            return
        try:
            reporting_quantity(1.0, item.unit_reported, target)
        except UnitError as error:
            self.add(
                "C-UNIT",
                sheet,
                "unit",
                row,
                f"{item.unit_reported!r} cannot be used for this quantity: {error}",
                f"Write the quantity in {target} or a unit of the same kind "
                f"({'t, kg' if target == 't' else target}).",
            )
            return
        if re.search(r"(?<![a-z])tons?(?![a-z])", item.unit_reported, re.IGNORECASE):
            self.add(
                "P-UNIT-AMBIGUOUS",
                sheet,
                "unit",
                row,
                f"{item.unit_reported!r} is read as metric tonnes (1,000 kg).",
            )

    def _method_text(self, release: Release) -> None:
        text = release.method_description.casefold()
        if not text:
            return
        says = {
            code
            for code, words in _METHOD_WORDS.items()
            if any(w in text for w in words)
        }
        if says and release.method not in says:
            named = ", ".join(sorted(says))
            self.add(
                "P-METHOD-TEXT",
                "releases",
                "method",
                release.row,
                f"The method code is {release.method}, but the description "
                f"({release.method_description[:60]!r}) speaks of method {named}.",
            )

    def _claim(self, sheet: str, item: Release | Transfer) -> None:
        ground = item.confidentiality_ground
        if item.confidential and ground not in CONFIDENTIALITY_GROUNDS:
            self.add(
                "C-CLAIM",
                sheet,
                "confidentiality_ground",
                item.row,
                f"{ground!r} is not a ground of the list."
                if ground
                else "Confidentiality is claimed, but no ground is given.",
            )

    # Whole sheets.

    def duplicates(self) -> None:
        seen: dict[tuple[str, ...], int] = {}
        for release in self.submission.releases:
            key = ("r", release.substance_id, release.medium)
            if key in seen:
                self.add(
                    "C-DUPLICATE",
                    "releases",
                    "substance",
                    release.row,
                    f"{release.substance_id} to {release.medium} is reported again; "
                    f"first in row {seen[key]}.",
                )
            else:
                seen[key] = release.row
        for transfer in self.submission.transfers:
            key = (
                "t",
                transfer.substance_id,
                transfer.waste_description.strip().casefold(),
                transfer.destination.strip().casefold(),
                transfer.treatment_code,
            )
            if key in seen:
                self.add(
                    "C-DUPLICATE",
                    "transfers",
                    "substance",
                    transfer.row,
                    f"The same transfer is reported again; first in row {seen[key]}.",
                )
            else:
                seen[key] = transfer.row

    def empty(self) -> None:
        blocked = any(
            item.code in ("C-SHEET", "C-COLUMN", "C-BOUND", "C-NOT-FORM")
            for item in self.submission.findings
        )
        if (
            not blocked
            and not self.submission.releases
            and not self.submission.transfers
        ):
            self.add("P-EMPTY", "releases", None, None, "No release and no transfer.")

    def _totals(self) -> dict[tuple[str, str], float]:
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for release in self.submission.releases:
            if release.unit and not math.isnan(release.quantity):
                totals[(release.substance_id, release.medium)] += release.quantity
        return totals

    def _first_row(self, substance_id: str, medium: str | None = None) -> int | None:
        for release in self.submission.releases:
            if release.substance_id == substance_id and medium in (
                None,
                release.medium,
            ):
                return release.row
        return None

    def thresholds(self) -> None:
        from prtr.thresholds import SCHEMES, must_report

        by_substance: dict[str, dict[str, tuple[float, str]]] = defaultdict(dict)
        for (substance_id, medium), total in self._totals().items():
            unit = _reporting_unit(substance_id)
            if unit and medium in MEDIA:
                by_substance[substance_id][medium] = (total, unit)
        for substance_id, amounts in by_substance.items():
            unit = next(iter(amounts.values()))[1]
            for medium in MEDIA:
                amounts.setdefault(medium, (0.0, unit))
            try:
                decisions = [must_report(s, substance_id, amounts) for s in SCHEMES]
            except PrtrError as error:
                logger.debug("threshold check skipped for %s: %s", substance_id, error)
                continue
            checked = [d for d in decisions if d.exceeded or d.not_exceeded]
            if checked and not any(d.exceeded for d in decisions):
                self.add(
                    "P-BELOW-THRESHOLD",
                    "releases",
                    "quantity",
                    self._first_row(substance_id),
                    f"The releases of {substance_id} are below every release threshold "
                    f"({', '.join(d.scheme for d in checked)}).",
                )

    def factors(self) -> None:
        for (substance_id, medium), total in self._totals().items():
            expected = _factor_estimates(self.submission, substance_id, medium)
            if not expected or total <= 0:
                continue
            if all(
                total > value * FACTOR_RATIO or total * FACTOR_RATIO < value
                for value, _ in expected
            ):
                value, factor_id = expected[0]
                unit = _reporting_unit(substance_id)
                self.add(
                    "P-FACTORS",
                    "releases",
                    "quantity",
                    self._first_row(substance_id, medium),
                    f"{substance_id} to {medium}: {total:,.6g} {unit} reported; the "
                    f"emission factor {factor_id} and the reported activity give "
                    f"{value:,.6g} {unit}.",
                )

    def alerts(self, previous: Mapping[tuple[str, str], float], factor: float) -> None:
        current = self._totals()
        for (substance_id, medium), now in current.items():
            before = previous.get((substance_id, medium))
            if not before or before <= 0:
                continue
            if now > before * factor or now * factor < before:
                unit = _reporting_unit(substance_id) or ""
                self.add(
                    "A-CHANGE",
                    "releases",
                    "quantity",
                    self._first_row(substance_id, medium),
                    f"{substance_id} to {medium}: {before:,.6g} {unit} last year, "
                    f"{now:,.6g} {unit} now (more than {factor:g} times "
                    f"{'more' if now > before else 'less'}).",
                )
        for (substance_id, medium), before in previous.items():
            if before > 0 and (substance_id, medium) not in current:
                self.add(
                    "A-MISSING",
                    "releases",
                    None,
                    None,
                    f"{substance_id} to {medium} was reported last year "
                    f"({before:,.6g}), not this year.",
                )


@functools.cache
def _isic_codes() -> frozenset[str]:
    return frozenset(load_table("sectors")["isic_code"])


@functools.cache
def _province_codes() -> frozenset[str]:
    return frozenset(load_table("provinces")["province_code"])


@functools.cache
def _release_media() -> dict[str, frozenset[str]]:
    table = load_table("thresholds")
    releases = table[table["basis"] == "release"]
    return {
        substance_id: frozenset(group["medium"])
        for substance_id, group in releases.groupby("substance_id")
    }


def _reporting_unit(substance_id: str) -> str | None:
    from prtr.substances import all_substances

    found = all_substances().get(substance_id)
    return found.reporting_unit if found else None


def _factor_estimates(
    submission: Submission, substance_id: str, medium: str
) -> list[tuple[float, str]]:
    """Estimates of a release from the sector's factors and the reported activities."""
    from prtr.estimation import emission_factor, emission_factors
    from prtr.units import UnitError, conversion_factor

    sulfur = [
        item.quantity
        for item in submission.activities
        if re.search(r"sul(?:ph|f)ur", item.activity, re.IGNORECASE)
        and item.unit.strip() in ("percent", "%", "wt%")
    ]
    estimates = []
    for factor in emission_factors().values():
        if (factor.sector, factor.substance_id, factor.medium) != (
            submission.facility.isic_code,
            substance_id,
            medium,
        ):
            continue
        if factor.scaled_by and not sulfur:
            continue
        for activity in submission.activities:
            try:
                conversion_factor(activity.unit, factor.activity_unit)
                estimate = emission_factor(
                    factor,
                    (activity.quantity, activity.unit),
                    scaled_by=sulfur[0] if factor.scaled_by else None,
                    relative_uncertainty=0.0,
                )
            except (UnitError, PrtrError):
                continue
            estimates.append((estimate.value, factor.factor_id))
    return estimates
