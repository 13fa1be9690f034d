"""Toxic equivalents (TEQ) of dioxins, furans and dioxin-like PCBs.

Dioxins and furans are reported as one number: the sum, over the congeners measured, of
each congener's mass times its toxic equivalency factor (TEF). The factors come from
``tefs.csv``: the WHO-2005 scheme by default, or the older I-TEF scheme for old data.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import pint

from prtr.datapackage import load_table
from prtr.errors import PrtrError
from prtr.units import parse_unit, quantity, registry

__all__ = ["ToxicEquivalents", "toxic_equivalents"]


@dataclass(frozen=True)
class ToxicEquivalents:
    """The TEQ of a congener profile.

    Attributes:
        total: the sum, in the profile's unit times TEQ (e.g. ng TEQ/m^3).
        contributions: a row per congener given: mass, TEF, TEQ and share of total.
        not_given: the scheme's congeners that the profile left out (counted as zero).
        scheme: the TEF scheme used.
    """

    total: pint.Quantity
    contributions: pd.DataFrame
    not_given: tuple[str, ...]
    scheme: str


def _key(name: str) -> str:
    return re.sub(r"[\s\-_]+", "", name.casefold()).replace("pcb#", "pcb")


@functools.cache
def _factors(scheme: str) -> dict[str, tuple[str, float]]:
    table = load_table("tefs")
    rows = table[table["scheme"] == scheme]
    if rows.empty:
        schemes = ", ".join(sorted(table["scheme"].unique()))
        raise PrtrError(
            f"{scheme!r} is not a TEF scheme of tefs.csv; choose {schemes}."
        )
    index: dict[str, tuple[str, float]] = {}
    for row in rows.itertuples(index=False):
        for name in (row.congener, row.cas):
            if name:
                index[_key(name)] = (row.congener, float(row.tef))
    return index


def toxic_equivalents(
    profile: Mapping[str, float], unit: str, scheme: str = "WHO-2005"
) -> ToxicEquivalents:
    """Sum a congener profile into toxic equivalents.

    Args:
        profile: mass (or concentration) of each congener, keyed by congener name as in
            ``tefs.csv`` (``"2,3,7,8-TCDD"``, ``"PCB 126"``) or by CAS number.
        unit: the unit of every value in the profile, e.g. ``"ng/m^3"`` or ``"g"``.
        scheme: ``"WHO-2005"`` or ``"I-TEF"``.

    Raises:
        PrtrError: naming a congener the scheme has no factor for, or a negative value.
    """
    factors = _factors(scheme)
    unknown = [name for name in profile if _key(name) not in factors]
    if unknown:
        raise PrtrError(
            f"No {scheme} TEF for {', '.join(map(repr, unknown))}. Write congeners as "
            "in datasets/tefs.csv (e.g. '2,3,7,8-TCDD', '1,2,3,7,8-PeCDF', 'PCB 126') "
            "or by CAS number."
        )
    negative = [name for name, value in profile.items() if value < 0]
    if negative:
        raise PrtrError(
            f"Negative amounts for {', '.join(negative)}: a mass is 0 or more."
        )

    rows = []
    for name, amount in profile.items():
        congener, tef = factors[_key(name)]
        rows.append(
            {
                "congener": congener,
                "amount": float(amount),
                "tef": tef,
                "teq": float(amount) * tef,
            }
        )
    contributions = pd.DataFrame(rows, columns=["congener", "amount", "tef", "teq"])
    total_value = float(contributions["teq"].sum())
    contributions["share"] = contributions["teq"] / total_value if total_value else 0.0

    given = set(contributions["congener"])
    not_given = tuple(sorted({name for name, _ in factors.values()} - given))
    total = quantity(total_value, parse_unit(unit)) * registry().TEQ
    return ToxicEquivalents(
        total=total, contributions=contributions, not_given=not_given, scheme=scheme
    )
