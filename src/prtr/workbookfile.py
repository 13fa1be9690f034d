"""Checks on a workbook file before a spreadsheet library is allowed to open it.

A reporting form arrives from outside: it may be a CSV or PDF file renamed ``.xlsx``, an
encrypted workbook (which is an OLE compound file, not a zip archive), an old ``.xls``
file, or an archive built to expand to gigabytes. :func:`check_workbook_file` looks at
the bytes and at the sizes the zip archive declares, and refuses such files with an
:class:`UnreadableFormError` that says what was found and what to do, before any of it
is decompressed.

The bounds are module constants, so that a register with bigger reporters can raise
them in one place.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from prtr.errors import PrtrError

__all__ = [
    "MAX_EXPANDED_BYTES",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "UnreadableFormError",
    "check_workbook_file",
    "merged_ranges",
]

#: The largest form file accepted, in bytes (a form with 100,000 release rows is
#: about 5 MB).
MAX_FILE_BYTES = 25 * 1024 * 1024

#: The largest total the archive's members may expand to, as the archive declares it.
MAX_EXPANDED_BYTES = 400 * 1024 * 1024

#: The most rows read from one sheet; the rest of the sheet is not read.
MAX_ROWS = 200_000

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_MERGE_PATTERN = re.compile(
    rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\""
)


class UnreadableFormError(PrtrError):
    """The file cannot be read as a reporting form at all.

    Attributes:
        code: the rule code of :data:`prtr.validation.RULES` the problem belongs to.
        message: what is wrong.
        hint: how to fix it.
    """

    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(f"{message} {hint}")
        self.code = code
        self.message = message
        self.hint = hint


def check_workbook_file(path: Path) -> None:
    """Refuse a file that is not a readable ``.xlsx`` workbook within the bounds.

    Args:
        path: the file to check.

    Raises:
        UnreadableFormError: if the file is missing, empty, too large, encrypted, an
            old ``.xls`` workbook, not a zip archive (a CSV or PDF file renamed), a zip
            archive that is not a workbook, or one that declares more than
            :data:`MAX_EXPANDED_BYTES` once expanded.
    """
    if not path.is_file():
        raise UnreadableFormError(
            "C-FILE", f"There is no file {path}.", "Check the file name and folder."
        )
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableFormError(
            "C-BOUND",
            f"The file is {size / 1e6:,.1f} MB; the bound for a form is "
            f"{MAX_FILE_BYTES / 1e6:,.0f} MB, so it was not read.",
            "Remove pictures and unused sheets, or split the report; ask the ministry "
            "if a real report is this large.",
        )
    with path.open("rb") as handle:
        head = handle.read(8)
        if head == _OLE_MAGIC:
            body = handle.read()
            _refuse_ole(body)
    if size == 0:
        raise UnreadableFormError(
            "C-FILE",
            "The file is empty (0 bytes).",
            "Save the form again in Excel and send the saved file.",
        )
    if not head.startswith(_ZIP_MAGIC):
        raise UnreadableFormError(
            "C-FILE",
            f"The file is not an Excel workbook: it starts like {_guess_kind(head)}, "
            "whatever its name says.",
            "Open the blank form made by `prtr form`, fill it in Excel or LibreOffice, "
            "and save it as Excel Workbook (.xlsx).",
        )
    _check_archive(path)


def _refuse_ole(body: bytes) -> None:
    if _ENCRYPTED_STREAM in body:
        raise UnreadableFormError(
            "C-ENCRYPTED",
            "The workbook is protected by a password (it is encrypted), so nobody "
            "can read it without the password.",
            "Open it in Excel, remove the password (File > Info > Protect Workbook > "
            "Encrypt with Password, empty the box), save, and send it again.",
        )
    raise UnreadableFormError(
        "C-FILE",
        "The file is an old Excel 97-2003 workbook (.xls), not the reporting form.",
        "Copy your data into the blank form made by `prtr form` and save it as .xlsx.",
    )


def _guess_kind(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"\xef\xbb\xbf") or all(
        32 <= b < 127 or b in b"\t\r\n" for b in head
    ):
        return "a text file (CSV or plain text)"
    return "neither a workbook nor a text file"


def _check_archive(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnreadableFormError(
            "C-FILE",
            f"The file looks like a workbook but its archive is damaged ({error}).",
            "Open it in Excel, save it again as .xlsx, and send the saved copy.",
        ) from None

    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        raise UnreadableFormError(
            "C-FILE",
            "The file is a zip archive but not an Excel workbook (it has no "
            "xl/workbook.xml).",
            "Send the .xlsx form itself, not a zip folder or another document.",
        )

    expanded = sum(member.file_size for member in members)
    if expanded > MAX_EXPANDED_BYTES:
        largest = max(members, key=lambda member: member.file_size)
        raise UnreadableFormError(
            "C-BOUND",
            f"The workbook would expand to {expanded / 1e9:,.2f} GB "
            f"({largest.filename} alone to {largest.file_size / 1e9:,.2f} GB); the "
            f"bound is {MAX_EXPANDED_BYTES / 1e6:,.0f} MB, so it was not opened.",
            "A reporting form is far smaller. Copy your data into a fresh blank form; "
            "if the file came from someone else, do not open it.",
        )


def merged_ranges(path: Path, member: str, limit: int = 50) -> list[str]:
    """Return the merged cell ranges of one sheet, reading its XML as a stream.

    Args:
        path: the workbook.
        member: the sheet's path inside the archive, e.g. ``xl/worksheets/sheet3.xml``.
        limit: stop after this many ranges.

    Returns:
        Ranges such as ``"A5:C5"``, in the order the sheet lists them.
    """
    found: list[str] = []
    tail = b""
    with zipfile.ZipFile(path) as archive, archive.open(member) as stream:
        while len(found) < limit:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            window = tail + chunk
            found += [m.decode() for m in _MERGE_PATTERN.findall(window)]
            # Keep the end of the window in case a tag is cut in two, but drop whole
            # tags already counted so they are not counted twice.
            cut = window.rfind(b">")
            tail = window[cut + 1 :][-200:] if cut >= 0 else window[-200:]
    return found[:limit]
