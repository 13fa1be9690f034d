"""Every word the PRTR reports show a reader, by language, and how numbers are written.

The report notebooks (``notebooks/reports/``) compute with :mod:`prtr.reportdata` and
write with this module: headings, the sentences written from the numbers, chart titles,
axis labels with units, alt text, table headers and the notes on synthetic data. Nothing
a reader sees is written anywhere else, so a Khmer edition is one more entry in
:data:`TEMPLATES` (and in :data:`NUMBER_STYLES`), with the same keys.

A template is a ``str.format`` string. Sentences that would read wrongly with a zero or
a missing number have their own templates (``*.none``), and the functions named
``say_*`` choose between them, so that every language gets the same choice.

A count that may be 1 chooses its noun in the template itself:
``"{count} {count@facility|facilities}"`` writes "1 facility" and "3 facilities". A
language without plural forms simply writes the noun once.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LANGUAGES",
    "NUMBER_STYLES",
    "TEMPLATES",
    "NumberStyle",
    "format_number",
    "format_percent",
    "format_quantity",
    "join_words",
    "medium_name",
    "method_name",
    "say_change",
    "say_coverage",
    "say_substance_total",
    "text",
    "tier_name",
]


@dataclass(frozen=True)
class NumberStyle:
    """How one language writes numbers.

    Attributes:
        thousands: the separator between groups of three digits.
        decimal: the decimal mark.
        digits: the ten digits 0-9, in the language's script.
        percent: a template for a percentage, with ``{value}``.
    """

    thousands: str
    decimal: str
    digits: str
    percent: str


#: Number styles by language. A Khmer entry would use the Khmer digits ០-៩.
NUMBER_STYLES: dict[str, NumberStyle] = {
    "en": NumberStyle(
        thousands=",", decimal=".", digits="0123456789", percent="{value} %"
    ),
}

#: Every template, by language, then by key.
TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        # --- Shared ---
        "report.national.subtitle": "Reporting year {year}",
        "report.facility.subtitle": "{facility} ({facility_id}), reporting year {year}",
        "report.generated": "Generated {generated}.",
        "audience.public": (
            "Public edition: values and substance identities claimed confidential are "
            "shown only inside sums over several facilities, under generic names."
        ),
        "audience.restricted": (
            "RESTRICTED edition for the ministry: it shows values and substance "
            "identities claimed confidential. Do not publish it."
        ),
        "synthetic.all": (
            "SYNTHETIC PILOT DATA. Every facility and every number in this report is "
            "invented for training; none describes a real facility."
        ),
        "synthetic.some": (
            "Partly SYNTHETIC DATA: {count} of the {total} "
            "{total@facility|facilities} in this register "
            "are invented for training (their names end in “(synthetic)”)."
        ),
        "data.missing": "No data.",
        "none": "none",
        "and": "and",
        "unknown": "unknown",
        "unit.kg": "kg",
        "unit.g TEQ": "g TEQ",
        "medium.air": "air",
        "medium.water": "water",
        "medium.land": "land",
        "medium.all media": "all media",
        "method.M": "measured",
        "method.C": "calculated",
        "method.E": "estimated",
        "method.?": "not stated",
        "tier.critical": "critical error",
        "tier.possible": "possible error",
        "tier.alert": "data-quality alert",
        "figure.prefix": "Figure: ",
        "claimed.note": "* claimed confidential: not shown in the public edition.",
        "confidential.sum": "{name} (sum of {count} {count@facility|facilities})",
        "confidential.withheld": (
            "Further values claimed confidential by too few facilities to publish even "
            "their sum are withheld ({unit})."
        ),
        # --- National report: coverage ---
        "coverage.heading": "Who reported",
        "coverage.text": (
            "{reported} of the {expected} {expected@facility|facilities} known to the "
            "register reported "
            "for {year} ({share})."
        ),
        "coverage.text.none": (
            "No facility has reported for {year} yet; the register knows {expected} "
            "facilities."
        ),
        "coverage.text.empty": "The register holds no facility yet.",
        "coverage.text.empty_reports": (
            "{count} of the reports received hold no release and no transfer."
        ),
        "coverage.expected_note": (
            "“Known to the register” means every facility that has ever submitted a "
            "report. Facilities that should report but never did are not in the "
            "register and cannot be counted here."
        ),
        "coverage.table.sector": "Reporting by sector, {year}",
        "coverage.table.province": "Reporting by province, {year}",
        "column.sector": "Sector",
        "column.province": "Province",
        "column.expected": "Facilities known",
        "column.reported": "Reported",
        "column.share_reported": "Share reported",
        # --- Totals ---
        "totals.heading": "Releases by substance and medium",
        "totals.text": (
            "Facilities reported releases of {substances} "
            "{substances@substance|substances} in {year}. "
            "The largest, by quantity in kg, was {top}: {top_total} in total."
        ),
        "totals.text.none": "No facility reported a release for {year}.",
        "totals.table": "Releases by substance and medium, {year}",
        "totals.range_note": (
            "The range gives the national total's uncertainty from how the quantities "
            "were obtained (see “How the quantities were obtained”)."
        ),
        "column.substance": "Substance",
        "column.group": "Group",
        "column.unit": "Unit",
        "column.air": "Air",
        "column.water": "Water",
        "column.land": "Land",
        "column.total": "Total",
        "column.range": "Range",
        "column.facilities": "Facilities",
        "chart.totals.title": "Releases to air, water and land, {year} ({unit})",
        "chart.totals.axis": "Release ({unit} per year)",
        "chart.totals.alt": (
            "Horizontal bar chart of the releases in {unit} of {count} "
            "{count@substance|substances} in "
            "{year}, split into air, water and land. Largest: {top}, {top_total}."
        ),
        # --- POPs ---
        "pops.heading": "Persistent organic pollutants (POPs)",
        "pops.text.none": (
            "No facility reported a release of dioxins and furans, PCBs, HCB or a POPs "
            "pesticide for {year}."
        ),
        "pops.text.dioxins": (
            "Releases of dioxins and furans (PCDD/F) totalled {total} in {year}, "
            "{share} of them to air, from {facilities} "
            "{facilities@facility|facilities}."
        ),
        "pops.text.dioxins.none": (
            "No facility reported a release of dioxins and furans (PCDD/F) for {year}."
        ),
        "pops.text.other": "{name}: {total} from {facilities} "
        "{facilities@facility|facilities}.",
        "pops.text.confidential": (
            "A further {total} of POPs was reported under confidentiality claims and "
            "is included only as a sum."
        ),
        "pops.note": (
            "Dioxins and furans are counted in grams of toxic equivalent (g TEQ), the "
            "other POPs in kg; the two cannot be added."
        ),
        "pops.table": "Releases of POPs, {year}",
        # --- Mercury ---
        "mercury.heading": "Mercury",
        "mercury.text": (
            "Mercury releases to {medium} totalled {total} in {year}, {share} of them "
            "from {sector}."
        ),
        "mercury.text.single": (
            "Mercury releases to {medium} totalled {total} in {year}, all of them from "
            "{sector}."
        ),
        "mercury.text.none": "No facility reported a release of mercury for {year}.",
        "mercury.confidential": (
            "Heavy metals reported under confidentiality claims ({total}) may include "
            "mercury; they are shown only as a sum."
        ),
        "mercury.table": "Mercury releases by sector, {year} (kg)",
        # --- Largest sources ---
        "sources.heading": "The largest sources",
        "sources.text": (
            "For each substance, the facilities with the largest releases (all media "
            "together) and their share of the national total."
        ),
        "sources.text.none": "There is no facility release to rank for {year}.",
        "sources.table": "Largest sources by substance, {year}",
        "column.rank": "Rank",
        "column.facility": "Facility",
        "column.release": "Release",
        "column.share_national": "Share of national total",
        # --- Transfers ---
        "transfers.heading": "Off-site transfers",
        "transfers.text": (
            "{facilities} {facilities@facility|facilities} reported {count} off-site "
            "transfers for {year}: "
            "{disposal} sent for disposal and {recovery} for recovery."
        ),
        "transfers.text.none": "No facility reported an off-site transfer for {year}.",
        "transfers.table": "Off-site transfers by substance and treatment, {year}",
        "column.treatment": "Treatment",
        "column.quantity": "Quantity",
        "treatment.D": "disposal",
        "treatment.R": "recovery",
        "treatment.?": "not stated",
        # --- Methods ---
        "methods.heading": "How the quantities were obtained",
        "methods.text": (
            "Of the {count} release {count@value|values} reported for {year}, "
            "{measured} were measured, {calculated} calculated and {estimated} "
            "estimated."
        ),
        "methods.text.none": "There are no release values for {year}.",
        "methods.meaning": (
            "A measured value comes from sampling or monitoring at the facility; a "
            "calculated one from a mass balance or an engineering calculation; an "
            "estimated one from an emission factor or judgement. Estimated values are "
            "the least certain: an emission factor describes an average plant, not "
            "this one."
        ),
        "methods.assumption": (
            "The ranges on the national totals assume each value is uncertain by "
            "±{measured_u} when measured, ±{calculated_u} when calculated and "
            "±{estimated_u} when estimated (an assumption of this workbook, not a "
            "published figure). Errors of measured and calculated values are taken as "
            "independent between facilities; estimated values are taken to share their "
            "error, since facilities of a sector use the same emission factors."
        ),
        "methods.table": "Release values by method, {year}",
        "column.method": "Method",
        "column.medium": "Medium",
        "column.values": "Values",
        "column.share_values": "Share of values",
        "column.share_kg": "Share of the quantity in kg",
        "chart.methods.title": "How the release values were obtained, {year}",
        "chart.methods.axis": "Share of release values (%)",
        "chart.methods.alt": (
            "Bar chart of the share of {count} release {count@value|values} by method "
            "in {year}: {parts}."
        ),
        # --- Change ---
        "change.heading": "Change against {previous}",
        "change.text.none": (
            "The register holds no report for {previous}, so there is nothing to "
            "compare {year} with."
        ),
        "change.text": (
            "{reported_both} {reported_both@facility|facilities} reported in both "
            "{previous} and {year}. The comparison below covers only them, so that a "
            "facility that joined or left the register does not read as a change in "
            "releases."
        ),
        "change.up": "{name} rose from {previous_total} to {total} ({change}).",
        "change.down": "{name} fell from {previous_total} to {total} ({change}).",
        "change.same": "{name} stayed at {total}.",
        "change.new": "{name} was reported for the first time ({total}).",
        "change.gone": "{name} was not reported this year ({previous_total} before).",
        "change.table": "Releases {previous} and {year}",
        "column.previous": "{previous}",
        "column.current": "{year}",
        "column.change": "Change",
        # --- Where ---
        "where.heading": "Where the releases are",
        "where.text": (
            "Facilities in {provinces} {provinces@province|provinces} reported "
            "releases for {year}; "
            "{top_province} had the most reporting facilities ({top_count})."
        ),
        "where.text.one": (
            "Only facilities in {top_province} reported releases for {year} "
            "({top_count} {top_count@facility|facilities})."
        ),
        "where.text.none": "No facility release can be placed on the map for {year}.",
        "where.table": "Releases by province, {year}",
        "column.facilities_reporting": "Facilities with releases",
        "chart.map.title": "Facilities that reported, {year}",
        "chart.map.subtitle": "Circle area: {substance} ({unit} per year)",
        "chart.map.others": "Reported, no release of {substance}",
        "chart.map.releasing": "Released {substance}",
        "chart.map.xaxis": "Longitude (degrees east)",
        "chart.map.yaxis": "Latitude (degrees north)",
        "chart.map.alt": (
            "Map of the {count} {count@facility|facilities} that reported, at their "
            "reported "
            "coordinates (longitude against latitude). {releasing} of them released "
            "{substance}, shown as circles whose area grows with the release; most of "
            "those lie in {top_province}. The others are small grey dots."
        ),
        "chart.map.note": (
            "Positions are the coordinates the facilities reported; there is no "
            "background map."
        ),
        # --- Facility report ---
        "facility.intro": (
            "{facility} ({facility_id}), {sector}, {province}. This report shows what "
            "the facility reported for {year}, how it compares with facilities of its "
            "sector, what validation found, and what to improve next year."
        ),
        "facility.none": (
            "{facility_id} has no accepted report for {year} in the register."
        ),
        "facility.unknown": (
            "{facility_id} is not in the register. Check the identifier."
        ),
        "facility.public_note": (
            "Values a facility claims confidential are not shown in a public report."
        ),
        "facility.reported.heading": "What the facility reported",
        "facility.reported.text": (
            "{releases} release {releases@value|values} and {transfers} off-site "
            "{transfers@transfer|transfers}, from "
            "revision {revision} of the report."
        ),
        "facility.reported.text.none": (
            "The report holds no release and no off-site transfer."
        ),
        "facility.releases.table": "Releases reported for {year}",
        "facility.transfers.table": "Off-site transfers reported for {year}",
        "facility.activities.table": "Activities reported for {year}",
        "column.activity": "Activity",
        "column.previous_year": "{previous}",
        "facility.compare.heading": "Compared with its sector",
        "facility.compare.text": (
            "Each release divided by the facility's {activity} ({unit}), against the "
            "same ratio at the other facilities of {sector} that reported it."
        ),
        "facility.compare.text.none": (
            "No other facility of {sector} reported the same activity and substance "
            "for {year}, so there is nothing to compare with yet."
        ),
        "facility.compare.text.noactivity": (
            "The report gives no activity quantity, so releases cannot be compared per "
            "unit of activity."
        ),
        "facility.compare.table": "Release per unit of activity, {year}",
        "column.intensity": "This facility",
        "column.peer_median": "Sector median",
        "column.peer_range": "Sector range",
        "column.peers": "Other facilities",
        "column.per_unit": "{unit} per {activity_unit}",
        "facility.findings.heading": "What validation found",
        "facility.findings.text": (
            "Validation of the stored report found {critical} critical "
            "{critical@error|errors}, {possible} possible {possible@error|errors} and "
            "{alert} data-quality {alert@alert|alerts}."
        ),
        "facility.findings.text.none": (
            "Validation of the stored report found nothing to correct."
        ),
        "facility.findings.table": "Validation findings, {year}",
        "column.tier": "Tier",
        "column.code": "Code",
        "column.where": "Where",
        "column.finding": "Finding",
        "column.fix": "How to fix it",
        "facility.improve.heading": "What to improve next year",
        "facility.improve.none": (
            "Nothing stands out: keep reporting the same way, and measure where you "
            "can."
        ),
        "improve.finding": "{title}: {hint}",
        "improve.estimated": (
            "{count} of your {total} release {total@value|values} are estimated. "
            "Measuring or calculating the largest of them ({substances}) would make "
            "them more reliable."
        ),
        "improve.missing": (
            "You reported {substances} for {previous} but not for {year}. Report them, "
            "or say why they stopped."
        ),
        "improve.no_activity": (
            "Report your activity quantities (fuel burned, production), so that your "
            "releases can be checked and compared with your sector."
        ),
        "improve.far_from_sector": (
            "Your {substance} to {medium} per unit of activity is {ratio} times the "
            "sector median: check the quantity and its unit."
        ),
        "chart.facility.title": "{facility}: releases {previous} and {year} ({unit})",
        "chart.facility.axis": "Release ({unit} per year)",
        "chart.facility.alt": (
            "Bar chart of the releases in {unit} of {count} "
            "{count@substance|substances} reported by "
            "{facility} in {previous} and {year}."
        ),
    },
}

#: The languages the reports can be written in.
LANGUAGES = tuple(TEMPLATES)


def _templates(language: str) -> Mapping[str, str]:
    try:
        return TEMPLATES[language]
    except KeyError:
        raise ValueError(
            f"language {language!r} is not available; choose one of "
            f"{', '.join(LANGUAGES)}."
        ) from None


def text(key: str, language: str = "en", **values: Any) -> str:
    """Return the text of ``key`` in ``language``, filled with ``values``.

    Args:
        key: a key of :data:`TEMPLATES`, e.g. ``"mercury.heading"``.
        language: ``"en"``.
        **values: what the template's ``{placeholders}`` take.

    Returns:
        The text.

    Raises:
        ValueError: if the language is not available.
        KeyError: if the key is not a template, or a placeholder has no value.
    """
    return _PluralFormatter().format(_templates(language)[key], **values)


class _PluralFormatter(string.Formatter):
    """Reads ``{name@singular|plural}``: the singular when ``name`` is one."""

    def get_field(
        self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> tuple[Any, str]:
        if "@" not in field_name:
            return super().get_field(field_name, args, kwargs)
        name, forms = field_name.split("@", 1)
        singular, _, plural = forms.partition("|")
        return (singular if _is_one(kwargs[name]) else plural), field_name


def _is_one(value: Any) -> bool:
    try:
        return float(str(value).replace(",", "").strip()) == 1
    except ValueError:
        return False


def _style(language: str) -> NumberStyle:
    _templates(language)
    return NUMBER_STYLES[language]


def _localise(written: str, style: NumberStyle) -> str:
    table = {",": style.thousands, ".": style.decimal}
    table.update({str(digit): style.digits[digit] for digit in range(10)})
    return "".join(table.get(character, character) for character in written)


def format_number(value: float | None, language: str = "en") -> str:
    """Write a quantity as a report does: few digits, thousands grouped.

    From 100 up: whole numbers (12,345); from 1: one decimal (12.3); below 1: three
    significant digits (0.00412); zero as 0. A missing value is an en dash.

    Args:
        value: the number, or None / NaN when missing.
        language: ``"en"``.

    Returns:
        The number as text.
    """
    style = _style(language)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value == 0:
        return _localise("0", style)
    size = abs(value)
    if size >= 100:
        written = f"{value:,.0f}"
    elif size >= 1:
        written = f"{value:,.1f}"
    else:
        written = f"{value:.3g}"
        if "e" in written:
            written = f"{value:.{max(3, 2 - math.floor(math.log10(size)))}f}"
    return _localise(written, style)


def format_percent(share: float | None, language: str = "en") -> str:
    """Write a share (0.64) as a percentage ("64 %"); below 1 % as "<1 %".

    Args:
        share: a fraction between 0 and 1, or None / NaN when missing.
        language: ``"en"``.

    Returns:
        The percentage as text.
    """
    style = _style(language)
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    percent = share * 100
    if 0 < percent < 1:
        value = "<1"
    elif 99 < percent < 100:
        value = ">99"
    else:
        value = f"{percent:.0f}"
    return style.percent.format(value=_localise(value, style))


def format_quantity(value: float | None, unit: str, language: str = "en") -> str:
    """Write a quantity with its unit: "12.3 kg", "0.0041 g TEQ".

    Args:
        value: the number, or None / NaN when missing.
        unit: the reporting unit (``kg``, ``g TEQ``).
        language: ``"en"``.

    Returns:
        The quantity as text.
    """
    templates = _templates(language)
    unit_text = templates.get(f"unit.{unit}", unit)
    return f"{format_number(value, language)} {unit_text}"


def join_words(words: list[str], language: str = "en") -> str:
    """Join words as a sentence does: "a", "a and b", "a, b and c"."""
    if not words:
        return text("none", language)
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {text('and', language)} {words[-1]}"


def medium_name(medium: str, language: str = "en") -> str:
    """Return the name of a medium (air, water, land, all media)."""
    return _templates(language).get(f"medium.{medium}", medium)


def method_name(method: str, language: str = "en") -> str:
    """Return the name of a method code (M, C, E), or "not stated"."""
    return _templates(language).get(f"method.{method}", text("method.?", language))


def tier_name(tier: str, language: str = "en") -> str:
    """Return the name of a finding's tier."""
    return _templates(language).get(f"tier.{tier}", tier)


def say_coverage(
    reported: int, expected: int, year: int, empty_reports: int, language: str = "en"
) -> str:
    """Return the sentences that open the coverage section.

    Args:
        reported: facilities with a current report for ``year``.
        expected: facilities known to the register.
        year: the reporting year.
        empty_reports: reports without any release or transfer.
        language: ``"en"``.

    Returns:
        One or two sentences.
    """
    if expected == 0:
        return text("coverage.text.empty", language)
    if reported == 0:
        return text("coverage.text.none", language, year=year, expected=expected)
    sentence = text(
        "coverage.text",
        language,
        reported=reported,
        expected=expected,
        year=year,
        share=format_percent(reported / expected, language),
    )
    if empty_reports:
        sentence += " " + text(
            "coverage.text.empty_reports", language, count=empty_reports
        )
    return sentence


def say_substance_total(
    key: str,
    *,
    total: float,
    unit: str,
    year: int,
    medium: str,
    top_sector: str,
    top_share: float,
    language: str = "en",
) -> str:
    """Return "Mercury releases to air totalled 12.3 kg in 2025, 64 % of them from
    gold mining", or the sentence for no release.

    Args:
        key: the template family, e.g. ``"mercury"`` (uses ``mercury.text``,
            ``mercury.text.single`` and ``mercury.text.none``).
        total: the total, in ``unit``.
        unit: the reporting unit.
        year: the reporting year.
        medium: the medium, or ``"all media"``.
        top_sector: the sector with the largest share.
        top_share: that share, 0 to 1.
        language: ``"en"``.

    Returns:
        One sentence.
    """
    if not total:
        return text(f"{key}.text.none", language, year=year)
    values = {
        "medium": medium_name(medium, language),
        "total": format_quantity(total, unit, language),
        "year": year,
        "sector": top_sector.lower() if language == "en" else top_sector,
        "share": format_percent(top_share, language),
    }
    template = f"{key}.text.single" if top_share >= 0.995 else f"{key}.text"
    return text(template, language, **values)


def say_change(
    name: str,
    previous_total: float,
    total: float,
    unit: str,
    language: str = "en",
) -> str:
    """Return one sentence on how a substance's total changed from last year.

    Args:
        name: the substance's name.
        previous_total: last year's total (0 when not reported).
        total: this year's total (0 when not reported).
        unit: the reporting unit.
        language: ``"en"``.

    Returns:
        One sentence.
    """
    values = {
        "name": name,
        "previous_total": format_quantity(previous_total, unit, language),
        "total": format_quantity(total, unit, language),
    }
    if previous_total == 0 and total == 0:
        return text("change.same", language, **values)
    if previous_total == 0:
        return text("change.new", language, **values)
    if total == 0:
        return text("change.gone", language, **values)
    change = (total - previous_total) / previous_total
    sign = "+" if change > 0 else "−"
    values["change"] = sign + format_percent(abs(change), language)
    if abs(change) < 0.005:
        return text("change.same", language, **values)
    return text("change.up" if change > 0 else "change.down", language, **values)
