"""The data package: every table loads against its schema, and bad tables are refused
with their file, row and column."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from prtr.datapackage import check_all, load_table, resources
from prtr.errors import DatasetError


def test_every_table_of_the_data_package_matches_its_schema():
    counts = check_all()
    assert set(counts) == set(resources())
    assert all(count > 0 for count in counts.values()), counts


@pytest.mark.parametrize("table", ["thresholds", "emission_factors", "tefs"])
def test_every_number_from_a_document_names_document_table_and_year(table):
    rows = load_table(table)
    for column in ("source", "source_table"):
        assert (rows[column].str.strip() != "").all(), f"{table}: empty {column}"
    assert rows["source_year"].notna().all()


def test_the_synthetic_pilot_is_marked_synthetic_in_every_row_and_title(repo):
    for table in ("pilot_facilities", "pilot_activities"):
        assert load_table(table)["synthetic"].all()
        assert "SYNTHETIC" in resources()[table].description
    assert "synthetic" in (repo / "datasets/pilot/README.md").read_text().lower()


def test_pilot_is_big_and_varied_enough_for_the_exercise():
    facilities = load_table("pilot_facilities")
    assert len(facilities) >= 30
    assert facilities["isic_code"].nunique() >= 8
    assert facilities["province_code"].nunique() >= 8
    assert facilities["sme"].any() and not facilities["sme"].all()


def test_cambodia_has_25_provinces_with_khmer_names():
    provinces = load_table("provinces")
    assert len(provinces) == 25
    assert provinces["name_km"].str.match(r"^[\u1780-\u17FF\u19E0-\u19FF ]+$").all()


def _write_package(folder: Path, header: list[str], rows: list[list[str]]) -> None:
    fields = [
        {"name": "code", "type": "string", "constraints": {"required": True}},
        {"name": "cas", "type": "string", "x-cas": True},
        {"name": "value", "type": "number", "constraints": {"minimum": 0}},
        {"name": "unit", "type": "string", "x-unit": True},
        {"name": "kind", "type": "string", "constraints": {"enum": ["a", "b"]}},
    ]
    descriptor = {
        "name": "test",
        "resources": [
            {
                "name": "things",
                "path": "things.csv",
                "schema": {"fields": fields, "primaryKey": "code"},
            },
        ],
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with (folder / "things.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


GOOD_HEADER = ["code", "cas", "value", "unit", "kind"]


def test_a_good_table_loads_with_its_types(tmp_path):
    _write_package(
        tmp_path,
        GOOD_HEADER,
        [["x", "7439-97-6", "1.5", "kg", "a"], ["y", "", "", "", "b"]],
    )
    table = load_table("things", tmp_path)
    assert table["value"].tolist()[0] == 1.5
    assert table["value"].isna().tolist() == [False, True]
    assert table["cas"].tolist() == ["7439-97-6", ""]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["x", "7439-97-5", "1", "kg", "a"],
            "row 2, column cas: '7439-97-5' is not a valid CAS",
        ),
        (["x", "", "1,5", "kg", "a"], "row 2, column value: '1,5' is not a number"),
        (["x", "", "-1", "kg", "a"], "row 2, column value: -1 is below the minimum 0"),
        (["x", "", "1", "kgg", "a"], "row 2, column unit: 'kgg' is not a unit"),
        (
            ["x", "", "1", "kg", "c"],
            "row 2, column kind: 'c' is not one of the allowed values",
        ),
        (["", "", "1", "kg", "a"], "row 2, column code: is empty"),
        (["x", "", "1", "kg"], "row 2: 4 values for 5 columns"),
    ],
)
def test_a_bad_value_is_reported_with_file_row_and_column(tmp_path, row, expected):
    _write_package(tmp_path, GOOD_HEADER, [row])
    with pytest.raises(DatasetError) as caught:
        load_table("things", tmp_path)
    assert "things.csv" in str(caught.value)
    assert expected in str(caught.value)


def test_a_repeated_key_names_both_rows(tmp_path):
    _write_package(
        tmp_path, GOOD_HEADER, [["x", "", "1", "kg", "a"], ["x", "", "2", "kg", "a"]]
    )
    with pytest.raises(DatasetError, match="row 3: code = \\('x',\\) repeats row 2"):
        load_table("things", tmp_path)


def test_a_renamed_column_is_named_in_the_message(tmp_path):
    _write_package(tmp_path, ["code", "cas_number", "value", "unit", "kind"], [])
    with pytest.raises(DatasetError, match="Missing columns: \\['cas'\\]"):
        load_table("things", tmp_path)


def test_an_unknown_table_lists_the_known_ones(tmp_path):
    _write_package(tmp_path, GOOD_HEADER, [])
    with pytest.raises(DatasetError, match="known: things"):
        load_table("other", tmp_path)


def test_loaded_tables_are_copies_the_caller_may_change():
    first = load_table("sectors")
    first.loc[:, "isic_title"] = "changed"
    assert (load_table("sectors")["isic_title"] != "changed").all()
