"""What a facility submits for one reporting year, as the library holds it.

A filled reporting form (see :mod:`prtr.form`) is read into a :class:`Submission`;
:mod:`prtr.validation` checks it and returns :class:`Finding` objects; the register
(:mod:`prtr.register`) stores it. These classes are the contract between the three.

Quantities are held twice: as the facility wrote them (``quantity_reported`` in
``unit_reported``) and converted to the substance's reporting unit (``quantity``), so
that a finding can quote what the facility wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "CONFIDENTIALITY_GROUNDS",
    "MEDIA",
    "TIERS",
    "Activity",
    "Facility",
    "Finding",
    "Release",
    "Submission",
    "Transfer",
]

#: The media a release goes to.
MEDIA = ("air", "water", "land")

#: The tiers of a finding, from most to least severe.
TIERS = ("critical", "possible", "alert")
Tier = Literal["critical", "possible", "alert"]

#: Grounds on which a facility may claim confidentiality, with what each means. The
#: E-PRTR grounds are those of Directive 2003/4/EC, Article 4(2)(a)-(h); the first two
#: are the grounds TRI and most national schemes allow.
CONFIDENTIALITY_GROUNDS = {
    "trade_secret": "Commercial or industrial confidentiality (trade secret)",
    "national_security": "National security, public security or defence",
    "A42a": "Confidentiality of the proceedings of public authorities (Art. 4(2)(a))",
    "A42b": "International relations, public security or defence (Art. 4(2)(b))",
    "A42c": "The course of justice (Art. 4(2)(c))",
    "A42d": "Commercial or industrial information protected by law (Art. 4(2)(d))",
    "A42e": "Intellectual property rights (Art. 4(2)(e))",
    "A42f": "Personal data (Art. 4(2)(f))",
    "A42g": "Interests of the person who supplied the information (Art. 4(2)(g))",
    "A42h": "Protection of the environment the information relates to (Art. 4(2)(h))",
}


@dataclass(frozen=True)
class Finding:
    """One problem found in a submission.

    ``row`` and ``column`` are the spreadsheet's (row 1 is the first row, column "C");
    they are None when the finding is about the whole file or sheet.
    """

    code: str
    tier: Tier
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    message: str
    hint: str

    @property
    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Facility:
    facility_id: str
    name: str
    isic_code: str
    province_code: str
    latitude: float | None
    longitude: float | None
    employees: int | None
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""


@dataclass(frozen=True)
class Activity:
    row: int
    activity: str
    quantity: float
    unit: str


@dataclass(frozen=True)
class Release:
    """A release of one substance to one medium.

    ``confidential_value`` withholds the quantity from the public;
    ``confidential_identity`` withholds which substance it is (TRI's generic name rule).
    Either needs a ground from
    :data:`CONFIDENTIALITY_GROUNDS`.
    """

    row: int
    substance_id: str
    medium: str
    quantity: float
    unit: str
    quantity_reported: float
    unit_reported: str
    method: str
    method_description: str = ""
    confidential_value: bool = False
    confidential_identity: bool = False
    confidentiality_ground: str = ""
    #: The part of ``quantity`` released by accidents, in the same unit (0 if none).
    accidental_quantity: float = 0.0

    @property
    def confidential(self) -> bool:
        return self.confidential_value or self.confidential_identity


@dataclass(frozen=True)
class Transfer:
    """An off-site transfer: a substance (or a waste) sent to a destination."""

    row: int
    substance_id: str
    waste_description: str
    quantity: float
    unit: str
    quantity_reported: float
    unit_reported: str
    destination: str
    treatment_code: str
    method: str = ""
    confidential_value: bool = False
    confidential_identity: bool = False
    confidentiality_ground: str = ""

    @property
    def confidential(self) -> bool:
        return self.confidential_value or self.confidential_identity


@dataclass(frozen=True)
class Submission:
    """One facility's report for one reporting year, read from one file.

    ``form_year`` is the reporting year the blank form was made for (None when the
    submission was not read from a form). ``sheet_titles`` maps each sheet key of
    :mod:`prtr.formlayout` to its title in the file, and ``cells`` maps each sheet key
    to where each field was found: a column letter on table sheets, a cell such as
    ``"C5"`` on the facility sheet. Both are empty for a submission built in code;
    findings then use the form's standard layout.
    """

    file: str
    sha256: str
    form_version: str
    reporting_year: int
    language: str
    facility: Facility
    activities: tuple[Activity, ...] = ()
    releases: tuple[Release, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    submitted_by: str = ""
    findings: tuple[Finding, ...] = field(default=())
    form_year: int | None = None
    sheet_titles: Mapping[str, str] = field(default_factory=dict)
    cells: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
