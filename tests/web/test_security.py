"""Sign-in, roles, CSRF, throttling, API tokens and escaping, through the real app."""

from __future__ import annotations

from fastapi.testclient import TestClient

from langnghe.document import Entity, Label, NlpSection
from web import accounts, auth, manage, pages
from web.app import create_app
from web.deps import role_of

from .conftest import CSRF_RE, PASSWORD, csrf_of, doc, login

PAYLOAD = '<script>alert("x")</script>'


def test_pages_require_login_and_api_requires_credentials(app):
    anon = TestClient(app)
    for path in ("/", "/search", "/topics", "/alerts", "/reports", "/sources", "/admin/users"):
        response = anon.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert anon.get("/api/v1/search").status_code == 401
    assert anon.get("/api/v1/openapi.json").status_code == 401
    assert anon.get("/login").status_code == 200


def test_login_sets_httponly_samesite_cookie(app, store, web_db):
    secure_app = create_app(store, web_db=web_db, secure_cookies=True)
    cookie = login(TestClient(secure_app, base_url="https://testserver"),
                   "viewer").headers["set-cookie"]
    assert "ln_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" in cookie
    plain = login(TestClient(app), "viewer").headers["set-cookie"]
    assert "Secure" not in plain


def test_login_wrong_password_is_rate_limited(app):
    c = TestClient(app)
    codes = [login(c, "viewer", "sai-mat-khau-roi").status_code for _ in range(auth.MAX_FAILURES)]
    assert codes == [401] * auth.MAX_FAILURES
    locked = login(c, "viewer")  # the right password, but too late
    assert locked.status_code == 429 and "15 phút" in locked.text
    # another account from the same address still signs in: offices share one NAT address
    assert login(TestClient(app), "analyst").status_code == 303


def test_login_without_its_csrf_token_is_refused(app):
    c = TestClient(app)
    c.get("/login")
    response = c.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf": "x"})
    assert response.status_code == 403


def test_every_form_post_refuses_a_missing_csrf_token(app, clients):
    posts = [r.path for r in pages.router.routes + manage.router.routes + accounts.router.routes
             if "POST" in r.methods and not role_of(r).startswith("public:")]
    assert len(posts) >= 10
    for path in posts:
        url = path.replace("{doc_id}", "x").replace("{tid}", "t").replace("{alert_id}", "a") \
            .replace("{source_id}", "s").replace("{username}", "viewer") \
            .replace("{token_id}", "0" * auth.TOKEN_ID_CHARS)
        response = clients.admin.post(url, data={"field": "sentiment", "value": "negative",
                                                 "role": "viewer", "period": "1h"})
        assert response.status_code == 403, (path, response.status_code)
        assert "CSRF" in response.text


def test_api_post_with_session_cookie_needs_csrf_header(client):
    body = {"id": "bao-lu", "name": "Bão lũ", "query": "bão OR lũ"}
    assert client.post("/api/v1/topics", json=body).status_code == 403
    ok = client.post("/api/v1/topics", json=body, headers={"X-CSRF-Token": csrf_of(client)})
    assert ok.status_code == 200 and ok.json()["id"] == "bao-lu"


def test_viewer_cannot_reach_admin_pages_or_change_anything(clients, store):
    viewer = clients.viewer
    token = csrf_of(viewer)
    assert viewer.get("/admin/users").status_code == 403
    assert viewer.get("/admin/audit").status_code == 403
    assert viewer.get("/search/export.csv").status_code == 403
    assert viewer.get("/api/v1/export.csv").status_code == 403
    target = store.search("giá vàng").hits[0].doc
    assert viewer.post(f"/doc/{target.id}/correct", data={
        "field": "sentiment", "value": "positive", "csrf": token}).status_code == 403
    assert viewer.post("/topics", data={"id": "x", "name": "x", "query": "x",
                                        "csrf": token}).status_code == 403
    assert viewer.post("/sources", data={"csrf": token}).status_code == 403
    assert viewer.get("/search").status_code == 200  # reading is allowed


def test_analyst_cannot_manage_sources_or_users(clients):
    analyst = clients.analyst
    token = csrf_of(analyst)
    assert analyst.post("/admin/users", data={"username": "moi", "password": "x" * 12,
                                              "role": "admin", "csrf": token}).status_code == 403
    assert analyst.post("/sources/vnexpress/toggle", data={"csrf": token}).status_code == 403


def test_api_token_authenticates_without_cookie(app, clients):
    page = clients.analyst.post("/account/token", data={"label": "script",
                                                         "csrf": csrf_of(clients.analyst)})
    token = page.text.split("<code>ln_")[1].split("</code>")[0]
    api = TestClient(app)
    headers = {"Authorization": f"Bearer ln_{token}"}
    assert api.get("/api/v1/me", headers=headers).json() == {"username": "analyst",
                                                             "role": "analyst"}
    # a token needs no CSRF header: it is not sent automatically by browsers
    made = api.post("/api/v1/topics", json={"id": "vang", "name": "Vàng", "query": "vàng"},
                    headers=headers)
    assert made.status_code == 200
    assert api.get("/api/v1/me", headers={"Authorization": "Bearer ln_wrong"}).status_code == 401


def test_script_payloads_in_title_text_and_entities_render_inert(client, store):
    evil = doc(9, PAYLOAD + " Hà Nội", f"Mở đầu {PAYLOAD} giữa <b onmouseover=x>đậm</b>")
    evil.nlp = NlpSection(title=evil.title, text=evil.text, story_id=evil.id,
                          sentiment=Label(label="negative", score=0.9, explanation=[PAYLOAD]),
                          entities=[Entity(text=PAYLOAD, type="ORG", start=0, end=len(PAYLOAD))])
    store.upsert([evil])
    pages = [client.get(f"/doc/{evil.id}"), client.get("/search", params={"q": "hà nội"}),
             client.get("/search", params={"entity": PAYLOAD}), client.get("/?range=24h")]
    for page in pages:
        assert page.status_code == 200
        assert PAYLOAD not in page.text and "<b onmouseover" not in page.text
        assert "&lt;script&gt;" in page.text


def test_login_redirect_target_stays_on_site(app):
    c = TestClient(app)
    page = c.get("/login", params={"next": "//evil.example/"})
    token = CSRF_RE.search(page.text).group(1)
    response = c.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf": token,
                                      "next": "https://evil.example/"}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_create_admin_makes_an_admin_who_can_sign_in(store, tmp_path):
    path = tmp_path / "fresh.sqlite"
    user = auth.create_admin(path, "quantri", "mot-mat-khau-dai")
    assert user.role == "admin"
    stored = auth.list_users(path)[0]
    assert stored["username"] == "quantri"
    c = TestClient(create_app(store, web_db=path, secure_cookies=False))
    assert login(c, "quantri", "mot-mat-khau-dai").status_code == 303
    assert c.get("/admin/users").status_code == 200


def test_passwords_are_stored_as_scrypt_hashes_and_short_ones_refused(tmp_path):
    path = tmp_path / "w.sqlite"
    auth.create_user(path, "an", "mot-mat-khau-dai", "viewer")
    from web import db

    with db.connect(path) as con:
        stored = con.execute("SELECT password FROM users").fetchone()[0]
    assert stored.startswith("scrypt$") and "mot-mat-khau-dai" not in stored
    try:
        auth.create_user(path, "binh", "ngan", "viewer")
    except auth.AuthError as exc:
        assert "10" in str(exc)
    else:
        raise AssertionError("a 4-character password was accepted")


def test_login_lock_holds_whatever_spaces_case_or_unicode_form_the_name_is_typed_in(app):
    c = TestClient(app)
    for _ in range(auth.MAX_FAILURES):
        assert login(c, "viewer", "sai-mat-khau-roi").status_code == 401
    for variant in ("viewer", " viewer", " " * 30 + "viewer", "viewer\t", "VIEWER", "Viewer  "):
        locked = login(TestClient(app), variant)  # the right password, a fresh client each time
        assert locked.status_code == 429, repr(variant)


def test_login_accepts_the_name_typed_with_spaces_or_capitals(app):
    assert login(TestClient(app), "  Analyst ").status_code == 303
    # NFD (combining marks, as some keyboards send) and NFC spell one name
    assert auth.normalize_username("Thu\u0309y ") == auth.normalize_username("thủy")
