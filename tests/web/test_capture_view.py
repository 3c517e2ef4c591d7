"""The document page's evidence capture: summary, escaped view, WARC download, path guard.

Captures are real WARC records written by crawlers/capture.py from a real Dân trí article page
(../shared/data/web/); the app is the real one over a real SQLite store."""

from __future__ import annotations

import gzip
import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawlers.capture import WarcCapture
from langnghe.document import Document, document_id

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / ".." / "shared" / "data" / "web" / "dantri" / "dantri_article.html"
PAYLOAD = b'<script>alert("x")</script><img src=x onerror=alert(1)> tin gi\xe1\xba\xa3'
FETCHED = datetime(2025, 10, 1, 8, 30, tzinfo=UTC)


def _captured_doc(store, directory: Path, n: int, body: bytes, headers=None) -> Document:
    url = f"https://dantri.com.vn/bai-{n}.htm"
    ref = WarcCapture(directory).capture(
        url, 200, headers or [("Content-Type", "text/html; charset=utf-8")], body, FETCHED)
    doc = Document(id=document_id(url), url=url, canonical_url=url, source_id="dantri",
                   title=f"Bài có bản lưu {n}", text="Nội dung.",
                   capture=ref.as_capture(FETCHED))
    store.upsert([doc])
    return doc


@pytest.fixture
def captures(tmp_path):
    return tmp_path / "captures"  # the app's default: `captures` beside its web database


def test_document_page_shows_capture_time_url_digest_and_links(clients, store, captures):
    body = PAGE.read_bytes()
    doc = _captured_doc(store, captures, 1, body)
    page = clients.viewer.get(f"/doc/{doc.id}")
    assert page.status_code == 200
    section = page.text.split('id="ban-luu"', 1)[1]
    assert hashlib.sha256(body).hexdigest() in section
    assert doc.url in section and "15:30 01/10/2025" in section  # 08:30 UTC in Vietnam time
    assert f"{doc.capture.length:,}".replace(",", ".") in section
    assert f'href="/doc/{doc.id}/capture.warc.gz"' in section
    assert f'href="/doc/{doc.id}/capture"' in section


def test_capture_download_round_trips_the_recorded_sha256(clients, store, captures):
    body = PAGE.read_bytes()
    doc = _captured_doc(store, captures, 2, body)
    got = clients.viewer.get(f"/doc/{doc.id}/capture.warc.gz")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/warc"
    assert got.headers["content-disposition"] == f'attachment; filename="{doc.id}.warc.gz"'
    records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
                r.content_stream().read())  # read while iterating: the stream moves on
               for r in ArchiveIterator(io.BytesIO(got.content))]  # a valid WARC on its own
    assert [(kind, uri) for kind, uri, _ in records] == [("response", doc.url)]
    payload = records[0][2]
    assert hashlib.sha256(payload).hexdigest() == doc.capture.sha256 == \
        hashlib.sha256(body).hexdigest()


def test_capture_view_shows_headers_and_body_as_inert_text(clients, store, captures):
    doc = _captured_doc(store, captures, 3, PAYLOAD,
                        [("Content-Type", "text/html; charset=utf-8"),
                         ("X-Evil", '<script>alert("h")</script>')])
    page = clients.viewer.get(f"/doc/{doc.id}/capture")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    body = page.text.split('id="capture-body">', 1)[1].split("</pre>", 1)[0]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt; tin giả" in body
    headers = page.text.split('id="capture-headers">', 1)[1].split("</pre>", 1)[0]
    assert "X-Evil: &lt;script&gt;" in headers
    assert "<script" not in page.text and "<img src=x" not in page.text


def test_capture_view_of_a_real_page_is_cut_and_escaped(clients, store, captures):
    body = PAGE.read_bytes()
    doc = _captured_doc(store, captures, 4, body * 3)  # well past the view limit
    page = clients.viewer.get(f"/doc/{doc.id}/capture")
    assert page.status_code == 200 and "Chỉ hiện 256 KB đầu" in page.text
    shown = page.text.split('id="capture-body">', 1)[1].split("</pre>", 1)[0]
    assert "&lt;html" in shown.lower() and "<script" not in page.text
    assert len(shown) < 2 * len(body) * 3  # cut, even after escaping


@pytest.mark.parametrize("where", ["outside", "dotdot", "symlink"])
def test_capture_pointing_outside_the_capture_dir_is_not_served(clients, store, captures,
                                                                tmp_path, where):
    elsewhere = tmp_path / "elsewhere"
    doc = _captured_doc(store, elsewhere, 5, b"secret outside the capture directory")
    real = Path(doc.capture.file)
    captures.mkdir(exist_ok=True)
    if where == "dotdot":
        file = str(captures / ".." / "elsewhere" / real.name)
    elif where == "symlink":
        link = captures / real.name
        link.symlink_to(real)
        file = str(link)
    else:
        file = str(real)
    moved = doc.model_copy(update={"capture": doc.capture.model_copy(update={"file": file})})
    store.upsert([moved])
    assert clients.admin.get(f"/doc/{doc.id}/capture.warc.gz").status_code == 404
    assert clients.admin.get(f"/doc/{doc.id}/capture").status_code == 404
    page = clients.admin.get(f"/doc/{doc.id}").text
    assert "capture.warc.gz" not in page and "nằm ngoài thư mục bản lưu" in page


def test_capture_range_beyond_the_file_is_not_served(clients, store, captures):
    doc = _captured_doc(store, captures, 6, b"short body")
    bad = doc.capture.model_copy(update={"length": doc.capture.length + 10_000})
    store.upsert([doc.model_copy(update={"capture": bad})])
    assert clients.viewer.get(f"/doc/{doc.id}/capture.warc.gz").status_code == 404


def test_document_without_capture_has_no_capture_section(clients, store):
    target = store.search("giá vàng").hits[0].doc
    assert target.capture is None
    assert 'id="ban-luu"' not in clients.viewer.get(f"/doc/{target.id}").text
    assert clients.viewer.get(f"/doc/{target.id}/capture.warc.gz").status_code == 404


def test_downloaded_member_is_gzip_of_one_record(clients, store, captures):
    doc = _captured_doc(store, captures, 7, PAYLOAD)
    raw = gzip.decompress(clients.viewer.get(f"/doc/{doc.id}/capture.warc.gz").content)
    assert raw.startswith(b"WARC/1.") and raw.count(b"WARC-Type:") == 1
