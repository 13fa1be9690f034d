"""Turn the numbers of :mod:`prtr.reportdata` into the HTML the report notebooks show.

Each ``*_section`` function takes what a reportdata function returned and gives one
section of a report as an HTML string: a heading, the sentences written from the
numbers, a table readable in print (rounded, thousands grouped, units in the headers)
and, where it helps, a chart embedded as a PNG with its title and alt text. Words come
from :mod:`prtr.reporttext` only.

Output is deterministic: rows are sorted by the data functions, charts use fixed
colours and sizes, and PNG files carry no software version or date.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from prtr import reportdata
from prtr.reporttext import (
    format_number,
    format_percent,
    format_quantity,
    join_words,
    medium_name,
    method_name,
    say_change,
    say_coverage,
    say_substance_total,
    text,
    tier_name,
)

__all__ = [
    "MEDIUM_COLOURS",
    "banner",
    "change_section",
    "claimed_note",
    "coverage_section",
    "facility_compare_section",
    "facility_findings_section",
    "facility_improve_section",
    "facility_intro",
    "facility_reported_section",
    "figure",
    "heading",
    "largest_sources_section",
    "mercury_section",
    "methods_section",
    "paragraph",
    "pops_section",
    "report_header",
    "show",
    "table",
    "totals_section",
    "transfers_section",
    "where_section",
]

#: One fixed colour per medium, distinguishable in grey print too.
MEDIUM_COLOURS = {"air": "#4a78b5", "water": "#8cc5e3", "land": "#a0522d"}
_METHOD_COLOURS = {"M": "#2e7d32", "C": "#9ccc65", "E": "#f9a825", "?": "#bdbdbd"}
_STYLE = (
    "<style>.prtr-report table{border-collapse:collapse;margin:0.5em 0 1em;"
    "font-size:0.9em}.prtr-report th,.prtr-report td{border-bottom:1px solid #ccc;"
    "padding:0.2em 0.6em;text-align:left}.prtr-report td.number,.prtr-report th.number"
    "{text-align:right}.prtr-report caption{font-weight:bold;text-align:left;"
    "caption-side:top}.prtr-banner{border:2px solid #c00000;padding:0.5em;"
    "font-weight:bold}.prtr-report figure{margin:0.5em 0}"
    ".prtr-report img{max-width:100%}</style>"
)


# --- Building blocks ---


def show(*parts: str) -> None:
    """Display HTML parts in the notebook, as one output."""
    from IPython.display import HTML, display

    display(HTML(f'<div class="prtr-report">{"".join(parts)}</div>'))


def heading(words: str, level: int = 2) -> str:
    """Return an HTML heading."""
    return f"<h{level}>{html.escape(words)}</h{level}>"


def paragraph(*sentences: str) -> str:
    """Return the sentences as one HTML paragraph (empty ones dropped)."""
    kept = [html.escape(sentence) for sentence in sentences if sentence]
    return f"<p>{' '.join(kept)}</p>" if kept else ""


def banner(*sentences: str) -> str:
    """Return a framed notice (synthetic data, restricted edition), with the report's
    style sheet."""
    kept = " ".join(html.escape(sentence) for sentence in sentences if sentence)
    return f'{_STYLE}<p class="prtr-banner">{kept}</p>'


def table(
    frame: pd.DataFrame,
    caption: str,
    numeric: Sequence[str] = (),
) -> str:
    """Return a table as HTML, every cell already written as text.

    Args:
        frame: the table, its column names the headers to show.
        caption: the table's title.
        numeric: the columns to align right.

    Returns:
        The HTML table.
    """

    def cell(tag: str, value: Any, column: str) -> str:
        kind = ' class="number"' if column in numeric else ""
        return f"<{tag}{kind}>{html.escape(str(value))}</{tag}>"

    head = "".join(cell("th", column, column) for column in frame.columns)
    body = "".join(
        "<tr>"
        + "".join(
            cell("td", value, column)
            for column, value in zip(frame.columns, row, strict=True)
        )
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr>"
        f"</thead><tbody>{body}</tbody></table>"
    )


def figure(chart: Any, title: str, alt: str, language: str = "en") -> str:
    """Return a matplotlib figure as an embedded PNG with its title and alt text.

    Args:
        chart: the matplotlib figure; it is closed.
        title: shown under the image.
        alt: what the chart shows, for readers who cannot see it.
        language: ``"en"``.

    Returns:
        An HTML ``<figure>``.
    """
    buffer = io.BytesIO()
    chart.savefig(
        buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None}
    )
    plt.close(chart)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{encoded}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(text('figure.prefix', language) + title)}"
        "</figcaption></figure>"
    )


def _numbers(values: pd.Series, language: str) -> pd.Series:
    return values.map(lambda value: format_number(_float(value), language))


def _float(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _name(row: Any, language: str) -> str:
    """A substance's name in a table; a confidential sum says how many it sums."""
    if getattr(row, "confidential", False):
        return text(
            "confidential.sum", language, name=row.substance_name, count=row.facilities
        )
    return str(row.substance_name)


def _claim_mark(name: str, claimed: bool) -> str:
    return f"{name} *" if claimed else name


def report_header(
    snapshot: reportdata.Snapshot,
    subtitle: str,
    generated: str = "",
    language: str = "en",
) -> str:
    """The top of a report: its subtitle, the edition, the synthetic-data notice and
    the generation stamp (only the one given: reports carry no clock time of their
    own, so that the same register gives the same report).

    Args:
        snapshot: the register's data for the year.
        subtitle: e.g. the reporting year, or the facility and year.
        generated: the stamp to show, e.g. ``"2026-03-31"``; nothing when empty.
        language: ``"en"``.

    Returns:
        The HTML header.
    """
    notices = [text(f"audience.{snapshot.audience}", language)]
    total = len(snapshot.facilities)
    synthetic = snapshot.synthetic_count
    if total and synthetic == total:
        notices.insert(0, text("synthetic.all", language))
    elif synthetic:
        notices.insert(
            0, text("synthetic.some", language, count=synthetic, total=total)
        )
    parts = [banner(*notices), heading(subtitle, 2)]
    if generated:
        parts.append(paragraph(text("report.generated", language, generated=generated)))
    return "".join(parts)


def claimed_note(frame: pd.DataFrame, language: str = "en") -> str:
    """The footnote for rows marked * (claimed confidential), when any is shown."""
    if "claimed" in frame.columns and frame["claimed"].astype(bool).any():
        return paragraph(text("claimed.note", language))
    return ""


# --- National report ---


def coverage_section(
    result: reportdata.Coverage, year: int, language: str = "en"
) -> str:
    """The section "Who reported"."""

    def counts(frame: pd.DataFrame, column: str, key: str) -> str:
        shown = pd.DataFrame(
            {
                text(f"column.{column}", language): frame[column],
                text("column.expected", language): frame["expected"],
                text("column.reported", language): frame["reported"],
                text("column.share_reported", language): frame["share"].map(
                    lambda share: format_percent(share, language)
                ),
            }
        )
        return table(
            shown, text(key, language, year=year), numeric=list(shown.columns[1:])
        )

    parts = [
        heading(text("coverage.heading", language)),
        paragraph(
            say_coverage(
                result.reported, result.expected, year, result.empty_reports, language
            ),
            text("coverage.expected_note", language),
        ),
    ]
    if result.expected:
        parts.append(counts(result.by_sector, "sector", "coverage.table.sector"))
        parts.append(counts(result.by_province, "province", "coverage.table.province"))
    return "".join(parts)


def _totals_table(frame: pd.DataFrame, caption: str, language: str) -> str:
    shown = pd.DataFrame(
        {
            text("column.substance", language): [
                _name(row, language) for row in frame.itertuples(index=False)
            ],
            text("column.unit", language): frame["unit"],
            **{
                text(f"column.{medium}", language): _numbers(frame[medium], language)
                for medium in reportdata.MEDIA
            },
            text("column.total", language): _numbers(frame["total"], language),
            text("column.range", language): [
                f"{format_number(low, language)}–{format_number(high, language)}"
                for low, high in zip(frame["low"], frame["high"], strict=True)
            ],
        }
    )
    return table(shown, caption, numeric=list(shown.columns[2:]))


def _bar_chart(frame: pd.DataFrame, labels: list[str], axis_label: str) -> Any:
    """Horizontal bars per row, one per medium; a logarithmic axis when the values
    span more than three orders of magnitude."""
    chart, axes = plt.subplots(figsize=(7, 0.45 * len(frame) + 1.2))
    height = 0.8 / len(reportdata.MEDIA)
    positions = range(len(frame))
    for index, medium in enumerate(reportdata.MEDIA):
        axes.barh(
            [position + index * height for position in positions],
            frame[medium].fillna(0.0),
            height=height,
            color=MEDIUM_COLOURS[medium],
            label=medium_name(medium),
        )
    axes.set_yticks([position + height for position in positions])
    axes.set_yticklabels(labels)
    axes.invert_yaxis()
    values = frame[list(reportdata.MEDIA)].to_numpy().ravel()
    positive = values[(values > 0) & ~pd.isna(values)]
    if len(positive) and positive.max() / positive.min() > 1000:
        axes.set_xscale("log")
    else:
        _group_thousands(axes)
    axes.set_xlabel(axis_label)
    axes.legend(loc="lower right", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return chart


def totals_section(
    frame: pd.DataFrame,
    year: int,
    language: str = "en",
    withheld: Sequence[str] = (),
) -> str:
    """The section "Releases by substance and medium".

    Args:
        frame: from :func:`prtr.reportdata.totals`.
        year: the reporting year.
        language: ``"en"``.
        withheld: units in which claimed values were withheld altogether
            (:func:`prtr.reportdata.withheld_units`).

    Returns:
        The HTML section.
    """
    parts = [heading(text("totals.heading", language))]
    named = frame[~frame["confidential"].astype(bool)] if len(frame) else frame
    if frame.empty:
        return "".join(
            [*parts, paragraph(text("totals.text.none", language, year=year))]
        )
    in_kg = named[named["unit"] == "kg"].sort_values("total", ascending=False)
    top = in_kg.iloc[0] if len(in_kg) else named.sort_values("total").iloc[-1]
    parts.append(
        paragraph(
            text(
                "totals.text",
                language,
                substances=named["key"].nunique(),
                year=year,
                top=top["substance_name"],
                top_total=format_quantity(top["total"], top["unit"], language),
            ),
            text("totals.range_note", language),
            *(text("confidential.withheld", language, unit=unit) for unit in withheld),
        )
    )
    parts.append(
        _totals_table(frame, text("totals.table", language, year=year), language)
    )
    for unit in sorted(set(named["unit"]), key=lambda unit: (unit != "kg", unit)):
        mine = named[named["unit"] == unit].sort_values(
            ["total", "substance_name"], ascending=[False, True]
        )
        chart = _bar_chart(
            mine,
            list(mine["substance_name"].map(_short)),
            text("chart.totals.axis", language, unit=unit),
        )
        parts.append(
            figure(
                chart,
                text("chart.totals.title", language, year=year, unit=unit),
                text(
                    "chart.totals.alt",
                    language,
                    unit=unit,
                    count=len(mine),
                    year=year,
                    top=mine["substance_name"].iloc[0],
                    top_total=format_quantity(mine["total"].iloc[0], unit, language),
                ),
                language,
            )
        )
    return "".join(parts)


def _group_thousands(axes: Any, language: str = "en") -> None:
    """Write the x axis's numbers as the tables do (12,345)."""
    from matplotlib.ticker import FuncFormatter

    axes.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _position: format_number(value, language))
    )


def _short(name: str, width: int = 32) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def pops_section(frame: pd.DataFrame, year: int, language: str = "en") -> str:
    """The section on persistent organic pollutants."""
    parts = [heading(text("pops.heading", language))]
    named = frame[~frame["confidential"].astype(bool)] if len(frame) else frame
    hidden = frame[frame["confidential"].astype(bool)] if len(frame) else frame
    if frame.empty:
        return "".join([*parts, paragraph(text("pops.text.none", language, year=year))])
    sentences = []
    dioxins = named[named["key"] == "pcdd_pcdf"]
    if len(dioxins):
        row = dioxins.iloc[0]
        sentences.append(
            text(
                "pops.text.dioxins",
                language,
                total=format_quantity(row["total"], row["unit"], language),
                year=year,
                share=format_percent(
                    (_float(row["air"]) or 0.0) / row["total"]
                    if row["total"]
                    else None,
                    language,
                ),
                facilities=row["facilities"],
            )
        )
    else:
        sentences.append(text("pops.text.dioxins.none", language, year=year))
    for row in named[named["key"] != "pcdd_pcdf"].itertuples(index=False):
        sentences.append(
            text(
                "pops.text.other",
                language,
                name=row.substance_name,
                total=format_quantity(row.total, row.unit, language),
                facilities=row.facilities,
            )
        )
    for row in hidden.itertuples(index=False):
        sentences.append(
            text(
                "pops.text.confidential",
                language,
                total=format_quantity(row.total, row.unit, language),
            )
        )
    parts.append(paragraph(*sentences, text("pops.note", language)))
    parts.append(
        _totals_table(frame, text("pops.table", language, year=year), language)
    )
    return "".join(parts)


def mercury_section(result: dict[str, Any], year: int, language: str = "en") -> str:
    """The section on mercury."""
    parts = [heading(text("mercury.heading", language))]
    sentences = [
        say_substance_total(
            "mercury",
            total=item["total"],
            unit=item["unit"],
            year=year,
            medium=item["medium"],
            top_sector=item["top_sector"],
            top_share=item["top_share"],
            language=language,
        )
        for item in result["media"]
    ] or [text("mercury.text.none", language, year=year)]
    if result["confidential_heavy_metals"] > 0:
        sentences.append(
            text(
                "mercury.confidential",
                language,
                total=format_quantity(
                    result["confidential_heavy_metals"], "kg", language
                ),
            )
        )
    parts.append(paragraph(*sentences))
    by_sector = result["by_sector"]
    if len(by_sector):
        shown = pd.DataFrame(
            {
                text("column.sector", language): by_sector["sector"],
                **{
                    text(f"column.{medium}", language): _numbers(
                        by_sector[medium], language
                    )
                    for medium in reportdata.MEDIA
                },
                text("column.total", language): _numbers(by_sector["total"], language),
            }
        )
        parts.append(
            table(
                shown,
                text("mercury.table", language, year=year),
                numeric=list(shown.columns[1:]),
            )
        )
    return "".join(parts)


def largest_sources_section(
    frame: pd.DataFrame, year: int, language: str = "en"
) -> str:
    """The section on the largest sources."""
    parts = [heading(text("sources.heading", language))]
    if frame.empty:
        return "".join(
            [*parts, paragraph(text("sources.text.none", language, year=year))]
        )
    parts.append(paragraph(text("sources.text", language)))
    shown = pd.DataFrame(
        {
            text("column.substance", language): frame["substance_name"],
            text("column.rank", language): frame["rank"],
            text("column.facility", language): [
                _claim_mark(f"{name} ({identifier})", claimed)
                for name, identifier, claimed in zip(
                    frame["facility_name"],
                    frame["facility_id"],
                    frame["claimed"],
                    strict=True,
                )
            ],
            text("column.sector", language): frame["sector"],
            text("column.province", language): frame["province"],
            text("column.release", language): [
                format_quantity(quantity, unit, language)
                for quantity, unit in zip(frame["quantity"], frame["unit"], strict=True)
            ],
            text("column.share_national", language): frame["share"].map(
                lambda share: format_percent(_float(share), language)
            ),
        }
    )
    parts.append(
        table(
            shown,
            text("sources.table", language, year=year),
            numeric=list(shown.columns[[1, 5, 6]]),
        )
    )
    return "".join(parts)


def transfers_section(frame: pd.DataFrame, year: int, language: str = "en") -> str:
    """The section on off-site transfers."""
    parts = [heading(text("transfers.heading", language))]
    if frame.empty:
        return "".join(
            [*parts, paragraph(text("transfers.text.none", language, year=year))]
        )
    in_kg = frame[frame["unit"] == "kg"]
    parts.append(
        paragraph(
            text(
                "transfers.text",
                language,
                facilities=int(frame["facilities"].max()),
                count=len(frame),
                year=year,
                disposal=format_quantity(
                    in_kg.loc[in_kg["treatment"] == "D", "quantity"].sum(),
                    "kg",
                    language,
                ),
                recovery=format_quantity(
                    in_kg.loc[in_kg["treatment"] == "R", "quantity"].sum(),
                    "kg",
                    language,
                ),
            )
        )
    )
    shown = pd.DataFrame(
        {
            text("column.substance", language): frame["substance_name"],
            text("column.treatment", language): frame["treatment"].map(
                lambda code: text(f"treatment.{code}", language)
            ),
            text("column.quantity", language): [
                format_quantity(quantity, unit, language)
                for quantity, unit in zip(frame["quantity"], frame["unit"], strict=True)
            ],
            text("column.facilities", language): frame["facilities"],
        }
    )
    parts.append(
        table(
            shown,
            text("transfers.table", language, year=year),
            numeric=list(shown.columns[2:]),
        )
    )
    return "".join(parts)


def methods_section(frame: pd.DataFrame, year: int, language: str = "en") -> str:
    """The section on how the quantities were obtained."""
    parts = [heading(text("methods.heading", language))]
    uncertainty = {
        f"{name}_u": format_percent(
            reportdata.METHOD_RELATIVE_UNCERTAINTY[code], language
        )
        for code, name in (("M", "measured"), ("C", "calculated"), ("E", "estimated"))
    }
    count = int(frame["values"].sum())
    if count == 0:
        parts.append(paragraph(text("methods.text.none", language, year=year)))
        parts.append(paragraph(text("methods.meaning", language)))
        return "".join(parts)
    share = dict(zip(frame["method"], frame["share_values"], strict=True))
    parts.append(
        paragraph(
            text(
                "methods.text",
                language,
                count=count,
                year=year,
                measured=format_percent(share.get("M", 0.0), language),
                calculated=format_percent(share.get("C", 0.0), language),
                estimated=format_percent(share.get("E", 0.0), language),
            ),
            text("methods.meaning", language),
            text("methods.assumption", language, **uncertainty),
        )
    )
    shown = pd.DataFrame(
        {
            text("column.method", language): frame["method"].map(
                lambda code: f"{code} ({method_name(code, language)})"
            ),
            text("column.values", language): frame["values"],
            text("column.share_values", language): frame["share_values"].map(
                lambda value: format_percent(_float(value), language)
            ),
            text("column.share_kg", language): frame["share_kg"].map(
                lambda value: format_percent(_float(value), language)
            ),
        }
    )
    parts.append(
        table(
            shown,
            text("methods.table", language, year=year),
            numeric=list(shown.columns[1:]),
        )
    )
    chart, axes = plt.subplots(figsize=(6, 2.2))
    labels = [method_name(code, language) for code in frame["method"]]
    axes.bar(
        labels,
        frame["share_values"] * 100,
        color=[_METHOD_COLOURS[code] for code in frame["method"]],
    )
    axes.set_ylabel(text("chart.methods.axis", language))
    axes.set_ylim(0, 100)
    axes.spines[["top", "right"]].set_visible(False)
    described = join_words(
        [
            f"{label} {format_percent(value, language)}"
            for label, value in zip(labels, frame["share_values"], strict=True)
        ],
        language,
    )
    parts.append(
        figure(
            chart,
            text("chart.methods.title", language, year=year),
            text(
                "chart.methods.alt", language, count=count, year=year, parts=described
            ),
            language,
        )
    )
    return "".join(parts)


def change_section(
    frame: pd.DataFrame | None,
    year: int,
    reported_both: int,
    language: str = "en",
) -> str:
    """The section on the change against the year before."""
    previous = year - 1
    parts = [heading(text("change.heading", language, previous=previous))]
    if frame is None:
        return "".join(
            [
                *parts,
                paragraph(
                    text("change.text.none", language, previous=previous, year=year)
                ),
            ]
        )
    sentences = [
        text(
            "change.text",
            language,
            reported_both=reported_both,
            previous=previous,
            year=year,
        )
    ]
    sentences += [
        say_change(row.substance_name, row.previous, row.current, row.unit, language)
        for row in frame.itertuples(index=False)
    ]
    parts.append(paragraph(*sentences))
    shown = pd.DataFrame(
        {
            text("column.substance", language): frame["substance_name"],
            text("column.unit", language): frame["unit"],
            text("column.previous", language, previous=previous): _numbers(
                frame["previous"], language
            ),
            text("column.current", language, year=year): _numbers(
                frame["current"], language
            ),
            text("column.change", language): frame["change"].map(
                lambda change: (
                    "–"
                    if _float(change) is None
                    else ("+" if change >= 0 else "−")
                    + format_percent(abs(change), language)
                )
            ),
        }
    )
    parts.append(
        table(
            shown,
            text("change.table", language, previous=previous, year=year),
            numeric=list(shown.columns[2:]),
        )
    )
    return "".join(parts)


def where_section(
    by_province: pd.DataFrame,
    substance_ids: list[str],
    points: pd.DataFrame,
    map_substance: str | None,
    names: dict[str, tuple[str, str]],
    year: int,
    language: str = "en",
) -> str:
    """The section "Where the releases are": a table by province and a map.

    Args:
        by_province: from :func:`prtr.reportdata.where`.
        substance_ids: its substance columns.
        points: from :func:`prtr.reportdata.map_points`.
        map_substance: the substance the map's circles show.
        names: substance id -> (name, unit).
        year: the reporting year.
        language: ``"en"``.

    Returns:
        The HTML section.
    """
    parts = [heading(text("where.heading", language))]
    if by_province.empty or map_substance is None:
        return "".join(
            [*parts, paragraph(text("where.text.none", language, year=year))]
        )
    ranked = by_province.sort_values(
        ["facilities", "province"], ascending=[False, True]
    )
    parts.append(
        paragraph(
            text(
                "where.text" if len(by_province) > 1 else "where.text.one",
                language,
                provinces=len(by_province),
                year=year,
                top_province=ranked["province"].iloc[0],
                top_count=int(ranked["facilities"].iloc[0]),
            )
        )
    )
    shown = pd.DataFrame(
        {
            text("column.province", language): by_province["province"],
            text("column.facilities_reporting", language): by_province["facilities"],
            **{
                f"{names[key][0]} ({names[key][1]})": _numbers(
                    by_province[key], language
                )
                for key in substance_ids
            },
        }
    )
    parts.append(
        table(
            shown,
            text("where.table", language, year=year),
            numeric=list(shown.columns[1:]),
        )
    )

    name, unit = names[map_substance]
    chart, axes = plt.subplots(figsize=(6.5, 5.5))
    releasing = points[points["quantity"] > 0]
    others = points[points["quantity"] <= 0]
    axes.scatter(
        others["longitude"],
        others["latitude"],
        s=12,
        color="#9e9e9e",
        label=text("chart.map.others", language, substance=name),
    )
    largest = releasing["quantity"].max() if len(releasing) else 0.0
    axes.scatter(
        releasing["longitude"],
        releasing["latitude"],
        s=30 + 600 * releasing["quantity"] / largest if largest else 30,
        color=MEDIUM_COLOURS["air"],
        alpha=0.6,
        edgecolor="black",
        linewidth=0.5,
        label=text("chart.map.releasing", language, substance=name),
    )
    for province, places in points.groupby("province", sort=True):
        axes.annotate(
            province,
            (places["longitude"].mean(), places["latitude"].mean()),
            fontsize=7,
            xytext=(6, 6),
            textcoords="offset points",
        )
    axes.set_xlim(102.0, 108.0)
    axes.set_ylim(9.5, 15.0)
    axes.set_aspect("equal")
    axes.set_xlabel(text("chart.map.xaxis", language))
    axes.set_ylabel(text("chart.map.yaxis", language))
    axes.set_title(text("chart.map.subtitle", language, substance=name, unit=unit))
    axes.grid(color="#dddddd", linewidth=0.5)
    axes.legend(loc="upper right", fontsize=8, frameon=False)
    counted = releasing.groupby("province")["facility_id"].size()
    top = sorted(counted.index, key=lambda key: (-counted[key], key))[0]
    parts.append(
        figure(
            chart,
            text("chart.map.title", language, year=year),
            text(
                "chart.map.alt",
                language,
                count=len(points),
                releasing=len(releasing),
                substance=name,
                top_province=top,
            ),
            language,
        )
    )
    parts.append(paragraph(text("chart.map.note", language)))
    return "".join(parts)


# --- Facility report ---


def facility_intro(
    profile: dict[str, Any] | None, facility_id: str, year: int, language: str = "en"
) -> str:
    """The opening paragraph of a facility report."""
    if profile is None:
        return paragraph(text("facility.unknown", language, facility_id=facility_id))
    opening = text(
        "facility.intro",
        language,
        facility=profile["name"],
        facility_id=facility_id,
        sector=profile["sector"],
        province=profile["province"],
        year=year,
    )
    if not profile["reported"]:
        return paragraph(
            opening, text("facility.none", language, facility_id=facility_id, year=year)
        )
    return paragraph(opening)


def facility_reported_section(
    releases: pd.DataFrame,
    transfers: pd.DataFrame,
    activities: pd.DataFrame,
    profile: dict[str, Any],
    year: int,
    audience: str,
    language: str = "en",
) -> str:
    """The section "What the facility reported"."""
    previous = year - 1
    current = releases[releases["quantity"].notna()]
    parts = [heading(text("facility.reported.heading", language))]
    if current.empty and transfers.empty:
        sentences = [text("facility.reported.text.none", language)]
    else:
        sentences = [
            text(
                "facility.reported.text",
                language,
                releases=len(current),
                transfers=len(transfers),
                revision=profile["revision"],
            )
        ]
    if audience == "public":
        sentences.append(text("facility.public_note", language))
    parts.append(paragraph(*sentences))

    if len(releases):
        shown = pd.DataFrame(
            {
                text("column.substance", language): [
                    _claim_mark(name, claimed)
                    for name, claimed in zip(
                        releases["substance_name"], releases["claimed"], strict=True
                    )
                ],
                text("column.medium", language): releases["medium"].map(
                    lambda item: medium_name(item, language)
                ),
                text("column.unit", language): releases["unit"],
                text("column.method", language): releases["method"].map(
                    lambda code: method_name(code, language) if code else "–"
                ),
                text("column.previous_year", language, previous=previous): _numbers(
                    releases["previous"], language
                ),
                text("column.current", language, year=year): _numbers(
                    releases["quantity"], language
                ),
            }
        )
        parts.append(
            table(
                shown,
                text("facility.releases.table", language, year=year),
                numeric=list(shown.columns[4:]),
            )
        )
        parts.append(_facility_chart(releases, profile["name"], year, language))
    if len(transfers):
        shown = pd.DataFrame(
            {
                text("column.substance", language): [
                    _claim_mark(name or waste, claimed)
                    for name, waste, claimed in zip(
                        transfers["substance_name"].fillna(""),
                        transfers["waste_description"].fillna(""),
                        transfers["claimed"],
                        strict=True,
                    )
                ],
                text("column.quantity", language): [
                    format_quantity(quantity, unit, language)
                    for quantity, unit in zip(
                        transfers["quantity"], transfers["unit"], strict=True
                    )
                ],
                text("column.treatment", language): transfers["treatment_code"],
            }
        )
        parts.append(
            table(
                shown,
                text("facility.transfers.table", language, year=year),
                numeric=[text("column.quantity", language)],
            )
        )
    if len(activities):
        shown = pd.DataFrame(
            {
                text("column.activity", language): activities["activity"],
                text("column.quantity", language): [
                    f"{format_number(quantity, language)} {unit}"
                    for quantity, unit in zip(
                        activities["quantity"], activities["unit"], strict=True
                    )
                ],
            }
        )
        parts.append(
            table(
                shown,
                text("facility.activities.table", language, year=year),
                numeric=[text("column.quantity", language)],
            )
        )
    return "".join(parts)


def _facility_chart(
    releases: pd.DataFrame, facility: str, year: int, language: str
) -> str:
    previous = year - 1
    in_kg = releases[releases["unit"] == "kg"]
    totals = (
        in_kg.groupby("substance_name", sort=True)[["previous", "quantity"]]
        .sum(min_count=1)
        .fillna(0.0)
    )
    if totals.empty:
        return ""
    chart, axes = plt.subplots(figsize=(6.5, 0.5 * len(totals) + 1.2))
    positions = range(len(totals))
    axes.barh(
        [position + 0.4 for position in positions],
        totals["previous"],
        height=0.4,
        color="#bdbdbd",
        label=str(previous),
    )
    axes.barh(
        list(positions),
        totals["quantity"],
        height=0.4,
        color=MEDIUM_COLOURS["air"],
        label=str(year),
    )
    axes.set_yticks([position + 0.2 for position in positions])
    axes.set_yticklabels([_short(name) for name in totals.index])
    axes.invert_yaxis()
    axes.set_xlabel(text("chart.facility.axis", language, unit="kg"))
    axes.legend(loc="lower right", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    values = totals.to_numpy().ravel()
    positive = values[values > 0]
    if len(positive) and positive.max() / positive.min() > 1000:
        axes.set_xscale("log")
    else:
        _group_thousands(axes)
    return figure(
        chart,
        text(
            "chart.facility.title",
            language,
            facility=facility,
            previous=previous,
            year=year,
            unit="kg",
        ),
        text(
            "chart.facility.alt",
            language,
            unit="kg",
            count=len(totals),
            facility=facility,
            previous=previous,
            year=year,
        ),
        language,
    )


def facility_compare_section(
    frame: pd.DataFrame,
    activity: dict[str, str] | None,
    sector: str,
    year: int,
    language: str = "en",
) -> str:
    """The section "Compared with its sector"."""
    parts = [heading(text("facility.compare.heading", language))]
    if activity is None:
        return "".join(
            [*parts, paragraph(text("facility.compare.text.noactivity", language))]
        )
    if frame.empty or not frame["peers"].any():
        return "".join(
            [
                *parts,
                paragraph(
                    text(
                        "facility.compare.text.none", language, sector=sector, year=year
                    )
                ),
            ]
        )
    parts.append(
        paragraph(
            text(
                "facility.compare.text",
                language,
                activity=activity["activity"],
                unit=activity["unit"],
                sector=sector,
            )
        )
    )
    shown = pd.DataFrame(
        {
            text("column.substance", language): [
                f"{name}, {medium_name(medium, language)}"
                for name, medium in zip(
                    frame["substance_name"], frame["medium"], strict=True
                )
            ],
            text("column.unit", language): frame["unit"].map(
                lambda unit: text(
                    "column.per_unit",
                    language,
                    unit=unit,
                    activity_unit=activity["unit"],
                )
            ),
            text("column.intensity", language): _numbers(frame["intensity"], language),
            text("column.peer_median", language): _numbers(
                frame["peer_median"], language
            ),
            text("column.peer_range", language): [
                "–"
                if not peers
                else f"{format_number(low, language)}–{format_number(high, language)}"
                for low, high, peers in zip(
                    frame["peer_low"], frame["peer_high"], frame["peers"], strict=True
                )
            ],
            text("column.peers", language): frame["peers"],
        }
    )
    parts.append(
        table(
            shown,
            text("facility.compare.table", language, year=year),
            numeric=list(shown.columns[2:]),
        )
    )
    return "".join(parts)


def facility_findings_section(
    frame: pd.DataFrame, year: int, language: str = "en"
) -> str:
    """The section "What validation found"."""
    parts = [heading(text("facility.findings.heading", language))]
    if frame.empty:
        return "".join(
            [*parts, paragraph(text("facility.findings.text.none", language))]
        )
    counts = frame["tier"].value_counts()
    parts.append(
        paragraph(
            text(
                "facility.findings.text",
                language,
                critical=int(counts.get("critical", 0)),
                possible=int(counts.get("possible", 0)),
                alert=int(counts.get("alert", 0)),
            )
        )
    )

    def where(sheet: Any, row: Any) -> str:
        parts_ = [str(sheet)] if isinstance(sheet, str) and sheet else []
        if _float(row) is not None:
            parts_.append(str(int(row)))
        return ", ".join(parts_) or "–"

    shown = pd.DataFrame(
        {
            text("column.tier", language): frame["tier"].map(
                lambda tier: tier_name(tier, language)
            ),
            text("column.code", language): frame["code"],
            text("column.where", language): [
                where(sheet, row)
                for sheet, row in zip(frame["sheet"], frame["row_number"], strict=True)
            ],
            text("column.finding", language): frame["finding"],
            text("column.fix", language): frame["hint"],
        }
    )
    parts.append(table(shown, text("facility.findings.table", language, year=year)))
    return "".join(parts)


def facility_improve_section(
    advice: list[tuple[str, dict[str, Any]]], year: int, language: str = "en"
) -> str:
    """The section "What to improve next year", one item per piece of advice."""
    parts = [heading(text("facility.improve.heading", language))]
    if not advice:
        return "".join([*parts, paragraph(text("facility.improve.none", language))])
    writers: dict[str, Callable[[dict[str, Any]], str]] = {
        "improve.finding": lambda values: text("improve.finding", language, **values),
        "improve.estimated": lambda values: text(
            "improve.estimated",
            language,
            count=values["count"],
            total=values["total"],
            substances=join_words(values["names"], language),
        ),
        "improve.missing": lambda values: text(
            "improve.missing",
            language,
            substances=join_words(values["names"], language),
            previous=values["previous"],
            year=year,
        ),
        "improve.no_activity": lambda values: text("improve.no_activity", language),
        "improve.far_from_sector": lambda values: text(
            "improve.far_from_sector",
            language,
            substance=values["substance"],
            medium=medium_name(values["medium"], language),
            ratio=format_number(values["ratio"], language),
        ),
    }
    items = "".join(
        f"<li>{html.escape(writers[key](values))}</li>" for key, values in advice
    )
    parts.append(f"<ul>{items}</ul>")
    return "".join(parts)
