"""The notebooks as committed: no stale outputs, the pilot marked synthetic."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    path
    for folder in ("notebooks", "exercises")
    for path in (REPO / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in path.parts
)


def _tool():
    spec = importlib.util.spec_from_file_location(
        "notebook_outputs", REPO / "tools" / "notebook_outputs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_only_pinned_answers_keep_their_outputs_in_git(path):
    notebook = nbformat.read(path, as_version=4)
    assert _tool().unexpected_outputs(notebook) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebooks_on_pilot_data_say_it_is_synthetic(path):
    text = path.read_text(encoding="utf-8")
    if "pilot" in text:
        assert "synthetic" in text.casefold()


def test_the_learners_worksheet_has_the_questions_but_no_solutions(tmp_path):
    from prtr.booktools import learner_worksheet

    source = REPO / "exercises" / "hfo-power-plant.ipynb"
    removed = learner_worksheet(source, tmp_path / source.name)
    worksheet = nbformat.read(tmp_path / source.name, as_version=4)
    text = "\n".join(cell.source for cell in worksheet.cells)
    assert removed >= 8
    assert "{exercise}" in text
    assert "{solution}" not in text
    assert "fuel_mass = (fuel_volume" not in text
    assert all(not cell.get("outputs") for cell in worksheet.cells)


def test_the_trainers_edition_shows_solutions_and_says_so(tmp_path):
    from prtr.booktools import trainer_config

    target = tmp_path / "_config.yml"
    trainer_config(REPO / "_config.yml", target)
    text = target.read_text(encoding="utf-8")
    assert "hide_solutions: false" in text
    assert "hide_solutions: true" not in text
    assert "trainer's edition" in text
    assert "hide_solutions: true" in (REPO / "_config.yml").read_text(encoding="utf-8")
