"""Helpers for the register tests: a real SQLite file or a real PostgreSQL schema,
and submissions built in code.

PostgreSQL comes from ``PRTR_TEST_POSTGRES_URL`` (``.ci/postgres.sh start`` prints
one). Without it the PostgreSQL cases are skipped on a workstation, and fail when
``CI`` is ``true``, so that CI cannot pass by skipping them. Each test gets a schema of
its own, dropped afterwards, so that parallel runs do not meet.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from prtr.submission import Facility, Release, Submission, Transfer

POSTGRES_VARIABLE = "PRTR_TEST_POSTGRES_URL"

#: Parameters for a fixture that runs a test on both databases.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_VARIABLE, "").strip()
    if url:
        return url
    message = (
        f"{POSTGRES_VARIABLE} is not set: start a server with "
        f'`export {POSTGRES_VARIABLE}="$(.ci/postgres.sh start)"`'
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL tests cannot be skipped in CI. {message}")
    pytest.skip(message)


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty register on ``backend``, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.sqlite'}"
        return

    base = _postgres_base_url()
    schema = f"prtr_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def facility(facility_id: str = "KH-00001", **changes: object) -> Facility:
    details: dict = {
        "facility_id": facility_id,
        "name": f"Test Plant {facility_id} (synthetic)",
        "isic_code": "3510",
        "province_code": "12",
        "latitude": 11.55,
        "longitude": 104.9,
        "employees": 120,
        "contact_name": "Sok Dara",
        "contact_email": "dara@example.org",
    }
    details.update(changes)
    return Facility(**details)


#: The method description each method code gets in test submissions.
METHOD_DESCRIPTIONS = {
    "M": "stack sampling",
    "C": "mass balance",
    "E": "emission factor",
}


def release(
    row: int,
    substance_id: str,
    medium: str,
    quantity: float,
    method: str = "M",
    *,
    unit: str = "kg",
    **claim: object,
) -> Release:
    return Release(
        row=row,
        substance_id=substance_id,
        medium=medium,
        quantity=quantity,
        unit=unit,
        quantity_reported=quantity,
        unit_reported=unit,
        method=method,
        method_description=METHOD_DESCRIPTIONS[method],
        **claim,
    )


def transfer(row: int, substance_id: str, quantity: float, **claim: object) -> Transfer:
    return Transfer(
        row=row,
        substance_id=substance_id,
        waste_description="fly ash",
        quantity=quantity,
        unit="kg",
        quantity_reported=quantity,
        unit_reported="kg",
        destination="Landfill Dangkao",
        treatment_code="D1",
        method="C",
        **claim,
    )


def submission(
    facility_id: str = "KH-00001",
    reporting_year: int = 2024,
    releases: tuple[Release, ...] | None = None,
    transfers: tuple[Transfer, ...] = (),
    *,
    file: str | None = None,
    findings: tuple = (),
    facility_changes: dict | None = None,
) -> Submission:
    """A submission whose hash is computed from its content, like a real file's."""
    if releases is None:
        releases = (
            release(5, "mercury", "air", 1.25),
            release(6, "lead", "water", 3.5),
            release(7, "pcdd_pcdf", "air", 0.004, unit="g TEQ"),
        )
    content = repr((facility_id, reporting_year, releases, transfers, facility_changes))
    return Submission(
        file=file or f"{facility_id}-{reporting_year}.xlsx",
        sha256=hashlib.sha256(content.encode()).hexdigest(),
        form_version="test-1",
        reporting_year=reporting_year,
        language="en",
        facility=facility(facility_id, **(facility_changes or {})),
        releases=releases,
        transfers=transfers,
        submitted_by="",
        findings=findings,
    )
