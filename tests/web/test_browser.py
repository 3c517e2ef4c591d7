"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright)
against a real uvicorn server on 127.0.0.1 over a real SQLite store of enriched VNTC articles.

One flow — sign in, overview charts, search and a facet, a document and its correction, a new
watch topic with live preview, acknowledging an alert, CSV export — on a desktop and on a
375-px phone viewport. Screenshots go to tests/artifacts/browser/. Missing Chromium or
Playwright FAILS the tests (run scripts/browser-setup.sh); they are never skipped.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from langnghe.document import Document, document_id
from nlp.pipeline import enrich
from store.sqlite import SqliteStore
from web.app import create_app
from web.auth import create_user

from .conftest import NOW, PASSWORD, make_alert, serving

REPO = Path(__file__).resolve().parents[2]
VNTC = REPO / ".." / "shared" / "data" / "vntc-10topics" / "dev.jsonl"
ARTIFACTS = REPO / "tests" / "artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
ARTICLES = 60  # enough for facets, charts and several pages of results; enriched in seconds
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
TIMEOUT_MS = 15_000  # generous: two shared cores, other suites running


def _articles() -> list[Document]:
    rows = [json.loads(line) for line in VNTC.read_text(encoding="utf-8").splitlines()]
    docs = []
    for i, row in enumerate(rows[:: len(rows) // ARTICLES][:ARTICLES]):
        title, _, body = row["text"].partition("\n")
        url = f"https://{row['source']}/{row['id'].replace('/', '-')}.html"
        docs.append(Document(id=document_id(url), url=url, canonical_url=url,
                             source_id=row["source"].split(".")[0], source_name=row["source"],
                             title=title[:300], text=body[:4000],
                             published_at=NOW - timedelta(hours=1 + i * 2)))
    return docs


@pytest.fixture(scope="module")
def server():
    """A real uvicorn server on a free 127.0.0.1 port; yields (base URL, alert ids, store)."""
    tmp = Path(tempfile.mkdtemp(prefix="langnghe-browser-"))
    store = SqliteStore(tmp / "store.sqlite")
    store.upsert(enrich(_articles()))
    create_user(tmp / "web.sqlite", "bientap", PASSWORD, "analyst")
    alerts = {name: make_alert(tmp / "alerts.sqlite", key=f"spike:topic:{name}",
                               title=f"Tăng đột biến ({name})").id for name in VIEWPORTS}
    app = create_app(store, web_db=tmp / "web.sqlite", alerts_db=tmp / "alerts.sqlite",
                     secure_cookies=False, outlet_types={"vnexpress": "national",
                                                         "tuoitre": "national",
                                                         "thanhnien": "national",
                                                         "nld": "local"})
    with serving(app) as base:
        yield base, alerts, store
    store.close()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def browser_context_factory():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Python package `playwright` is not installed: run scripts/browser-setup.sh")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run scripts/browser-setup.sh "
                    "(it apt-get installs Debian chromium)")
    manager = sync_playwright().start()
    contexts = []

    def make(viewport: dict):
        profile = tempfile.mkdtemp(prefix="langnghe-chromium-")  # empty --user-data-dir
        try:
            context = manager.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
                viewport=viewport, accept_downloads=True, locale="vi-VN",
                is_mobile=viewport["width"] < 500, has_touch=viewport["width"] < 500)
        except Exception as exc:  # noqa: BLE001 - report exactly why the browser did not start
            pytest.fail(f"Chromium at {CHROMIUM} could not be launched by Playwright: {exc}")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append((context, profile))
        return context

    yield make
    for context, profile in contexts:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)
    manager.stop()


def _shot(page, viewport: str, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{viewport}-{name}.png"), full_page=True)


def _fits(page, viewport: str) -> None:
    """On the phone, nothing may force sideways scrolling of the whole page."""
    if viewport == "phone":
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS["phone"]["width"], f"{page.url} is {width}px wide"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_browser_dashboard_flow(server, browser_context_factory, viewport):
    base, alerts, store = server
    page = browser_context_factory(VIEWPORTS[viewport]).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # 1. sign in, land on the overview with its charts drawn
    page.goto(f"{base}/")
    assert "/login" in page.url
    page.fill("input[name=username]", "bientap")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")
    charts = page.locator("svg.chart polyline.series")
    assert charts.count() >= 3
    box = page.locator("svg.chart").first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 60
    assert len(charts.first.get_attribute("points").split()) >= 2
    _fits(page, viewport)
    _shot(page, viewport, "1-overview")

    # 2. search, then narrow by a facet
    page.goto(f"{base}/search")
    page.fill("input[name=q]", "việt nam")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r".*q=vi%E1%BB%87t"))
    before = int(page.locator("p.count").inner_text().split()[0])
    assert before > 0 and page.locator("ol.hits li").count() > 0
    facet = page.locator("a.facet[data-facet=source]").first
    facet.click()
    page.wait_for_url(re.compile(r".*source="))
    after = int(page.locator("p.count").inner_text().split()[0])
    assert 0 < after <= before
    _fits(page, viewport)
    _shot(page, viewport, "2-search")

    # 3. open a document and correct its sentiment in one click
    page.locator("ol.hits a.title").first.click()
    page.wait_for_url(re.compile(r".*/doc/"))
    assert page.locator("article.document h1").inner_text()
    page.locator("button.fix.s-positive").click()
    page.wait_for_url(re.compile(r".*/doc/.*#nhan"))
    assert "Đã sửa thành: Tích cực" in page.locator("#nhan").inner_text()
    _fits(page, viewport)
    _shot(page, viewport, "3-document")

    # 4. a watch topic, with the live preview filled by app.js before saving
    page.goto(f"{base}/topics")
    page.fill("input[name=id]", f"bong-da-{viewport}")
    page.fill("input[name=name]", f"Bóng đá ({viewport})")
    page.fill("#topic-query", "bóng đá")
    page.wait_for_selector("#preview p.count")  # drawn by app.js from /api/v1/topics/preview
    assert "tin khớp hiện nay" in page.locator("#preview p.count").inner_text()
    assert "bong da" in page.locator("#preview").inner_text()  # the no-diacritics hint
    _shot(page, viewport, "4-topic-editor")
    page.click("#topic-form button[type=submit]")
    page.wait_for_url(f"{base}/topics/bong-da-{viewport}")
    assert page.locator("svg.chart").count() >= 2
    _fits(page, viewport)
    _shot(page, viewport, "5-topic")

    # 5. acknowledge an alert
    page.goto(f"{base}/alerts/{alerts[viewport]}")
    page.click("#ack")
    page.wait_for_selector("text=Đã tiếp nhận bởi")
    assert "bientap" in page.locator("p.status").inner_text()
    _fits(page, viewport)
    _shot(page, viewport, "6-alert")

    # 6. export the whole result set as CSV
    page.goto(f"{base}/search?sort=newest")
    total = int(page.locator("p.count").inner_text().split()[0])
    with page.expect_download() as info:
        page.click("a.export")
    path = info.value.path()
    rows = list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8-sig"))))
    assert len(rows) - 1 == total == store.count()
    assert not errors, errors  # no CSP violations or script errors in the console
