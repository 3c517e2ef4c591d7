"""The dashboard's pages and the functions other stages call, over real SQLite files."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from langnghe.document import VN_TZ
from langnghe.sources import Registry, Source
from nlp.watch import topic
from web import corrections, sources_admin, topics
from web.app import create_app

from .conftest import NOW, csrf_of, login, make_alert

POLYLINE_RE = re.compile(r'<polyline class="series"[^>]* points="([^"]+)"')


def test_overview_draws_charts_domains_and_health(client):
    page = client.get("/", params={"range": "24h"})
    assert page.status_code == 200
    lines = POLYLINE_RE.findall(page.text)
    assert len(lines) >= 3  # kinds, outlet types and sentiments each draw at least one line
    assert all(len(points.split()) >= 2 for points in lines)
    assert "Kinh tế – xã hội" in page.text and "Báo chí, mạng xã hội" in page.text
    assert "Đang lỗi: 1" in page.text  # the failing source of the health fixture


def test_overview_rejects_a_bad_custom_range_with_a_message(client):
    page = client.get("/", params={"range": "custom", "since": "2026-11-20", "until": "hôm qua"})
    assert page.status_code == 400 and "2026-11-26" in page.text


def test_old_search_links_redirect_to_search(client):
    page = client.get("/", params={"q": "thanh hoa"})
    assert page.url.path == "/search" and "Thanh Hóa" in page.text


def test_search_facet_filter_narrows_results(client):
    everything = client.get("/search")
    assert 'data-facet="source"' in everything.text and "3 kết quả" in everything.text
    narrowed = client.get("/search", params={"source": "dantri"})
    assert "1 kết quả" in narrowed.text and "Giá vàng" in narrowed.text
    assert "Mưa lũ" not in narrowed.text


def test_document_page_highlights_entities_and_shows_explanations(client, store):
    target = store.search("thanh hoa").hits[0].doc
    page = client.get(f"/doc/{target.id}").text
    assert '<mark class="ent ent-loc" title="LOC">huyện Mường Lát</mark>' in page
    assert "Vì:" in page  # a label's explanation words


def test_correction_is_stored_with_who_and_when_and_shown(client, store, web_db):
    target = store.search("giá vàng").hits[0].doc
    response = client.post(f"/doc/{target.id}/correct", data={
        "field": "sentiment", "value": "positive", "csrf": csrf_of(client)})
    assert response.status_code == 200 and "Đã sửa thành: Tích cực" in response.text
    rows = list(corrections.corrections(web_db))
    assert len(rows) == 1
    row = rows[0]
    assert (row["doc_id"], row["field"], row["new"], row["username"]) == (
        target.id, "sentiment", "positive", "analyst")
    assert row["old"] == target.nlp.sentiment.label and "Giá vàng" in row["text"]
    bad = client.post(f"/doc/{target.id}/correct", data={
        "field": "sentiment", "value": "rất tốt", "csrf": csrf_of(client)})
    assert bad.status_code == 400 and "negative, neutral, positive" in bad.text


def test_topic_created_in_the_app_is_loaded_by_the_engine_function(client, web_db):
    page = client.post("/topics", data={"id": "lu-lut", "name": "Lũ lụt",
                                        "query": 'lũ "Thanh Hóa"', "csrf": csrf_of(client)})
    assert page.status_code == 200 and page.url.path == "/topics/lu-lut"
    assert "<svg" in page.text and "Mưa lũ ở Thanh Hóa" in page.text  # matched before ingest
    loaded = topics.load_web_topics(web_db)
    assert [(t.id, t.query) for t in loaded] == [("lu-lut", 'lũ "Thanh Hóa"')]
    merged = topics.merge_topics([topic("lu-lut", "Tệp", "bão")], loaded)
    assert [t.name for t in merged] == ["Tệp"]  # the reviewed file wins on the same id


def test_topic_with_a_broken_query_is_refused_with_the_parser_message(client):
    page = client.post("/topics", data={"id": "hong", "name": "Hỏng", "query": '"sạt lở',
                                        "csrf": csrf_of(client)})
    assert page.status_code == 400 and "ngoặc kép" in page.text


def test_topic_preview_api_counts_matches_and_gives_hints(client):
    body = client.get("/api/v1/topics/preview", params={"q": "Thanh Hóa"}).json()
    assert body["total"] == 1 and body["hits"][0]["title"] == "Mưa lũ ở Thanh Hóa"
    assert any("thanh hoa" in hint for hint in body["hints"])
    assert client.get("/api/v1/topics/preview", params={"q": "(bão"}).json()["error"]


def test_mute_topic_is_visible_to_the_alert_stage(client, web_db):
    client.post("/topics", data={"id": "lu-lut", "name": "Lũ", "query": "lũ",
                                 "csrf": csrf_of(client)})
    before = datetime.now(VN_TZ)
    client.post("/topics/lu-lut/mute", data={"period": "8h", "csrf": csrf_of(client)})
    muted = topics.muted_topics(web_db, before)
    assert set(muted) == {"lu-lut"}
    assert timedelta(hours=8) <= muted["lu-lut"] - before <= timedelta(hours=8, minutes=1)
    assert topics.muted_topics(web_db, before + timedelta(hours=9)) == {}


def test_alert_list_detail_and_acknowledge(client, tmp_path):
    alert = make_alert(tmp_path / "alerts.sqlite")
    listing = client.get("/alerts").text
    assert f"/alerts/{alert.id}" in listing and "&lt;script&gt;" in listing
    detail = client.get(f"/alerts/{alert.id}").text
    assert "12 tin trong 15 phút" in detail and "Chưa ai tiếp nhận" in detail
    assert 'href="javascript:' not in detail  # evidence links only when http(s)
    acked = client.post(f"/alerts/{alert.id}/ack", data={"csrf": csrf_of(client)})
    assert "Đã tiếp nhận bởi <strong>analyst</strong>" in acked.text
    api = client.get("/api/v1/alerts").json()["alerts"]
    assert api[0]["status"] == "acked" and api[0]["acked_by"] == "analyst"


def test_reports_digest_and_printable_report(client):
    digest = client.get("/reports")
    assert digest.status_code == 200 and "Tổng số tin 24 giờ qua: <strong>3</strong>" in digest.text
    # from the documents' day (an hour ago: yesterday just after midnight) to today
    first, day = (NOW - timedelta(hours=1)).date().isoformat(), NOW.date().isoformat()
    printed = client.get("/reports/print", params={"since": first, "until": day})
    assert printed.status_code == 200 and "/static/print.css" in printed.text
    assert "Tổng số tin: <strong>3</strong>" in printed.text


def test_admin_adds_a_public_source_and_private_urls_are_refused(clients, web_db):
    admin = clients.admin
    refused = admin.post("/sources", data={
        "id": "noibo", "name": "Nội bộ", "type": "local", "homepage": "http://169.254.169.254/",
        "csrf": csrf_of(admin)})
    assert refused.status_code == 400 and "169.254.169.254" in refused.text
    added = admin.post("/sources", data={
        "id": "baomoi", "name": "Báo Mới", "type": "local", "homepage": "https://93.184.215.14/",
        "feed": "https://93.184.215.14/rss", "csrf": csrf_of(admin)})
    assert added.status_code == 200 and "Báo Mới" in added.text
    admin.post("/sources/vnexpress/toggle", data={"disable": "1", "csrf": csrf_of(admin)})
    base = Registry(sources=(Source(id="vnexpress", name="VnExpress",
                                    homepage="https://vnexpress.net/"),))
    applied = sources_admin.apply_source_overrides(base, web_db)
    assert [(s.id, s.enabled) for s in applied.sources] == [("vnexpress", False),
                                                            ("baomoi", True)]
    audit = admin.get("/admin/audit").text
    assert "source.add" in audit and "source.disable" in audit


def test_check_public_url_refuses_names_resolving_to_private_addresses():
    for url, resolved in [("http://intranet.example/", ["10.1.2.3"]),
                          ("https://x.example/", ["::1"]), ("http://y.example/", ["fe80::1"]),
                          ("http://localhost:8000/", []), ("http://[::ffff:127.0.0.1]/", [])]:
        try:
            sources_admin.check_public_url(url, lambda host, r=resolved: r)
        except sources_admin.SourceInputError:
            continue
        raise AssertionError(f"{url} was accepted")
    assert sources_admin.check_public_url("https://a.example/rss", lambda h: ["8.8.8.8"])


def test_admin_creates_a_user_who_can_sign_in_and_it_is_audited(app, clients):
    admin = clients.admin
    admin.post("/admin/users", data={"username": "phong-vien", "password": "mat-khau-moi-1",
                                     "role": "viewer", "csrf": csrf_of(admin)})
    assert login(TestClient(app), "phong-vien", "mat-khau-moi-1").status_code == 303
    assert "phong-vien (viewer)" in admin.get("/admin/audit").text


def test_openapi_lists_the_api(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/search", "/api/v1/documents/{doc_id}", "/api/v1/export.{fmt}",
            "/api/v1/topics", "/api/v1/overview", "/api/v1/alerts"} <= set(paths)
    assert not any(p.startswith("/admin") for p in paths)


def test_app_without_alerts_configured_says_so(store, web_db):
    c = TestClient(create_app(store, web_db=web_db, secure_cookies=False))
    login(c, "viewer")
    assert "Cảnh báo chưa được bật" in c.get("/alerts").text


def test_pages_render_on_an_empty_store(tmp_path, web_db):
    from store.sqlite import SqliteStore

    empty = SqliteStore(tmp_path / "empty.sqlite")
    c = TestClient(create_app(empty, web_db=web_db, secure_cookies=False))
    login(c, "admin")
    for path in ("/", "/search", "/topics", "/reports", "/sources", "/alerts", "/admin/users"):
        assert c.get(path).status_code == 200, path
    empty.close()


def test_alert_recipients_are_listed_read_only(store, web_db):
    from alerts.config import AlertsConfig
    from web.app import recipients

    config = AlertsConfig.model_validate({
        "channels": {"email": {"host": "smtp.example.vn", "sender": "ln@example.vn"}},
        "groups": [{"name": "Lãnh đạo", "recipients": [
        {"name": "Chánh văn phòng <b>", "email": "cvp@example.vn"}]}]})
    c = TestClient(create_app(store, web_db=web_db, secure_cookies=False,
                              recipients=lambda: recipients(config)))
    login(c, "viewer")
    page = c.get("/alerts").text
    assert "Lãnh đạo: Chánh văn phòng &lt;b&gt;" in page and "email" in page


def test_api_overview_returns_series_domains_and_stories(client):
    body = client.get("/api/v1/overview", params={"range": "24h"}).json()
    assert body["interval"] == "hour" and body["total"] == 3
    assert sum(n for _, n in body["by_kind"]["article"]) == 3
    assert {d["domain"] for d in body["domains"]} >= {"health", "press_media"}
    assert all(s["outlets"] >= 1 and s["first_published"] for s in body["top_stories"])


def test_report_pdf_download_holds_the_report_in_vietnamese(client, store):
    from io import BytesIO

    from pypdf import PdfReader

    first, day = (NOW - timedelta(hours=1)).date().isoformat(), NOW.date().isoformat()
    response = client.get("/reports/pdf", params={"since": first, "until": day})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert f'filename="bao-cao-{first}-{day}.pdf"' in response.headers["content-disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "Báo cáo theo dõi thông tin" in text and "Tổng số tin: 3" in text
    newest = store.search("", limit=1, sort="newest").hits[0].doc
    assert newest.title[:20] in text  # crawled titles are drawn as text, diacritics intact


def test_report_pdf_rejects_a_bad_period(client):
    response = client.get("/reports/pdf", params={"since": "hôm qua", "until": "2026-11-26"})
    assert response.status_code == 400
