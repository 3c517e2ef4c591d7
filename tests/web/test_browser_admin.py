"""Recipient groups and the evidence capture in a real headless Chromium (Debian's
/usr/bin/chromium driven by Playwright) against a real uvicorn server on 127.0.0.1.

An admin adds a webhook group pointing at a local receiver, sends it a test message through the
real channel code, then opens a document's captured page as inert text and downloads its WARC.
Screenshots go to tests/artifacts/browser/. Missing Chromium or Playwright FAILS the test."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from alerts.config import load_config
from crawlers.capture import WarcCapture
from langnghe.document import Document, document_id
from store.sqlite import SqliteStore
from tests.egress import allow
from web.app import create_app
from web.auth import create_user

from .conftest import NOW, PASSWORD, serving
from .test_browser import VIEWPORTS, _shot, browser_context_factory  # noqa: F401 - fixture
from .test_recipients import YAML, Receiver

PAYLOAD = b'<p>B\xc3\xa0i</p><script>document.title="PWNED"</script>'


@pytest.fixture(scope="module")
def admin_server():
    """uvicorn on a free port over a store with one captured document; yields (base, doc)."""
    tmp = Path(tempfile.mkdtemp(prefix="langnghe-browser-admin-"))
    (tmp / "alerts.yaml").write_text(YAML, encoding="utf-8")
    url = "https://dantri.com.vn/bai-co-ban-luu.htm"
    ref = WarcCapture(tmp / "captures").capture(url, 200, {"Content-Type": "text/html"},
                                                PAYLOAD, NOW)
    doc = Document(id=document_id(url), url=url, canonical_url=url, source_id="dantri",
                   title="Bài có bản lưu", text="Nội dung.", capture=ref.as_capture(NOW))
    store = SqliteStore(tmp / "store.sqlite")
    store.upsert([doc])
    create_user(tmp / "web.sqlite", "quantri", PASSWORD, "admin")
    app = create_app(store, web_db=tmp / "web.sqlite", alerts_db=tmp / "alerts.sqlite",
                     secure_cookies=False, alerts_config=load_config(tmp / "alerts.yaml"))
    with serving(app) as base:
        yield base, doc
    store.close()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def receiver():
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.got, server.raw = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_browser_admin_adds_a_webhook_group_and_reads_a_capture(
        admin_server, browser_context_factory, receiver, monkeypatch):  # noqa: F811
    allow(monkeypatch, f"127.0.0.1:{receiver.server_address[1]}")  # the egress allow-list
    monkeypatch.setenv("LANGNGHE_SECRET", "khoa-ky-thu-nghiem-0123456789abcdef")
    base, doc = admin_server
    page = browser_context_factory(VIEWPORTS["desktop"]).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/admin/recipients")
    page.fill("input[name=username]", "quantri")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/admin/recipients")

    # 1. add a webhook group from the form, then send it a test message
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    page.fill("#sua input[name=name]", "Tổ trực ban")
    page.select_option("#sua select[name=channel]", "webhook")
    page.fill("#sua textarea[name=addresses]", f"Trực đêm | {hook}")
    page.click("#sua button[type=submit]")
    page.wait_for_url(f"{base}/admin/recipients")
    assert "Tổ trực ban" in page.locator("#web-groups").inner_text()
    assert len(page.locator("#khoa-ky code.wrap").inner_text()) == 43  # its signing key, shown once
    page.locator("#web-groups button", has_text="Gửi thử").click()
    page.wait_for_selector("#ket-qua-thu")
    assert page.locator("#khoa-ky").count() == 0
    assert "Trực đêm (webhook): đã gửi" in page.locator("#ket-qua-thu").inner_text()
    assert len(receiver.got) == 1 and "Tổ trực ban" in receiver.got[0][2]["subject"]
    _shot(page, "desktop", "7-recipients")

    # 2. the document's capture: summary, inert view, WARC download
    page.goto(f"{base}/doc/{doc.id}")
    assert doc.capture.sha256 in page.locator("#ban-luu").inner_text()
    page.click("#ban-luu a[href$='/capture']")
    page.wait_for_url(re.compile(r".*/capture$"))
    assert "PWNED" not in page.title()  # the captured script never ran
    assert '<script>document.title="PWNED"</script>' in page.locator("#capture-body").inner_text()
    with page.expect_download() as info:
        page.click("a[href$='capture.warc.gz']")
    raw = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename == f"{doc.id}.warc.gz"
    from warcio.archiveiterator import ArchiveIterator

    payloads = [r.content_stream().read() for r in ArchiveIterator(io.BytesIO(raw))]
    assert [hashlib.sha256(p).hexdigest() for p in payloads] == [doc.capture.sha256]
    _shot(page, "desktop", "8-capture")
    assert not errors, errors
