"""The web page in a real browser: Debian's chromium, driven by Playwright, against a real `regstance serve`.

Every request the page makes is recorded, and any to a host other than 127.0.0.1
is refused and fails the test. In CI (CI=true) a missing chromium fails loudly.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pandas as pd
import pytest
from conftest import running_server

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SCORED = FIXTURES / "scored-index.parquet"
CHROMIUM = os.environ.get("REGSTANCE_CHROMIUM", "/usr/bin/chromium")
SUIT_HEADLINE = "SEC sues crypto exchange for operating an unregistered securities exchange"
SUIT_BODY = (
    "The Securities and Exchange Commission filed a lawsuit on Tuesday. "
    "The regulator says the exchange sold unregistered securities and must shut down its US business."
)


def _need_browser() -> None:
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "Python Playwright is not installed (pip install -e '.[dev]')"
    if problem is None and not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        problem = f"no chromium at {CHROMIUM} (apt-get install -y chromium)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {problem}", pytrace=False)
        pytest.skip(problem)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A real `regstance serve` on 127.0.0.1 with the small scored fixture as its index."""
    _need_browser()
    with running_server("--index", str(SCORED)) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


class Recorder:
    """Every request a page makes; requests to another host are aborted and kept as offences."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.offences: list[str] = []
        self.errors: list[str] = []

    def route(self, route) -> None:
        url = route.request.url
        self.urls.append(url)
        if _host(url) == "127.0.0.1":
            route.continue_()
        else:
            self.offences.append(url)
            route.abort()


def _host(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("blob",):  # blob:http://127.0.0.1:port/uuid
        return urlsplit(parts.path).hostname
    if parts.scheme == "data":
        return "127.0.0.1"  # inline, no request
    return parts.hostname


def _page(browser, recorder: Recorder, **context):
    ctx = browser.new_context(accept_downloads=True, **context)
    ctx.route("**/*", recorder.route)
    page = ctx.new_page()
    page.on("pageerror", lambda e: recorder.errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            recorder.errors.append(m.text)
            if m.type == "error"
            and "status of 422" not in m.text  # the empty submit's answer, logged by chromium
            else None
        ),
    )
    return page


@pytest.fixture
def page(browser, server: str) -> Iterator:
    recorder = Recorder()
    page = _page(browser, recorder, viewport={"width": 1100, "height": 900})
    page.recorder = recorder
    page.base = server
    yield page
    page.context.close()
    assert recorder.urls, "the page made no request at all: nothing was tested"
    assert recorder.offences == [], f"requests left 127.0.0.1: {recorder.offences}"
    assert {_host(u) for u in recorder.urls} == {"127.0.0.1"}
    assert recorder.errors == [], f"errors in the page: {recorder.errors}"


def _classify(page, *, headline: str = "", body: str = ""):
    page.goto(page.base + "/")
    page.fill("#headline", headline)
    page.fill("#body", body)
    with page.expect_response(lambda r: "/v1/classify" in r.url) as answer:
        page.click("#classify-button")
    return answer.value


def test_seed_page_shows_adoption_with_its_evidence(page, seed_text: str) -> None:
    response = _classify(page, body=seed_text)
    assert "spans=true" in response.url
    out = response.json()
    page.wait_for_selector("#result:not([hidden])")
    assert page.inner_text("#label").strip() == "▲ Adoption"
    assert "label-adoption" in page.get_attribute("#label", "class")
    assert page.inner_text("#confidence").startswith("The model is sure")
    bars = page.locator("#probabilities li")
    assert bars.count() == 3
    assert f"{100 * out['probabilities']['adoption']:.1f}%" in bars.nth(0).inner_text()
    marks = page.locator("#article mark")
    headline = seed_text.split("\n")[0]
    assert marks.count() == sum(s["kind"] == "sentence" for s in out["evidence_spans"]) >= 2
    ranked = {
        marks.nth(i).get_attribute("data-rank"): marks.nth(i).inner_text() for i in range(marks.count())
    }
    assert ranked["1"] == headline
    assert any(t.startswith("That includes setting aside 2,000 megawatts") for t in ranked.values())
    assert page.locator("#article mark strong.term").count() >= 3
    teaser = page.locator('#article .dropped[data-reason="teaser"]')
    assert teaser.first.inner_text().startswith("You may also like")
    assert "People's Bank of China" in " ".join(teaser.all_inner_texts())
    assert page.locator("#article .not-read").first.is_visible()
    assert "not read: teaser" in page.locator("#article .not-read").all_text_contents()
    # the article is shown whole, as pasted: marks and tags add no text of their own but the tags
    shown = page.eval_on_selector(
        "#article",
        "e => { const c = e.cloneNode(true); c.querySelectorAll('.not-read').forEach(t => t.remove()); return c.textContent; }",
    )
    assert shown == seed_text
    # jurisdiction: shown when the API reports it, left out when it does not
    assert page.locator("#where").is_visible() == ("jurisdiction" in out)


def test_restriction_example(page) -> None:
    _classify(page, headline=SUIT_HEADLINE, body=SUIT_BODY)
    page.wait_for_selector("#result:not([hidden])")
    assert page.inner_text("#label").strip() == "▼ Restriction"
    assert page.locator('#article [data-field="headline"] mark').inner_text() == SUIT_HEADLINE
    terms = page.locator("#article strong.term").all_inner_texts()
    words = " ".join(terms).split()  # a term may be a bigram ("SEC sues")
    assert "SEC" in words and "sues" in words
    assert page.locator("#article .dropped").count() == 0


def test_empty_submit_shows_the_error_in_words(page) -> None:
    response = _classify(page)
    assert response.status == 422
    error = page.locator("#error")
    error.wait_for(state="visible")
    assert error.get_attribute("role") == "alert"
    assert "non-blank headline, body or text" in error.inner_text()
    assert page.locator("#result").is_hidden()


def test_jurisdiction_line_when_the_response_has_it(page, seed_text: str) -> None:
    """The jurisdiction fields are another issue's: add them to the real answer as that issue specifies."""

    def with_jurisdiction(route) -> None:
        real = route.fetch()
        out = {
            **real.json(),
            "jurisdiction": "PK",
            "jurisdiction_name": "Pakistan",
            "authority": "government",
        }
        route.fulfill(response=real, body=json.dumps(out))

    page.route("**/v1/classify*", with_jurisdiction)
    _classify(page, body=seed_text)
    page.wait_for_selector("#where:not([hidden])")
    assert page.inner_text("#where") == "Where: Pakistan (PK) · Authority: government."


def test_keyboard_only_and_every_control_labelled(page) -> None:
    page.goto(page.base + "/")
    for selector in ("#headline", "#body"):
        assert page.eval_on_selector(selector, "e => e.labels.length") == 1
    for _ in range(12):  # Tab from the top of the page to the article box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "body":
            break
    assert page.evaluate("document.activeElement.id") == "body"
    page.keyboard.type("Central bank launches pilot of its digital currency\nThe pilot runs in three cities.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "classify-button"
    page.keyboard.press("Enter")
    page.wait_for_selector("#result:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "result-heading"
    assert page.inner_text("#label").strip() == "▲ Adoption"


def test_index_view_charts_the_scored_fixture(page) -> None:
    page.goto(page.base + "/stance-index")
    page.wait_for_selector("#chart svg")
    weekly = httpx.get(f"{page.base}/v1/index?freq=W").json()
    assert page.locator("#chart .band").count() == len(weekly["rows"]) == 12
    plotted = [r for r in weekly["rows"] if r["n"] >= weekly["min_n"]]
    assert page.locator("#chart circle").count() == len(plotted)
    assert page.locator("#summary").inner_text().startswith("417 articles in 12 periods.")
    # hover values
    page.hover("#chart .band >> nth=3")
    tip = page.inner_text("#tooltip")
    row = weekly["rows"][3]
    assert f"{row['n']} articles" in tip and f"adoption {row['adoption']} " in tip
    shown_net = float(tip.rsplit("net index ", 1)[1].replace("−", "-"))
    assert abs(shown_net - row["net_index"]) <= 0.0005 + 1e-9  # shown to 3 decimals
    # the same values from the keyboard
    page.focus("#chart")
    page.keyboard.press("Home")
    assert f"{weekly['rows'][0]['n']} articles" in page.inner_text("#tooltip")
    page.keyboard.press("ArrowRight")
    assert f"{weekly['rows'][1]['n']} articles" in page.inner_text("#announce")


def test_index_filters_and_csv_of_what_is_shown(page) -> None:
    page.goto(page.base + "/stance-index")
    page.wait_for_selector("#chart svg")
    options = page.locator("#jurisdiction option").all_inner_texts()
    assert options[0] == "All jurisdictions" and any(o.startswith("PK (") for o in options)
    for name, value in (("freq", "M"), ("outlet", "coindesk"), ("jurisdiction", "PK")):
        with page.expect_response(lambda r, v=value: "/v1/index?" in r.url and v in r.url):
            page.select_option(f"#{name}", value)
    page.wait_for_function("document.querySelectorAll('#chart .band').length > 0")
    shown = httpx.get(
        f"{page.base}/v1/index", params={"freq": "M", "outlet": "coindesk", "jurisdiction": "PK"}
    )
    rows = shown.json()["rows"]
    assert page.locator("#chart .band").count() == len(rows) == 3
    assert page.locator("#table tbody tr").count() == len(rows)
    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename == "stance-index-M-coindesk-PK.csv"
    csv = pd.read_csv(io.StringIO(Path(download.value.path()).read_text()), dtype={"period": str})
    assert csv.to_dict("records") == rows


@pytest.mark.parametrize("view", ["/", "/stance-index"])
def test_phone_width(browser, server: str, view: str, seed_text: str) -> None:
    recorder = Recorder()
    page = _page(browser, recorder, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(server + view)
    if view == "/":
        page.fill("#body", seed_text)
        page.click("#classify-button")
        page.wait_for_selector("#result:not([hidden])")
    else:
        page.wait_for_selector("#chart svg")
        assert page.eval_on_selector("#chart svg", "e => e.getBoundingClientRect().width") <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the page scrolls sideways"
    page.context.close()
    assert recorder.offences == [] and recorder.errors == []
