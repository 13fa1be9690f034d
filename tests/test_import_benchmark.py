"""The import benchmark runs and writes its results (a small run; the real one is
``benchmarks/import_benchmark.py`` with 100,000 rows)."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest


def test_benchmark_writes_its_results(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "import.json"
    benchmark = runpy.run_path(str(repo / "benchmarks" / "import_benchmark.py"))

    status = benchmark["main"](["--rows", "250", "--out", str(out)])

    results = json.loads(out.read_text(encoding="utf-8"))
    assert status == 0
    assert results["rows"] == 250
    assert results["submissions"] >= 1
    assert results["validate_and_import_seconds"] > 0
    assert results["one_statement_at_a_time_rows_per_second"] > 0
    assert "rows/s" in capsys.readouterr().out
