"""Make the corpus of broken reporting forms from one good form.

Each case of :data:`CASES` takes the good form (made by ``prtr form`` and filled by
:func:`good_form`) and breaks it the way a reporter, a spreadsheet program or an
attacker would: a renamed sheet, "1,234.5" typed as text, a formula, merged cells, a
PDF renamed .xlsx, an encrypted workbook, a sheet of a million rows, an archive that
expands to gigabytes. With each case goes the finding it must give: rule code, sheet,
row and column. A case whose expected code is None must read clean (units such as
"kg/yr" and "tonnes" are accepted, not errors).

The tests generate the corpus into a temporary folder; to look at it in Excel, run
``python tests/data/make_broken_forms.py OUTPUT_FOLDER``.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook

from prtr.form import fill_form, write_form

__all__ = ["CASES", "Case", "good_form", "make_all"]

YEAR = 2025

#: A good form's content: a synthetic heavy-fuel-oil power station. The releases are
#: those AP-42 Table 1.3-1 factors give for the activity (see emission_factors.csv):
#: SO2 157 x S lb/kgal, NOx 47 lb/kgal, for 9,480 kgal at 2.11 % sulphur.
FACILITY = {
    "facility_id": "KH-00001",
    "name": "Pilot Power Station 01 (synthetic)",
    "isic_code": "3510",
    "province_code": "12",
    "latitude": 11.5447,
    "longitude": 104.9068,
    "employees": 106,
    "contact_name": "Test Officer (synthetic)",
    "reporting_year": YEAR,
}
ACTIVITIES = [
    {"activity": "heavy fuel oil burned", "quantity": 9480, "unit": "kgal"},
    {"activity": "heavy fuel oil sulfur content", "quantity": 2.11, "unit": "percent"},
    {"activity": "operating hours", "quantity": 7800, "unit": "h"},
]
LB_KG = 0.45359237
RELEASES = [
    {
        "substance": "sox",
        "medium": "air",
        "quantity": round(157 * 2.11 * 9480 * LB_KG),
        "unit": "kg",
        "method": "E",
        "method_description": "AP-42 emission factor, Table 1.3-1",
    },
    {
        "substance": "nox",
        "medium": "air",
        "quantity": round(47 * 9480 * LB_KG),
        "unit": "kg",
        "method": "E",
        "method_description": "AP-42 emission factor, Table 1.3-1",
    },
]
TRANSFERS = [
    {
        "waste_description": "fly ash",
        "quantity": 12.5,
        "unit": "t",
        "destination": "Licensed landfill (synthetic)",
        "treatment_code": "D1",
    },
]


def good_form(folder: Path, language: str = "en") -> Path:
    """Write the blank form and the good filled form into ``folder``; return it."""
    blank = write_form(folder / f"blank-{language}.xlsx", YEAR, language=language)
    return fill_form(
        blank,
        folder / f"good-{language}.xlsx",
        facility=FACILITY,
        activities=ACTIVITIES,
        releases=[_named(row) for row in RELEASES],
        transfers=TRANSFERS,
    )


def _named(row: dict) -> dict:
    from prtr.substances import find

    return {**row, "substance": find(row["substance"]).name}


@dataclass(frozen=True)
class Case:
    """One broken form and the finding it must give.

    Attributes:
        name: the file name without ``.xlsx``.
        make: writes the broken file from the good one: ``make(good, out)``.
        code, sheet, row, column: the finding expected; ``code`` None means the form
            must read without any critical or possible finding.
    """

    name: str
    make: Callable[[Path, Path], None]
    code: str | None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None


def _edit(change: Callable) -> Callable[[Path, Path], None]:
    """A case that opens the good form in openpyxl, changes it and saves it."""

    def make(good: Path, out: Path) -> None:
        workbook = load_workbook(good)
        change(workbook)
        workbook.save(out)

    return make


def _cell(sheet: str, ref: str, value: object) -> Callable[[Path, Path], None]:
    def change(workbook: Workbook) -> None:
        workbook[sheet][ref].value = value

    return _edit(change)


def _text(sheet: str, ref: str, text: str) -> Callable[[Path, Path], None]:
    """Text that openpyxl would otherwise store as a formula."""

    def change(workbook: Workbook) -> None:
        cell = workbook[sheet][ref]
        cell.value = text
        cell.data_type = "s"

    return _edit(change)


def _bytes(content: bytes) -> Callable[[Path, Path], None]:
    def make(good: Path, out: Path) -> None:
        out.write_bytes(content)

    return make


def _rename_sheet(workbook: Workbook) -> None:
    workbook["releases"].title = "emissions 2025"


def _delete_sheet(workbook: Workbook) -> None:
    del workbook["transfers"]


def _rename_column(workbook: Workbook) -> None:
    sheet = workbook["releases"]
    sheet["D1"].value = "units_used"
    sheet["D2"].value = "Units used"


def _delete_column(workbook: Workbook) -> None:
    sheet = workbook["releases"]
    sheet.protection.sheet = False
    sheet.delete_cols(4)


def _delete_key_row(workbook: Workbook) -> None:
    sheet = workbook["releases"]
    sheet.protection.sheet = False
    sheet.delete_rows(1)


def _tonnes(workbook: Workbook) -> None:
    sheet = workbook["releases"]
    sheet["C3"].value = sheet["C3"].value / 1000
    sheet["D3"].value = "tonnes"


def _merge(workbook: Workbook) -> None:
    workbook["releases"].merge_cells("A3:B3")


def _duplicate(workbook: Workbook) -> None:
    sheet = workbook["releases"]
    for column in "ABCDEFGHIJ":
        sheet[f"{column}5"].value = sheet[f"{column}3"].value


def _claim(workbook: Workbook) -> None:
    workbook["releases"]["H3"].value = "yes"


def _empty_workbook(good: Path, out: Path) -> None:
    Workbook().save(out)


def _not_a_workbook_zip(good: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("report.txt", "mercury, air, 12 kg\n")


def _truncated(good: Path, out: Path) -> None:
    content = good.read_bytes()
    out.write_bytes(content[: len(content) // 2])


def _pdf(good: Path, out: Path) -> None:
    out.write_bytes(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n"
        b"%%EOF\n"
    )


def _csv(good: Path, out: Path) -> None:
    out.write_text(
        "substance,medium,quantity,unit\nmercury,air,12,kg\n", encoding="utf-8"
    )


def _ole(streams: dict[str, bytes]) -> bytes:
    """A compound file (OLE2, version 3) holding ``streams``, as Office writes them.

    Each stream must be at least 4,096 bytes, so that it lives in ordinary sectors
    and no mini stream is needed.
    """
    sector = 512
    end, free, fat_sector, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    fat = [fat_sector, end]
    starts, data = [], b""
    for content in streams.values():
        assert len(content) >= 4096 and len(content) % sector == 0
        first = len(fat)
        count = len(content) // sector
        starts.append(first)
        fat += [first + i + 1 for i in range(count - 1)] + [end]
        data += content
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))

    def entry(name, kind, right, child, start, size):
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", no_stream, right, child)
            + bytes(16 + 4 + 8 + 8)
            + struct.pack("<IQ", start, size)
        )

    names = list(streams)
    directory = entry("Root Entry", 5, no_stream, 1, end, 0)
    for index, name in enumerate(names, start=1):
        right = index + 1 if index < len(names) else no_stream
        directory += entry(
            name, 2, right, no_stream, starts[index - 1], len(streams[name])
        )
    while len(directory) < sector:
        directory += entry("", 0, no_stream, no_stream, 0, 0)

    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<109I", 0, *([free] * 108))
    )
    return header + struct.pack("<128I", *fat) + directory + data


def _encrypted(good: Path, out: Path) -> None:
    noise = random.Random(3).randbytes
    out.write_bytes(
        _ole({"EncryptionInfo": noise(4096), "EncryptedPackage": noise(8192)})
    )


def _old_xls(good: Path, out: Path) -> None:
    out.write_bytes(_ole({"Workbook": bytes(4096)}))


def _sheet_member(good: Path, key: str) -> str:
    workbook = load_workbook(good, read_only=True)
    try:
        return workbook[key]._worksheet_path
    finally:
        workbook.close()


def _million_rows(good: Path, out: Path) -> None:
    """The releases sheet with 1,048,576 rows, written as XML straight into the zip."""
    member = _sheet_member(good, "releases")
    rows = 1_048_576
    with (
        zipfile.ZipFile(good) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            if item.filename != member:
                target.writestr(item, source.read(item.filename))
        with target.open(member, "w", force_zip64=True) as stream:
            stream.write(
                b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns='
                b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + f'<dimension ref="A1:J{rows}"/><sheetData>'.encode()
            )
            block = []
            for row in range(1, rows + 1):
                block.append(f'<row r="{row}"><c r="C{row}"><v>1</v></c></row>')
                if len(block) == 50_000:
                    stream.write("".join(block).encode())
                    block = []
            stream.write("".join(block).encode() + b"</sheetData></worksheet>")


def _zip_bomb(good: Path, out: Path) -> None:
    """A workbook whose releases sheet expands to 2 GiB of zeros (2 MB on disk).

    The deflate stream is built from one compressed block of 16 MiB of zeros repeated:
    a full flush after each block makes every block's bytes the same.
    """
    member = _sheet_member(good, "releases")
    chunk, repeats = bytes(1 << 24), 128
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    middle = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(chunk) + compressor.flush()
    deflated = first + middle * (repeats - 2) + last
    crc = 0
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)

    with zipfile.ZipFile(good) as source:
        members = [(i, source.read(i.filename)) for i in source.infolist()]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item, content in members:
            if item.filename != member:
                target.writestr(item, content)
        info = zipfile.ZipInfo(member)
        info.compress_type = zipfile.ZIP_DEFLATED
        # zipfile has no public way to store an already compressed stream, so the
        # local header, the data and the directory entry are written by hand.
        offset = target.fp.tell()
        name = member.encode()
        size = len(chunk) * repeats
        zip64 = struct.pack("<HHQQ", 1, 16, size, len(deflated))
        target.fp.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                45,
                0,
                8,
                0,
                0x21,
                crc,
                0xFFFFFFFF,
                0xFFFFFFFF,
                len(name),
                len(zip64),
            )
            + name
            + zip64
            + deflated
        )
        info.header_offset = offset
        info.CRC = crc
        info.compress_size = len(deflated)
        info.file_size = size
        info.create_version = info.extract_version = 45
        info.date_time = (2025, 1, 1, 0, 0, 0)
        target.filelist.append(info)
        target.NameToInfo[member] = info
        target.start_dir = target.fp.tell()


#: Every case, with the finding it must give. Rows and columns are the form's: the
#: releases sheet's first data row is 3, quantity is column C, unit D, method F.
CASES: tuple[Case, ...] = (
    Case("renamed_sheet", _edit(_rename_sheet), "C-SHEET", "releases"),
    Case("missing_sheet", _edit(_delete_sheet), "C-SHEET", "transfers"),
    Case("renamed_column", _edit(_rename_column), "C-COLUMN", "releases", 1),
    Case("missing_column", _edit(_delete_column), "C-COLUMN", "releases", 1),
    Case("key_row_deleted", _edit(_delete_key_row), None),
    Case(
        "text_in_number",
        _cell("releases", "C3", "about 1400 t"),
        "C-NUMBER-TEXT",
        "releases",
        3,
        "C",
    ),
    Case(
        "thousands_separator",
        _cell("releases", "C3", "1,484,000"),
        "C-NUMBER-SEPARATOR",
        "releases",
        3,
        "C",
    ),
    Case(
        "decimal_comma",
        _cell("releases", "C4", "202.087,5"),
        "C-NUMBER-SEPARATOR",
        "releases",
        4,
        "C",
    ),
    Case(
        "boolean_in_number",
        _cell("releases", "C3", True),
        "C-NUMBER-TEXT",
        "releases",
        3,
        "C",
    ),
    Case(
        "date_in_number",
        _cell("releases", "C3", dt.datetime(2025, 3, 4)),
        "C-DATE",
        "releases",
        3,
        "C",
    ),
    Case("unit_kg_per_year", _cell("releases", "D3", "kg/yr"), None),
    Case("unit_tonnes", _edit(_tonnes), None),
    Case(
        "unit_tons",
        _cell("releases", "D4", "tons"),
        "P-UNIT-AMBIGUOUS",
        "releases",
        4,
        "D",
    ),
    Case(
        "unit_not_convertible",
        _cell("releases", "D3", "m3"),
        "C-UNIT",
        "releases",
        3,
        "D",
    ),
    Case("merged_cells", _edit(_merge), "C-MERGED", "releases", 3, "A"),
    Case(
        "formula",
        _cell("releases", "C3", "=9480*157*2.11*0.4536"),
        "C-FORMULA",
        "releases",
        3,
        "C",
    ),
    Case(
        "excel_error",
        _cell("releases", "C4", "#DIV/0!"),
        "C-EXCEL-ERROR",
        "releases",
        4,
        "C",
    ),
    Case(
        "text_equals",
        _text("releases", "G3", '=HYPERLINK("http://x","click")'),
        "P-FORMULA-TEXT",
        "releases",
        3,
        "G",
    ),
    Case(
        "text_at",
        _cell("releases", "G3", "@SUM(1+1)"),
        "P-FORMULA-TEXT",
        "releases",
        3,
        "G",
    ),
    Case(
        "text_plus",
        _cell("transfers", "B3", "+cmd|' /C calc'!A0"),
        "P-FORMULA-TEXT",
        "transfers",
        3,
        "B",
    ),
    Case(
        "text_minus",
        _cell("releases", "G4", "-2+3+cmd"),
        "P-FORMULA-TEXT",
        "releases",
        4,
        "G",
    ),
    Case(
        "unknown_substance",
        _cell("releases", "A3", "Sulphur oxide"),
        "C-SUBSTANCE",
        "releases",
        3,
        "A",
    ),
    Case(
        "missing_facility_id",
        _cell("facility", "C3", None),
        "C-FACILITY-ID",
        "facility",
        3,
        "C",
    ),
    Case(
        "malformed_facility_id",
        _cell("facility", "C3", "KH-1"),
        "C-FACILITY-ID",
        "facility",
        3,
        "C",
    ),
    Case(
        "unknown_province",
        _cell("facility", "C6", "Phnom Pen"),
        "C-FACILITY",
        "facility",
        6,
        "C",
    ),
    Case(
        "negative_quantity",
        _cell("releases", "C4", -5),
        "C-NEGATIVE",
        "releases",
        4,
        "C",
    ),
    Case(
        "medium_unknown",
        _cell("releases", "B3", "river"),
        "C-MEDIUM",
        "releases",
        3,
        "B",
    ),
    Case(
        "medium_not_for_substance",
        _cell("releases", "B4", "water"),
        "C-MEDIUM",
        "releases",
        4,
        "B",
    ),
    Case("duplicate_rows", _edit(_duplicate), "C-DUPLICATE", "releases", 5, "A"),
    Case("wrong_year", _cell("facility", "C13", 2024), "C-YEAR", "facility", 13, "C"),
    Case("claim_without_ground", _edit(_claim), "C-CLAIM", "releases", 3, "J"),
    Case(
        "method_code",
        _cell("releases", "F3", "measured"),
        "C-METHOD",
        "releases",
        3,
        "F",
    ),
    Case(
        "method_contradiction",
        _cell("releases", "F4", "M"),
        "P-METHOD-TEXT",
        "releases",
        4,
        "F",
    ),
    Case(
        "far_from_factor", _cell("releases", "C3", 1.2), "P-FACTORS", "releases", 3, "C"
    ),
    Case(
        "accidental_above_total",
        _cell("releases", "E4", 10**6),
        "P-TOTALS",
        "releases",
        4,
        "E",
    ),
    Case(
        "treatment_code",
        _cell("transfers", "F3", "landfill"),
        "C-TREATMENT",
        "transfers",
        3,
        "F",
    ),
    Case("empty_workbook", _empty_workbook, "C-NOT-FORM"),
    Case("csv_renamed", _csv, "C-FILE"),
    Case("pdf_renamed", _pdf, "C-FILE"),
    Case("zip_not_workbook", _not_a_workbook_zip, "C-FILE"),
    Case("truncated", _truncated, "C-FILE"),
    Case("empty_file", _bytes(b""), "C-FILE"),
    Case("password_protected", _encrypted, "C-ENCRYPTED"),
    Case("old_xls", _old_xls, "C-FILE"),
    Case("million_rows", _million_rows, "C-BOUND", "releases"),
    Case("zip_bomb", _zip_bomb, "C-BOUND"),
)


def make_all(folder: Path) -> dict[str, Path]:
    """Write the good form and every broken one into ``folder``; return them by name."""
    folder.mkdir(parents=True, exist_ok=True)
    good = good_form(folder)
    made = {"good": good}
    for case in CASES:
        out = folder / f"{case.name}.xlsx"
        case.make(good, out)
        made[case.name] = out
    return made


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/data/make_broken_forms.py OUTPUT_FOLDER")
    for name, path in make_all(Path(sys.argv[1])).items():
        print(f"{name:<28} {path}")
