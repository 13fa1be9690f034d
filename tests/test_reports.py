"""``prtr report``: real kernels, a real SQLite register, real Chromium.

The notebooks here are small ones written by the tests, with the parameters of the
real report notebooks, so that a failure, leaked state or a timestamp can be provoked
on purpose; the real notebooks are run by ``test_report_confidentiality.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from register_support import release, submission

from prtr import register, reports
from prtr.cli import main

v4 = nbformat.v4

YEAR = 2024
FACILITIES = ["KH-00001", "KH-00002", "KH-00003"]
FAILING = "KH-00002"


def facility_notebook() -> nbformat.NotebookNode:
    """A facility report that fails for FAILING, and that would show state left by
    an earlier report in the same kernel (a variable, a pandas option, a warning
    shown only once, matplotlib settings)."""
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_markdown_cell("# Facility feedback report (test)"),
        v4.new_code_cell(
            'facility_id = "KH-00001"\nyear = 2024\naudience = "public"\n'
            'db_url = ""\nlanguage = "en"',
            metadata={"tags": ["parameters"]},
        ),
        v4.new_code_cell(
            "import warnings\nimport pandas as pd\nimport matplotlib\n"
            "import matplotlib.pyplot as plt\nfrom prtr import register"
        ),
        v4.new_code_cell(
            "try:\n    earlier_report\n    print('state left by an earlier report')\n"
            "except NameError:\n    earlier_report = facility_id\n"
            "print('display.max_rows', pd.get_option('display.max_rows'))\n"
            "print('lines.linewidth', matplotlib.rcParams['lines.linewidth'])\n"
            "pd.set_option('display.max_rows', 3)\n"
            "matplotlib.rcParams['lines.linewidth'] = 7\n"
            "warnings.warn('shown in every report', UserWarning)"
        ),
        v4.new_markdown_cell("## Releases"),
        v4.new_code_cell(
            "engine = register.connect(db_url, must_exist=True)\n"
            "releases = register.current_releases(engine, year, audience=audience)\n"
            "own = releases[releases.facility_id == facility_id]\n"
            f"if facility_id == {FAILING!r}:\n"
            "    raise ValueError(f'no sector for {facility_id}')\n"
            "own[['substance_name', 'medium', 'quantity', 'unit']]"
        ),
        v4.new_code_cell(
            "figure, axes = plt.subplots(figsize=(4, 2))\n"
            "axes.bar(own.substance_name, own.quantity)\n"
            "axes.set_title(f'Releases of {facility_id}')\nplt.show()"
        ),
    ]
    return nb


def national_notebook() -> nbformat.NotebookNode:
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_markdown_cell("# National PRTR report (test)"),
        v4.new_code_cell(
            'year = 2024\naudience = "public"\ndb_url = ""\nlanguage = "en"\n'
            'generated = ""',
            metadata={"tags": ["parameters"]},
        ),
        v4.new_code_cell("print(f'Generated {generated}.')"),
        v4.new_code_cell(
            "from prtr import register\n"
            "engine = register.connect(db_url, must_exist=True)\n"
            "releases = register.current_releases(engine, year, audience=audience)\n"
            "releases.groupby(['substance_name', 'medium'])['quantity'].sum()"
            ".reset_index()"
        ),
        v4.new_markdown_cell("Releases of $x$ kg, a formula."),
    ]
    return nb


@pytest.fixture
def workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Test notebooks (through PRTR_REPORT_NOTEBOOKS) and a register of three
    facilities, the last with a confidential value."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(facility_notebook(), notebooks / reports.FACILITY_NOTEBOOK)
    nbformat.write(national_notebook(), notebooks / reports.NATIONAL_NOTEBOOK)
    monkeypatch.setenv(reports.NOTEBOOKS_VARIABLE, str(notebooks))

    database = tmp_path / "register.sqlite"
    engine = register.connect(str(database))
    register.create_schema(engine)
    for number, facility_id in enumerate(FACILITIES, start=1):
        rows = (
            release(5, "mercury", "air", 1.5 * number),
            release(6, "lead", "water", 2.25 * number),
        )
        if facility_id == "KH-00003":
            rows += (
                release(
                    7,
                    "cadmium",
                    "water",
                    4321.987,
                    confidential_value=True,
                    confidentiality_ground="trade_secret",
                ),
            )
        register.import_submission(engine, submission(facility_id, YEAR, rows))
    engine.dispose()
    return {"db": str(database), "notebooks": str(notebooks)}


def run(*arguments: str) -> int:
    return main(["report", *arguments])


def test_a_failing_facility_is_named_with_its_cell_and_the_others_are_made(
    workbook: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"

    status = run(
        "facilities", "--year", str(YEAR), "--db", workbook["db"], "--out", str(out)
    )

    printed = capsys.readouterr()
    assert status == 1
    assert "Traceback" not in printed.out + printed.err
    failure = next(line for line in printed.out.splitlines() if "FAILED" in line)
    assert f"facility {FAILING}" in failure
    assert "cell 6" in failure
    assert "section 'Releases'" in failure
    assert "ValueError: no sector for KH-00002" in failure
    assert f"1 failed: facility {FAILING}." in printed.out
    for facility_id in FACILITIES:
        stem = out / "facilities" / f"{facility_id}-{YEAR}-public"
        made = facility_id != FAILING
        assert stem.with_suffix(".html").exists() == made
        assert stem.with_suffix(".ipynb").exists() == made
    kept = out / "failed" / "facilities" / f"{FAILING}-{YEAR}-public.ipynb"
    assert "no sector for KH-00002" in kept.read_text(encoding="utf-8")


def test_same_register_and_parameters_give_the_same_bytes(
    workbook: dict[str, str], tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        for kind in ("national", "facilities"):
            run(
                kind,
                "--year",
                str(YEAR),
                "--facility" if kind == "facilities" else "--language",
                "KH-00003" if kind == "facilities" else "en",
                "--db",
                workbook["db"],
                "--out",
                str(out),
            )

    files = sorted(path.relative_to(first) for path in first.rglob("*.*"))
    assert {path.suffix for path in files} == {".ipynb", ".html"}
    assert len(files) == 4
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    notebook = (first / "national-2024-public.ipynb").read_text(encoding="utf-8")
    for volatile in (
        "start_time",
        "end_time",
        "duration",
        "iopub.status",
        "input_path",
    ):
        assert volatile not in notebook
    assert '"id": "injected-parameters"' in notebook
    assert json.loads(notebook)["metadata"]["prtr"]["generated"].startswith(
        "from register state "
    )


def test_one_warm_kernel_gives_what_papermill_gives(
    workbook: dict[str, str], tmp_path: Path
) -> None:
    jobs = reports.facility_jobs(
        ["KH-00001", "KH-00003", "KH-00001"], YEAR, "public", workbook["db"]
    )
    jobs[2] = reports.ReportJob(
        "facility", jobs[2].notebook, jobs[2].parameters, "again/KH-00001", "again"
    )
    outputs = {}
    for engine in ("papermill", "warm"):
        summary = reports.run_reports(
            jobs,
            tmp_path / engine,
            formats=("html",),
            stamp="prtr test",
            engine=engine,
            workers=1,
        )
        assert not summary.failed
        outputs[engine] = summary.files

    for plain, warm in zip(outputs["papermill"], outputs["warm"], strict=True):
        assert plain.read_bytes() == warm.read_bytes(), warm
    third = nbformat.read(tmp_path / "warm" / "again" / "KH-00001.ipynb", 4)
    printed = "".join(
        output.get("text", "")
        for cell in third.cells
        for output in cell.get("outputs", [])
    )
    assert "state left by an earlier report" not in printed
    assert "display.max_rows 60" in printed
    assert "lines.linewidth 1.5" in printed
    assert "shown in every report" in printed


def test_html_has_no_code_and_loads_nothing_from_the_internet(
    workbook: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run("national", "--year", str(YEAR), "--db", workbook["db"], "--out", str(out))

    page = (out / "national-2024-public.html").read_text(encoding="utf-8")
    assert "<title>National PRTR report (test)</title>" in page
    assert "current_releases" not in page  # no code
    assert "Mercury" in page  # but the outputs
    assert "<script" not in page
    assert not re.search(r"(src|href)\s*=\s*[\"'](https?:)?//", page)
    for name in ("require.js", "MathJax", "mermaid", "cdnjs", "unpkg"):
        assert name not in page
    assert "Generated from register state " in page


def test_pdf_is_a_real_pdf_with_the_report_title(
    workbook: dict[str, str], tmp_path: Path
) -> None:
    import pypdf  # pinned in requirements.txt; the PDF's text is read back with it
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        status = run(
            "national",
            "--year",
            str(YEAR),
            "--format",
            "pdf",
            "--db",
            workbook["db"],
            "--out",
            str(out),
        )
        assert status == 0

    pdf = first / "national-2024-public.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert not (first / "national-2024-public.html").exists()  # only pdf was asked
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    assert "National PRTR report (test)" in text
    assert "Mercury" in text
    assert pdf.read_bytes() == (second / pdf.name).read_bytes()


def test_site_publishes_only_facilities_without_claims_with_code_hidden(
    workbook: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "site"
    (out / "facilities").mkdir(parents=True)
    (out / "facilities" / "KH-00003.ipynb").write_text("{}", encoding="utf-8")

    # The test facility notebook fails for KH-00002, so the run reports a failure;
    # the pages of the others are still written.
    status = run("site", "--year", str(YEAR), "--db", workbook["db"], "--out", str(out))

    assert status == 1
    pages = sorted(path.name for path in (out / "facilities").glob("*.ipynb"))
    assert pages == ["KH-00001.ipynb"]  # KH-00003 claimed a value: its page goes
    national = nbformat.read(out / "national.ipynb", as_version=4)
    code = [cell for cell in national.cells if cell.cell_type == "code"]
    assert all("remove-input" in cell.metadata["tags"] for cell in code)
    assert national.metadata["papermill"]["parameters"]["audience"] == "public"
    page = nbformat.read(out / "facilities" / "KH-00001.ipynb", as_version=4)
    headings = [
        line
        for cell in page.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("# ")
    ]
    assert headings[0].endswith("(KH-00001)")  # each page is titled by its facility


def test_bad_arguments_get_a_message_not_a_traceback(
    workbook: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--db", workbook["db"], "--out", str(tmp_path / "out")]

    assert run("national", "--year", "2031", *base) == 2
    assert run("national", "--year", str(YEAR), "--format", "docx", *base) == 2
    assert run("facilities", "--year", str(YEAR), "--facility", "KH-09999", *base) == 2
    assert run("site", "--year", str(YEAR), "--audience", "restricted", *base) == 2

    printed = capsys.readouterr()
    assert "Traceback" not in printed.err + printed.out
    assert "no report for 2031" in printed.err
    assert "--format 'docx'" in printed.err
    assert "KH-09999" in printed.err
    assert "website, which is public" in printed.err
