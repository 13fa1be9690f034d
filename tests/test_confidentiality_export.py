"""Confidential values and identities never reach a public output; exports are safe
to open in a spreadsheet. Run on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from register_support import BACKENDS, database_url, release, submission, transfer

from prtr import register
from prtr.cli import main
from prtr.csvsafe import FORMULA_TRIGGERS, neutralise_formula

#: Quantities and identities that facilities claim below; none may be published.
CLAIMED_QUANTITIES = [4321.987, 55.5123, 61.4417, 70.3331, 812.0077, 9.87654]
CLAIMED_IDENTITIES = ["hcb", "Hexachlorobenzene"]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    with database_url(request.param, tmp_path) as url:
        engine = register.connect(url)
        register.create_schema(engine)
        yield engine
        engine.dispose()


def claim(ground: str = "trade_secret", *, identity: bool = False) -> dict:
    if identity:
        return {"confidential_identity": True, "confidentiality_ground": ground}
    return {"confidential_value": True, "confidentiality_ground": ground}


def seed(engine: sa.Engine) -> None:
    """Five facilities:

    - KH-00001 hides one cadmium value to water (the only hidden value in that cell)
      and the identity of HCB (an industrial POP) sent off-site;
    - KH-00002..04 each hide a nickel release to air: three facilities, a safe sum;
    - KH-00005 hides a dioxin value (g TEQ), which must never be added to kilograms.
    """
    register.import_submission(
        engine,
        submission(
            "KH-00001",
            releases=(
                release(5, "mercury", "air", 1.5),
                release(6, "cadmium", "water", CLAIMED_QUANTITIES[0], **claim("A42d")),
                release(7, "cadmium", "air", 2.0),
            ),
            transfers=(
                transfer(5, "hcb", CLAIMED_QUANTITIES[5], **claim(identity=True)),
                transfer(6, "zinc", 140.0),
            ),
        ),
    )
    for number, quantity in zip((2, 3, 4), CLAIMED_QUANTITIES[1:4], strict=True):
        register.import_submission(
            engine,
            submission(
                f"KH-0000{number}",
                releases=(
                    release(5, "nickel", "air", quantity, **claim()),
                    release(6, "lead", "air", 10.0 * number),
                ),
            ),
        )
    register.import_submission(
        engine,
        submission(
            "KH-00005",
            releases=(
                release(
                    5,
                    "pcdd_pcdf",
                    "air",
                    CLAIMED_QUANTITIES[4],
                    unit="g TEQ",
                    **claim("national_security"),
                ),
            ),
        ),
    )


def numbers_in(text: str) -> list[str]:
    """Every way the claimed quantities could be written in the output."""
    found = []
    for quantity in CLAIMED_QUANTITIES:
        for written in (repr(quantity), f"{quantity:.2f}", f"{quantity:g}"):
            if written in text:
                found.append(written)
    return found


def test_public_export_holds_no_claimed_value_or_identity(
    engine: sa.Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(engine)
    out = tmp_path / "public.csv"

    status = main(
        ["register", "export", "--public", "--out", str(out), "--db", str(engine.url)]
    )
    text = out.read_text(encoding="utf-8-sig")

    assert status == 0
    assert "public data" in capsys.readouterr().out
    assert numbers_in(text) == []
    for identity in CLAIMED_IDENTITIES:
        assert identity.casefold() not in text.casefold()
    for ground in ("A42d", "trade_secret", "national_security"):
        assert ground not in text
    assert "stack sampling" not in text
    assert "dara@example.org" not in text
    # The open values are there.
    assert "Mercury and compounds" in text
    assert "140.0" in text


def test_restricted_export_holds_everything(
    engine: sa.Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(engine)
    out = tmp_path / "restricted.csv"

    status = main(["register", "export", "--out", str(out), "--db", str(engine.url)])
    text = out.read_text(encoding="utf-8-sig")

    assert status == 0
    assert "do not publish" in capsys.readouterr().out
    for quantity in CLAIMED_QUANTITIES:
        assert repr(quantity) in text
    assert "Hexachlorobenzene" in text
    assert "A42d" in text
    assert "national_security" in text


def test_three_hidden_values_are_published_as_their_sum(engine: sa.Engine) -> None:
    seed(engine)

    public = register.current_releases(engine, 2024, audience="public")

    sums = public[public["row_kind"] == "confidential sum"]
    assert sums[["substance_name", "medium", "facility_count"]].values.tolist() == [
        ["Confidential substance (Heavy metals)", "air", 3]
    ]
    assert sums["quantity"].iloc[0] == pytest.approx(sum(CLAIMED_QUANTITIES[1:4]))
    assert "nickel" not in public["substance_id"].dropna().tolist()


def test_a_lone_hidden_value_cannot_be_computed_back(engine: sa.Engine) -> None:
    seed(engine)
    restricted = register.current_releases(engine, 2024)
    public = register.current_releases(engine, 2024, audience="public")

    hidden = CLAIMED_QUANTITIES[0]
    open_heavy_metals_water = restricted[
        (restricted["substance_group"] == "Heavy metals")
        & (restricted["medium"] == "water")
        & ~restricted["confidential_value"]
    ]["quantity"].sum()
    published = public["quantity"].dropna()

    # Neither the value nor the group total that contains it is published ...
    assert not any(published.sub(hidden).abs() < 1e-6)
    assert not any(published.sub(hidden + open_heavy_metals_water).abs() < 1e-6)
    # ... nor any sum that contains it and a published neighbour only.
    withheld = public[public["row_kind"] == "confidential withheld"]
    assert set(withheld["unit"]) == {"kg", "g TEQ"}
    assert withheld["quantity"].isna().all()
    assert withheld["facility_count"].isna().all()


def test_grams_teq_are_never_added_to_kilograms(engine: sa.Engine) -> None:
    seed(engine)

    public = register.current_releases(engine, audience="public")

    for unit, rows in public.groupby("unit"):
        if unit == "g TEQ":
            assert rows["quantity"].dropna().empty
    assert not (public["quantity"] > CLAIMED_QUANTITIES[4]).any()


def test_a_dominant_facility_is_not_published_through_a_sum() -> None:
    restricted = pd.DataFrame(
        {
            "reporting_year": [2024] * 3,
            "facility_id": ["A", "B", "C"],
            "substance_group": ["Heavy metals"] * 3,
            "medium": ["air"] * 3,
            "unit": ["kg"] * 3,
            "quantity": [900.0, 1.0, 2.0],
            "confidential_value": [True] * 3,
            "confidential_identity": [False] * 3,
        }
    )
    for column in ("facility_name", "substance_id", "substance_name", "method"):
        restricted[column] = "x"
    for column in ("isic_code", "sector", "sector_km", "province_code", "province"):
        restricted[column] = "x"
    for column in ("province_km", "latitude", "longitude"):
        restricted[column] = "x"

    public = register.public_view(restricted)
    balanced = register.public_view(restricted.assign(quantity=[3.0, 1.0, 2.0]))

    assert public["row_kind"].tolist() == ["confidential withheld"]
    assert balanced["row_kind"].tolist() == ["confidential sum"]
    assert balanced["quantity"].tolist() == [6.0]


def test_public_transfers_hide_a_claimed_identity(engine: sa.Engine) -> None:
    seed(engine)

    public = register.current_transfers(engine, audience="public")
    restricted = register.current_transfers(engine)

    assert "hcb" in restricted["substance_id"].tolist()
    assert "hcb" not in public["substance_id"].dropna().tolist()
    assert "zinc" in public["substance_id"].tolist()
    text = public.to_csv()
    assert "Hexachlorobenzene" not in text
    assert repr(CLAIMED_QUANTITIES[5]) not in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://example.org")', '\'=HYPERLINK("http://example.org")'),
        ("+2+3", "'+2+3"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ("Lead", "Lead"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise_formula(text: str, expected: str) -> None:
    assert neutralise_formula(text) == expected


def test_exports_neutralise_formulas(engine: sa.Engine, tmp_path: Path) -> None:
    hostile = submission(
        "KH-00007",
        releases=(release(5, "mercury", "air", 1.0),),
        transfers=(
            transfer(5, "zinc", 2.0).__class__(
                row=5,
                substance_id="zinc",
                waste_description="-2+3 sludge",
                quantity=2.0,
                unit="kg",
                quantity_reported=2.0,
                unit_reported="kg",
                destination="@SUM(1+1)",
                treatment_code="\tD1",
            ),
        ),
        facility_changes={"name": '=HYPERLINK("http://evil.example","Click")'},
    )
    register.import_submission(engine, hostile)

    for public in (True, False):
        out = tmp_path / f"export-{public}.csv"
        register.export_csv(engine, out, public=public)
        rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        cells = [cell for row in rows for cell in row]

        assert not [
            cell for cell in cells if cell.lstrip(" ").startswith(FORMULA_TRIGGERS)
        ]
        assert '\'=HYPERLINK("http://evil.example","Click")' in cells
        assert "'@SUM(1+1)" in cells
        assert "'-2+3 sludge" in cells
