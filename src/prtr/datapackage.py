"""Load the open datasets, each checked against its schema in ``datapackage.json``.

The data package follows the Frictionless Data Package layout: ``datapackage.json``
lists every table (a *resource*) with its path, its sources and a Table Schema of its
fields. A table is checked every time it is loaded, so a typing mistake in a CSV file
is reported with its file, row and column instead of turning into a wrong number
further on.

Two properties extend the Table Schema, both on fields:

- ``"x-unit": true``: every non-empty value must be a unit that pint can read;
- ``"x-cas": true``: every non-empty value must be a CAS Registry Number whose check
  digit is right.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from prtr.errors import DatasetError

__all__ = [
    "Resource",
    "check_all",
    "datasets_dir",
    "load_table",
    "resources",
]

#: At most this many problems are listed in one error message; the rest are counted.
MAX_REPORTED_PROBLEMS = 20

_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


def datasets_dir() -> Path:
    """Return the folder that holds ``datapackage.json``.

    ``PRTR_DATASETS`` names it when set; otherwise it is the ``datasets`` folder of the
    repository the package was installed from.

    Raises:
        DatasetError: if no ``datapackage.json`` is found.
    """
    configured = os.environ.get("PRTR_DATASETS")
    candidates = [Path(configured)] if configured else []
    candidates += [parent / "datasets" for parent in Path(__file__).resolve().parents]
    for candidate in candidates:
        if (candidate / "datapackage.json").is_file():
            return candidate
    raise DatasetError(
        "No datapackage.json found. Set PRTR_DATASETS to the folder that holds it, "
        "or install prtr from the repository with `pip install -e .`."
    )


@dataclass(frozen=True)
class Resource:
    """One table of the data package, as ``datapackage.json`` describes it."""

    name: str
    path: Path
    schema: dict[str, Any]
    title: str = ""
    description: str = ""

    @property
    def field_names(self) -> list[str]:
        return [field["name"] for field in self.schema["fields"]]


@functools.cache
def _descriptor(folder: Path) -> dict[str, Any]:
    path = folder / "datapackage.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DatasetError(
            f"{path}: line {error.lineno}, column {error.colno}: {error.msg}. "
            "Fix the JSON syntax there."
        ) from None


def resources(folder: Path | None = None) -> dict[str, Resource]:
    """Return every table of the data package by name."""
    folder = folder or datasets_dir()
    return {
        item["name"]: Resource(
            name=item["name"],
            path=folder / item["path"],
            schema=item["schema"],
            title=item.get("title", ""),
            description=item.get("description", ""),
        )
        for item in _descriptor(folder)["resources"]
    }


def load_table(name: str, folder: Path | None = None) -> pd.DataFrame:
    """Load one table of the data package, checked against its schema.

    Args:
        name: the resource name in ``datapackage.json``, e.g. ``"substances"``.
        folder: the data package folder; by default :func:`datasets_dir`.

    Returns:
        A new DataFrame with one column per schema field, typed as the schema says
        (strings, floats, nullable integers or booleans). Empty strings stay empty
        strings; empty numbers become missing values.

    Raises:
        DatasetError: if the table is unknown, or its file does not match its schema.
            The message names the file, row and column of each problem.
    """
    return _load_checked(name, folder or datasets_dir()).copy()


@functools.cache
def _load_checked(name: str, folder: Path) -> pd.DataFrame:
    tables = resources(folder)
    if name not in tables:
        known = ", ".join(sorted(tables))
        raise DatasetError(
            f"No table named {name!r} in the data package; known: {known}."
        )
    resource = tables[name]
    frame = _read_and_check(resource)
    _check_foreign_keys(resource, frame, folder)
    return frame


def check_all(folder: Path | None = None) -> dict[str, int]:
    """Load every table, so each is checked; return the row count of each."""
    folder = folder or datasets_dir()
    return {name: len(_load_checked(name, folder)) for name in resources(folder)}


def _read_and_check(resource: Resource) -> pd.DataFrame:
    if not resource.path.is_file():
        raise DatasetError(
            f"{resource.path}: the file of table {resource.name!r} is missing."
        )
    with resource.path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        rows = list(reader)

    expected = resource.field_names
    if header != expected:
        missing = [name for name in expected if name not in header]
        extra = [name for name in header if name not in expected]
        raise DatasetError(
            f"{resource.path}: the header does not match the schema in "
            "datapackage.json. "
            f"Missing columns: {missing or 'none'}; "
            f"unexpected columns: {extra or 'none'}. "
            f"Expected, in this order: {', '.join(expected)}."
        )

    problems: list[str] = []
    columns: dict[str, list[Any]] = {name: [] for name in expected}
    for line_number, row in enumerate(rows, start=2):
        if len(row) != len(expected):
            problems.append(
                f"row {line_number}: {len(row)} values for {len(expected)} columns "
                "(a comma inside a value needs double quotes around the value)"
            )
            continue
        for field, raw in zip(resource.schema["fields"], row, strict=True):
            value, problem = _convert(field, raw.strip())
            if problem:
                problems.append(f"row {line_number}, column {field['name']}: {problem}")
            columns[field["name"]].append(value)

    if not problems:
        problems += _check_unique(resource, columns)
    _raise_if(problems, resource.path)
    return _to_frame(resource, columns)


def _convert(field: dict[str, Any], raw: str) -> tuple[Any, str | None]:
    constraints = field.get("constraints", {})
    kind = field.get("type", "string")
    if raw == "":
        if constraints.get("required"):
            return None, "is empty, but the schema requires a value"
        return (None if kind in {"number", "integer", "boolean"} else ""), None

    value: Any = raw
    if kind == "number":
        try:
            value = float(raw)
        except ValueError:
            return (
                None,
                f"{raw!r} is not a number (use a dot, no thousands separator)",
            )
    elif kind == "integer":
        try:
            value = int(raw)
        except ValueError:
            return None, f"{raw!r} is not a whole number"
    elif kind == "boolean":
        if raw.lower() not in _TRUE | _FALSE:
            return None, f"{raw!r} is not true or false"
        value = raw.lower() in _TRUE

    if "enum" in constraints and value not in constraints["enum"]:
        allowed = ", ".join(str(item) for item in constraints["enum"])
        return value, f"{raw!r} is not one of the allowed values: {allowed}"
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], raw):
        return value, f"{raw!r} does not match the pattern {constraints['pattern']}"
    if "minimum" in constraints and value < constraints["minimum"]:
        return value, f"{raw} is below the minimum {constraints['minimum']}"
    if "maximum" in constraints and value > constraints["maximum"]:
        return value, f"{raw} is above the maximum {constraints['maximum']}"
    if field.get("x-cas"):
        from prtr.substances import cas_is_valid

        if not cas_is_valid(raw):
            return (
                value,
                f"{raw!r} is not a valid CAS number (its check digit is wrong)",
            )
    if field.get("x-unit"):
        from prtr.units import UnitError, parse_unit

        try:
            parse_unit(raw)
        except UnitError as error:
            return value, str(error)
    return value, None


def _check_unique(resource: Resource, columns: dict[str, list[Any]]) -> list[str]:
    problems = []
    for field in resource.schema["fields"]:
        if field.get("constraints", {}).get("unique"):
            problems += _duplicates(
                [(v,) for v in columns[field["name"]]], [field["name"]]
            )
    key = resource.schema.get("primaryKey")
    if key:
        key_fields = [key] if isinstance(key, str) else list(key)
        rows = list(zip(*(columns[name] for name in key_fields), strict=True))
        problems += _duplicates(rows, key_fields)
    return problems


def _duplicates(rows: Iterable[tuple[Any, ...]], names: list[str]) -> list[str]:
    seen: dict[tuple[Any, ...], int] = {}
    problems = []
    for line_number, row in enumerate(rows, start=2):
        if row in seen:
            problems.append(
                f"row {line_number}: {', '.join(names)} = {row} repeats row "
                f"{seen[row]}; each must be unique"
            )
        else:
            seen[row] = line_number
    return problems


def _check_foreign_keys(resource: Resource, frame: pd.DataFrame, folder: Path) -> None:
    problems = []
    for foreign_key in resource.schema.get("foreignKeys", []):
        fields = _as_list(foreign_key["fields"])
        reference = foreign_key["reference"]
        target = reference.get("resource") or resource.name
        target_fields = _as_list(reference["fields"])
        target_frame = (
            frame if target == resource.name else _load_checked(target, folder)
        )
        allowed = set(target_frame[target_fields].itertuples(index=False, name=None))
        allowed_extra = set(foreign_key.get("x-allowed", []))
        for index, row in enumerate(frame[fields].itertuples(index=False, name=None)):
            if any(value in ("", None) for value in row) or row in allowed:
                continue
            if len(row) == 1 and row[0] in allowed_extra:
                continue
            problems.append(
                f"row {index + 2}, column {', '.join(fields)}: "
                f"{row[0] if len(row) == 1 else row} is not in "
                f"{target}.{', '.join(target_fields)}; add it there or correct it"
            )
    _raise_if(problems, resource.path)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _raise_if(problems: list[str], path: Path) -> None:
    if not problems:
        return
    shown = problems[:MAX_REPORTED_PROBLEMS]
    more = len(problems) - len(shown)
    lines = [
        f"{path}: {len(problems)} problem(s) against the schema in datapackage.json:"
    ]
    lines += [f"  - {problem}" for problem in shown]
    if more:
        lines.append(f"  ... and {more} more.")
    raise DatasetError("\n".join(lines))


def _to_frame(resource: Resource, columns: dict[str, list[Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    for field in resource.schema["fields"]:
        name, kind = field["name"], field.get("type", "string")
        if kind == "number":
            frame[name] = pd.to_numeric(frame[name], errors="raise").astype("float64")
        elif kind == "integer":
            frame[name] = frame[name].astype("Int64")
        elif kind == "boolean":
            frame[name] = frame[name].astype("boolean")
        else:
            frame[name] = frame[name].astype(object)
    return frame
