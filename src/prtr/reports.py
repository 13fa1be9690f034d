"""Run the report notebooks and turn them into the files a reader gets.

The national report and the facility feedback reports are notebooks in
``notebooks/reports/`` with a cell tagged ``parameters``, as papermill expects. This
module runs them for a set of parameters, keeps each executed notebook, and writes
HTML without code cells (offline: no script or style from the internet) and PDF
printed by Debian's headless Chromium, which shapes Khmer text.

Two ways to run a notebook give the same notebook:

- :class:`PapermillRunner` calls papermill, which starts a new kernel for every
  report (about two seconds each, most of it starting Python and importing pandas);
- :class:`WarmKernelRunner` starts one kernel and runs report after report in it,
  resetting the namespace in between, so that imports and whatever the report
  library caches are paid for once. The ``prtr report`` command uses it.

Everything written is deterministic: the same register and parameters give the same
bytes. Timings, random cell ids and kernel execution counters are removed or fixed;
the one generation stamp (the notebooks' ``generated`` parameter) names a checksum of
the register and the prtr version, not a time.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import queue
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import nbformat
import sqlalchemy as sa
from nbformat import NotebookNode

from prtr import __version__
from prtr import register as register_db
from prtr.errors import PrtrError

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "FACILITY_NOTEBOOK",
    "FORMATS",
    "MAX_WORKERS",
    "NATIONAL_NOTEBOOK",
    "PapermillRunner",
    "PdfPrinter",
    "ReportFailure",
    "ReportJob",
    "ReportOutcome",
    "RunSummary",
    "WarmKernelRunner",
    "facilities_reporting",
    "facilities_with_claims",
    "facility_jobs",
    "facility_names",
    "generation_stamp",
    "national_job",
    "normalise_notebook",
    "notebook_directory",
    "notebook_to_html",
    "run_reports",
    "safe_database_url",
]

logger = logging.getLogger(__name__)

#: The notebooks, in ``notebooks/reports/`` of the workbook.
NATIONAL_NOTEBOOK = "national_report.ipynb"
FACILITY_NOTEBOOK = "facility_report.ipynb"

#: Environment variable naming another folder of report notebooks.
NOTEBOOKS_VARIABLE = "PRTR_REPORT_NOTEBOOKS"

#: What ``--format`` accepts. The executed notebook is always kept.
FORMATS = ("ipynb", "html", "pdf")

#: More kernels started at once than this have clashed over ZMQ ports on this
#: machine, and two cores gain nothing from more.
MAX_WORKERS = 2

#: Debian's Chromium, installed by ``.ci/run``, and how it runs without a display.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

#: Seconds a single cell may run before the report counts as failed.
CELL_TIMEOUT = 600

Kind = Literal["national", "facility"]
Runner = Callable[["ReportJob"], NotebookNode]


# --- What to run ---


@dataclass(frozen=True)
class ReportJob:
    """One report to make: a notebook, its parameters, and where its files go.

    Attributes:
        kind: ``national`` or ``facility``.
        notebook: the notebook to run.
        parameters: the values papermill injects (``year``, ``audience``, ...).
        stem: the output path without suffix, relative to the output folder, e.g.
            ``facilities/KH-00001-2025-public``.
        label: how messages name the report, e.g. ``facility KH-00001``.
        title: the report's title, replacing the notebook's own; empty to keep it.
            Facility reports take the facility's name, so that a website that lists
            many of them does not list the same title many times.
    """

    kind: Kind
    notebook: Path
    parameters: Mapping[str, Any]
    stem: str
    label: str
    title: str = ""


@dataclass(frozen=True)
class ReportFailure:
    """Where and why a report's notebook stopped.

    Attributes:
        cell_number: 1-based position of the failing cell in the report's notebook
            (the cell papermill injects is not counted).
        cell_label: the section heading above the cell and its first line of code.
        error: the exception's name and message.
    """

    cell_number: int | None
    cell_label: str
    error: str

    def describe(self) -> str:
        """Return one line: which cell, and what went wrong."""
        where = (
            f"cell {self.cell_number} ({self.cell_label})"
            if self.cell_number is not None
            else "before any cell ran"
        )
        return f"{where}: {self.error}"


@dataclass
class ReportOutcome:
    """What became of one report."""

    job: ReportJob
    files: list[Path] = field(default_factory=list)
    failure: ReportFailure | None = None

    @property
    def ok(self) -> bool:
        """True when every file of the report was written."""
        return self.failure is None


@dataclass
class RunSummary:
    """The outcomes of a run, in the order of the jobs."""

    outcomes: list[ReportOutcome]

    @property
    def failed(self) -> list[ReportOutcome]:
        """The reports that could not be made."""
        return [outcome for outcome in self.outcomes if not outcome.ok]

    @property
    def files(self) -> list[Path]:
        """Every file written."""
        return [path for outcome in self.outcomes for path in outcome.files]


def notebook_directory() -> Path:
    """Return the folder of the report notebooks.

    ``PRTR_REPORT_NOTEBOOKS`` names another folder; else ``notebooks/reports`` of the
    workbook this package was installed from.

    Raises:
        PrtrError: if the folder does not exist.
    """
    configured = os.environ.get(NOTEBOOKS_VARIABLE)
    folder = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2] / "notebooks" / "reports"
    )
    if not folder.is_dir():
        raise PrtrError(
            f"The report notebooks are not in {folder}. Run prtr from a copy of the "
            f"workbook, or set {NOTEBOOKS_VARIABLE} to their folder."
        )
    return folder


def safe_database_url(engine: sa.Engine) -> tuple[str, dict[str, str]]:
    """Return the register's URL without its password, and the environment that
    gives the password to the report's kernel.

    The URL is written into every executed notebook, and public notebooks are
    published: a password must not travel with it. PostgreSQL's client library reads
    ``PGPASSWORD`` instead.

    Args:
        engine: the register.

    Returns:
        The URL to inject as ``db_url``, and variables to add to the environment.
    """
    url = engine.url
    if url.password is None:
        return url.render_as_string(hide_password=False), {}
    password = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), {
        "PGPASSWORD": password
    }


def _template(notebook: Path | None, name: str) -> Path:
    path = notebook or notebook_directory() / name
    if not path.is_file():
        raise PrtrError(
            f"The report notebook {path} does not exist. Set {NOTEBOOKS_VARIABLE} "
            "to the folder that holds national_report.ipynb and facility_report.ipynb."
        )
    return path


def national_job(
    year: int,
    audience: str,
    db_url: str,
    *,
    language: str = "en",
    generated: str = "",
    notebook: Path | None = None,
    stem: str | None = None,
) -> ReportJob:
    """Return the job of the national report.

    Args:
        year: the reporting year.
        audience: ``public`` or ``restricted``.
        db_url: the register, as the notebook will open it.
        language: the language of the report's text.
        generated: the generation stamp the report shows (:func:`generation_stamp`).
        notebook: another notebook than ``national_report.ipynb``.
        stem: the output path without suffix (default ``national-YEAR-AUDIENCE``).

    Returns:
        The job.
    """
    return ReportJob(
        kind="national",
        notebook=_template(notebook, NATIONAL_NOTEBOOK),
        parameters={
            "year": year,
            "audience": audience,
            "db_url": db_url,
            "language": language,
            "generated": generated,
        },
        stem=stem or f"national-{year}-{audience}",
        label="national report",
    )


def facility_jobs(
    facility_ids: Iterable[str],
    year: int,
    audience: str,
    db_url: str,
    *,
    language: str = "en",
    generated: str = "",
    notebook: Path | None = None,
    folder: str = "facilities",
    with_year: bool = True,
    names: Mapping[str, str] | None = None,
) -> list[ReportJob]:
    """Return the jobs of facility feedback reports, one per facility.

    Args:
        facility_ids: the facilities, e.g. ``KH-00001``.
        year: the reporting year.
        audience: ``public`` or ``restricted``.
        db_url: the register, as the notebook will open it.
        language: the language of the report's text.
        generated: the generation stamp the report shows (:func:`generation_stamp`).
        notebook: another notebook than ``facility_report.ipynb``.
        folder: the sub-folder of the output folder for these reports.
        with_year: name the files ``ID-YEAR-AUDIENCE`` (True) or just ``ID``.
        names: facility names by identifier, for the reports' titles.

    Returns:
        The jobs, in the order of ``facility_ids``.
    """
    template = _template(notebook, FACILITY_NOTEBOOK)
    return [
        ReportJob(
            kind="facility",
            notebook=template,
            parameters={
                "facility_id": facility_id,
                "year": year,
                "audience": audience,
                "db_url": db_url,
                "language": language,
                "generated": generated,
            },
            stem=f"{folder}/{facility_id}"
            + (f"-{year}-{audience}" if with_year else ""),
            label=f"facility {facility_id}",
            title=_facility_title(facility_id, (names or {}).get(facility_id, "")),
        )
        for facility_id in facility_ids
    ]


# --- Questions to the register ---


def _facility_title(facility_id: str, name: str) -> str:
    return f"{name} ({facility_id})" if name else f"Facility {facility_id}"


def facility_names(engine: sa.Engine) -> dict[str, str]:
    """Return every facility's name, by identifier, as the register holds it."""
    facilities = register_db.list_facilities(engine)
    return dict(zip(facilities["facility_id"], facilities["name"], strict=True))


def facilities_reporting(engine: sa.Engine, year: int) -> list[str]:
    """Return the facilities with a current report for ``year``, in order.

    Args:
        engine: the register.
        year: the reporting year.

    Returns:
        Facility identifiers.

    Raises:
        RegisterError: if the database holds no register.
    """
    register_db.list_facilities(engine)  # raises a clear error on an empty database
    submissions = register_db.submissions
    query = (
        sa.select(submissions.c.facility_id)
        .where(submissions.c.reporting_year == year, submissions.c.is_current)
        .order_by(submissions.c.facility_id)
    )
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def facilities_with_claims(engine: sa.Engine, year: int | None = None) -> set[str]:
    """Return the facilities that claimed confidentiality for any value or identity
    in a current report (of ``year``, or of any year).

    Their facility reports are not published: even with the claimed rows left out,
    a page about one facility tells more than the public tables may.

    Args:
        engine: the register.
        year: one reporting year, or None for every year.

    Returns:
        Facility identifiers.
    """
    claimed: set[str] = set()
    for table in (
        register_db.current_releases(engine, year),
        register_db.current_transfers(engine, year),
    ):
        if table.empty:
            continue
        mask = table["confidential_value"] | table["confidential_identity"]
        claimed.update(table.loc[mask, "facility_id"])
    return claimed


def generation_stamp(engine: sa.Engine) -> str:
    """Return the one stamp a report carries: which state of the register it was
    made from, and by which prtr, so that a reader can tell two editions apart. It
    holds no clock time, so that the same register gives the same files.

    Args:
        engine: the register.

    Returns:
        E.g. ``from register state 3f2a9c1b07de (last submission received 31 March
        2026) by prtr 0.1.0``; the notebooks print it after "Generated".
    """
    submissions = register_db.submissions
    with engine.connect() as connection:
        latest = connection.execute(
            sa.select(sa.func.max(submissions.c.received_at))
        ).scalar_one_or_none()
    received = (
        f" (last submission received {latest.day} {latest:%B %Y})" if latest else ""
    )
    checksum = register_db.register_checksum(engine)[:12]
    return f"from register state {checksum}{received} by prtr {__version__}"


# --- Running a notebook ---


class _NotebookFailedError(Exception):
    """A report's notebook stopped; carries the partly executed notebook."""

    def __init__(self, failure: ReportFailure, notebook: NotebookNode | None) -> None:
        super().__init__(failure.describe())
        self.failure = failure
        self.notebook = notebook


def _cell_label(nb: NotebookNode, index: int) -> str:
    heading = ""
    for cell in nb.cells[:index]:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    heading = line.lstrip("#").strip()
    code_line = next(
        (
            line.strip()
            for line in nb.cells[index].source.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ),
        "",
    )
    if len(code_line) > 60:
        code_line = code_line[:57] + "..."
    parts = [f"section {heading!r}"] if heading else []
    if code_line:
        parts.append(f"code {code_line!r}")
    return ", ".join(parts) or "an empty cell"


def _failure(nb: NotebookNode, index: int, ename: str, evalue: str) -> ReportFailure:
    # Count cells as the notebook's author sees them: without the injected cell.
    injected = sum(
        1
        for cell in nb.cells[:index]
        if "injected-parameters" in cell.metadata.get("tags", [])
    )
    message = f"{ename}: {evalue}".strip().rstrip(":")
    return ReportFailure(index + 1 - injected, _cell_label(nb, index), message)


_TEMPLATES: dict[tuple[str, int], NotebookNode] = {}
_TEMPLATES_LOCK = threading.Lock()


def _parameterised(job: ReportJob) -> NotebookNode:
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    # papermill's own reader, which gives every cell a tags list, as papermill does;
    # read once per notebook file and version.
    key = (str(job.notebook), job.notebook.stat().st_mtime_ns)
    with _TEMPLATES_LOCK:
        template = _TEMPLATES.get(key)
        if template is None:
            template = _TEMPLATES[key] = load_notebook_node(str(job.notebook))
    nb = copy.deepcopy(template)
    return parameterize_notebook(
        nb, dict(job.parameters), kernel_name="python3", language="python"
    )


class _Runner(Protocol):
    def __call__(self, job: ReportJob) -> NotebookNode: ...


class PapermillRunner:
    """Run each report with papermill: a new kernel per report.

    This is the plain way, the one an analyst uses by hand; the benchmark compares
    :class:`WarmKernelRunner` with it, and the tests check both give the same notebook.
    """

    def __enter__(self) -> PapermillRunner:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def __call__(self, job: ReportJob) -> NotebookNode:
        """Execute ``job``'s notebook and return it (not yet normalised).

        Raises:
            _NotebookFailedError: if a cell raised.
        """
        import papermill
        from papermill.exceptions import PapermillExecutionError

        try:
            return papermill.execute_notebook(
                str(job.notebook),
                None,
                parameters=dict(job.parameters),
                kernel_name="python3",
                language="python",
                progress_bar=False,
                log_output=False,
                cwd=str(job.notebook.parent),
                execution_timeout=CELL_TIMEOUT,
            )
        except PapermillExecutionError as error:
            nb = _parameterised(job)
            index = min(error.cell_index, len(nb.cells) - 1)
            raise _NotebookFailedError(
                _failure(nb, index, error.ename, error.evalue), None
            ) from None


# Loaded into the warm kernel as a module when it starts: it remembers what a new
# kernel has, and puts it back before each report but the first. Modules stay
# imported (that is the point) and keep their caches; the user namespace, figures,
# matplotlib's and pandas' options and the warnings' registries are set back.
_KERNEL_STATE_MODULE = """
import sys
import warnings

warning_filters = list(warnings.filters)
initial_names = set(get_ipython().user_ns)


def reset(shell):
    warnings.filters[:] = warning_filters
    warnings._filters_mutated()
    for module in list(sys.modules.values()):
        registry = getattr(module, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib
        import matplotlib.pyplot as plt
        from matplotlib_inline.backend_inline import InlineBackend

        plt.close("all")
        matplotlib.rc_file_defaults()
        matplotlib.rcParams.update(InlineBackend.instance().rc)
    if "pandas" in sys.modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sys.modules["pandas"].reset_option("all")
    # What %reset -f does, without its garbage collection, which costs more than a
    # whole report.
    names = shell.user_ns
    names["_oh"].clear()
    for name in [name for name in names if name not in initial_names]:
        del names[name]
    for name in ("_", "__", "___"):
        names[name] = ""
"""

_SNAPSHOT_CODE = f"""
import sys as _sys, types as _types
_state = _types.ModuleType("_prtr_warm_kernel")
_state.get_ipython = get_ipython
exec({_KERNEL_STATE_MODULE!r}, _state.__dict__)
_sys.modules["_prtr_warm_kernel"] = _state
del _sys, _types, _state
"""

_RESET_CODE = '__import__("sys").modules["_prtr_warm_kernel"].reset(get_ipython())'


_KERNEL_START = threading.Lock()


class WarmKernelRunner:
    """Run report after report in one kernel.

    The kernel starts once. Before each report but the first, the user namespace is
    emptied (as ``%reset -f`` does), figures are closed, and matplotlib's, pandas'
    and the warnings module's settings are set back to those of a new kernel; imported
    modules stay, with what they cache. A report whose kernel dies is failed and the
    next one gets a new kernel.

    Use as a context manager: the kernel stops on exit.
    """

    def __init__(self, cwd: Path | None = None, env: Mapping[str, str] | None = None):
        self._cwd = cwd
        self._env = dict(env or {})
        self._client: Any = None
        self._language_info: dict[str, Any] = {}
        self._used = False
        self._socket_dir: Path | None = None

    def __enter__(self) -> WarmKernelRunner:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _start(self, cwd: Path) -> None:
        from nbclient import NotebookClient

        client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_name="python3",
            timeout=CELL_TIMEOUT,
            record_timing=False,
            allow_errors=False,
        )
        self._socket_dir = Path(tempfile.mkdtemp(prefix="prtr-kernel-"))
        with _KERNEL_START:
            # Unix sockets: no TCP port to clash over, nothing on the network.
            client.km = client.kernel_manager_class(
                kernel_name="python3",
                transport="ipc",
                ip=str(self._socket_dir / "kernel"),
            )
            client.start_new_kernel(cwd=str(cwd), env={**os.environ, **self._env})
            client.start_new_kernel_client()
        reply = client.wait_for_reply(client.kc.kernel_info())
        self._language_info = reply["content"]["language_info"]
        self._client = client
        self._cwd = cwd
        self._used = False
        self._silent(_SNAPSHOT_CODE)

    def _silent(self, code: str) -> None:
        client = self._client
        reply = client.wait_for_reply(
            client.kc.execute(code, silent=True, store_history=False)
        )
        if reply is None or reply["content"]["status"] != "ok":
            content = reply["content"] if reply else {}
            raise RuntimeError(
                "resetting the report kernel failed: "
                f"{content.get('ename', '')}: {content.get('evalue', '')}"
            )

    def close(self) -> None:
        """Stop the kernel."""
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client._cleanup_kernel()
            self._client = None
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None

    def __call__(self, job: ReportJob) -> NotebookNode:
        """Execute ``job``'s notebook in the warm kernel and return it.

        Raises:
            _NotebookFailedError: if a cell raised or the kernel died.
        """
        from nbclient.exceptions import CellExecutionError, DeadKernelError

        cwd = job.notebook.parent
        if self._client is None or self._cwd != cwd:
            self.close()
            self._start(cwd)
        elif self._used:
            self._silent(_RESET_CODE)
        self._used = True

        nb = _parameterised(job)
        client = self._client
        client.nb = nb
        client.reset_execution_trackers()
        nb.metadata["language_info"] = copy.deepcopy(self._language_info)
        index = 0
        try:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(
                    cell, index, execution_count=client.code_cells_executed + 1
                )
        except CellExecutionError as error:
            raise _NotebookFailedError(
                _failure(nb, index, error.ename, error.evalue), nb
            ) from None
        except (DeadKernelError, TimeoutError) as error:
            self.close()
            raise _NotebookFailedError(
                _failure(nb, index, type(error).__name__, str(error)), nb
            ) from None
        finally:
            client.nb = nbformat.v4.new_notebook()
        client.set_widgets_metadata()
        return nb


# --- Making the output the same every time ---

_SVG_DATE = re.compile(r"<dc:date>[^<]*</dc:date>\s*")
# A warning or traceback names the kernel's cell file, which holds its process id.
_KERNEL_CELL_FILE = re.compile(r"ipykernel_[0-9]+/")
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info", "papermill", "prtr")


def _retitle(nb: NotebookNode, title: str) -> None:
    """Put ``title`` in place of the first top-level heading of the notebook."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines = cell.source.splitlines()
            for number, line in enumerate(lines):
                if line.startswith("# "):
                    lines[number] = f"# {title}"
                    cell.source = "\n".join(lines)
                    return


def normalise_notebook(
    nb: NotebookNode, job: ReportJob, stamp: str, *, hide_code: bool = False
) -> NotebookNode:
    """Remove from an executed notebook what would differ from run to run.

    Timings, papermill's paths and times, widget state, random cell ids and the
    kernel's execution counter go; execution counts run 1, 2, 3, ... as in a new
    kernel. The notebook records its parameters and the generation stamp.

    Args:
        nb: the executed notebook (changed in place).
        job: the report it is.
        stamp: the generation stamp (:func:`generation_stamp`).
        hide_code: tag every code cell ``remove-input``, for the website.

    Returns:
        ``nb``.
    """
    nb.nbformat, nb.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
    metadata = nb.metadata
    for key in list(metadata):
        if key not in _KEPT_NOTEBOOK_METADATA:
            del metadata[key]
    metadata["papermill"] = {"parameters": dict(job.parameters)}
    metadata["prtr"] = {"report": job.kind, "generated": stamp}

    if job.title:
        _retitle(nb, job.title)

    count = 0
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        tags = list(cell.metadata.get("tags", []))
        cell_id = cell.get("id")
        if "injected-parameters" in tags:
            cell_id = "injected-parameters"
        if not cell_id or cell_id in seen:
            cell_id = f"cell-{index}"
        cell["id"] = cell_id
        seen.add(cell_id)
        for key in ("papermill", "execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            continue
        if hide_code and "remove-input" not in tags:
            tags.append("remove-input")
        if tags:
            cell.metadata["tags"] = tags
        if cell.get("execution_count") is not None:
            count += 1
            cell["execution_count"] = count
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = _KERNEL_CELL_FILE.sub("ipykernel/", output["text"])
            if output.get("output_type") == "error":
                output["traceback"] = [
                    _KERNEL_CELL_FILE.sub("ipykernel/", line)
                    for line in output["traceback"]
                ]
            if output.get("output_type") == "execute_result":
                output["execution_count"] = cell.get("execution_count")
            output.get("metadata", {}).pop("execution", None)
            data = output.get("data", {})
            if "image/svg+xml" in data:
                data["image/svg+xml"] = _SVG_DATE.sub("", str(data["image/svg+xml"]))
            if "application/vnd.jupyter.widget-view+json" in data:
                data["application/vnd.jupyter.widget-view+json"]["model_id"] = (
                    f"widget-{index}"
                )
    return nb


def _notebook_title(nb: NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return re.sub(r"[*_`]", "", line[2:]).strip()
    # A title printed by a code cell as Markdown output.
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/markdown", "")
            for line in str(text).splitlines():
                if line.startswith("# "):
                    return re.sub(r"[*_`]", "", line[2:]).strip()
    return fallback


# --- HTML ---

# The lab template of nbconvert, with every script from the internet taken out
# (require.js, MathJax, mermaid, the widget manager) and print styles added. The
# generation stamp is the notebooks' to show (parameter ``generated``).
_HTML_TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">
  body { font-family: "Noto Sans", "DejaVu Sans", "Khmer OS System", "Khmer OS",
    sans-serif; }
  main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
  .jp-OutputArea-output table { border-collapse: collapse; }
  .jp-OutputArea-output img { max-width: 100%; height: auto; }
  @page { size: A4; margin: 15mm 12mm; }
  @media print {
    main { max-width: none; padding: 0; }
    .jp-Cell { break-inside: avoid-page; }
    tr, img, figure { break-inside: avoid; }
    thead { display: table-header-group; }
    a.anchor-link { display: none; }
  }
</style>
{%- endblock extra_css -%}
"""

# A script or stylesheet that a browser would fetch: none may point outside.
_FETCHED = re.compile(
    r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']\s*(https?:)?//[^>]*>"""
    r"""(\s*</script>)?""",
    re.IGNORECASE,
)
_CSS_IMPORT = re.compile(r"@import\s+url\(\s*['\"]?(https?:)?//[^)]*\)\s*;?")

_exporters = threading.local()


def _html_exporter() -> Any:
    exporter = getattr(_exporters, "html", None)
    if exporter is None:
        import jinja2
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(
            template_name="lab",
            extra_loaders=[jinja2.DictLoader({"prtr_report.html.j2": _HTML_TEMPLATE})],
            template_file="prtr_report.html.j2",
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
        )
        exporter.register_preprocessor(_tag_remover(), enabled=True)
        # Alternative text is the notebooks' business; one warning per report
        # would drown the progress bar.
        exporter.log.setLevel(logging.ERROR)
        _exporters.html = exporter
    return exporter


def _tag_remover() -> Any:
    from nbconvert.preprocessors import TagRemovePreprocessor

    return TagRemovePreprocessor(
        remove_cell_tags={"remove-cell", "injected-parameters"},
        remove_all_outputs_tags={"remove-output"},
        enabled=True,
    )


def notebook_to_html(nb: NotebookNode, *, title: str, language: str) -> str:
    """Return the report as one self-contained HTML page, without code.

    Args:
        nb: the executed, normalised notebook.
        title: the page title.
        language: the page's language code (``en``, ``km``).

    Returns:
        The page. It loads nothing from the internet.
    """
    exporter = _html_exporter()
    exporter.language_code = language
    body, _resources = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": title}}
    )
    cleaned = _CSS_IMPORT.sub("", _FETCHED.sub("", body))
    if cleaned != body:
        logger.debug("removed references to the internet from the report's HTML")
    return cleaned


# --- PDF ---

_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:[0-9]{14}[^)]*\)")


def _fixed_date(match: re.Match[bytes]) -> bytes:
    # Same length, so the byte offsets of the cross-reference table stay right.
    original = match.group(0)
    fixed = b"/" + match.group(1) + b" (D:20000101000000Z)"
    return fixed + b" " * (len(original) - len(fixed))


class PdfPrinter:
    """Print HTML pages to PDF with Debian's headless Chromium, through Playwright.

    One browser serves every page. Chromium's creation and modification dates are
    replaced by a fixed date, so that the same page gives the same bytes.

    Use as a context manager, from one thread.
    """

    def __init__(self, executable: Path = CHROMIUM) -> None:
        self._executable = executable
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> PdfPrinter:
        if not self._executable.exists():
            raise PrtrError(
                f"PDF needs Chromium at {self._executable}: install Debian's package "
                "(apt-get install chromium fonts-khmeros), or leave pdf out of "
                "--format."
            )
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise PrtrError(
                "PDF needs the playwright package: pip install -r requirements.txt."
            ) from None
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=str(self._executable), args=list(CHROMIUM_ARGS)
        )
        return self

    def __exit__(self, *_exc: object) -> None:
        with contextlib.suppress(Exception):
            if self._browser is not None:
                self._browser.close()
        with contextlib.suppress(Exception):
            if self._playwright is not None:
                self._playwright.stop()

    def print(self, html_path: Path, pdf_path: Path) -> None:
        """Print ``html_path`` to ``pdf_path`` (A4, backgrounds printed)."""
        page = self._browser.new_page()
        try:
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            data = page.pdf(
                format="A4", print_background=True, prefer_css_page_size=True
            )
        finally:
            page.close()
        _write_bytes(pdf_path, _PDF_DATE.sub(_fixed_date, data))


# --- Files ---


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)


def _write_notebook(path: Path, nb: NotebookNode) -> None:
    _write_bytes(path, (nbformat.writes(nb) + "\n").encode("utf-8"))


# --- Running many reports ---


@contextlib.contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _make_runner(engine: str, env: Mapping[str, str]) -> Any:
    if engine == "papermill":
        return PapermillRunner()
    if engine == "warm":
        return WarmKernelRunner(env=env)
    raise PrtrError(f"engine must be warm or papermill, not {engine!r}.")


def _produce(
    job: ReportJob,
    runner: _Runner,
    out_dir: Path,
    formats: Sequence[str],
    stamp: str,
    hide_code: bool,
) -> ReportOutcome:
    outcome = ReportOutcome(job)
    try:
        nb = runner(job)
    except _NotebookFailedError as failed:
        outcome.failure = failed.failure
        if failed.notebook is not None:
            failed_path = out_dir / "failed" / f"{job.stem}.ipynb"
            _write_notebook(
                failed_path, normalise_notebook(failed.notebook, job, stamp)
            )
        return outcome
    except Exception as error:  # a report must not stop the others
        logger.debug("report %s failed", job.label, exc_info=True)
        outcome.failure = ReportFailure(None, "", f"{type(error).__name__}: {error}")
        return outcome

    normalise_notebook(nb, job, stamp, hide_code=hide_code)
    notebook_path = out_dir / f"{job.stem}.ipynb"
    _write_notebook(notebook_path, nb)
    outcome.files.append(notebook_path)
    if "html" in formats or "pdf" in formats:
        html = notebook_to_html(
            nb,
            title=_notebook_title(nb, job.label),
            language=str(job.parameters.get("language", "en")),
        )
        html_path = out_dir / f"{job.stem}.html"
        _write_bytes(html_path, html.encode("utf-8"))
        outcome.files.append(html_path)
    return outcome


def run_reports(
    jobs: Sequence[ReportJob],
    out_dir: Path,
    *,
    formats: Sequence[str] = ("html",),
    stamp: str,
    workers: int = MAX_WORKERS,
    engine: str = "warm",
    env: Mapping[str, str] | None = None,
    hide_code: bool = False,
    progress: bool = False,
) -> RunSummary:
    """Run every job, write its files, and go on when one fails.

    Up to ``workers`` (at most :data:`MAX_WORKERS`) kernels run the notebooks; the
    calling thread prints the PDFs as reports come in, with one Chromium.

    Args:
        jobs: the reports to make.
        out_dir: the output folder; each job writes ``out_dir/STEM.ipynb`` and, as
            ``formats`` ask, ``.html`` and ``.pdf``. Notebooks of failed reports go
            to ``out_dir/failed/``.
        formats: any of ``ipynb``, ``html``, ``pdf``.
        stamp: the generation stamp (:func:`generation_stamp`).
        workers: how many kernels run at once.
        engine: ``warm`` (one kernel for many reports) or ``papermill`` (a new kernel
            per report).
        env: variables for the kernels' environment (e.g. ``PGPASSWORD``).
        hide_code: tag code cells ``remove-input`` in the kept notebooks (website).
        progress: show a progress bar on standard error.

    Returns:
        The outcome of every job, in the order of ``jobs``.

    Raises:
        PrtrError: if a format is unknown, or PDF is asked for and Chromium is
            missing.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise PrtrError(
            f"Unknown format {', '.join(unknown)}: use {', '.join(FORMATS)} "
            "(comma-separated)."
        )
    workers = max(1, min(workers, MAX_WORKERS, len(jobs) or 1))
    env = dict(env or {})
    pending: queue.Queue[tuple[int, ReportJob] | None] = queue.Queue()
    for item in enumerate(jobs):
        pending.put(item)
    for _ in range(workers):
        pending.put(None)
    done: queue.Queue[tuple[int, ReportOutcome]] = queue.Queue()

    def work() -> None:
        with _make_runner(engine, env) as runner:
            while (item := pending.get()) is not None:
                number, job = item
                done.put(
                    (number, _produce(job, runner, out_dir, formats, stamp, hide_code))
                )

    outcomes: list[ReportOutcome | None] = [None] * len(jobs)
    printer = PdfPrinter() if "pdf" in formats and jobs else None
    with contextlib.ExitStack() as stack:
        if printer is not None:
            stack.enter_context(printer)
        stack.enter_context(_environment(env) if engine == "papermill" else _noop())
        threads = [
            threading.Thread(target=work, name=f"prtr-report-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in threads:
            thread.start()
        bar = _progress_bar(len(jobs), progress)
        for _ in range(len(jobs)):
            number, outcome = done.get()
            if printer is not None and outcome.ok:
                _print_pdf(printer, outcome, out_dir, formats)
            outcomes[number] = outcome
            bar.update(1)
        bar.close()
        for thread in threads:
            thread.join()
    return RunSummary([outcome for outcome in outcomes if outcome is not None])


@contextlib.contextmanager
def _noop() -> Iterator[None]:
    yield


def _print_pdf(
    printer: PdfPrinter, outcome: ReportOutcome, out_dir: Path, formats: Sequence[str]
) -> None:
    html_path = out_dir / f"{outcome.job.stem}.html"
    pdf_path = html_path.with_suffix(".pdf")
    try:
        printer.print(html_path, pdf_path)
    except Exception as error:
        logger.debug("printing %s failed", html_path, exc_info=True)
        outcome.failure = ReportFailure(
            None, "", f"printing the PDF failed: {type(error).__name__}: {error}"
        )
        return
    outcome.files.append(pdf_path)
    if "html" not in formats:
        html_path.unlink()
        outcome.files.remove(html_path)


def _progress_bar(total: int, shown: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="report",
        disable=not shown or total < 2,
        leave=False,
        dynamic_ncols=True,
    )


def remove_stale(folder: Path, keep: Iterable[Path], suffix: str = ".ipynb") -> None:
    """Delete files with ``suffix`` in ``folder`` that are not in ``keep``.

    Used for the website's folder, so that a facility that now has a claim loses its
    page.
    """
    kept = {path.resolve() for path in keep}
    if not folder.is_dir():
        return
    for path in folder.glob(f"*{suffix}"):
        if path.resolve() not in kept:
            path.unlink()


def clear_folder(folder: Path) -> None:
    """Remove ``folder`` and everything in it, if it exists."""
    if folder.exists():
        shutil.rmtree(folder)
