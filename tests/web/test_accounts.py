"""Accounts through the real app and web database: changing one's password, an admin's one-time
reset, the last admin, API tokens listed with their use and expiry, revoked, expired."""

from __future__ import annotations

import re
import sqlite3

from fastapi.testclient import TestClient

from web import auth, db

from .conftest import PASSWORD, csrf_of, login

NEW = "mot-mat-khau-moi-dai"  # noqa: S105 - test only
OTP_RE = re.compile(r"Mật khẩu dùng một lần của <strong>(\w+)</strong>.*?<code>([^<]+)</code>",
                    re.S)
TOKEN_RE = re.compile(r"<code>(ln_[^<]+)</code>")


def test_a_user_changes_their_password_and_their_other_sessions_end(app, clients):
    other = TestClient(app)
    assert login(other, "viewer").status_code == 303
    me = clients.viewer
    token = csrf_of(me)
    wrong = me.post("/account/password", data={"current": "khong-dung-roi", "new": NEW,
                                                "confirm": NEW, "csrf": token})
    assert wrong.status_code == 400 and "Mật khẩu hiện tại không đúng" in wrong.text
    typo = me.post("/account/password", data={"current": PASSWORD, "new": NEW,
                                               "confirm": NEW + "x", "csrf": token})
    assert typo.status_code == 400 and "không giống nhau" in typo.text
    done = me.post("/account/password", data={"current": PASSWORD, "new": NEW, "confirm": NEW,
                                              "csrf": token})
    assert done.status_code == 200 and "Đã đổi mật khẩu" in done.text
    assert me.get("/search", follow_redirects=False).status_code == 200  # this browser stays in
    assert other.get("/search", follow_redirects=False).status_code == 303  # the other is out
    assert login(TestClient(app), "viewer").status_code == 401  # the old password is gone
    assert login(TestClient(app), "viewer", NEW).status_code == 303


def test_an_admin_reset_gives_a_one_time_password_shown_once(app, clients):
    admin = clients.admin
    page = admin.post("/admin/users/viewer/reset", data={"csrf": csrf_of(admin)})
    username, otp = OTP_RE.search(page.text).groups()
    assert username == "viewer" and len(otp) >= auth.MIN_PASSWORD
    assert otp not in admin.get("/admin/users").text  # shown once
    assert clients.viewer.get("/search", follow_redirects=False).status_code == 303  # signed out
    assert login(TestClient(app), "viewer").status_code == 401  # the old password is gone

    user = TestClient(app)
    signed_in = login(user, "viewer", otp)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account"
    # until a new password is chosen, everything else leads back to the form
    for path in ("/", "/search", "/admin/users"):
        response = user.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/account"
    assert user.get("/api/v1/me").status_code == 403
    form = user.get("/account").text
    assert "mật khẩu dùng một lần" in form and 'name="current"' not in form
    assert login(TestClient(app), "viewer", otp).status_code == 401  # one sign-in only
    token = csrf_of(user)
    user.post("/account/password", data={"new": NEW, "confirm": NEW, "csrf": token})
    assert user.get("/search", follow_redirects=False).status_code == 200
    assert login(TestClient(app), "viewer", NEW).status_code == 303


def test_the_last_active_admin_cannot_be_demoted_or_disabled(app, clients, web_db):
    admin = clients.admin
    token = csrf_of(admin)
    for form in ({"role": "analyst", "active": "1"}, {"role": "admin", "active": "0"}):
        refused = admin.post("/admin/users/admin", data={**form, "csrf": token})
        assert refused.status_code == 400 and "quản trị viên cuối cùng" in refused.text
    assert [u["role"] for u in auth.list_users(web_db) if u["username"] == "admin"] == ["admin"]
    assert admin.get("/admin/users").status_code == 200  # still an admin
    admin.post("/admin/users/analyst", data={"role": "admin", "active": "1", "csrf": token})
    moved = admin.post("/admin/users/admin", data={"role": "analyst", "active": "1",
                                                   "csrf": token}, follow_redirects=False)
    assert moved.status_code == 303  # another admin exists now


def test_tokens_are_listed_with_creation_last_use_and_expiry_and_revocable(app, clients, web_db):
    me = clients.analyst
    made = me.post("/account/token", data={"label": "bao-cao", "days": "30",
                                           "csrf": csrf_of(me)})
    token = TOKEN_RE.search(made.text).group(1)
    (row,) = auth.list_tokens(web_db, "analyst")
    assert row["label"] == "bao-cao" and row["last_used_at"] is None and not row["expired"]
    assert row["expires_at"][:10] > row["created_at"][:10]
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/me").status_code == 200
    (row,) = auth.list_tokens(web_db, "analyst")
    assert row["last_used_at"] is not None
    page = me.get("/account").text
    assert "bao-cao" in page and row["id"] in page and "Thu hồi" in page
    # someone else's token cannot be revoked from one's own page
    viewer = clients.viewer
    assert viewer.post(f"/account/tokens/{row['id']}/revoke",
                       data={"csrf": csrf_of(viewer)}).status_code == 404
    me.post(f"/account/tokens/{row['id']}/revoke", data={"csrf": csrf_of(me)})
    assert api.get("/api/v1/me").status_code == 401
    assert auth.list_tokens(web_db, "analyst") == []


def test_an_admin_sees_and_revokes_everyones_tokens(app, clients, web_db):
    token = auth.create_api_token(web_db, "viewer", "kich-ban", "viewer")
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/me").status_code == 200
    admin = clients.admin
    (row,) = auth.list_tokens(web_db)
    assert row["id"] in admin.get("/admin/users").text
    admin.post(f"/admin/tokens/{row['id']}/revoke", data={"csrf": csrf_of(admin)})
    assert api.get("/api/v1/me").status_code == 401


def test_a_token_stops_working_when_it_expires(app, web_db):
    token = auth.create_api_token(web_db, "viewer", "het-han", "viewer", days=1)
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/me").status_code == 200
    with db.connect(web_db) as con:  # a day passes
        con.execute("UPDATE api_tokens SET expires_at = ?", (db.now_iso(),))
    assert api.get("/api/v1/me").status_code == 401
    assert auth.list_tokens(web_db)[0]["expired"]


def test_token_lifetime_defaults_to_90_days_and_is_bounded(web_db):
    auth.create_api_token(web_db, "viewer", "mac-dinh", "viewer")
    (row,) = auth.list_tokens(web_db)
    from datetime import datetime

    span = datetime.fromisoformat(row["expires_at"]) - datetime.fromisoformat(row["created_at"])
    assert span.days == auth.TOKEN_DAYS == 90
    for days in (0, auth.MAX_TOKEN_DAYS + 1):
        try:
            auth.create_api_token(web_db, "viewer", "x", "viewer", days=days)
        except auth.AuthError as exc:
            assert "365" in str(exc)
        else:
            raise AssertionError(f"a {days}-day token was made")


def test_a_web_database_from_before_expiry_gets_the_columns_and_keeps_its_tokens(tmp_path, app):
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)  # the schema as the first release made it
    con.executescript("""
        CREATE TABLE users(id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE,
            password TEXT NOT NULL, role TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL);
        CREATE TABLE api_tokens(token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL,
            label TEXT NOT NULL, created_at TEXT NOT NULL);""")
    con.execute("INSERT INTO users VALUES (1, 'cu', ?, 'viewer', 1, '2025-01-01T00:00:00+00:00')",
                (auth.hash_password(PASSWORD),))
    con.execute("INSERT INTO api_tokens VALUES (?, 1, 'cu', '2025-01-01T00:00:00+00:00')",
                (auth._sha("ln_cu"),))
    con.commit()
    con.close()
    db.setup(path)
    assert auth.token_user(path, "ln_cu").username == "cu"  # still valid, for 90 days from now
    (row,) = auth.list_tokens(path)
    assert row["expires_at"] > db.now_iso() and not row["expired"]
    assert auth.authenticate(path, "cu", PASSWORD, "test").must_change is False
