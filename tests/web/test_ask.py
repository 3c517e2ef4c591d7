"""The "Hỏi đáp" page, POST /api/v1/ask and the Telegram link codes, on the real app with the
real store and web database of tests/web/conftest.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from assistant.understand import load_catalog
from runner.stages import DEFAULT_WATCH
from store.base import Filters
from tests.web.conftest import PASSWORD, csrf_of
from tests.web.test_browser import (  # noqa: F401 - fixtures
    VIEWPORTS,
    _fits,
    _shot,
    browser_context_factory,
    server,
)
from web import db
from web.ask import TelegramLinks, history
from web.auth import User, create_api_token, set_role
from web.deps import app_routes, role_of

ANSWER_LINK = re.compile(r'href="(/ask\?id=\d+)#tra-loi"')


def ask_form(client: TestClient, question: str):
    return client.post("/ask", data={"question": question, "csrf": csrf_of(client)},
                       follow_redirects=False)


def test_ask_routes_state_the_viewer_role(app):
    routes = {(r.path, tuple(sorted(r.methods or []))): role_of(r) for r in app_routes(app.routes)
              if r.path.startswith(("/ask", "/api/v1/ask"))}
    assert len(routes) == 5 and set(routes.values()) == {"viewer"}


def test_ask_page_answers_from_the_store_and_keeps_the_history(clients, store):
    viewer = clients.viewer
    # "24 giờ qua", not "hôm nay": the documents are an hour old whatever the time of day
    sent = ask_form(viewer, "Tình hình Thanh Hóa 24 giờ qua")
    assert sent.status_code == 303 and sent.headers["location"].startswith("/ask?id=")
    page = viewer.get(sent.headers["location"])
    assert page.status_code == 200 and "Tình hình Thanh Hóa 24 giờ qua" in page.text
    expected = store.search('place:"Thanh Hóa"', limit=0).total
    assert expected == 1 and f"Có {expected} tin — 24 giờ qua" in page.text
    assert 'href="https://vnexpress.vn/bai-1.html"' in page.text  # the cited document, a link
    assert page.text.count("https://vnexpress.vn/bai-1.html") == 1  # not repeated as text
    assert "Xem trong Tìm kiếm" not in page.text  # the button instead
    assert 'class="button" href="http://testserver/search?q=place%3A%22Thanh+H%C3%B3a%22' in \
        page.text
    assert ANSWER_LINK.search(viewer.get("/ask").text)  # listed in the history
    # another account neither lists nor opens it
    other = clients.analyst.get(sent.headers["location"])
    assert "Tình hình Thanh Hóa 24 giờ qua" not in other.text
    assert 'id="tra-loi"' not in other.text


def test_ask_page_not_understood_suggests(clients):
    sent = ask_form(clients.viewer, "Bạn tên là gì?")
    page = clients.viewer.get(sent.headers["location"])
    assert "Tôi chưa hiểu câu hỏi." in page.text and "Mở trong Tìm kiếm" not in page.text


def test_ask_page_escapes_crawled_titles(clients):
    sent = ask_form(clients.viewer, "tìm tin giả")
    page = clients.viewer.get(sent.headers["location"]).text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_ask_api_with_a_token_returns_the_structured_request(app, web_db, store):
    token = create_api_token(web_db, "viewer", "test", "viewer")
    client = TestClient(app)
    now = "2026-12-10T09:30:00+07:00"
    response = client.post("/api/v1/ask", json={"question": "co bao nhieu tin ve gia vang "
                                                "tuan nay", "now": now},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    assert (body["intent"], body["since"], body["until"]) == (
        "count", "2026-12-07T00:00:00+07:00", now)
    assert body["query"] == '"gia vang"' and body["filters"]["place"] is None
    since = datetime.fromisoformat(body["since"])
    total = store.search(body["query"], Filters(since=since, until=datetime.fromisoformat(now)),
                         limit=0).total
    assert body["facts"]["total"] == total and body["answer"].startswith(f"Có {total} tin")
    assert {"answer", "citations", "search"} <= set(body)
    assert [h["via"] for h in history(web_db, User(body_user(web_db, "viewer"), "viewer",
                                                   "viewer"))] == ["api"]


def body_user(web_db, name: str) -> int:
    with db.connect(web_db) as con:
        return con.execute("SELECT id FROM users WHERE username = ?", (name,)).fetchone()[0]


def test_ask_api_refuses_cookie_without_csrf_and_anonymous(app, clients):
    question = {"question": "Hôm nay có gì?"}
    assert clients.viewer.post("/api/v1/ask", json=question).status_code == 403
    ok = clients.viewer.post("/api/v1/ask", json=question,
                             headers={"X-CSRF-Token": csrf_of(clients.viewer)})
    # the morning question: the daily digest, with the app's crawl health
    assert ok.status_code == 200 and ok.json()["briefing"] is True
    assert "Bản tin sáng" in ok.json()["answer"] and "VnExpress" in ok.json()["answer"]
    assert TestClient(app).post("/api/v1/ask", json={"question": "x"}).status_code == 401
    far = clients.viewer.post("/api/v1/ask", json={"question": "hôm qua có gì",
                                                   "now": "0001-01-01T00:00:00"},
                              headers={"X-CSRF-Token": csrf_of(clients.viewer)})
    assert far.status_code == 400 and "2000–2099" in far.json()["error"]


def test_ask_uses_the_deployment_catalog_and_dashboard_topics(app, clients):
    app.state.assistant_catalog = load_catalog(DEFAULT_WATCH)
    body = clients.viewer.post("/api/v1/ask", json={"question": "Có bao nhiêu tin về ngộ độc "
                                                    "thực phẩm tuần này?"},
                               headers={"X-CSRF-Token": csrf_of(clients.viewer)}).json()
    assert body["filters"]["topic"] == "ngo-doc"
    clients.analyst.post("/topics", data={"id": "vang", "name": "Giá vàng", "query": "giá vàng",
                                          "csrf": csrf_of(clients.analyst)})
    body = clients.viewer.post("/api/v1/ask", json={"question": "xu hướng tin về giá vàng"},
                               headers={"X-CSRF-Token": csrf_of(clients.viewer)}).json()
    assert body["filters"]["topic"] == "vang"


CODE_RE = re.compile(r"<code>/start ([A-Z2-7]{8})</code>")


def link_code(client: TestClient) -> str:
    page = client.post("/ask/telegram-code", data={"csrf": csrf_of(client)})
    return CODE_RE.search(page.text).group(1)


def test_telegram_code_links_once_and_follows_the_account(clients, web_db):
    code = link_code(clients.viewer)
    links = TelegramLinks(web_db)
    assert links.user_for("555") is None
    user = links.redeem(code.lower(), "555")  # typed in lower case: still the code
    assert user.username == "viewer" and links.user_for("555").username == "viewer"
    assert links.redeem(code, "556") is None  # spent
    assert "<code>555</code>" in clients.viewer.get("/ask").text
    set_role(web_db, "viewer", "viewer", False, "admin")  # disabled: the bot stops answering
    assert links.user_for("555") is None
    set_role(web_db, "viewer", "viewer", True, "admin")
    assert links.unlink("555") and links.user_for("555") is None


def test_telegram_code_expires(clients, web_db):
    code = link_code(clients.viewer)
    past = db.now_iso(datetime.now(UTC) - timedelta(minutes=1))
    with db.connect(web_db) as con:
        con.execute("UPDATE telegram_links SET expires_at = ?", (past,))
    assert TelegramLinks(web_db).redeem(code, "777") is None


def test_telegram_unlink_from_the_page_only_own_links(clients, web_db):
    links = TelegramLinks(web_db)
    links.redeem(link_code(clients.viewer), "888")
    with db.connect(web_db) as con:
        link_id = con.execute("SELECT id FROM telegram_links WHERE chat_id = '888'").fetchone()[0]
    refused = clients.analyst.post(f"/ask/telegram/{link_id}/unlink",
                                   data={"csrf": csrf_of(clients.analyst)})
    assert refused.status_code == 404 and links.user_for("888") is not None
    done = clients.viewer.post(f"/ask/telegram/{link_id}/unlink",
                               data={"csrf": csrf_of(clients.viewer)}, follow_redirects=False)
    assert done.status_code == 303 and links.user_for("888") is None


def test_ask_page_on_a_phone_in_a_real_browser(request):
    """Mobile first: on a 375-px viewport the question, the answer, its citations and the
    history fit the screen width (Chromium; the server and store of tests/web/test_browser)."""
    base, _, _ = request.getfixturevalue("server")
    page = request.getfixturevalue("browser_context_factory")(VIEWPORTS["phone"]).new_page()
    page.goto(f"{base}/ask")
    page.fill("input[name=username]", "bientap")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/ask")
    page.fill("textarea[name=question]", "Tin nổi bật 24 giờ qua là gì?")
    page.click("form.ask-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/ask\?id=\d+"))
    answer = page.locator("#tra-loi .answer").inner_text()
    assert "tin nổi bật nhất" in answer and page.locator("ol.citations li").count() >= 1
    assert page.locator("ul.ask-history li").count() == 1
    _fits(page, "phone")
    _shot(page, "phone", "5-ask")
