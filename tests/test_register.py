"""The register, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from register_support import BACKENDS, database_url, release, submission, transfer

from prtr import register
from prtr.cli import main
from prtr.errors import RegisterError
from prtr.submission import Finding


@pytest.fixture(params=BACKENDS)
def register_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(register_url: str) -> Iterator[sa.Engine]:
    engine = register.connect(register_url)
    register.create_schema(engine)
    yield engine
    engine.dispose()


def snapshot(engine: sa.Engine) -> tuple[dict[str, int], str]:
    return register.row_counts(engine), register.register_checksum(engine)


def critical_finding(file: str) -> Finding:
    return Finding(
        "E-TEST", "critical", file, "releases", 9, "D", "Not a number.", "Fix it."
    )


def test_import_stores_every_value_with_its_claim(engine: sa.Engine) -> None:
    received = dt.datetime(2025, 3, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    report = submission(
        releases=(
            release(5, "mercury", "air", 1.25),
            release(
                6,
                "lead",
                "water",
                3.5,
                confidential_value=True,
                confidentiality_ground="A42d",
            ),
        ),
        transfers=(transfer(5, "zinc", 80.0),),
    )

    result = register.import_submission(
        engine, report, submitted_by="Sok Dara", received_at=received
    )

    assert result.status == "imported"
    assert (result.revision, result.releases, result.transfers) == (1, 2, 1)
    counts = register.row_counts(engine)
    assert counts["submissions"] == 1
    assert counts["releases"] == 2
    assert counts["transfers"] == 1
    table = register.current_releases(engine, 2024)
    lead = table.set_index("substance_id").loc["lead"]
    assert lead["quantity"] == 3.5
    assert bool(lead["confidential_value"])
    assert lead["confidentiality_ground"] == "A42d"
    assert lead["substance_group"] == "Heavy metals"
    assert lead["sector"] == "Electric power generation"
    assert lead["province"] == "Phnom Penh"
    assert lead["submitted_by"] == "Sok Dara"
    assert lead["received_at"] == received
    assert str(lead["received_at"].tz) == "UTC"


def test_critical_finding_rejects_the_whole_file(engine: sa.Engine) -> None:
    register.import_submission(engine, submission("KH-00001"))
    before = snapshot(engine)

    bad = submission("KH-00002", findings=(critical_finding("KH-00002-2024.xlsx"),))
    result = register.import_submission(engine, bad)
    also_bad = register.import_submission(
        engine,
        submission("KH-00003"),
        findings=[critical_finding("KH-00003-2024.xlsx")],
    )

    assert result.status == "rejected"
    assert also_bad.status == "rejected"
    assert result.critical[0].code == "E-TEST"
    assert snapshot(engine) == before


def test_register_refuses_a_claim_without_ground(engine: sa.Engine) -> None:
    before = snapshot(engine)
    report = submission(
        releases=(release(5, "mercury", "air", 1.0, confidential_identity=True),)
    )

    result = register.import_submission(engine, report)

    assert result.status == "rejected"
    assert [item.code for item in result.critical] == ["REG-GROUND"]
    assert snapshot(engine) == before


def test_a_failure_half_way_leaves_the_register_unchanged(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    register.import_submission(engine, submission("KH-00001"))
    before = snapshot(engine)
    # Skip the register's own checks, so that the database's CHECK constraint stops
    # the write after the facility and submission rows are already inserted.
    monkeypatch.setattr(register, "_register_findings", lambda _submission: [])
    report = submission(
        "KH-00002",
        releases=(release(5, "mercury", "air", 1.0), release(6, "lead", "air", -4.0)),
    )

    with pytest.raises(RegisterError, match="Nothing was written"):
        register.import_submission(engine, report)

    assert snapshot(engine) == before


def test_the_same_file_again_changes_nothing(engine: sa.Engine) -> None:
    report = submission()
    first = register.import_submission(engine, report)
    before = snapshot(engine)

    again = register.import_submission(engine, report, submitted_by="someone else")

    assert first.status == "imported"
    assert again.status == "unchanged"
    assert again.revision == 1
    assert snapshot(engine) == before


def test_a_corrected_file_becomes_a_new_revision(engine: sa.Engine) -> None:
    original = submission(file="report.xlsx")
    corrected = dataclasses.replace(
        submission(releases=(release(5, "mercury", "air", 2.5),)),
        file="report-corrected.xlsx",
    )
    register.import_submission(engine, original, submitted_by="Dara")

    result = register.import_submission(engine, corrected, submitted_by="Vanna")

    assert (result.status, result.revision, result.replaced_revision) == (
        "imported",
        2,
        1,
    )
    revisions = register.history(engine, "KH-00001")
    assert revisions["revision"].tolist() == [1, 2]
    assert revisions["is_current"].tolist() == [False, True]
    assert revisions["file_name"].tolist() == ["report.xlsx", "report-corrected.xlsx"]
    assert revisions["submitted_by"].tolist() == ["Dara", "Vanna"]
    assert revisions["sha256"].tolist() == [original.sha256, corrected.sha256]
    assert revisions["releases"].tolist() == [3, 1]
    assert revisions["received_at"].is_monotonic_increasing
    current = register.current_releases(engine)
    assert current[["substance_id", "quantity"]].values.tolist() == [["mercury", 2.5]]
    assert register.row_counts(engine)["releases"] == 4


def test_the_first_file_again_after_a_revision_changes_nothing(
    engine: sa.Engine,
) -> None:
    original = submission()
    register.import_submission(engine, original)
    register.import_submission(
        engine, submission(releases=(release(5, "mercury", "air", 2.5),))
    )
    before = snapshot(engine)

    result = register.import_submission(engine, original)

    assert (result.status, result.revision) == ("unchanged", 1)
    assert snapshot(engine) == before


def test_only_one_current_revision_even_when_written_by_hand(
    engine: sa.Engine,
) -> None:
    register.import_submission(engine, submission())
    register.import_submission(
        engine, submission(releases=(release(5, "mercury", "air", 2.5),))
    )

    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(register.submissions.update().values(is_current=True))


def test_previous_year_releases_come_from_the_current_revision(
    engine: sa.Engine,
) -> None:
    register.import_submission(engine, submission(reporting_year=2024))
    register.import_submission(
        engine,
        submission(
            reporting_year=2024,
            releases=(
                release(5, "mercury", "air", 2.0),
                release(6, "mercury", "water", 0.5),
            ),
        ),
    )
    register.import_submission(engine, submission("KH-00009", reporting_year=2024))

    previous = register.previous_year_releases(engine, "KH-00001", 2025)

    assert previous == {("mercury", "air"): 2.0, ("mercury", "water"): 0.5}
    assert register.previous_year_releases(engine, "KH-00001", 2024) == {}
    assert register.previous_lookup(engine)("KH-00001", 2025) == previous


def test_previous_year_releases_of_an_empty_database(register_url: str) -> None:
    engine = register.connect(register_url)

    assert register.previous_year_releases(engine, "KH-00001", 2025) == {}
    engine.dispose()


def test_facilities_list_years_and_revisions(engine: sa.Engine) -> None:
    register.import_submission(engine, submission("KH-00002", 2024))
    register.import_submission(engine, submission("KH-00001", 2024))
    register.import_submission(engine, submission("KH-00001", 2025))
    register.import_submission(
        engine,
        submission(
            "KH-00001",
            2025,
            facility_changes={"name": "Renamed Plant (synthetic)"},
        ),
    )
    register.import_submission(
        engine,
        submission("KH-00001", 2024, facility_changes={"name": "Old name, sent late"}),
    )

    table = register.list_facilities(engine).set_index("facility_id")

    assert table.index.tolist() == ["KH-00001", "KH-00002"]
    assert table.loc["KH-00001", "revisions"] == 4
    assert table.loc["KH-00001", "years"] == 2
    assert table.loc["KH-00001", "last_year"] == 2025
    # A late revision for an earlier year does not overwrite newer details.
    assert table.loc["KH-00001", "name"] == "Renamed Plant (synthetic)"


def test_history_of_an_unknown_facility_says_so(engine: sa.Engine) -> None:
    with pytest.raises(RegisterError, match="KH-99999"):
        register.history(engine, "KH-99999")


def test_the_schema_can_be_created_twice(engine: sa.Engine) -> None:
    register.import_submission(engine, submission())
    before = snapshot(engine)

    register.create_schema(engine)

    assert snapshot(engine) == before


def test_register_commands_show_facilities_and_history(
    engine: sa.Engine, register_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    register.import_submission(engine, submission(file="first.xlsx"), submitted_by="A")
    register.import_submission(
        engine,
        submission(releases=(release(5, "mercury", "air", 9.0),), file="second.xlsx"),
        submitted_by="B",
    )

    assert main(["register", "facilities", "--db", register_url]) == 0
    listing = capsys.readouterr().out
    assert main(["register", "history", "KH-00001", "--db", register_url]) == 0
    revisions = capsys.readouterr().out
    assert main(["register", "history", "KH-12345", "--db", register_url]) == 2
    unknown = capsys.readouterr()

    assert "KH-00001" in listing
    assert "1 facilities." in listing
    assert "first.xlsx" in revisions
    assert "second.xlsx" in revisions
    assert "replaced" in revisions
    assert "current" in revisions
    assert "KH-12345" in unknown.err
    assert "Traceback" not in unknown.err


def test_database_url_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(register.ENVIRONMENT_VARIABLE, raising=False)
    default = register.database_url()
    monkeypatch.setenv(register.ENVIRONMENT_VARIABLE, "sqlite:///from-env.sqlite")
    from_environment = register.database_url()
    from_option = register.database_url("postgresql+psycopg://u@h/db")
    plain_path = register.database_url("some/file.sqlite")

    assert default == f"sqlite:///{tmp_path.resolve() / 'prtr-register.sqlite'}"
    assert from_environment == "sqlite:///from-env.sqlite"
    assert from_option == "postgresql+psycopg://u@h/db"
    assert plain_path == f"sqlite:///{tmp_path.resolve() / 'some' / 'file.sqlite'}"


def test_reading_commands_do_not_create_a_register(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing-here.sqlite"

    status = main(["register", "facilities", "--db", str(missing)])

    assert status == 2
    assert "There is no register" in capsys.readouterr().err
    assert not missing.exists()


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(RegisterError, match="Cannot open the register"):
        register.connect("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")


def test_a_password_is_not_shown_in_messages() -> None:
    with pytest.raises(RegisterError) as raised:
        register.connect("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")

    assert "secret" not in str(raised.value)
