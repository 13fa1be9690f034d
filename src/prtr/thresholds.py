"""Thresholds: must a facility report a substance under a given scheme?

Schemes set thresholds on different things. E-PRTR compares each *release* to air, water
or land, and each *transfer* of waste water, with its own threshold; TRI and Cambodia's
draft compare the quantity *manufactured, processed or otherwise used*; Australia's NPI
also uses the facility's *activity* (fuel burned, energy used, rated power). The caller
passes what it knows as ``amounts``, keyed by:

- a medium (``"air"``, ``"water"``, ``"land"``, ``"offsite_wastewater"``) for release
  and transfer thresholds;
- a basis (``"use"``, ``"manufacture_process"``, ``"otherwise_use"``, ``"fuel_burned"``,
  ``"fuel_burned_rate"``, ``"energy"``, ``"power"``) for the others.

Each amount is ``(value, unit)`` or a pint quantity. A yearly amount may be written
without "/year" (``(12, "kg")``): every amount is taken to be the facility's total
for one reporting year.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pint

from prtr.datapackage import load_table
from prtr.errors import PrtrError
from prtr.substances import find
from prtr.units import parse_unit, quantity, registry

__all__ = [
    "SCHEMES",
    "Decision",
    "Threshold",
    "must_report",
    "must_report_all",
    "thresholds_for",
]

#: The schemes ``thresholds.csv`` may hold, in the order reports list them.
SCHEMES = ("KH-draft", "E-PRTR", "NPI", "TRI")

_BY_MEDIUM = {"release", "transfer"}


@dataclass(frozen=True)
class Threshold:
    """One row of ``thresholds.csv``."""

    scheme: str
    substance_id: str
    medium: str
    value: float
    unit: str
    basis: str
    category: str
    source: str
    source_table: str
    source_year: int

    @property
    def amount_key(self) -> str:
        """The key of ``amounts`` that this threshold is compared with."""
        return self.medium if self.basis in _BY_MEDIUM else self.basis

    def __str__(self) -> str:
        category = f" category {self.category}" if self.category else ""
        return (
            f"{self.scheme}{category}: {self.basis.replace('_', ' ')} "
            f"{'to ' + self.medium + ' ' if self.basis in _BY_MEDIUM else ''}"
            f"above {self.value:g} {self.unit} ({self.source}, {self.source_table}, "
            f"{self.source_year})"
        )


@dataclass(frozen=True)
class Decision:
    """Whether one substance must be reported under one scheme, and why."""

    scheme: str
    substance_id: str
    must_report: bool
    exceeded: tuple[Threshold, ...] = ()
    not_exceeded: tuple[Threshold, ...] = ()
    unknown: tuple[Threshold, ...] = field(default=())

    @property
    def has_thresholds(self) -> bool:
        """False when the scheme sets no threshold for this substance."""
        return bool(self.exceeded or self.not_exceeded or self.unknown)

    @property
    def reason(self) -> str:
        """One sentence a facility officer can read."""
        if not self.has_thresholds:
            return f"{self.scheme} sets no threshold for {self.substance_id}."
        if self.must_report:
            return (
                "Must report: " + "; ".join(str(item) for item in self.exceeded) + "."
            )
        if self.unknown:
            needed = sorted({item.amount_key for item in self.unknown})
            return (
                "Not above any threshold checked, but these amounts were not given, so "
                f"the answer is not final: {', '.join(needed)}."
            )
        return "Below every threshold of the scheme."


@functools.cache
def _all_thresholds() -> tuple[Threshold, ...]:
    table = load_table("thresholds")
    return tuple(
        Threshold(
            scheme=row.scheme,
            substance_id=row.substance_id,
            medium=row.medium,
            value=float(row.threshold),
            unit=row.unit,
            basis=row.basis,
            category=row.category,
            source=row.source,
            source_table=row.source_table,
            source_year=int(row.source_year),
        )
        for row in table.itertuples(index=False)
    )


@functools.cache
def _by_substance() -> dict[str, tuple[Threshold, ...]]:
    index: dict[str, list[Threshold]] = {}
    for threshold in _all_thresholds():
        index.setdefault(threshold.substance_id, []).append(threshold)
    return {key: tuple(value) for key, value in index.items()}


def thresholds_for(substance: str, scheme: str | None = None) -> list[Threshold]:
    """Return the thresholds that apply to a substance, of one scheme or of all.

    Args:
        substance: identifier, CAS number or name.
        scheme: one of :data:`SCHEMES`, or None for every scheme.
    """
    substance_id = find(substance).substance_id
    if scheme is not None and scheme not in SCHEMES:
        raise PrtrError(
            f"{scheme!r} is not a scheme; choose one of {', '.join(SCHEMES)}."
        )
    return [
        item
        for item in _by_substance().get(substance_id, ())
        if scheme in (None, item.scheme)
    ]


def must_report(scheme: str, substance: str, amounts: Mapping[str, Any]) -> Decision:
    """Decide whether a substance must be reported under one scheme.

    A substance must be reported when any one of the scheme's thresholds for it is
    exceeded. Amounts that the scheme does not use are ignored.

    Args:
        scheme: one of :data:`SCHEMES`.
        substance: identifier, CAS number or name.
        amounts: the facility's yearly amounts, keyed as the module documentation says.

    Raises:
        UnitError: if an amount's unit cannot be compared with its threshold.
    """
    substance_id = find(substance).substance_id
    exceeded, below, unknown = [], [], []
    for threshold in thresholds_for(substance_id, scheme):
        amount = amounts.get(threshold.amount_key)
        if amount is None:
            unknown.append(threshold)
        elif _in_threshold_unit(amount, threshold) > threshold.value:
            exceeded.append(threshold)
        else:
            below.append(threshold)
    return Decision(
        scheme=scheme,
        substance_id=substance_id,
        must_report=bool(exceeded),
        exceeded=tuple(exceeded),
        not_exceeded=tuple(below),
        unknown=tuple(unknown),
    )


def must_report_all(substance: str, amounts: Mapping[str, Any]) -> dict[str, Decision]:
    """Decide under every scheme at once; the result is keyed by scheme."""
    return {scheme: must_report(scheme, substance, amounts) for scheme in SCHEMES}


def _in_threshold_unit(amount: Any, threshold: Threshold) -> float:
    if isinstance(amount, pint.Quantity):
        magnitude, unit = float(amount.magnitude), f"{amount.units}"
    else:
        magnitude, unit = float(amount[0]), str(amount[1])
    return magnitude * _factor_to(
        unit, threshold.unit, threshold.scheme, threshold.amount_key
    )


@functools.cache
def _factor_to(unit: str, threshold_unit: str, scheme: str, amount_key: str) -> float:
    """The factor from an amount's unit to a threshold's; amounts are yearly."""
    from prtr.units import UnitError

    one = quantity(1.0, unit)
    target = parse_unit(threshold_unit)
    year = registry().year
    for candidate in (one, one / year, one * year):
        try:
            return float(candidate.to(target).magnitude)
        except pint.errors.DimensionalityError:
            continue
    raise UnitError(
        f"An amount in {unit} cannot be compared with the {scheme} threshold in "
        f"{threshold_unit} for {amount_key.replace('_', ' ')}. Give it in "
        f"{threshold_unit}."
    )
