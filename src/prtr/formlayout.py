"""What the reporting form looks like: its sheets, columns and labels in two languages.

Every sheet and every column of the form has a stable *key* (``releases``,
``substance``) and a display *label* that depends on the language. The writer in
:mod:`prtr.form` puts the key of each column in a hidden first row and the label under
it; the reader finds columns by key, and by label in either language when the key row
was lost, so an English and a Khmer form read the same.

The labels live in one table, :data:`LABELS`, so that a translator edits one place.
Change :data:`FORM_VERSION` whenever a key, a sheet or a column changes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FACILITY_FIELDS",
    "FORM_VERSION",
    "LABELS",
    "LANGUAGES",
    "SHEETS",
    "TABLES",
    "Column",
    "column_letter",
    "label",
]

#: The version of the form's layout, written into every form and read back.
FORM_VERSION = "1.0"

#: The languages a form can be written in.
LANGUAGES = ("en", "km")

#: Sheet keys in the order they appear; the hidden ``meta`` and ``lists`` come after.
SHEETS = ("instructions", "facility", "activities", "releases", "transfers")


@dataclass(frozen=True)
class Column:
    """One column of a table sheet.

    Attributes:
        key: the stable key, written in the hidden first row.
        kind: how the reader takes the cell: ``text``, ``number``, ``code`` (a value
            from a list, read as text), or ``flag`` (yes or no).
        required: whether a filled row needs a value here.
        width: the column width in Excel's units.
    """

    key: str
    kind: str
    required: bool = False
    width: int = 14


#: Columns of each table sheet, in order (column A first).
TABLES: dict[str, tuple[Column, ...]] = {
    "activities": (
        Column("activity", "text", required=True, width=36),
        Column("quantity", "number", required=True),
        Column("unit", "code", required=True, width=10),
    ),
    "releases": (
        Column("substance", "code", required=True, width=34),
        Column("medium", "code", required=True, width=10),
        Column("quantity", "number", required=True),
        Column("unit", "code", required=True, width=10),
        Column("accidental_quantity", "number"),
        Column("method", "code", required=True, width=9),
        Column("method_description", "text", width=40),
        Column("confidential_value", "flag", width=12),
        Column("confidential_identity", "flag", width=12),
        Column("confidentiality_ground", "code", width=20),
    ),
    "transfers": (
        Column("substance", "code", width=34),
        Column("waste_description", "text", width=30),
        Column("quantity", "number", required=True),
        Column("unit", "code", required=True, width=10),
        Column("destination", "text", required=True, width=30),
        Column("treatment_code", "code", required=True, width=10),
        Column("method", "code", width=9),
        Column("confidential_value", "flag", width=12),
        Column("confidential_identity", "flag", width=12),
        Column("confidentiality_ground", "code", width=20),
    ),
}

#: Fields of the facility sheet, one per row, in order. ``(key, kind, required)``.
FACILITY_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("facility_id", "code", True),
    ("name", "text", True),
    ("isic_code", "code", True),
    ("province_code", "code", True),
    ("latitude", "number", False),
    ("longitude", "number", False),
    ("employees", "number", False),
    ("contact_name", "text", False),
    ("contact_email", "text", False),
    ("contact_phone", "text", False),
    ("reporting_year", "number", True),
    ("submitted_by", "text", False),
)

# One table of every label, by key and language.
# TODO: the Khmer ("km") labels were written by a non-native speaker from the standard
# Khmer terms of environmental administration; have a native speaker at the Ministry of
# Environment review every one of them before the form is used outside training.
LABELS: dict[str, dict[str, str]] = {
    # Sheets.
    "instructions": {"en": "instructions", "km": "សេចក្តីណែនាំ"},
    "facility": {"en": "facility", "km": "សហគ្រាស"},
    "activities": {"en": "activities", "km": "សកម្មភាព"},
    "releases": {"en": "releases", "km": "ការបញ្ចេញ"},
    "transfers": {"en": "transfers", "km": "ការផ្ទេរចេញក្រៅទីតាំង"},
    # Facility fields.
    "facility_id": {"en": "Facility identifier", "km": "លេខសម្គាល់សហគ្រាស"},
    "name": {"en": "Facility name", "km": "ឈ្មោះសហគ្រាស"},
    "isic_code": {
        "en": "Main activity (ISIC Rev.4 class)",
        "km": "សកម្មភាពចម្បង (ថ្នាក់ ISIC Rev.4)",
    },
    "province_code": {"en": "Province", "km": "រាជធានី/ខេត្ត"},
    "latitude": {"en": "Latitude (decimal degrees)", "km": "រយៈទទឹង (ដឺក្រេទសភាគ)"},
    "longitude": {
        "en": "Longitude (decimal degrees)",
        "km": "រយៈបណ្តោយ (ដឺក្រេទសភាគ)",
    },
    "employees": {"en": "Number of employees", "km": "ចំនួនបុគ្គលិក"},
    "contact_name": {"en": "Contact person", "km": "អ្នកទំនាក់ទំនង"},
    "contact_email": {"en": "Contact e-mail", "km": "អ៊ីមែលទំនាក់ទំនង"},
    "contact_phone": {"en": "Contact telephone", "km": "លេខទូរស័ព្ទទំនាក់ទំនង"},
    "reporting_year": {"en": "Reporting year", "km": "ឆ្នាំនៃរបាយការណ៍"},
    "submitted_by": {
        "en": "Report prepared by (name)",
        "km": "របាយការណ៍រៀបចំដោយ (ឈ្មោះ)",
    },
    # Table columns.
    "activity": {
        "en": "Activity (fuel burned, production, operating hours)",
        "km": "សកម្មភាព (ឥន្ធនៈដែលបានដុត ផលិតកម្ម ម៉ោងប្រតិបត្តិការ)",
    },
    "quantity": {"en": "Quantity in the year", "km": "បរិមាណក្នុងមួយឆ្នាំ"},
    "unit": {"en": "Unit", "km": "ឯកតា"},
    "substance": {"en": "Substance", "km": "សារធាតុ"},
    "medium": {"en": "Medium", "km": "បរិស្ថានទទួល"},
    "accidental_quantity": {
        "en": "Of which accidental",
        "km": "ក្នុងនោះ ដោយឧបទ្ទវហេតុ",
    },
    "method": {"en": "Method (M/C/E)", "km": "វិធីសាស្ត្រ (M/C/E)"},
    "method_description": {
        "en": "How the quantity was obtained",
        "km": "របៀបដែលទទួលបានបរិមាណនេះ",
    },
    "confidential_value": {
        "en": "Quantity confidential?",
        "km": "បរិមាណជាការសម្ងាត់?",
    },
    "confidential_identity": {
        "en": "Substance name confidential?",
        "km": "ឈ្មោះសារធាតុជាការសម្ងាត់?",
    },
    "confidentiality_ground": {
        "en": "Ground of the claim",
        "km": "មូលដ្ឋាននៃការស្នើសុំរក្សាការសម្ងាត់",
    },
    "waste_description": {
        "en": "Waste (if not a single substance)",
        "km": "កាកសំណល់ (បើមិនមែនជាសារធាតុតែមួយ)",
    },
    "destination": {
        "en": "Destination (name and address)",
        "km": "ទីកន្លែងទទួល (ឈ្មោះ និងអាសយដ្ឋាន)",
    },
    "treatment_code": {
        "en": "Disposal (D) or recovery (R) code",
        "km": "កូដការចោល (D) ឬការស្តារយកមកប្រើវិញ (R)",
    },
    # Values shown in dropdowns and headings.
    "yes": {"en": "yes", "km": "បាទ/ចាស"},
    "no": {"en": "no", "km": "ទេ"},
    "air": {"en": "air", "km": "ខ្យល់"},
    "water": {"en": "water", "km": "ទឹក"},
    "land": {"en": "land", "km": "ដី"},
    "M": {"en": "measured", "km": "វាស់វែង"},
    "C": {"en": "calculated", "km": "គណនា"},
    "E": {"en": "estimated", "km": "ប៉ាន់ស្មាន"},
    "D": {"en": "disposal", "km": "ការចោល"},
    "R": {"en": "recovery", "km": "ការស្តារយកមកប្រើវិញ"},
    "value_heading": {"en": "Your answer", "km": "ចម្លើយរបស់អ្នក"},
    "help_heading": {"en": "Help", "km": "ជំនួយ"},
    "form_title": {
        "en": "Pollutant Release and Transfer Register: annual report",
        "km": "បញ្ជីការបញ្ចេញ និងការផ្ទេរសារធាតុបំពុល៖ របាយការណ៍ប្រចាំឆ្នាំ",
    },
    "input_note": {
        "en": "Write only in the yellow cells. The grey headings are protected.",
        "km": "សូមសរសេរតែក្នុងក្រឡាពណ៌លឿងប៉ុណ្ណោះ។ ចំណងជើងពណ៌ប្រផេះត្រូវបានការពារ។",
    },
}


def label(key: str, language: str) -> str:
    """Return the label of ``key`` in ``language`` (in English if not translated)."""
    entry = LABELS.get(key, {})
    return entry.get(language) or entry.get("en") or key


def column_letter(sheet: str, key: str) -> str:
    """Return the letter of a column in the form as written (A for the first column)."""
    keys = [column.key for column in TABLES[sheet]]
    return chr(ord("A") + keys.index(key))
