"""Units: every conversion in the package goes through one pint registry.

Reporters write units in many ways ("kg", "tonnes", "t/yr", "µg TEQ/TJ"). This module
reads them, converts between them, and refuses a conversion that makes no physical
sense, with a message that says which unit was expected.

Toxic equivalents are a dimension of their own, ``TEQ``: grams of TEQ convert to
kilograms of TEQ, but never to plain grams, because that needs the congener profile and
its toxic equivalency factors (see :mod:`prtr.teq`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np
import pint

from prtr.errors import UnitError

__all__ = [
    "Quantity",
    "UnitError",
    "conversion_factor",
    "convert",
    "parse_unit",
    "quantity",
    "registry",
]

# Spellings that reporters use and pint does not know, mapped to ones it does. The keys
# are matched as whole words, case-insensitively.
_ALIASES = {
    "tonnes": "t",
    "tonne": "t",
    "tons": "t",
    "yr": "year",
    "yrs": "year",
    "annum": "year",
    "y": "year",
    "mt": "t",
    "nm3": "m**3",
    "nm³": "m**3",
    "m³": "m**3",
    "teq": "TEQ",
    # US usage: MMBtu is a million Btu, which pint writes with the SI prefix, MBtu.
    "mmbtu": "MBtu",
}


@functools.cache
def registry() -> pint.UnitRegistry:
    """Return the package's unit registry (created once)."""
    units = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    # A mass of toxic equivalents is not a mass of substance; a dimension of its own
    # keeps the two from being added or converted into each other by accident.
    units.define("TEQ = [toxic_equivalent]")
    units.formatter.default_format = "~P"
    return units


Quantity = pint.Quantity


def _normalise(text: str) -> str:
    cleaned = text.strip().replace("µ", "u").replace("μ", "u")
    cleaned = re.sub(r"(?<=\w)\s*/\s*(?=\w)", " / ", cleaned)
    for alias, standard in _ALIASES.items():
        cleaned = re.sub(
            rf"(?<![\w.]){re.escape(alias)}(?![\w])",
            standard,
            cleaned,
            flags=re.IGNORECASE,
        )
    return cleaned


@functools.cache
def parse_unit(text: str) -> pint.Unit:
    """Read a unit written as a reporter or a source document writes it.

    Args:
        text: e.g. ``"kg"``, ``"tonnes/yr"``, ``"lb/kgal"``, ``"µg TEQ/TJ"``.

    Raises:
        UnitError: if the text is empty or not a unit.
    """
    if not isinstance(text, str) or not text.strip():
        raise UnitError("The unit is empty. Write a unit such as kg, t or g TEQ.")
    try:
        parsed = registry().parse_units(_normalise(text))
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        AttributeError,
        TypeError,
        ValueError,
        AssertionError,
    ) as error:
        raise UnitError(
            f"{text!r} is not a unit this workbook knows ({error}). "
            "Write a unit such as kg, t, g TEQ, m3 or TJ."
        ) from None
    return parsed


def quantity(value: Any, unit: str | pint.Unit) -> pint.Quantity:
    """Return ``value`` (a number or an array) with its unit."""
    unit = parse_unit(unit) if isinstance(unit, str) else unit
    return registry().Quantity(value, unit)


@functools.cache
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Return the number that turns a value in ``from_unit`` into ``to_unit``.

    Raises:
        UnitError: if either unit is unknown, or they measure different things.
    """
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    try:
        return float(registry().Quantity(1.0, source).to(target).magnitude)
    except pint.errors.DimensionalityError:
        raise UnitError(
            f"{from_unit!r} cannot be converted to {to_unit!r}: they measure different "
            f"things ({_dimension(source)} against {_dimension(target)}). "
            f"Report the quantity in {to_unit} or a unit of the same kind."
        ) from None


def convert(value: Any, from_unit: str, to_unit: str) -> Any:
    """Convert a number or an array of numbers from one unit to another.

    Arrays are converted with one multiplication, so a column of a million values costs
    one unit look-up.
    """
    factor = conversion_factor(from_unit, to_unit)
    if isinstance(value, (list, tuple)):
        value = np.asarray(value, dtype=float)
    return value * factor


def _dimension(unit: pint.Unit) -> str:
    dimensionality = str(registry().Quantity(1, unit).dimensionality)
    return dimensionality.replace("[", "").replace("]", "") or "a plain number"
