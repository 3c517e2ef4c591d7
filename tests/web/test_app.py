"""The web app over a real SQLite store, through FastAPI's test client (real ASGI app).

Fixtures (tests/web/conftest.py): `client` is an analyst signed in through the login form."""

from __future__ import annotations


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
    for path in ("/", "/search", "/sources", "/api/v1/search", "/login"):
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
