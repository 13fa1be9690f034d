"""The national register: every submission kept, every revision, every claim.

The register is a relational database written with SQLAlchemy Core, so that the same
code runs on SQLite (one file, the default, enough for a pilot) and on PostgreSQL (a
national register with many reporters). Its tables:

- ``facilities``: one row per facility, with its latest known details;
- ``submissions``: one row per *revision* of a facility's report for a year: the file
  name, its SHA-256, who submitted it, when (UTC), the form version, a copy of the
  facility's details as reported, and whether it is the current revision;
- ``releases``, ``transfers``, ``activities``: the rows of one submission, each with its
  confidentiality claim (on the value, on the substance's identity, and the ground);
- ``findings``: the non-blocking findings of validation, kept with the submission;
- ``register_info``: the schema version.

:func:`import_submission` writes one submission in one transaction: a submission with a
critical finding is rejected and the register is left as it was; the same file (same
SHA-256) imported again changes nothing; a different file for the same facility and
year becomes a new revision, and the earlier ones stay.

Everything public goes through :func:`public_view`, which removes claimed values and
identities from facility rows and publishes them only as sums over several facilities
(see its documentation for the rule).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from prtr.csvsafe import write_csv
from prtr.errors import PrtrError, RegisterError
from prtr.submission import (
    CONFIDENTIALITY_GROUNDS,
    MEDIA,
    Finding,
    Release,
    Submission,
    Transfer,
)

__all__ = [
    "AUDIENCES",
    "DEFAULT_SQLITE_FILE",
    "ENVIRONMENT_VARIABLE",
    "MAX_SHARE_OF_AGGREGATE",
    "MIN_FACILITIES_PER_AGGREGATE",
    "SCHEMA_VERSION",
    "ImportResult",
    "activities",
    "connect",
    "create_schema",
    "current_releases",
    "current_rows",
    "current_submissions",
    "current_transfers",
    "database_url",
    "describe",
    "export_csv",
    "export_frame",
    "facilities",
    "findings",
    "history",
    "import_submission",
    "list_facilities",
    "metadata",
    "previous_lookup",
    "previous_year_releases",
    "public_view",
    "register_checksum",
    "register_info",
    "releases",
    "row_counts",
    "submissions",
    "transfers",
]

logger = logging.getLogger(__name__)

#: Environment variable that names the register when ``--db`` is not given.
ENVIRONMENT_VARIABLE = "PRTR_DATABASE_URL"

#: SQLite file used, in the working directory, when nothing names the register.
DEFAULT_SQLITE_FILE = "prtr-register.sqlite"

#: Version of the table layout, stored in ``register_info``.
SCHEMA_VERSION = "1"

#: Who a table is meant for: ``restricted`` holds everything, ``public`` only what
#: may be published.
AUDIENCES = ("public", "restricted")
Audience = Literal["public", "restricted"]

#: A sum of confidential values is published only when it adds up values of at least
#: this many facilities. With two, each of the two could subtract its own value and
#: learn the other's. A policy choice of this workbook, which a ministry can change.
MIN_FACILITIES_PER_AGGREGATE = 3

#: ... and only when no single facility makes up more than this share of the sum, so
#: that the sum is not, in effect, one facility's value. Also a policy choice.
MAX_SHARE_OF_AGGREGATE = 0.8

metadata = sa.MetaData()

_WHEN = sa.DateTime(timezone=True)
_NUMBER = sa.Double()

register_info = sa.Table(
    "register_info",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

facilities = sa.Table(
    "facilities",
    metadata,
    sa.Column("facility_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("isic_code", sa.String(8), nullable=False),
    sa.Column("province_code", sa.String(8), nullable=False),
    sa.Column("latitude", _NUMBER),
    sa.Column("longitude", _NUMBER),
    sa.Column("employees", sa.Integer),
    sa.Column("contact_name", sa.Text, nullable=False, default=""),
    sa.Column("contact_email", sa.Text, nullable=False, default=""),
    sa.Column("contact_phone", sa.Text, nullable=False, default=""),
    sa.Column("details_from_year", sa.Integer, nullable=False),
    sa.Column("first_received_at", _WHEN, nullable=False),
    sa.Column("updated_at", _WHEN, nullable=False),
)

submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("submission_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "facility_id",
        sa.String(32),
        sa.ForeignKey("facilities.facility_id"),
        nullable=False,
    ),
    sa.Column("reporting_year", sa.Integer, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("is_current", sa.Boolean, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("submitted_by", sa.Text, nullable=False),
    sa.Column("received_at", _WHEN, nullable=False),
    sa.Column("form_version", sa.String(32), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("facility_name", sa.Text, nullable=False),
    sa.Column("isic_code", sa.String(8), nullable=False),
    sa.Column("province_code", sa.String(8), nullable=False),
    sa.Column("latitude", _NUMBER),
    sa.Column("longitude", _NUMBER),
    sa.Column("employees", sa.Integer),
    sa.UniqueConstraint("facility_id", "reporting_year", "revision"),
    sa.UniqueConstraint("facility_id", "reporting_year", "sha256"),
    sa.CheckConstraint("revision >= 1", name="ck_submissions_revision"),
)

# At most one current revision per facility and year, whatever the code does.
sa.Index(
    "ux_submissions_current",
    submissions.c.facility_id,
    submissions.c.reporting_year,
    unique=True,
    sqlite_where=submissions.c.is_current,
    postgresql_where=submissions.c.is_current,
)

_CLAIM_NEEDS_GROUND = (
    "confidentiality_ground <> '' OR NOT (confidential_value OR confidential_identity)"
)


def _claim_columns() -> list[sa.Column]:
    return [
        sa.Column("confidential_value", sa.Boolean, nullable=False, default=False),
        sa.Column("confidential_identity", sa.Boolean, nullable=False, default=False),
        sa.Column("confidentiality_ground", sa.String(32), nullable=False, default=""),
    ]


def _submission_key() -> sa.Column:
    return sa.Column(
        "submission_id",
        sa.Integer,
        sa.ForeignKey("submissions.submission_id"),
        nullable=False,
        index=True,
    )


releases = sa.Table(
    "releases",
    metadata,
    sa.Column("release_id", sa.Integer, primary_key=True, autoincrement=True),
    _submission_key(),
    sa.Column("row_number", sa.Integer, nullable=False),
    sa.Column("substance_id", sa.String(64), nullable=False),
    sa.Column("substance_name", sa.Text, nullable=False),
    sa.Column("substance_group", sa.String(64), nullable=False),
    sa.Column("medium", sa.String(8), nullable=False),
    sa.Column("quantity", _NUMBER, nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),
    sa.Column("quantity_reported", _NUMBER, nullable=False),
    sa.Column("unit_reported", sa.String(32), nullable=False),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("method_description", sa.Text, nullable=False, default=""),
    *_claim_columns(),
    sa.CheckConstraint(
        "medium IN (" + ", ".join(f"'{medium}'" for medium in MEDIA) + ")",
        name="ck_releases_medium",
    ),
    sa.CheckConstraint("quantity >= 0", name="ck_releases_quantity"),
    sa.CheckConstraint(_CLAIM_NEEDS_GROUND, name="ck_releases_ground"),
)

transfers = sa.Table(
    "transfers",
    metadata,
    sa.Column("transfer_id", sa.Integer, primary_key=True, autoincrement=True),
    _submission_key(),
    sa.Column("row_number", sa.Integer, nullable=False),
    sa.Column("substance_id", sa.String(64), nullable=False),
    sa.Column("substance_name", sa.Text, nullable=False),
    sa.Column("substance_group", sa.String(64), nullable=False),
    sa.Column("waste_description", sa.Text, nullable=False, default=""),
    sa.Column("quantity", _NUMBER, nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),
    sa.Column("quantity_reported", _NUMBER, nullable=False),
    sa.Column("unit_reported", sa.String(32), nullable=False),
    sa.Column("destination", sa.Text, nullable=False, default=""),
    sa.Column("treatment_code", sa.String(16), nullable=False, default=""),
    sa.Column("method", sa.String(8), nullable=False, default=""),
    *_claim_columns(),
    sa.CheckConstraint("quantity >= 0", name="ck_transfers_quantity"),
    sa.CheckConstraint(_CLAIM_NEEDS_GROUND, name="ck_transfers_ground"),
)

activities = sa.Table(
    "activities",
    metadata,
    sa.Column("activity_row_id", sa.Integer, primary_key=True, autoincrement=True),
    _submission_key(),
    sa.Column("row_number", sa.Integer, nullable=False),
    sa.Column("activity", sa.Text, nullable=False),
    sa.Column("quantity", _NUMBER, nullable=False),
    sa.Column("unit", sa.String(32), nullable=False),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("finding_id", sa.Integer, primary_key=True, autoincrement=True),
    _submission_key(),
    sa.Column("code", sa.String(32), nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("sheet", sa.Text),
    sa.Column("row_number", sa.Integer),
    sa.Column("column_name", sa.String(16)),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("hint", sa.Text, nullable=False),
)


# --- Where the register is ---


def database_url(cli_value: str | None = None) -> str:
    """Return the URL of the register to use.

    The order is: ``cli_value`` (the ``--db`` option), else the environment variable
    ``PRTR_DATABASE_URL``, else the SQLite file ``prtr-register.sqlite`` in the working
    directory. A value without ``://`` is taken as the path of an SQLite file.

    Args:
        cli_value: the value of ``--db``, or None.

    Returns:
        An SQLAlchemy URL, e.g. ``sqlite:////home/me/prtr-register.sqlite`` or
        ``postgresql+psycopg://prtr@db.example/prtr``.
    """
    value = cli_value or os.environ.get(ENVIRONMENT_VARIABLE) or DEFAULT_SQLITE_FILE
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value).expanduser().resolve())


def describe(engine: Engine) -> str:
    """Return the engine's URL with any password hidden, for messages."""
    return engine.url.render_as_string(hide_password=True)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    # Write-ahead logging with NORMAL sync: a committed import survives a crash of the
    # program; only a power cut may lose the last commits, never corrupt the file. It
    # makes each commit several times cheaper than the default rollback journal.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def connect(url: str | None = None, *, must_exist: bool = False) -> Engine:
    """Open the register at ``url`` (resolved with :func:`database_url`).

    Args:
        url: an SQLAlchemy URL or an SQLite file path; None to use the environment
            or the default file.
        must_exist: for SQLite, refuse to create a new empty file (used by commands
            that only read).

    Returns:
        An engine whose connection has been tried once.

    Raises:
        RegisterError: if the URL cannot be read, the SQLite file does not exist when
            it must, or the server cannot be reached.
    """
    resolved = database_url(url)
    try:
        parsed = sa.make_url(resolved)
    except sa_exc.ArgumentError:
        raise RegisterError(
            f"{resolved!r} is not a database URL. Write sqlite:///path/to/file.sqlite, "
            "postgresql+psycopg://user@host/dbname, or just a file path."
        ) from None
    shown = parsed.render_as_string(hide_password=True)

    if parsed.get_backend_name() == "sqlite" and parsed.database not in (
        None,
        "",
        ":memory:",
    ):
        path = Path(parsed.database)
        if must_exist and not path.is_file():
            raise RegisterError(
                f"There is no register at {path}. Import a form first "
                f"(prtr import FORM.xlsx --db {shown}), or give the right --db."
            )
        path.parent.mkdir(parents=True, exist_ok=True)

    try:
        engine = sa.create_engine(parsed)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as error:
        raise RegisterError(
            f"Cannot use the database {shown}: {error}. For PostgreSQL write "
            "postgresql+psycopg://user@host:port/dbname."
        ) from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    try:
        with engine.connect():
            pass
    except sa_exc.DBAPIError as error:
        engine.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise RegisterError(
            f"Cannot open the register {shown}: {reason}. Check that the server runs "
            "and that the URL (host, port, database, user) is right."
        ) from None
    return engine


def create_schema(engine: Engine) -> None:
    """Create the register's tables where they do not exist yet.

    Args:
        engine: the register.

    Raises:
        RegisterError: if the register was made by a different schema version.
    """
    metadata.create_all(engine)
    with engine.begin() as connection:
        stored = connection.execute(
            sa.select(register_info.c.value).where(
                register_info.c.key == "schema_version"
            )
        ).scalar_one_or_none()
        if stored is None:
            connection.execute(
                register_info.insert().values(
                    key="schema_version", value=SCHEMA_VERSION
                )
            )
        elif stored != SCHEMA_VERSION:
            raise RegisterError(
                f"The register {describe(engine)} has schema version {stored}; this "
                f"prtr writes version {SCHEMA_VERSION}. Use the prtr version that made "
                "it, or a new register."
            )


def _require_schema(engine: Engine) -> None:
    if not sa.inspect(engine).has_table("submissions"):
        raise RegisterError(
            f"The database {describe(engine)} holds no register yet. Import a form "
            "first with prtr import."
        )


# --- Import ---

ImportStatus = Literal["imported", "unchanged", "rejected"]


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_submission` did with one submission."""

    file: str
    status: ImportStatus
    facility_id: str
    reporting_year: int
    revision: int | None = None
    submission_id: int | None = None
    replaced_revision: int | None = None
    releases: int = 0
    transfers: int = 0
    activities: int = 0
    findings: tuple[Finding, ...] = ()

    @property
    def critical(self) -> tuple[Finding, ...]:
        """The findings that blocked the import."""
        return tuple(item for item in self.findings if item.tier == "critical")

    @property
    def summary(self) -> str:
        """One line that says what happened, for the command line."""
        where = f"{self.facility_id or '?'} {self.reporting_year or '?'}"
        if self.status == "rejected":
            return (
                f"rejected: {len(self.critical)} critical finding(s); the register "
                "is unchanged"
            )
        if self.status == "unchanged":
            return (
                f"unchanged: this file is already revision {self.revision} of {where}"
            )
        replaced = (
            f", replacing revision {self.replaced_revision}"
            if self.replaced_revision
            else ""
        )
        return (
            f"imported as revision {self.revision} of {where}{replaced}: "
            f"{self.releases} releases, {self.transfers} transfers, "
            f"{self.activities} activities"
        )


def _register_findings(submission: Submission) -> list[Finding]:
    """Checks the register makes itself, whatever validation said: what its tables
    cannot hold without losing meaning."""
    problems: list[Finding] = []

    def critical(
        code: str, sheet: str | None, row: int | None, message: str, hint: str
    ) -> None:
        problems.append(
            Finding(code, "critical", submission.file, sheet, row, None, message, hint)
        )

    if not submission.facility.facility_id.strip():
        critical(
            "REG-FACILITY",
            "facility",
            None,
            "The facility identifier is empty.",
            "Write the identifier the ministry gave the facility, e.g. KH-00001.",
        )
    if not submission.sha256:
        critical(
            "REG-HASH",
            None,
            None,
            "The submission has no content hash.",
            "Read the file with prtr.form.read_form, which computes it.",
        )

    seen: set[tuple[str, str]] = set()
    for release in submission.releases:
        if release.medium not in MEDIA:
            critical(
                "REG-MEDIUM",
                "releases",
                release.row,
                f"Medium {release.medium!r} is not one of {', '.join(MEDIA)}.",
                "Choose the medium from the drop-down list.",
            )
        key = (release.substance_id, release.medium)
        if key in seen:
            critical(
                "REG-DUPLICATE",
                "releases",
                release.row,
                f"{release.substance_id} to {release.medium} is reported twice.",
                "Add the quantities up into one row.",
            )
        seen.add(key)
    for sheet, rows in (
        ("releases", submission.releases),
        ("transfers", submission.transfers),
    ):
        for item in rows:
            if not math.isfinite(item.quantity) or item.quantity < 0:
                critical(
                    "REG-QUANTITY",
                    sheet,
                    item.row,
                    f"Quantity {item.quantity!r} is not a number of zero or more.",
                    "Write the yearly quantity as a plain number.",
                )
            if item.confidential and (
                item.confidentiality_ground not in CONFIDENTIALITY_GROUNDS
            ):
                critical(
                    "REG-GROUND",
                    sheet,
                    item.row,
                    "A confidentiality claim has no valid ground "
                    f"({item.confidentiality_ground!r}).",
                    "Choose a ground from the list: "
                    + ", ".join(CONFIDENTIALITY_GROUNDS)
                    + ".",
                )
    return problems


def _substance_labels(substance_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Return the name and group of each substance, as the data package has them now.

    The register keeps a copy with each row, so that a later change of the list does
    not move old confidential values into another group."""
    from prtr.substances import all_substances

    known = all_substances()
    labels = {}
    for substance_id in set(substance_ids):
        substance = known.get(substance_id)
        if substance is None:
            labels[substance_id] = (substance_id or "Unnamed waste", "Other")
        else:
            labels[substance_id] = (substance.name, substance.group)
    return labels


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def import_submission(
    engine: Engine,
    submission: Submission,
    *,
    findings: Iterable[Finding] = (),
    submitted_by: str | None = None,
    received_at: dt.datetime | None = None,
) -> ImportResult:
    """Write one submission into the register, in one transaction.

    A submission with a critical finding (its own ``findings``, those passed in, or
    the register's own checks) is rejected before the database is touched. A file
    whose SHA-256 is already stored for the same facility and year changes nothing. Any
    other file becomes the next revision for that facility and year and the current
    one; earlier revisions stay, with their file name, hash, submitter and time.
    Non-blocking findings are stored with the submission.

    Args:
        engine: the register (see :func:`connect`); its schema must exist
            (:func:`create_schema`).
        submission: what was read from the file.
        findings: findings of validation, in addition to ``submission.findings``.
        submitted_by: who submitted it; defaults to ``submission.submitted_by``.
        received_at: when it was received; defaults to now. Stored in UTC.

    Returns:
        What was done.

    Raises:
        RegisterError: if the database refuses the write (the transaction is then
            rolled back, and the register is unchanged).
    """
    facility = submission.facility
    all_findings = tuple(submission.findings) + tuple(findings)
    if not any(item.tier == "critical" for item in all_findings):
        # The register's own net, for submissions that were not validated; after
        # a critical finding it would only repeat what validation said.
        all_findings += tuple(_register_findings(submission))
    if any(item.tier == "critical" for item in all_findings):
        logger.info("rejected %s: critical findings", submission.file)
        return ImportResult(
            file=submission.file,
            status="rejected",
            facility_id=facility.facility_id,
            reporting_year=submission.reporting_year,
            findings=all_findings,
        )

    when = (received_at or _now()).astimezone(dt.UTC)
    who = submitted_by if submitted_by is not None else submission.submitted_by
    labels = _substance_labels(
        [item.substance_id for item in submission.releases]
        + [item.substance_id for item in submission.transfers]
    )

    for attempt in (1, 2):
        try:
            with engine.begin() as connection:
                return _write(connection, submission, all_findings, who, when, labels)
        except sa_exc.IntegrityError as error:
            # Two imports of the same facility and year at once: the unique keys stop
            # the second; its second attempt then sees the first one's revision.
            if attempt == 2:
                raise RegisterError(
                    f"{submission.file}: the register refused the submission of "
                    f"{facility.facility_id} {submission.reporting_year}: "
                    f"{error.orig}. Nothing was written. Run the import again."
                ) from None
            logger.info("retrying %s after %s", submission.file, error.orig)
    raise AssertionError("unreachable")


def _claimable_row(
    submission_id: int,
    item: Release | Transfer,
    labels: Mapping[str, tuple[str, str]],
) -> dict[str, Any]:
    """The columns releases and transfers share: the quantity and its claims."""
    return {
        "submission_id": submission_id,
        "row_number": item.row,
        "substance_id": item.substance_id,
        "substance_name": labels[item.substance_id][0],
        "substance_group": labels[item.substance_id][1],
        "quantity": item.quantity,
        "unit": item.unit,
        "quantity_reported": item.quantity_reported,
        "unit_reported": item.unit_reported,
        "method": item.method,
        "confidential_value": item.confidential_value,
        "confidential_identity": item.confidential_identity,
        "confidentiality_ground": item.confidentiality_ground,
    }


def _write(
    connection: Connection,
    submission: Submission,
    all_findings: tuple[Finding, ...],
    submitted_by: str,
    received_at: dt.datetime,
    labels: Mapping[str, tuple[str, str]],
) -> ImportResult:
    facility = submission.facility
    year = submission.reporting_year
    same_report = (submissions.c.facility_id == facility.facility_id) & (
        submissions.c.reporting_year == year
    )

    earlier = connection.execute(
        sa.select(
            submissions.c.submission_id,
            submissions.c.revision,
            submissions.c.sha256,
            submissions.c.is_current,
        ).where(same_report)
    ).all()
    for row in earlier:
        if row.sha256 == submission.sha256:
            return ImportResult(
                file=submission.file,
                status="unchanged",
                facility_id=facility.facility_id,
                reporting_year=year,
                revision=row.revision,
                submission_id=row.submission_id,
                findings=all_findings,
            )

    _store_facility(connection, submission, received_at)

    revision = max((row.revision for row in earlier), default=0) + 1
    replaced = next((row.revision for row in earlier if row.is_current), None)
    if replaced is not None:
        connection.execute(
            submissions.update()
            .where(same_report & submissions.c.is_current)
            .values(is_current=False)
        )
    submission_id = connection.execute(
        submissions.insert(),
        {
            "facility_id": facility.facility_id,
            "reporting_year": year,
            "revision": revision,
            "is_current": True,
            "file_name": Path(submission.file).name,
            "sha256": submission.sha256,
            "submitted_by": submitted_by,
            "received_at": received_at,
            "form_version": submission.form_version,
            "language": submission.language,
            "facility_name": facility.name,
            "isic_code": facility.isic_code,
            "province_code": facility.province_code,
            "latitude": facility.latitude,
            "longitude": facility.longitude,
            "employees": facility.employees,
        },
    ).inserted_primary_key[0]

    release_rows = [
        {
            **_claimable_row(submission_id, item, labels),
            "medium": item.medium,
            "method_description": item.method_description,
        }
        for item in submission.releases
    ]
    transfer_rows = [
        {
            **_claimable_row(submission_id, item, labels),
            "waste_description": item.waste_description,
            "destination": item.destination,
            "treatment_code": item.treatment_code,
        }
        for item in submission.transfers
    ]
    activity_rows = [
        {
            "submission_id": submission_id,
            "row_number": item.row,
            "activity": item.activity,
            "quantity": item.quantity,
            "unit": item.unit,
        }
        for item in submission.activities
    ]
    finding_rows = [
        {
            "submission_id": submission_id,
            "code": item.code,
            "tier": item.tier,
            "sheet": item.sheet,
            "row_number": item.row,
            "column_name": item.column,
            "message": item.message,
            "hint": item.hint,
        }
        for item in all_findings
    ]
    # One executemany per table: the speed of a 100,000-row import depends on it.
    for table, rows in (
        (releases, release_rows),
        (transfers, transfer_rows),
        (activities, activity_rows),
        (findings, finding_rows),
    ):
        if rows:
            connection.execute(table.insert(), rows)

    logger.info(
        "imported %s as revision %d of %s %d",
        submission.file,
        revision,
        facility.facility_id,
        year,
    )
    return ImportResult(
        file=submission.file,
        status="imported",
        facility_id=facility.facility_id,
        reporting_year=year,
        revision=revision,
        submission_id=submission_id,
        replaced_revision=replaced,
        releases=len(release_rows),
        transfers=len(transfer_rows),
        activities=len(activity_rows),
        findings=all_findings,
    )


def _store_facility(
    connection: Connection, submission: Submission, received_at: dt.datetime
) -> None:
    """Insert the facility, or update its details when this submission is for its
    latest reporting year."""
    facility = submission.facility
    details = {
        "name": facility.name,
        "isic_code": facility.isic_code,
        "province_code": facility.province_code,
        "latitude": facility.latitude,
        "longitude": facility.longitude,
        "employees": facility.employees,
        "contact_name": facility.contact_name,
        "contact_email": facility.contact_email,
        "contact_phone": facility.contact_phone,
        "details_from_year": submission.reporting_year,
        "updated_at": received_at,
    }
    stored_year = connection.execute(
        sa.select(facilities.c.details_from_year).where(
            facilities.c.facility_id == facility.facility_id
        )
    ).scalar_one_or_none()
    if stored_year is None:
        connection.execute(
            facilities.insert(),
            {
                "facility_id": facility.facility_id,
                "first_received_at": received_at,
                **details,
            },
        )
    elif submission.reporting_year >= stored_year:
        connection.execute(
            facilities.update()
            .where(facilities.c.facility_id == facility.facility_id)
            .values(**details)
        )


# --- Looking things up ---


def previous_year_releases(
    engine: Engine, facility_id: str, reporting_year: int
) -> dict[tuple[str, str], float]:
    """Return what a facility released the year before ``reporting_year``.

    Validation compares a new submission with this to raise data-quality alerts.

    Args:
        engine: the register.
        facility_id: e.g. ``KH-00001``.
        reporting_year: the year of the submission being checked; the releases of
            ``reporting_year - 1`` (current revision) are returned.

    Returns:
        ``{(substance_id, medium): quantity}`` in each substance's reporting unit;
        empty when the facility did not report that year (or the register is empty).
    """
    if not sa.inspect(engine).has_table("submissions"):
        return {}
    query = (
        sa.select(
            releases.c.substance_id,
            releases.c.medium,
            sa.func.sum(releases.c.quantity).label("quantity"),
        )
        .join(submissions, releases.c.submission_id == submissions.c.submission_id)
        .where(
            (submissions.c.facility_id == facility_id)
            & (submissions.c.reporting_year == reporting_year - 1)
            & submissions.c.is_current
        )
        .group_by(releases.c.substance_id, releases.c.medium)
    )
    with engine.connect() as connection:
        return {
            (row.substance_id, row.medium): float(row.quantity)
            for row in connection.execute(query)
        }


def previous_lookup(
    engine: Engine,
) -> Callable[[str, int], dict[tuple[str, str], float]]:
    """Return ``lookup(facility_id, reporting_year)`` bound to ``engine``, the form
    :func:`prtr.validation.check_files` takes."""

    def lookup(facility_id: str, reporting_year: int) -> dict[tuple[str, str], float]:
        return previous_year_releases(engine, facility_id, reporting_year)

    return lookup


def _frame(connection: Connection, query: sa.Select) -> pd.DataFrame:
    result = connection.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _utc(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    # SQLite gives back naive datetimes; they were written in UTC.
    for column in columns:
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def list_facilities(engine: Engine) -> pd.DataFrame:
    """Return every facility with the years it reported and its number of revisions.

    Args:
        engine: the register.

    Returns:
        One row per facility: ``facility_id, name, isic_code, province_code,
        first_year, last_year, years, revisions, updated_at``.

    Raises:
        RegisterError: if the database holds no register.
    """
    _require_schema(engine)
    counts = (
        sa.select(
            submissions.c.facility_id,
            sa.func.min(submissions.c.reporting_year).label("first_year"),
            sa.func.max(submissions.c.reporting_year).label("last_year"),
            sa.func.count(sa.distinct(submissions.c.reporting_year)).label("years"),
            sa.func.count().label("revisions"),
        )
        .group_by(submissions.c.facility_id)
        .subquery()
    )
    query = (
        sa.select(
            facilities.c.facility_id,
            facilities.c.name,
            facilities.c.isic_code,
            facilities.c.province_code,
            counts.c.first_year,
            counts.c.last_year,
            counts.c.years,
            counts.c.revisions,
            facilities.c.updated_at,
        )
        .join(counts, counts.c.facility_id == facilities.c.facility_id)
        .order_by(facilities.c.facility_id)
    )
    with engine.connect() as connection:
        return _utc(_frame(connection, query), "updated_at")


def history(engine: Engine, facility_id: str) -> pd.DataFrame:
    """Return every revision a facility submitted, oldest year and revision first.

    Args:
        engine: the register.
        facility_id: e.g. ``KH-00001``.

    Returns:
        One row per revision: ``reporting_year, revision, is_current, received_at,
        submitted_by, file_name, sha256, form_version, releases, transfers,
        activities, findings``.

    Raises:
        RegisterError: if the facility has never submitted.
    """
    _require_schema(engine)

    def count(table: sa.Table, label: str) -> sa.ScalarSelect:
        return (
            sa.select(sa.func.count())
            .where(table.c.submission_id == submissions.c.submission_id)
            .scalar_subquery()
            .label(label)
        )

    query = (
        sa.select(
            submissions.c.reporting_year,
            submissions.c.revision,
            submissions.c.is_current,
            submissions.c.received_at,
            submissions.c.submitted_by,
            submissions.c.file_name,
            submissions.c.sha256,
            submissions.c.form_version,
            count(releases, "releases"),
            count(transfers, "transfers"),
            count(activities, "activities"),
            count(findings, "findings"),
        )
        .where(submissions.c.facility_id == facility_id)
        .order_by(submissions.c.reporting_year, submissions.c.revision)
    )
    with engine.connect() as connection:
        frame = _frame(connection, query)
    if frame.empty:
        raise RegisterError(
            f"Facility {facility_id!r} has no submission in the register "
            f"{describe(engine)}. List the facilities with prtr register facilities."
        )
    frame["is_current"] = frame["is_current"].astype(bool)
    return _utc(frame, "received_at")


# --- Tables for reports ---

_FACILITY_COLUMNS = [
    "reporting_year",
    "facility_id",
    "facility_name",
    "isic_code",
    "sector",
    "sector_km",
    "province_code",
    "province",
    "province_km",
    "latitude",
    "longitude",
]
_CLAIM_NAMES = ["confidential_value", "confidential_identity", "confidentiality_ground"]
_SUBMISSION_NAMES = [
    "submission_id",
    "revision",
    "received_at",
    "submitted_by",
    "file_name",
    "sha256",
]


def _current_rows(
    engine: Engine, table: sa.Table, columns: list[str], reporting_year: int | None
) -> pd.DataFrame:
    _require_schema(engine)
    query = (
        sa.select(
            submissions.c.reporting_year,
            submissions.c.facility_id,
            submissions.c.facility_name,
            submissions.c.isic_code,
            submissions.c.province_code,
            submissions.c.latitude,
            submissions.c.longitude,
            *(submissions.c[name] for name in _SUBMISSION_NAMES),
            table.c.row_number,
            *(table.c[name] for name in columns),
            *(table.c[name] for name in _CLAIM_NAMES),
        )
        .join(submissions, table.c.submission_id == submissions.c.submission_id)
        .where(submissions.c.is_current)
        .order_by(
            submissions.c.reporting_year,
            submissions.c.facility_id,
            table.c.row_number,
        )
    )
    if reporting_year is not None:
        query = query.where(submissions.c.reporting_year == reporting_year)
    with engine.connect() as connection:
        frame = _frame(connection, query)
    for name in ("confidential_value", "confidential_identity"):
        frame[name] = frame[name].astype(bool)
    frame["quantity"] = frame["quantity"].astype(float)
    return _with_places(_utc(frame, "received_at"))


def _with_places(frame: pd.DataFrame) -> pd.DataFrame:
    """Add sector and province names from the data package."""
    from prtr.datapackage import load_table

    sectors = load_table("sectors").set_index("isic_code")
    provinces = load_table("provinces").set_index("province_code")

    def sector_of(isic_code: str) -> tuple[str, str]:
        # A facility's class (4 digits) may be listed only as its group or division.
        code = str(isic_code)
        for length in range(len(code), 1, -1):
            if code[:length] in sectors.index:
                row = sectors.loc[code[:length]]
                return row["prtr_sector"], row["name_km"] or ""
        return "", ""

    found = {code: sector_of(code) for code in frame["isic_code"].unique()}
    frame["sector"] = frame["isic_code"].map(lambda code: found[code][0])
    frame["sector_km"] = frame["isic_code"].map(lambda code: found[code][1])
    frame["province"] = frame["province_code"].map(provinces["name_en"]).fillna("")
    frame["province_km"] = frame["province_code"].map(provinces["name_km"]).fillna("")
    return frame


_RELEASE_NAMES = [
    "substance_id",
    "substance_name",
    "substance_group",
    "medium",
    "quantity",
    "unit",
    "quantity_reported",
    "unit_reported",
    "method",
    "method_description",
]
_TRANSFER_NAMES = [
    "substance_id",
    "substance_name",
    "substance_group",
    "waste_description",
    "quantity",
    "unit",
    "quantity_reported",
    "unit_reported",
    "destination",
    "treatment_code",
    "method",
]


def _for_audience(frame: pd.DataFrame, audience: str, names: list[str]) -> pd.DataFrame:
    if audience == "public":
        return public_view(frame)
    if audience == "restricted":
        return frame[
            [
                *_FACILITY_COLUMNS,
                *names,
                *_CLAIM_NAMES,
                *_SUBMISSION_NAMES,
                "row_number",
            ]
        ].reset_index(drop=True)
    raise PrtrError(
        f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}."
    )


def current_releases(
    engine: Engine,
    reporting_year: int | None = None,
    *,
    audience: Audience = "restricted",
) -> pd.DataFrame:
    """Return the releases of the current revisions, with facility, sector and
    province.

    Args:
        engine: the register.
        reporting_year: one year, or None for every year.
        audience: ``"restricted"`` for everything the register holds (claims, file,
            submitter), ``"public"`` for what may be published (see
            :func:`public_view`). Anything shown to the public must use ``"public"``.

    Returns:
        One row per release (restricted), or per published release or confidential
        sum (public). Quantities are in the substance's reporting unit (``unit``).

    Raises:
        RegisterError: if the database holds no register.
    """
    frame = _current_rows(engine, releases, _RELEASE_NAMES, reporting_year)
    return _for_audience(frame, audience, _RELEASE_NAMES)


def current_submissions(engine: Engine, years: Iterable[int]) -> pd.DataFrame:
    """Return the current revision of each facility's report for the given years.

    Columns: ``submission_id, facility_id, reporting_year, revision, latitude,
    longitude``. None of them can carry a confidentiality claim (claims attach to
    releases and transfers), so the result may feed public outputs.
    """
    query = (
        sa.select(
            submissions.c.submission_id,
            submissions.c.facility_id,
            submissions.c.reporting_year,
            submissions.c.revision,
            submissions.c.latitude,
            submissions.c.longitude,
        )
        .where(submissions.c.is_current & submissions.c.reporting_year.in_(list(years)))
        .order_by(submissions.c.reporting_year, submissions.c.facility_id)
    )
    with engine.connect() as connection:
        return _frame(connection, query)


def current_rows(
    engine: Engine, table: sa.Table, columns: Sequence[str], year: int
) -> pd.DataFrame:
    """Return rows of the activities or the findings of the current reports of a year.

    Neither table holds a value or an identity a facility can claim confidential, so
    the result may feed public outputs.

    Args:
        engine: the register.
        table: :data:`activities` or :data:`findings`.
        columns: columns of that table; the first orders the rows of a facility.
        year: the reporting year.

    Returns:
        ``facility_id`` and the columns asked for, ordered by facility.

    Raises:
        ValueError: for another table.
    """
    if table is not activities and table is not findings:
        raise ValueError(
            f"current_rows reads activities or findings, not {table.name}."
        )
    query = (
        sa.select(submissions.c.facility_id, *(table.c[name] for name in columns))
        .join(submissions, table.c.submission_id == submissions.c.submission_id)
        .where(submissions.c.is_current & (submissions.c.reporting_year == year))
        .order_by(submissions.c.facility_id, table.c[columns[0]])
    )
    with engine.connect() as connection:
        return _frame(connection, query)


def current_transfers(
    engine: Engine,
    reporting_year: int | None = None,
    *,
    audience: Audience = "restricted",
) -> pd.DataFrame:
    """Return the off-site transfers of the current revisions, like
    :func:`current_releases`.

    Args:
        engine: the register.
        reporting_year: one year, or None for every year.
        audience: ``"restricted"`` or ``"public"``.

    Returns:
        One row per transfer (restricted), or per published transfer or confidential
        sum (public).

    Raises:
        RegisterError: if the database holds no register.
    """
    frame = _current_rows(engine, transfers, _TRANSFER_NAMES, reporting_year)
    return _for_audience(frame, audience, _TRANSFER_NAMES)


# --- Confidentiality ---

_PUBLIC_RELEASE_COLUMNS = [
    "row_kind",
    *_FACILITY_COLUMNS,
    "substance_id",
    "substance_name",
    "substance_group",
    "medium",
    "quantity",
    "unit",
    "method",
    "facility_count",
    "note",
]
_PUBLIC_TRANSFER_COLUMNS = [
    "row_kind",
    *_FACILITY_COLUMNS,
    "substance_id",
    "substance_name",
    "substance_group",
    "waste_description",
    "quantity",
    "unit",
    "destination",
    "treatment_code",
    "method",
    "facility_count",
    "note",
]


def _sum_is_safe(rows: pd.DataFrame, min_facilities: int, max_share: float) -> bool:
    by_facility = rows.groupby("facility_id")["quantity"].sum()
    if len(by_facility) < min_facilities:
        return False
    total = float(by_facility.sum())
    return total == 0 or float(by_facility.max()) / total <= max_share


def public_view(
    frame: pd.DataFrame,
    *,
    min_facilities: int = MIN_FACILITIES_PER_AGGREGATE,
    max_share: float = MAX_SHARE_OF_AGGREGATE,
) -> pd.DataFrame:
    """Return what of a restricted releases or transfers table may be published.

    This is the only way from the register to anything public: the public export, the
    national report and the website all call it (through ``audience="public"``).

    The rule:

    1. A row with a claim, on its value or on its substance's identity, is taken out
       of the facility rows. No public row names the facility, the substance or the
       quantity of a claimed row. The method description, the submitter and the file
       are never public.
    2. Claimed rows are published only as sums, with a generic name such as
       "Confidential substance (Heavy metals)", first by year, substance group,
       medium (releases) and unit; rows whose sum is not safe move up to the sum of
       their group over all media, then to one sum over all groups; what is still
       not safe is published as a row whose quantity is withheld. Units are never
       mixed (kg and g TEQ stay apart).
    3. A sum is safe when it adds up values of at least ``min_facilities`` facilities
       and no facility makes up more than ``max_share`` of it. So a group with
       exactly one hidden value never shows that value as its sum, and a facility
       that shares a sum with one other cannot subtract its own value to find the
       other's.
    4. Public sums hold only claimed values, never claimed and open values together:
       a reader adding the open rows and the confidential sums gets the register's
       total, but no subtraction of published numbers isolates a claimed value
       below the level of a safe sum.

    Args:
        frame: a restricted table from :func:`current_releases` or
            :func:`current_transfers`.
        min_facilities: the fewest facilities a published sum may add up.
        max_share: the largest share one facility may have of a published sum.

    Returns:
        The open rows (``row_kind`` "facility"), the safe sums ("confidential sum")
        and the withheld remainders ("confidential withheld"), with the public
        columns only.
    """
    is_release = "medium" in frame.columns
    columns = _PUBLIC_RELEASE_COLUMNS if is_release else _PUBLIC_TRANSFER_COLUMNS
    claimed = frame["confidential_value"] | frame["confidential_identity"]

    open_rows = frame.loc[~claimed].copy()
    open_rows["row_kind"] = "facility"
    open_rows["facility_count"] = 1
    open_rows["note"] = ""

    levels: list[list[str]] = [["reporting_year", "substance_group", "unit"]]
    if is_release:
        levels.insert(0, ["reporting_year", "substance_group", "medium", "unit"])
    levels.append(["reporting_year", "unit"])

    remaining = frame.loc[claimed]
    published: list[dict[str, Any]] = []
    for keys in levels:
        if remaining.empty:
            break
        safe_index: list[Any] = []
        for values, rows in remaining.groupby(keys, sort=True):
            if _sum_is_safe(rows, min_facilities, max_share):
                published.append(
                    _sum_row(dict(zip(keys, values, strict=True)), rows, is_release)
                )
                safe_index.extend(rows.index)
        remaining = remaining.drop(index=safe_index)
    if not remaining.empty:
        for values, _rows in remaining.groupby(levels[-1], sort=True):
            published.append(
                _withheld_row(dict(zip(levels[-1], values, strict=True)), is_release)
            )

    sums = pd.DataFrame(published, columns=columns)
    result = pd.concat(
        [frame_ for frame_ in (open_rows[columns], sums) if not frame_.empty]
        or [pd.DataFrame(columns=columns)],
        ignore_index=True,
    )
    result["facility_count"] = result["facility_count"].astype("Int64")
    return result[columns]


def _generic_name(group: str | None) -> str:
    if group is None:
        return "Confidential substances (all groups)"
    return f"Confidential substance ({group})"


def _sum_row(
    keys: dict[str, Any], rows: pd.DataFrame, is_release: bool
) -> dict[str, Any]:
    group = keys.get("substance_group")
    facility_count = int(rows["facility_id"].nunique())
    row: dict[str, Any] = {
        "row_kind": "confidential sum",
        "reporting_year": keys["reporting_year"],
        "substance_name": _generic_name(group),
        "substance_group": group or "All groups",
        "quantity": float(rows["quantity"].sum()),
        "unit": keys["unit"],
        "facility_count": facility_count,
        "note": (
            f"Sum of {len(rows)} values claimed confidential by {facility_count} "
            "facilities"
            + ("" if "medium" in keys or not is_release else ", all media")
            + "."
        ),
    }
    if is_release:
        row["medium"] = keys.get("medium", "all media")
    return row


def _withheld_row(keys: dict[str, Any], is_release: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "row_kind": "confidential withheld",
        "reporting_year": keys["reporting_year"],
        "substance_name": _generic_name(None),
        "substance_group": "All groups",
        "quantity": math.nan,
        "unit": keys["unit"],
        "facility_count": None,
        "note": (
            "Values claimed confidential by too few facilities to publish even "
            "their sum."
        ),
    }
    if is_release:
        row["medium"] = "all media"
    return row


# --- Export ---


def export_frame(
    engine: Engine, *, public: bool, reporting_year: int | None = None
) -> pd.DataFrame:
    """Return releases and transfers of the current revisions as one table.

    Args:
        engine: the register.
        public: True for what may be published only (:func:`public_view`); False
            for everything, claims included.
        reporting_year: one year, or None for every year.

    Returns:
        One table with a ``record`` column, ``release`` or ``transfer``.

    Raises:
        RegisterError: if the database holds no register.
    """
    audience: Audience = "public" if public else "restricted"
    parts = []
    for record, table in (
        ("release", current_releases(engine, reporting_year, audience=audience)),
        ("transfer", current_transfers(engine, reporting_year, audience=audience)),
    ):
        parts.append(table.assign(record=record))
    combined = pd.concat(
        [part for part in parts if not part.empty] or parts, ignore_index=True
    )
    ordered = ["record", *[name for name in combined.columns if name != "record"]]
    return combined[ordered]


def export_csv(
    engine: Engine,
    path: str | Path,
    *,
    public: bool,
    reporting_year: int | None = None,
) -> int:
    """Write :func:`export_frame` to a CSV file, with spreadsheet formulas
    neutralised (:mod:`prtr.csvsafe`).

    Args:
        engine: the register.
        path: the CSV file to write.
        public: True to write only what may be published.
        reporting_year: one year, or None for every year.

    Returns:
        The number of rows written.

    Raises:
        RegisterError: if the database holds no register.
    """
    frame = export_frame(engine, public=public, reporting_year=reporting_year)
    write_csv(frame, path)
    return len(frame)


# --- Checks for tests and audits ---


def row_counts(engine: Engine) -> dict[str, int]:
    """Return the number of rows of every register table (0 where it does not exist)."""
    present = set(sa.inspect(engine).get_table_names())
    counts = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            counts[table.name] = (
                connection.execute(
                    sa.select(sa.func.count()).select_from(table)
                ).scalar_one()
                if table.name in present
                else 0
            )
    return counts


def _canonical(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, float):
        return repr(value)
    return repr(value)


def register_checksum(engine: Engine) -> str:
    """Return a SHA-256 of everything the register holds, table by table, row by row
    in key order: two equal checksums mean an unchanged register.

    Args:
        engine: the register.

    Returns:
        A hexadecimal digest.
    """
    present = set(sa.inspect(engine).get_table_names())
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            digest.update(f"table {table.name}\n".encode())
            if table.name not in present:
                continue
            query = sa.select(table).order_by(*table.primary_key.columns)
            for row in connection.execute(query):
                digest.update(
                    ("|".join(_canonical(value) for value in row) + "\n").encode()
                )
    return digest.hexdigest()
