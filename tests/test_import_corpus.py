"""Every broken form of the corpus, imported with ``prtr import``: refused whole, with a
clear message and no traceback, and the register left exactly as it was."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from prtr import register
from prtr.cli import main

_SPEC = importlib.util.spec_from_file_location(
    "make_broken_forms_for_import",
    Path(__file__).parent / "data" / "make_broken_forms.py",
)
broken = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = broken
_SPEC.loader.exec_module(broken)

CRITICAL = [case for case in broken.CASES if case.code and case.code.startswith("C-")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return broken.make_all(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def register_url(
    corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A real SQLite register that already holds the good form's report."""
    url = f"sqlite:///{tmp_path_factory.mktemp('register') / 'register.sqlite'}"
    assert main(["import", str(corpus["good"]), "--db", url]) == 0
    return url


def _state(url: str) -> tuple[dict[str, int], str]:
    engine = register.connect(url)
    try:
        return register.row_counts(engine), register.register_checksum(engine)
    finally:
        engine.dispose()


def test_the_corpus_has_at_least_25_forms_that_must_be_refused():
    assert len(CRITICAL) >= 25


@pytest.mark.parametrize("case", CRITICAL, ids=lambda case: case.name)
def test_a_broken_form_leaves_the_register_unchanged(
    case, corpus, register_url, capsys
):
    before = _state(register_url)
    assert before[0]["releases"] > 0

    status = main(["import", str(corpus[case.name]), "--db", register_url])

    output = capsys.readouterr()
    text = output.out + output.err
    assert status == 1
    assert "Traceback" not in text
    assert f"{case.name}.xlsx" in text
    assert case.code in text
    assert _state(register_url) == before
