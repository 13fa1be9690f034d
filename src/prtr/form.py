"""The Excel reporting form: write a blank one, read a filled one.

:func:`write_form` makes the blank workbook a facility fills: an instructions sheet, the
facility sheet, and three table sheets (activities, releases, off-site transfers), with
dropdown lists from the data package, input cells in yellow, protected headings, and
the form version, reporting year and language in a hidden ``meta`` sheet and in the
workbook properties.

:func:`read_form` reads a filled form back into a :class:`~prtr.submission.Submission`.
It finds sheets and columns by their stable keys (see :mod:`prtr.formlayout`), so an
English and a Khmer form read the same. It never raises for bad content: what it cannot
read becomes a :class:`~prtr.submission.Finding` in ``submission.findings``. Only a file
that is not a readable workbook at all raises
:class:`~prtr.workbookfile.UnreadableFormError`, a :class:`~prtr.errors.PrtrError`.

Sheet protection has no password: it keeps the headings from being typed over by
accident, not from someone who means to change them.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import logging
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from prtr import __version__
from prtr.datapackage import load_table
from prtr.errors import PrtrError, UnitError, UnknownSubstanceError
from prtr.formlayout import (
    FACILITY_FIELDS,
    FORM_VERSION,
    LABELS,
    LANGUAGES,
    SHEETS,
    TABLES,
    Column,
    label,
)
from prtr.submission import (
    CONFIDENTIALITY_GROUNDS,
    MEDIA,
    Activity,
    Facility,
    Finding,
    Release,
    Submission,
    Transfer,
)
from prtr.validation import make_finding, reporting_quantity
from prtr.workbookfile import (
    MAX_ROWS,
    UnreadableFormError,
    check_workbook_file,
    merged_ranges,
)

__all__ = [
    "INPUT_ROWS",
    "UnreadableFormError",
    "fill_form",
    "neutralise",
    "read_form",
    "write_form",
]

logger = logging.getLogger(__name__)

#: How many input rows each table sheet is prepared with (more can be inserted).
INPUT_ROWS = {"activities": 40, "releases": 300, "transfers": 100}

#: Facility fields, by sheet row: the first field is on row 3.
FACILITY_FIRST_ROW = 3
TABLE_KEY_ROW, TABLE_LABEL_ROW, TABLE_FIRST_ROW = 1, 2, 3

_SEPARATOR = " — "
_INPUT_FILL = PatternFill("solid", start_color="FFF2CC")
_HEADING_FILL = PatternFill("solid", start_color="D9D9D9")
_MASS_UNITS = ("kg", "t", "g", "mg", "g TEQ", "mg TEQ", "ng TEQ")
_ACTIVITY_UNITS = ("t", "kg", "m^3", "L", "kgal", "MWh", "GJ", "TJ", "h", "percent")
_YES = {"yes", "y", "true", "1", "x", "បាទ", "ចាស", "បាទ/ចាស", "មាន"}
_NO = {"no", "n", "false", "0", "ទេ", "អត់", "គ្មាន"}
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SEPARATED_NUMBER = re.compile(
    r"[+-]?[0-9]{1,3}(?:[,.' \u00a0][0-9]{3})+(?:[.,][0-9]+)?|[+-]?[0-9]+,[0-9]+"
)
# The data type given to a cell whose problem was already reported.
_REPORTED = "reported"
_PHONE_LIKE = re.compile(r"[+\-]?[0-9\s().\-]+")

INSTRUCTIONS = {
    "en": [
        "How to fill this form",
        "1. Fill the sheets in order: facility, activities, releases, transfers.",
        "2. Write only in the yellow cells; choose from the dropdown lists where there "
        "is one.",
        "3. One row per substance and medium (air, water, land). Quantities are for "
        "the whole reporting year.",
        "4. Write numbers as numbers: 1234.5, not '1,234.5' or '1.234,5'. No formulas.",
        "5. Units: kg or t; dioxins and furans (PCDD/PCDF) in g TEQ.",
        "6. Method: M measured, C calculated (mass balance, engineering calculation), "
        "E estimated (emission factors, judgement). Say how in the next column.",
        "7. To claim confidentiality, answer 'yes' and choose the ground. The ministry "
        "publishes the value only aggregated with others.",
        "8. Check the file with `prtr validate FILE.xlsx` or send it to the ministry.",
    ],
    "km": [
        "របៀបបំពេញទម្រង់នេះ",
        "១. បំពេញសន្លឹកតាមលំដាប់៖ សហគ្រាស សកម្មភាព ការបញ្ចេញ ការផ្ទេរចេញក្រៅទីតាំង។",
        "២. សូមសរសេរតែក្នុងក្រឡាពណ៌លឿង ហើយជ្រើសរើសពីបញ្ជីទម្លាក់ចុះ នៅពេលមាន។",
        "៣. មួយជួរសម្រាប់សារធាតុមួយ និងបរិស្ថានទទួលមួយ (ខ្យល់ ទឹក ដី)។ បរិមាណគឺសម្រាប់ឆ្នាំរបាយការណ៍ទាំងមូល។",
        "៤. សរសេរលេខជាលេខ៖ 1234.5 មិនមែន '1,234.5' ឬ '1.234,5' ទេ។ កុំប្រើរូបមន្ត។",
        "៥. ឯកតា៖ kg ឬ t; ឌីអុកស៊ីន និងហ្វុយរ៉ាន (PCDD/PCDF) ជា g TEQ។",
        "៦. វិធីសាស្ត្រ៖ M វាស់វែង, C គណនា (តុល្យភាពម៉ាស់ ការគណនាវិស្វកម្ម), "
        "E ប៉ាន់ស្មាន (មេគុណបញ្ចេញ ការវិនិច្ឆ័យ)។ សូមពន្យល់នៅជួរឈរបន្ទាប់។",
        "៧. ដើម្បីស្នើសុំរក្សាការសម្ងាត់ សូមឆ្លើយ 'បាទ/ចាស' ហើយជ្រើសរើសមូលដ្ឋាន។ "
        "ក្រសួងផ្សព្វផ្សាយតម្លៃនោះតែជាតួលេខសរុបជាមួយតម្លៃផ្សេងទៀតប៉ុណ្ណោះ។",
        "៨. ពិនិត្យឯកសារដោយ `prtr validate FILE.xlsx` ឬផ្ញើទៅក្រសួង។",
    ],
}


def neutralise(text: str) -> str:
    """Return ``text`` so that a spreadsheet shows it instead of running it.

    Text beginning with ``=``, ``+``, ``-`` or ``@`` gets an apostrophe in front.
    """
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


# Writing.


def write_form(
    path: str | Path,
    reporting_year: int,
    *,
    language: str = "en",
    synthetic_note: str = "",
) -> Path:
    """Write a blank reporting form.

    Args:
        path: the ``.xlsx`` file to write; its folder must exist.
        reporting_year: the year the form is for, e.g. 2025.
        language: ``"en"`` or ``"km"``: the language of labels and instructions.
        synthetic_note: a line put at the top of the instructions (used to mark a
            form filled with synthetic data).

    Returns:
        The path written.

    Raises:
        PrtrError: if the language is not one of :data:`~prtr.formlayout.LANGUAGES`
            or the year is not plausible.
    """
    if language not in LANGUAGES:
        raise PrtrError(f"--lang {language!r}: choose one of {', '.join(LANGUAGES)}.")
    if not 1990 <= reporting_year <= 2100:
        raise PrtrError(
            f"--year {reporting_year}: write the four-digit reporting year, e.g. 2025."
        )
    path = Path(path)
    workbook = _build_workbook(reporting_year, language, synthetic_note)
    try:
        workbook.save(path)
    except OSError as error:
        raise PrtrError(
            f"Cannot write {path}: {error.strerror}. Check the folder exists and is "
            "writable, and that the file is not open in Excel."
        ) from None
    logger.info("wrote the %s form for %d to %s", language, reporting_year, path)
    return path


def _build_workbook(
    reporting_year: int, language: str, synthetic_note: str
) -> Workbook:
    workbook = Workbook()
    lists = _dropdown_lists(language)
    workbook.remove(workbook.active)
    _instructions_sheet(workbook, reporting_year, language, synthetic_note)
    list_ranges = _lists_sheet(workbook, lists)
    _facility_sheet(workbook, reporting_year, language, list_ranges)
    for sheet_key in TABLES:
        _table_sheet(workbook, sheet_key, language, list_ranges)
    _meta_sheet(workbook, reporting_year, language)
    # The hidden sheets go last so that the instructions open first.
    workbook.move_sheet("lists", offset=len(workbook.sheetnames))
    workbook.active = 0

    properties = workbook.properties
    properties.title = f"{label('form_title', 'en')} {reporting_year}"
    properties.subject = f"PRTR reporting form, reporting year {reporting_year}"
    properties.keywords = (
        f"prtr-form; version={FORM_VERSION}; year={reporting_year}; lang={language}"
    )
    properties.creator = f"prtr {__version__}"
    properties.description = synthetic_note or "PRTR annual reporting form"
    return workbook


def _dropdown_lists(language: str) -> dict[str, list[str]]:
    from prtr.substances import all_substances

    sectors = load_table("sectors")
    provinces = load_table("provinces")
    name_column = "name_km" if language == "km" else "name_en"
    return {
        "substance": [item.name for item in all_substances().values()],
        "medium": [_coded(medium, language) for medium in MEDIA],
        "method": ["M", "C", "E"],
        "unit": list(_MASS_UNITS),
        "activity_unit": list(_ACTIVITY_UNITS),
        "isic_code": [
            f"{row.isic_code}{_SEPARATOR}"
            f"{(row.name_km if language == 'km' and row.name_km else row.isic_title)}"
            for row in sectors.itertuples(index=False)
        ],
        "province_code": [
            f"{row.province_code}{_SEPARATOR}{getattr(row, name_column)}"
            for row in provinces.itertuples(index=False)
        ],
        "confidentiality_ground": [
            f"{key}{_SEPARATOR}{text}" for key, text in CONFIDENTIALITY_GROUNDS.items()
        ],
        "treatment_code": ["D", "R"],
        "flag": [label("yes", language), label("no", language)],
    }


def _coded(code: str, language: str) -> str:
    return code if language == "en" else f"{code}{_SEPARATOR}{label(code, language)}"


def _lists_sheet(workbook: Workbook, lists: dict[str, list[str]]) -> dict[str, str]:
    sheet = workbook.create_sheet("lists")
    ranges = {}
    for index, (key, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index, value=key)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index, value=value)
        ranges[key] = f"lists!${letter}$2:${letter}${len(values) + 1}"
    sheet.sheet_state = "hidden"
    sheet.protection.sheet = True
    return ranges


def _instructions_sheet(
    workbook: Workbook, reporting_year: int, language: str, synthetic_note: str
) -> None:
    sheet = workbook.create_sheet(label("instructions", language))
    lines = [
        f"{label('form_title', language)}: {reporting_year}",
        f"Form version {FORM_VERSION}",
        "",
    ]
    if synthetic_note:
        lines = [synthetic_note, "", *lines]
    lines += [*INSTRUCTIONS[language], "", label("input_note", language)]
    for row, text in enumerate(lines, start=1):
        cell = sheet.cell(row=row, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(
        bold=True, size=14, color="C00000" if synthetic_note else None
    )
    sheet.column_dimensions["A"].width = 110
    sheet.protection.sheet = True


def _facility_sheet(
    workbook: Workbook, reporting_year: int, language: str, ranges: dict[str, str]
) -> None:
    sheet = workbook.create_sheet(label("facility", language))
    sheet["B1"] = label("form_title", language)
    sheet["B1"].font = Font(bold=True, size=13)
    for column, text in zip(
        "ABCD", ("key", "", "value_heading", "help_heading"), strict=True
    ):
        cell = sheet[f"{column}2"]
        cell.value = label(text, language) if text and text != "key" else text
        cell.font = Font(bold=True)
        cell.fill = _HEADING_FILL

    for offset, (key, _kind, required) in enumerate(FACILITY_FIELDS):
        row = FACILITY_FIRST_ROW + offset
        sheet.cell(row=row, column=1, value=key)
        name = sheet.cell(row=row, column=2, value=label(key, language))
        name.font = Font(bold=required)
        value = sheet.cell(row=row, column=3)
        value.fill = _INPUT_FILL
        value.protection = Protection(locked=False)
        value.number_format = (
            "@" if key in ("facility_id", "isic_code", "province_code") else "General"
        )
        if key in ranges:
            _dropdown(sheet, ranges[key], f"C{row}")
    year_row = FACILITY_FIRST_ROW + [k for k, _, _ in FACILITY_FIELDS].index(
        "reporting_year"
    )
    sheet.cell(row=year_row, column=3, value=reporting_year)

    sheet.column_dimensions["A"].hidden = True
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 50
    sheet.column_dimensions["D"].width = 30
    sheet.protection.sheet = True


def _table_sheet(
    workbook: Workbook, sheet_key: str, language: str, ranges: dict[str, str]
) -> None:
    sheet = workbook.create_sheet(label(sheet_key, language))
    columns = TABLES[sheet_key]
    last_row = TABLE_FIRST_ROW + INPUT_ROWS[sheet_key] - 1
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=TABLE_KEY_ROW, column=index, value=column.key)
        heading = sheet.cell(
            row=TABLE_LABEL_ROW, column=index, value=label(column.key, language)
        )
        heading.font = Font(bold=column.required)
        heading.fill = _HEADING_FILL
        heading.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[letter].width = column.width
        for row in range(TABLE_FIRST_ROW, last_row + 1):
            cell = sheet.cell(row=row, column=index)
            cell.fill = _INPUT_FILL
            cell.protection = Protection(locked=False)
        area = f"{letter}{TABLE_FIRST_ROW}:{letter}{last_row}"
        _column_validation(sheet, sheet_key, column, area, ranges)

    sheet.row_dimensions[TABLE_KEY_ROW].hidden = True
    sheet.row_dimensions[TABLE_LABEL_ROW].height = 45
    sheet.freeze_panes = f"A{TABLE_FIRST_ROW}"
    sheet.protection.sheet = True
    # Facilities may add rows and widen columns; headings stay locked.
    sheet.protection.insertRows = False
    sheet.protection.deleteRows = False
    sheet.protection.formatColumns = False


def _column_validation(
    sheet: Worksheet, sheet_key: str, column: Column, area: str, ranges: dict[str, str]
) -> None:
    if column.kind == "number":
        rule = DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            errorStyle="warning",
            showErrorMessage=True,
            error="Write a number of 0 or more, with a decimal point.",
        )
        sheet.add_data_validation(rule)
        rule.add(area)
        return
    key = column.key
    if key == "unit" and sheet_key == "activities":
        key = "activity_unit"
    if column.kind == "flag":
        key = "flag"
    if key not in ranges:
        return
    # Units and codes may be typed when not in the list (e.g. "t" or "D10"), so the
    # dropdown only warns; the validation tells what is wrong.
    strict = key in ("substance", "medium", "method", "flag", "confidentiality_ground")
    _dropdown(sheet, ranges[key], area, strict=strict)


def _dropdown(sheet: Worksheet, source: str, area: str, *, strict: bool = True) -> None:
    rule = DataValidation(
        type="list",
        formula1=f"={source}",
        allow_blank=True,
        errorStyle="stop" if strict else "warning",
        showErrorMessage=True,
    )
    sheet.add_data_validation(rule)
    rule.add(area)


def _meta_sheet(workbook: Workbook, reporting_year: int, language: str) -> None:
    sheet = workbook.create_sheet("meta")
    rows = (
        ("key", "value"),
        ("form_version", FORM_VERSION),
        ("reporting_year", reporting_year),
        ("language", language),
        ("generator", f"prtr {__version__}"),
    )
    for row in rows:
        sheet.append(row)
    sheet.sheet_state = "hidden"
    sheet.protection.sheet = True


def fill_form(
    blank: str | Path,
    out: str | Path,
    *,
    facility: Mapping[str, Any],
    activities: Sequence[Mapping[str, Any]] = (),
    releases: Sequence[Mapping[str, Any]] = (),
    transfers: Sequence[Mapping[str, Any]] = (),
    instructions_note: str = "",
) -> Path:
    """Fill a blank form as a facility would, and save it under a new name.

    Values go where the form's keys say, whatever the language of the form; a value is
    written as given (a number stays a number, a text stays a text), so that scripts
    can also write the mistakes that first-time reporters make.

    Args:
        blank: a form written by :func:`write_form`.
        out: the filled workbook to write.
        facility: values by facility field key (see ``FACILITY_FIELDS``).
        activities, releases, transfers: one mapping per row, by column key.
        instructions_note: a line added at the top of the instructions sheet.

    Returns:
        The path written.

    Raises:
        PrtrError: if a key is not a field of the form, or a table has more rows than
            the form prepared.
    """
    workbook = load_workbook(blank)
    sheets = _sheets_by_key(workbook)

    facility_sheet = sheets["facility"]
    rows = {
        facility_sheet.cell(row=row, column=1).value: row
        for row in range(FACILITY_FIRST_ROW, FACILITY_FIRST_ROW + len(FACILITY_FIELDS))
    }
    for key, value in facility.items():
        if key not in rows:
            raise PrtrError(f"{key!r} is not a field of the facility sheet.")
        facility_sheet.cell(row=rows[key], column=3, value=value)

    for key, table_rows in (
        ("activities", activities),
        ("releases", releases),
        ("transfers", transfers),
    ):
        sheet = sheets[key]
        letters = {column.key: index for index, column in enumerate(TABLES[key], 1)}
        if len(table_rows) > INPUT_ROWS[key]:
            raise PrtrError(
                f"{len(table_rows)} {key} rows; the form prepares {INPUT_ROWS[key]}."
            )
        for offset, values in enumerate(table_rows):
            for name, value in values.items():
                if name not in letters:
                    raise PrtrError(f"{name!r} is not a column of the {key} sheet.")
                sheet.cell(
                    row=TABLE_FIRST_ROW + offset, column=letters[name], value=value
                )

    if instructions_note:
        sheet = sheets["instructions"]
        sheet.insert_rows(1, amount=2)
        sheet["A1"] = instructions_note
        sheet["A1"].font = Font(bold=True, size=14, color="C00000")
    out = Path(out)
    workbook.save(out)
    return out


def _sheets_by_key(workbook: Workbook) -> dict[str, Worksheet]:
    found = {}
    for key in SHEETS:
        names = {label(key, lang) for lang in LANGUAGES}
        for sheet in workbook.worksheets:
            if sheet.title in names:
                found[key] = sheet
    missing = [key for key in SHEETS if key not in found]
    if missing:
        raise PrtrError(f"The workbook is not a blank form: no sheet for {missing}.")
    return found


# Reading.


def read_form(path: str | Path) -> Submission:
    """Read a filled reporting form.

    Args:
        path: the ``.xlsx`` file.

    Returns:
        The submission. Problems found while reading (missing sheets or columns,
        formulas, Excel errors, dates or text in number cells, merged cells, a bound
        reached) are in its ``findings``; rows with such problems keep a quantity of
        NaN so that nothing is guessed.

    Raises:
        UnreadableFormError: if the file is not a workbook that can be read at all
            (missing, a CSV or PDF file renamed, encrypted, beyond the size bounds).
    """
    path = Path(path)
    check_workbook_file(path)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        workbook = load_workbook(
            path, read_only=True, data_only=False, keep_links=False
        )
    except Exception as error:
        # openpyxl raises many kinds of exception on a damaged archive or XML.
        raise UnreadableFormError(
            "C-FILE",
            f"The workbook cannot be opened: {type(error).__name__}: {error}.",
            "Open it in Excel, save it again as .xlsx, and send the saved copy.",
        ) from None
    try:
        return _Reader(path, sha256, workbook).read()
    except UnreadableFormError:
        raise
    except Exception as error:
        # A sheet whose XML is damaged fails only when its rows are read.
        raise UnreadableFormError(
            "C-FILE",
            f"A sheet of the workbook is damaged: {type(error).__name__}: {error}.",
            "Open it in Excel, save it again as .xlsx, and send the saved copy.",
        ) from None
    finally:
        workbook.close()


@dataclass
class _Cell:
    """One cell as read: its value and where it is."""

    value: Any
    data_type: str
    row: int
    column: str


@dataclass
class _Table:
    """One table sheet as read: its rows as dicts of cells by column key."""

    title: str
    letters: dict[str, str]
    rows: list[dict[str, _Cell]] = field(default_factory=list)


class _Reader:
    """Reads one workbook; collects findings as it goes."""

    def __init__(self, path: Path, sha256: str, workbook: Any) -> None:
        self.path = path
        self.file = str(path)
        self.sha256 = sha256
        self.workbook = workbook
        self.findings: list[Finding] = []
        self.titles: dict[str, str] = {}
        self.cells: dict[str, dict[str, str]] = {}

    def finding(
        self,
        code: str,
        sheet: str | None,
        row: int | None,
        column: str | None,
        message: str,
        hint: str | None = None,
    ) -> None:
        self.findings.append(
            make_finding(code, self.file, sheet, row, column, message, hint)
        )

    def read(self) -> Submission:
        meta = self._meta()
        language = str(meta.get("language") or "en")
        if language not in LANGUAGES:
            language = "en"
        form_year = _as_year(meta.get("reporting_year"))
        self.language = language

        facility, reporting_year, submitted_by = self._facility()
        activities = self._activities()
        releases = self._releases()
        transfers = self._transfers()
        return Submission(
            file=self.file,
            sha256=self.sha256,
            form_version=str(meta.get("form_version") or ""),
            reporting_year=reporting_year,
            language=language,
            facility=facility,
            activities=tuple(activities),
            releases=tuple(releases),
            transfers=tuple(transfers),
            submitted_by=submitted_by,
            findings=tuple(self.findings),
            form_year=form_year,
            sheet_titles=dict(self.titles),
            cells={key: dict(value) for key, value in self.cells.items()},
        )

    # Sheets.

    def _meta(self) -> dict[str, Any]:
        if "meta" not in self.workbook.sheetnames:
            self.finding(
                "C-NOT-FORM",
                None,
                None,
                None,
                "The workbook has no hidden 'meta' sheet, so its form version and "
                "reporting year are unknown.",
            )
            return {}
        values = {}
        for row in self.workbook["meta"].iter_rows(
            min_row=2, max_row=50, max_col=2, values_only=True
        ):
            if row and row[0]:
                values[str(row[0])] = row[1] if len(row) > 1 else None
        if (
            str(values.get("form_version", "")).split(".")[0]
            != FORM_VERSION.split(".")[0]
        ):
            self.finding(
                "C-NOT-FORM",
                "meta",
                None,
                None,
                f"The form version is {values.get('form_version')!r}; this prtr reads "
                f"version {FORM_VERSION}.",
            )
        return values

    def _sheet(self, key: str) -> Worksheet | None:
        wanted = {key.casefold()} | {label(key, lang).casefold() for lang in LANGUAGES}
        for title in self.workbook.sheetnames:
            if title.strip().casefold() in wanted:
                self.titles[key] = title
                return self.workbook[title]
        expected = label(key, getattr(self, "language", "en"))
        self.titles[key] = expected
        self.finding(
            "C-SHEET",
            expected,
            None,
            None,
            f"The sheet {expected!r} is missing (the workbook has: "
            f"{', '.join(repr(t) for t in self.workbook.sheetnames[:8])}).",
        )
        return None

    def _rows(
        self, sheet: Worksheet, title: str, max_col: int
    ) -> Iterator[tuple[Any, ...]]:
        declared = sheet.max_row
        if declared is not None and declared > MAX_ROWS + TABLE_FIRST_ROW:
            self._bound(title, declared)
            return
        self._merged(sheet, title)
        sheet.reset_dimensions()
        for count, row in enumerate(sheet.iter_rows(max_col=max_col), start=1):
            if count > MAX_ROWS + TABLE_FIRST_ROW:
                self._bound(title, None)
                return
            yield row

    def _bound(self, title: str, declared: int | None) -> None:
        size = f"{declared:,} rows" if declared else f"more than {MAX_ROWS:,} rows"
        self.finding(
            "C-BOUND",
            title,
            None,
            None,
            f"The sheet has {size}; the register reads at most {MAX_ROWS:,} rows "
            "of a sheet, so this sheet was not read.",
        )

    def _merged(self, sheet: Worksheet, title: str) -> None:
        member = getattr(sheet, "_worksheet_path", None)
        if not member:
            return
        for merged in merged_ranges(self.path, member, limit=10):
            first = merged.split(":")[0]
            match = re.fullmatch(r"([A-Z]+)([0-9]+)", first)
            self.finding(
                "C-MERGED",
                title,
                int(match.group(2)),
                match.group(1),
                f"The cells {merged} are merged.",
            )

    # Facility.

    def _facility(self) -> tuple[Facility, int, str]:
        sheet = self._sheet("facility")
        values: dict[str, Any] = {}
        if sheet is not None:
            title = self.titles["facility"]
            by_label = {
                label(key, lang).casefold(): key
                for key, _, _ in FACILITY_FIELDS
                for lang in LANGUAGES
            }
            keys = {key for key, _, _ in FACILITY_FIELDS}
            cells: dict[str, str] = {}
            for row in self._rows(sheet, title, max_col=4):
                if len(row) < 3:
                    continue
                key = str(row[0].value or "").strip()
                if key not in keys:
                    key = by_label.get(str(row[1].value or "").strip().casefold(), "")
                if key in keys and key not in values:
                    values[key] = _Cell(row[2].value, row[2].data_type, row[2].row, "C")
                    cells[key] = f"C{row[2].row}"
            self.cells["facility"] = cells
            for key, _, required in FACILITY_FIELDS:
                if required and key not in values:
                    self.finding(
                        "C-COLUMN",
                        title,
                        None,
                        None,
                        f"The facility sheet has no row {label(key, self.language)!r}.",
                        "Copy the facility details into a blank form.",
                    )
        title = self.titles["facility"]

        def text(key: str) -> str:
            return self._text(values.get(key), title) if key in values else ""

        def number(key: str) -> float | None:
            cell = values.get(key)
            if cell is None or _blank(cell.value):
                return None
            found = self._number(cell, title)
            return None if math.isnan(found) else found

        employees = number("employees")
        year_cell = values.get("reporting_year")
        reporting_year = 0
        if year_cell is not None and not _blank(year_cell.value):
            year = self._number(year_cell, title)
            reporting_year = (
                int(year) if not math.isnan(year) and year == int(year) else 0
            )
        facility = Facility(
            facility_id=text("facility_id").upper(),
            name=text("name"),
            isic_code=_padded(self._code(values.get("isic_code"), title), 4),
            province_code=_padded(self._code(values.get("province_code"), title), 2),
            latitude=number("latitude"),
            longitude=number("longitude"),
            employees=int(employees) if employees is not None else None,
            contact_name=text("contact_name"),
            contact_email=text("contact_email"),
            contact_phone=text("contact_phone"),
        )
        return facility, reporting_year, text("submitted_by")

    # Tables.

    def _table(self, key: str) -> _Table | None:
        sheet = self._sheet(key)
        if sheet is None:
            return None
        title = self.titles[key]
        columns = TABLES[key]
        rows = self._rows(sheet, title, max_col=len(columns) + 10)
        # The header is the hidden key row; if that row was deleted, the label row.
        head = list(itertools.islice(rows, 3))
        matches = [_header(row, columns) for row in head]
        best = max(range(len(head)), key=lambda i: len(matches[i]), default=None)
        header = matches[best] if best is not None else {}
        header_row = head[best][0].row if best is not None and head[best] else None
        rest = head[best + 1 :] if best is not None else []
        if rest and len(_header(rest[0], columns)) * 2 >= len(columns):
            rest = rest[1:]
        rows = itertools.chain(rest, rows)
        letters = {name: get_column_letter(index + 1) for name, index in header.items()}
        self.cells[key] = letters
        table = _Table(title, letters)
        for column in columns:
            if column.key not in header:
                self.finding(
                    "C-COLUMN",
                    title,
                    header_row,
                    None,
                    f"The column {label(column.key, self.language)!r} "
                    f"({column.key}) is missing or its heading was changed.",
                )
        if any(column.required and column.key not in header for column in columns):
            for _ in rows:
                pass
            return table
        for row in rows:
            cells = {
                name: _Cell(row[i].value, row[i].data_type, row[i].row, letters[name])
                for name, i in header.items()
                if i < len(row)
            }
            if all(_blank(cell.value) for cell in cells.values()):
                continue
            for cell in cells.values():
                self._check_cell(cell, title)
            table.rows.append(cells)
        return table

    def _check_cell(self, cell: _Cell, title: str) -> None:
        if cell.data_type == "f":
            self.finding(
                "C-FORMULA",
                title,
                cell.row,
                cell.column,
                f"The cell holds the formula {str(cell.value)[:60]!r}.",
            )
            cell.value, cell.data_type = None, _REPORTED
        elif cell.data_type == "e":
            self.finding(
                "C-EXCEL-ERROR",
                title,
                cell.row,
                cell.column,
                f"The cell holds the Excel error {cell.value}.",
            )
            cell.value, cell.data_type = None, _REPORTED

    def _activities(self) -> list[Activity]:
        table = self._table("activities")
        if table is None:
            return []
        activities = []
        for cells in table.rows:
            row = next(iter(cells.values())).row
            activities.append(
                Activity(
                    row=row,
                    activity=self._text(cells.get("activity"), table.title),
                    quantity=self._required_number(cells.get("quantity"), table.title),
                    unit=self._code(cells.get("unit"), table.title),
                )
            )
        return activities

    def _releases(self) -> list[Release]:
        table = self._table("releases")
        if table is None:
            return []
        releases = []
        for cells in table.rows:
            row = next(iter(cells.values())).row
            substance_id, reporting_unit = _substance(
                self._code(cells.get("substance"), table.title)
            )
            quantity = self._required_number(cells.get("quantity"), table.title)
            unit = self._code(cells.get("unit"), table.title)
            accidental = cells.get("accidental_quantity")
            accidental_value = (
                self._number(accidental, table.title)
                if accidental is not None and not _blank(accidental.value)
                else 0.0
            )
            converted, converted_unit = _convert(quantity, unit, reporting_unit)
            releases.append(
                Release(
                    row=row,
                    substance_id=substance_id,
                    medium=_medium(self._code(cells.get("medium"), table.title)),
                    quantity=converted,
                    unit=converted_unit,
                    quantity_reported=quantity,
                    unit_reported=unit,
                    method=self._code(cells.get("method"), table.title).upper(),
                    method_description=self._text(
                        cells.get("method_description"), table.title
                    ),
                    **self._claims(cells, table.title),
                    accidental_quantity=0.0
                    if math.isnan(accidental_value)
                    else accidental_value,
                )
            )
        return releases

    def _claims(self, cells: Mapping[str, Any], sheet: str) -> dict[str, Any]:
        """The confidentiality claim of a release or transfer row."""
        return {
            "confidential_value": self._flag(cells.get("confidential_value"), sheet),
            "confidential_identity": self._flag(
                cells.get("confidential_identity"), sheet
            ),
            "confidentiality_ground": self._code(
                cells.get("confidentiality_ground"), sheet
            ),
        }

    def _transfers(self) -> list[Transfer]:
        table = self._table("transfers")
        if table is None:
            return []
        transfers = []
        for cells in table.rows:
            row = next(iter(cells.values())).row
            substance_text = self._code(cells.get("substance"), table.title)
            substance_id, reporting_unit = (
                _substance(substance_text) if substance_text else ("", "t")
            )
            quantity = self._required_number(cells.get("quantity"), table.title)
            unit = self._code(cells.get("unit"), table.title)
            converted, converted_unit = _convert(quantity, unit, reporting_unit)
            transfers.append(
                Transfer(
                    row=row,
                    substance_id=substance_id,
                    waste_description=self._text(
                        cells.get("waste_description"), table.title
                    ),
                    quantity=converted,
                    unit=converted_unit,
                    quantity_reported=quantity,
                    unit_reported=unit,
                    destination=self._text(cells.get("destination"), table.title),
                    treatment_code=self._code(
                        cells.get("treatment_code"), table.title
                    ).upper(),
                    method=self._code(cells.get("method"), table.title).upper(),
                    **self._claims(cells, table.title),
                )
            )
        return transfers

    # Cells.

    def _text(self, cell: _Cell | None, title: str) -> str:
        if cell is None or _blank(cell.value):
            return ""
        if cell.data_type in ("f", "e"):
            self._check_cell(cell, title)
            return ""
        value = cell.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if text[:1] in ("=", "+", "-", "@") and not _PHONE_LIKE.fullmatch(text):
            self.finding(
                "P-FORMULA-TEXT",
                title,
                cell.row,
                cell.column,
                f"The text {text[:40]!r} begins with {text[0]!r}.",
            )
            return neutralise(text)
        return text

    def _code(self, cell: _Cell | None, title: str) -> str:
        text = self._text(cell, title)
        if text.startswith("'"):
            return text
        return text.split(_SEPARATOR)[0].strip()

    def _flag(self, cell: _Cell | None, title: str) -> bool:
        if cell is None or _blank(cell.value):
            return False
        if isinstance(cell.value, bool):
            return cell.value
        text = self._text(cell, title).casefold()
        if text in _YES:
            return True
        if text in _NO:
            return False
        self.finding(
            "C-CLAIM",
            title,
            cell.row,
            cell.column,
            f"{text!r} is not yes or no; the claim is taken as made.",
            "Answer yes or no from the list.",
        )
        return True

    def _required_number(self, cell: _Cell | None, title: str) -> float:
        if cell is None or _blank(cell.value):
            if cell is not None and cell.data_type != _REPORTED:
                self.finding(
                    "C-REQUIRED", title, cell.row, cell.column, "The quantity is empty."
                )
            return math.nan
        return self._number(cell, title)

    def _number(self, cell: _Cell, title: str) -> float:
        """The cell as a number, or NaN with a finding when it is not one."""
        value = cell.value
        if cell.data_type in ("f", "e") or value is None:
            if cell.data_type in ("f", "e"):
                self._check_cell(cell, title)
            return math.nan
        if isinstance(value, bool):
            self.finding(
                "C-NUMBER-TEXT",
                title,
                cell.row,
                cell.column,
                f"The cell holds {str(value).upper()}, not a number.",
            )
            return math.nan
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, (dt.date, dt.time, dt.timedelta)):
            self.finding(
                "C-DATE",
                title,
                cell.row,
                cell.column,
                f"The cell holds the date or time {value}, not a number.",
            )
            return math.nan
        text = str(value).strip().replace("\u00a0", " ")
        if _PLAIN_NUMBER.fullmatch(text):
            return float(text)
        if _SEPARATED_NUMBER.fullmatch(text):
            self.finding(
                "C-NUMBER-SEPARATOR",
                title,
                cell.row,
                cell.column,
                f"{text!r} is written with separators; it could be read in two ways, "
                "so it was not read.",
            )
            return math.nan
        self.finding(
            "C-NUMBER-TEXT",
            title,
            cell.row,
            cell.column,
            f"{text[:40]!r} is not a number.",
        )
        return math.nan


def _header(row: Sequence[Any], columns: tuple[Column, ...]) -> dict[str, int]:
    keys = {column.key for column in columns}
    by_label = {
        label(column.key, lang).casefold(): column.key
        for column in columns
        for lang in LANGUAGES
    }
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        text = str(cell.value or "").strip()
        key = text if text in keys else by_label.get(text.casefold())
        if key and key not in found:
            found[key] = index
    return found


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_year(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _padded(code: str, width: int) -> str:
    return code.zfill(width) if code.isdigit() and len(code) < width else code


@functools.cache
def _medium_names() -> dict[str, str]:
    names = {}
    for medium in MEDIA:
        for text in LABELS[medium].values():
            names[text.casefold()] = medium
    return names


def _medium(text: str) -> str:
    return _medium_names().get(text.casefold(), text.casefold())


def _substance(text: str) -> tuple[str, str | None]:
    """The substance identifier and reporting unit, or the text and None if unknown."""
    from prtr.substances import find

    if not text:
        return "", None
    try:
        found = find(text)
    except UnknownSubstanceError:
        return text, None
    return found.substance_id, found.reporting_unit


def _convert(
    quantity: float, unit: str, reporting_unit: str | None
) -> tuple[float, str]:
    if reporting_unit is None or math.isnan(quantity) or not unit:
        return math.nan, ""
    try:
        return reporting_quantity(quantity, unit, reporting_unit), reporting_unit
    except UnitError:
        return math.nan, ""
