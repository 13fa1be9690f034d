"""The built website fetches nothing from outside: in its files, and in a browser.

These tests read ``_build/html``, which ``make book`` builds before ``make test`` runs
them. The browser tests drive Debian's Chromium through Playwright, once from
``file://`` (a trainer opening the folder) and once from a plain static server.
"""

from __future__ import annotations

import functools
import http.server
import re
import socketserver
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from prtr.reports import CHROMIUM, CHROMIUM_ARGS
from prtr.substances import find

pytestmark = pytest.mark.site

SITE = Path(__file__).resolve().parents[1] / "_build" / "html"
# Attributes through which a page makes the browser load something.
LOADING_ATTRIBUTES = {
    "script": ["src"],
    "img": ["src", "srcset"],
    "source": ["src", "srcset"],
    "iframe": ["src"],
    "video": ["src", "poster"],
    "audio": ["src"],
    "embed": ["src"],
    "object": ["data"],
    "input": ["src"],
}
OUTSIDE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(
    r"(?:url\(\s*['\"]?|@import\s+['\"])\s*((?:https?:)?//[^'\")\s]+)", re.I
)


def _pages() -> list[Path]:
    if not (SITE / "index.html").is_file():
        pytest.fail(
            "No website in _build/html: run `make book` first (make test does)."
        )
    return sorted(SITE.rglob("*.html"))


class _References(HTMLParser):
    """Collects what a page would load: scripts, styles, fonts, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in LOADING_ATTRIBUTES.get(tag, []):
            if values.get(name):
                self.loads.append(values[name])
        if tag == "link" and values.get("href"):
            relations = values.get("rel", "").lower().split()
            if relations and set(relations) - {
                "canonical",
                "next",
                "prev",
                "search",
                "index",
                "author",
                "license",
                "help",
            }:
                self.loads.append(values["href"])
        if values.get("style"):
            self.loads += CSS_URL.findall(values["style"])
        self._in_script = tag in {"script", "style"}

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.loads += CSS_URL.findall(data)
            self.loads += re.findall(r"['\"]((?:https?:)?//[^'\"\s]+)['\"]", data)


def test_the_site_has_the_pages_of_the_table_of_contents():
    pages = {page.relative_to(SITE).as_posix() for page in _pages()}
    for expected in [
        "book/intro.html",
        "book/sectors/electricity-hfo.html",
        "notebooks/hfo-worked-example.html",
        "notebooks/hfo-calculator.html",
        "modules/industry-estimating-releases.html",
        "exercises/hfo-power-plant.html",
    ]:
        assert expected in pages


def test_no_page_loads_anything_from_outside():
    offenders = {}
    for page in _pages():
        parser = _References()
        parser.feed(page.read_text(encoding="utf-8"))
        outside = [url for url in parser.loads if OUTSIDE.match(url)]
        if outside:
            offenders[page.relative_to(SITE).as_posix()] = outside
    assert not offenders


def test_no_stylesheet_or_script_of_the_site_loads_from_outside():
    offenders = {}
    for path in [*SITE.rglob("*.css"), *SITE.rglob("*.js")]:
        if "mathjax" in path.parts:
            continue  # MathJax names a CDN only as a fallback it never takes here.
        found = CSS_URL.findall(path.read_text(encoding="utf-8", errors="replace"))
        if found:
            offenders[path.relative_to(SITE).as_posix()] = found
    assert not offenders


def test_mathjax_is_served_by_the_site_itself():
    assert (SITE / "mathjax" / "tex-chtml.js").is_file()
    page = (SITE / "book" / "estimation-techniques.html").read_text(encoding="utf-8")
    assert "mathjax/tex-chtml.js" in page


def test_the_learners_site_hides_exercise_solutions():
    page = (SITE / "exercises" / "hfo-power-plant.html").read_text(encoding="utf-8")
    assert "Fuel in tonnes" in page  # the question is there,
    assert "fuel_mass = (fuel_volume" not in page  # the answer's code is not,
    assert "solution" not in re.sub(r"<[^>]+>", "", page).casefold().replace(
        "solutions", ""
    )  # nor its prose.


def test_the_calculator_page_shows_a_table_and_no_dead_widgets():
    page = (SITE / "notebooks" / "hfo-calculator.html").read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget" not in page
    assert "Open this notebook in JupyterLab" in page
    assert page.count("<table") >= 2


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `apt-get install chromium` (.ci/run does).")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def static_server() -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    with socketserver.TCPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


BROWSED = [
    "book/intro.html",
    "book/estimation-techniques.html",
    "notebooks/hfo-worked-example.html",
    "book/sectors/electricity-hfo.html",
]


def _visit(browser, url: str, allowed_prefix: str) -> tuple[list[str], object]:
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    outside = [
        address
        for address in requested
        if not address.startswith((allowed_prefix, "data:", "blob:"))
    ]
    return outside, page


@pytest.mark.parametrize("path", BROWSED)
def test_pages_opened_from_the_file_system_request_nothing_from_outside(browser, path):
    outside, page = _visit(browser, (SITE / path).as_uri(), "file://")
    page.close()
    assert not outside


@pytest.mark.parametrize("path", BROWSED)
def test_pages_from_a_static_server_request_nothing_from_outside(
    browser, static_server, path
):
    outside, page = _visit(browser, f"{static_server}/{path}", static_server)
    page.close()
    assert not outside


def test_formulas_are_typeset_offline(browser):
    _, page = _visit(
        browser, (SITE / "book/estimation-techniques.html").as_uri(), "file://"
    )
    page.wait_for_selector("mjx-container", timeout=15_000)
    assert page.locator("mjx-container").count() >= 4
    page.close()


def _claims():
    from prtr.datapackage import load_table

    releases = load_table("pilot_releases")
    return releases[releases["confidential_value"] | releases["confidential_identity"]]


def _written_forms(quantity: float) -> set[str]:
    """The ways a report could print a quantity."""
    forms = {
        f"{quantity:,.0f}",
        f"{quantity:,.1f}",
        f"{quantity:,.2f}",
        f"{quantity:.3g}",
        f"{quantity:,.3g}",
        f"{quantity:g}",
    }
    return {form for form in forms if len(form.replace(",", "").replace(".", "")) >= 3}


def test_the_published_pilot_shows_no_claimed_value_or_identity():
    report_pages = sorted((SITE / "reports").rglob("*.html"))
    assert report_pages, "the pilot's report pages are missing from the site"
    texts = {
        page: re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
        for page in report_pages
    }
    claims = _claims()
    assert len(claims) >= 4

    for claim in claims.itertuples():
        facility_page = (
            SITE / "reports" / "pilot" / "facilities" / f"{claim.facility_id}.html"
        )
        assert not facility_page.exists(), (
            f"{claim.facility_id} claimed, yet has a page"
        )
        if claim.confidential_value:
            for form in _written_forms(claim.quantity):
                found = [
                    page.name
                    for page, text in texts.items()
                    if re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d])", text)
                ]
                assert not found, f"claimed {claim.substance_id} {form} in {found}"
        if claim.confidential_identity:
            name = find(claim.substance_id).name
            for page in report_pages:
                html = page.read_text(encoding="utf-8")
                for row in re.findall(r"<tr.*?</tr>", html, flags=re.S):
                    assert not (claim.facility_id in row and name in row), page.name
