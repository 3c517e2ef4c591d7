"""The web app over a real SQLite store, through FastAPI's test client (real ASGI app)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from langnghe.document import VN_TZ, Document, document_id
from nlp.pipeline import enrich
from store.sqlite import SqliteStore
from web.app import create_app

NOW = datetime.now(VN_TZ)


def doc(n, title, text, source="vnexpress", hours_ago=1):
    url = f"https://{source}.vn/bai-{n}.html"
    return Document(id=document_id(url), url=url, canonical_url=url, source_id=source,
                    source_name=source.title(), title=title, text=text,
                    published_at=NOW - timedelta(hours=hours_ago))


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "store.sqlite")
    s.upsert(enrich([
        doc(1, "Mưa lũ ở Thanh Hóa", "Người dân huyện Mường Lát sơ tán khẩn cấp."),
        doc(2, "Giá vàng giảm mạnh", "Giá vàng trong nước tiếp tục giảm.", source="dantri"),
        doc(3, '<script>alert("x")</script> tin giả',
            "Nội dung <img src=x onerror=alert(1)> độc hại"),
    ]))
    yield s
    s.close()


@pytest.fixture
def client(store):
    health = [{"source_id": "vnexpress", "name": "VnExpress <b>", "status": "failing",
               "last_success": None, "last_error": "DNS: name not resolved",
               "last_error_at": NOW, "items_24h": 0, "silent_for": None}]
    app = create_app(store, health=lambda: [SimpleNamespace(**row) for row in health])
    return TestClient(app)


def test_api_search_finds_documents_without_diacritics(client):
    body = client.get("/api/v1/search", params={"q": "thanh hoa"}).json()
    assert body["total"] == 1
    assert body["hits"][0]["title"] == "Mưa lũ ở Thanh Hóa"
    assert "<mark>" in body["hits"][0]["highlights"]["title"]


def test_api_search_empty_query_lists_everything_newest_first(client):
    body = client.get("/api/v1/search", params={"sort": "newest"}).json()
    assert body["total"] == 3


def test_api_search_filters_by_source(client):
    body = client.get("/api/v1/search", params={"source": "dantri"}).json()
    assert [h["source_id"] for h in body["hits"]] == ["dantri"]


def test_api_malformed_query_is_a_clear_400_not_a_500(client):
    response = client.get("/api/v1/search", params={"q": '"sạt lở'})
    assert response.status_code == 400
    assert "ngoặc kép" in response.json()["error"]


def test_api_bad_date_and_limit_are_rejected(client):
    assert client.get("/api/v1/search", params={"since": "hôm qua"}).status_code == 400
    assert client.get("/api/v1/search", params={"limit": 100000}).status_code == 422


def test_search_page_escapes_crawled_html(client):
    page = client.get("/", params={"q": "tin giả"})
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;" in page.text


def test_document_page_escapes_crawled_html_and_links_original(client, store):
    target = store.search("độc hại").hits[0].doc
    page = client.get(f"/doc/{target.id}")
    assert page.status_code == 200
    assert "<img src=x" not in page.text and "&lt;img" in page.text
    assert target.url in page.text


def test_document_page_missing_is_404_in_vietnamese(client):
    page = client.get("/doc/nope")
    assert page.status_code == 404 and "Không tìm thấy" in page.text


def test_search_page_shows_query_error_message(client):
    page = client.get("/", params={"q": "(bão"})
    assert page.status_code == 400 and "ngoặc đóng" in page.text


def test_every_page_sets_a_content_security_policy(client):
    for path in ("/", "/sources", "/api/v1/search"):
        csp = client.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp


def test_sources_page_shows_health_escaped(client):
    page = client.get("/sources")
    assert "Đang lỗi" in page.text and "DNS: name not resolved" in page.text
    assert "VnExpress &lt;b&gt;" in page.text


def test_api_sources_and_document(client, store):
    sources = client.get("/api/v1/sources").json()["sources"]
    assert sources[0]["status"] == "failing"
    target = store.search("giá vàng").hits[0].doc
    assert client.get(f"/api/v1/documents/{target.id}").json()["id"] == target.id
    assert client.get("/api/v1/documents/nope").status_code == 404
