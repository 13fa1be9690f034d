"""Substances: look-up by identifier, CAS Registry Number or name.

>>> from prtr.substances import find
>>> find("7439-97-6").substance_id
'mercury'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from prtr.datapackage import load_table
from prtr.errors import UnknownSubstanceError

__all__ = ["Substance", "all_substances", "cas_is_valid", "find"]

_CAS_PATTERN = re.compile(r"(\d{2,7})-(\d{2})-(\d)")


def cas_is_valid(cas: str) -> bool:
    """Tell whether ``cas`` is a well-formed CAS number with the right check digit.

    The check digit is the sum of the other digits, each multiplied by its position
    counted from the right (1 for the digit just before the check digit), modulo 10.

    >>> cas_is_valid("7439-97-6"), cas_is_valid("7439-97-5")
    (True, False)
    """
    match = _CAS_PATTERN.fullmatch(cas.strip())
    if not match:
        return False
    digits = (match.group(1) + match.group(2))[::-1]
    total = sum(position * int(digit) for position, digit in enumerate(digits, start=1))
    return total % 10 == int(match.group(3))


@dataclass(frozen=True)
class Substance:
    """One row of ``substances.csv``."""

    substance_id: str
    name: str
    cas: str
    group: str
    conventions: tuple[str, ...]
    reporting_unit: str
    pbt: bool

    @property
    def is_pop(self) -> bool:
        """Listed under the Stockholm Convention (any annex)."""
        return any(item.startswith("Stockholm") for item in self.conventions)


@functools.cache
def all_substances() -> dict[str, Substance]:
    """Return every substance of the data package by identifier."""
    table = load_table("substances")
    return {
        row.substance_id: Substance(
            substance_id=row.substance_id,
            name=row.name,
            cas=row.cas,
            group=row.group,
            conventions=tuple(
                part.strip() for part in row.conventions.split(";") if part.strip()
            ),
            reporting_unit=row.reporting_unit,
            pbt=bool(row.pbt),
        )
        for row in table.itertuples(index=False)
    }


@functools.cache
def _index() -> dict[str, Substance]:
    index: dict[str, Substance] = {}
    for substance in all_substances().values():
        for key in (substance.substance_id, substance.cas, substance.name):
            if key:
                index.setdefault(_key(key), substance)
    return index


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().casefold())


def find(query: str) -> Substance:
    """Find a substance by its identifier, CAS number or English name.

    Matching ignores case and surrounding spaces.

    Raises:
        UnknownSubstanceError: if nothing matches; the message suggests near names.
    """
    found = all_substances().get(query) or _index().get(_key(str(query)))
    if found is not None:
        return found
    near = [
        substance.name
        for substance in all_substances().values()
        if _key(str(query)) and _key(str(query))[:4] in _key(substance.name)
    ][:5]
    hint = f" Did you mean: {'; '.join(near)}?" if near else ""
    raise UnknownSubstanceError(
        f"{query!r} is not a substance of the register (looked up by identifier, CAS "
        f"number and name).{hint} The full list is datasets/substances.csv."
    )
