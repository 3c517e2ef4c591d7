"""Accounts and access: password hashing, sessions, CSRF tokens, API tokens, login throttling.

- Passwords: hashlib.scrypt (n=2**14, r=8, p=1 — the parameters RFC 7914 recommends for
  interactive logins, ~16 MiB and ~50 ms), random 16-byte salt, stored as `scrypt$n$r$p$salt$hash`.
- Sessions: a random 32-byte token in an HttpOnly, SameSite=Lax cookie (Secure unless the
  deployment serves plain http on localhost); the database keeps only its SHA-256.
- CSRF: one random token per session, required in the `csrf` field of every POST form (or the
  `X-CSRF-Token` header for JSON calls made with the session cookie).
- API tokens: per user, shown once, stored as SHA-256, sent as `Authorization: Bearer …`; each
  has a label, a creation and a last-use time (to the minute) and an expiry (TOKEN_DAYS by
  default, chosen per token up to MAX_TOKEN_DAYS), and can be revoked by its owner or an admin.
  A token is named in lists by TOKEN_ID_CHARS hex characters of its hash, never by itself.
- Passwords change: a user changes their own (the current one is asked); an admin resets
  someone's to a one-time password, shown once. That password works for one sign-in, which
  leads only to the "choose a new password" form (web.app); it also ends the user's sessions.
- The last active admin cannot be demoted or disabled: nobody could manage accounts any more.
- Login throttling: MAX_FAILURES wrong passwords for a username (or MAX_FAILURES_PER_ADDRESS
  from one client address) within FAILURE_WINDOW_S lock further attempts until the window passes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from web import db

ROLES = ("viewer", "analyst", "admin")  # each role can do everything the ones before it can
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # RFC 7914 interactive-login parameters
SCRYPT_MAXMEM = 64 * 2**20  # n*r*128 = 16 MiB needed; OpenSSL's default 32 MiB cap is tight
SESSION_TTL_S = 12 * 3600  # one working day; staff log in again each morning
MAX_FAILURES = 5  # wrong passwords per account before the lock: enough for typos, not guessing
MAX_FAILURES_PER_ADDRESS = 20  # per client address: an office behind one NAT has many users
FAILURE_WINDOW_S = 15 * 60  # lock lasts until the oldest counted failure is 15 minutes old
MIN_PASSWORD = 10  # characters; long passphrases beat complex short ones (NIST SP 800-63B)
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
TOKEN_DAYS = 90  # a quarter: scripts get re-issued tokens at a review, forgotten ones lapse
MAX_TOKEN_DAYS = 365  # no token outlives a yearly access review
TOKEN_ID_CHARS = 16  # of the SHA-256 hex: 64 bits, unique among any user's tokens, not secret
LAST_USE_RESOLUTION_S = 60  # last use is written at most once a minute per token: no write per call
SPENT = "!"  # the password field of an account whose one-time password was used: matches nothing


class AuthError(ValueError):
    """A refused account operation; the message says what was expected."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    must_change: bool = False  # signed in with a one-time password: choose a new one first

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def normalize_username(raw: str) -> str:
    """The one spelling of a user name: NFC, surrounding spaces removed, case folded.

    Applied once where a name enters (the login form, the admin's forms, the CLI); the login
    lock, authentication and account changes all use the result, so " Admin" and "admin" are one
    account with one lock."""
    return unicodedata.normalize("NFC", raw).strip().casefold()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=SCRYPT_MAXMEM)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p), maxmem=SCRYPT_MAXMEM)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự")


def _check_new(username: str, password: str, role: str) -> None:
    if not username or len(username) > 64 or not set(username) <= USERNAME_CHARS:
        raise AuthError("Tên đăng nhập phải gồm chữ thường không dấu, số, dấu . _ - "
                        "(1–64 ký tự)")
    _check_password(password)
    if role not in ROLES:
        raise AuthError(f"Vai trò phải là một trong: {', '.join(ROLES)}")


def create_user(db_path: str | Path, username: str, password: str, role: str,
                by: str = "system", one_time: bool = False) -> User:
    """Add an account (audited); raises AuthError on a bad name, short password or taken name.
    `one_time`: the password works for one sign-in, then a new one must be chosen."""
    _check_new(username, password, role)
    db.setup(db_path)
    try:
        with db.connect(db_path) as con:
            cur = con.execute("INSERT INTO users(username, password, role, created_at, "
                              "must_change) VALUES (?, ?, ?, ?, ?)",
                              (username, hash_password(password), role, db.now_iso(),
                               int(one_time)))
            db.audit(con, by, "user.create", f"{username} ({role})")
    except sqlite3.IntegrityError:
        raise AuthError(f"Tên đăng nhập {username!r} đã có") from None
    return User(cur.lastrowid, username, role, one_time)


def create_admin(db_path: str | Path, username: str, password: str,
                 one_time: bool = False) -> User:
    """An administrator from the shell (`langnghe users create-admin`, the first start)."""
    return create_user(db_path, username, password, "admin", by="cli", one_time=one_time)


def _user_id(con: sqlite3.Connection, username: str) -> int:
    row = con.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        raise AuthError(f"Không có người dùng {username!r}")
    return row[0]


def set_role(db_path: str | Path, username: str, role: str, active: bool, by: str) -> None:
    """Change a role or (dis)able an account; AuthError when that would leave no active admin."""
    if role not in ROLES:
        raise AuthError(f"Vai trò phải là một trong: {', '.join(ROLES)}")
    with db.connect(db_path) as con:
        uid = _user_id(con, username)
        con.execute("UPDATE users SET role = ?, active = ? WHERE id = ?", (role, int(active), uid))
        # checked after the write, inside its transaction: two admins demoting each other at
        # once cannot both pass (the second waits for the first's lock, then counts)
        admins = con.execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1"
                             ).fetchone()[0]
        if admins == 0:
            raise AuthError(f"{username} là quản trị viên cuối cùng đang hoạt động: hãy cấp "
                            "quyền quản trị cho người khác trước khi hạ quyền hoặc khóa tài "
                            "khoản này")
        if not active:
            con.execute("DELETE FROM sessions WHERE user_id = ?", (uid,))
        db.audit(con, by, "user.update", f"{username}: {role}, {'on' if active else 'off'}")


def change_password(db_path: str | Path, user: User, current: str | None, new: str) -> None:
    """A user's own change: `current` must match, except right after a one-time password (it
    was just used to sign in). Ends the user's other sessions; the caller starts a new one."""
    _check_password(new)
    with db.connect(db_path) as con:
        row = con.execute("SELECT password, must_change FROM users WHERE id = ? AND active = 1",
                          (user.id,)).fetchone()
        if row is None:
            raise AuthError("Tài khoản không còn hoạt động")
        if not row["must_change"] and not verify_password(current or "", row["password"]):
            raise AuthError("Mật khẩu hiện tại không đúng")
        if verify_password(new, row["password"]):
            raise AuthError("Mật khẩu mới phải khác mật khẩu hiện tại")
        con.execute("UPDATE users SET password = ?, must_change = 0 WHERE id = ?",
                    (hash_password(new), user.id))
        con.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
        db.audit(con, user.username, "user.password", user.username)


def set_password(db_path: str | Path, username: str, password: str, by: str) -> None:
    """Set an account's password from the shell (`langnghe users set-password`)."""
    _check_password(password)
    with db.connect(db_path) as con:
        uid = _user_id(con, username)
        con.execute("UPDATE users SET password = ?, must_change = 0 WHERE id = ?",
                    (hash_password(password), uid))
        con.execute("DELETE FROM sessions WHERE user_id = ?", (uid,))
        db.audit(con, by, "user.password", username)


def reset_password(db_path: str | Path, username: str, by: str) -> str:
    """An admin's reset: a one-time password, returned once (only its hash is kept). Ends the
    user's sessions; their API tokens stay (revoke them separately if they leaked)."""
    password = secrets.token_urlsafe(12)  # 16 characters, 96 bits
    with db.connect(db_path) as con:
        uid = _user_id(con, username)
        con.execute("UPDATE users SET password = ?, must_change = 1 WHERE id = ?",
                    (hash_password(password), uid))
        con.execute("DELETE FROM sessions WHERE user_id = ?", (uid,))
        db.audit(con, by, "user.reset", username)
    return password


def list_users(db_path: str | Path) -> list[dict]:
    with db.connect(db_path) as con:
        return [dict(r) for r in con.execute(
            "SELECT username, role, active, created_at, must_change FROM users "
            "ORDER BY username")]


def _throttle_keys(username: str, client: str) -> tuple[str, str]:
    return f"user:{username}", f"ip:{client}"


def locked(db_path: str | Path, username: str, client: str) -> bool:
    since = time.time() - FAILURE_WINDOW_S
    with db.connect(db_path) as con:
        con.execute("DELETE FROM login_failures WHERE at < ?", (since,))
        limits = zip(_throttle_keys(username, client), (MAX_FAILURES, MAX_FAILURES_PER_ADDRESS),
                     strict=True)
        for key, limit in limits:
            n = con.execute("SELECT COUNT(*) FROM login_failures WHERE key = ? AND at >= ?",
                            (key, since)).fetchone()[0]
            if n >= limit:
                return True
    return False


def authenticate(db_path: str | Path, username: str, password: str, client: str) -> User | None:
    """The user when the password is right; records a failure otherwise. Check `locked` first."""
    with db.connect(db_path) as con:
        row = con.execute("SELECT id, username, role, password, must_change FROM users "
                          "WHERE username = ? AND active = 1", (username,)).fetchone()
    # verify against a dummy hash for unknown names so timing does not reveal which exist
    ok = verify_password(password, row["password"] if row else _DUMMY)
    if row and ok:
        if row["must_change"]:  # a one-time password: spent now, whatever happens next
            with db.connect(db_path) as con:
                con.execute("UPDATE users SET password = ? WHERE id = ?", (SPENT, row["id"]))
        return User(row["id"], row["username"], row["role"], bool(row["must_change"]))
    with db.connect(db_path) as con:
        con.executemany("INSERT INTO login_failures(key, at) VALUES (?, ?)",
                        [(k, time.time()) for k in _throttle_keys(username, client)])
    return None


def start_session(db_path: str | Path, user: User) -> tuple[str, str]:
    """(session token for the cookie, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with db.connect(db_path) as con:
        con.execute("DELETE FROM sessions WHERE expires_at < ?", (time.time(),))
        con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                    (_sha(token), user.id, csrf, time.time() + SESSION_TTL_S))
    return token, csrf


def end_session(db_path: str | Path, token: str) -> None:
    with db.connect(db_path) as con:
        con.execute("DELETE FROM sessions WHERE token_hash = ?", (_sha(token),))


def session_user(db_path: str | Path, token: str) -> tuple[User, str] | None:
    """(user, CSRF token) of a live session cookie."""
    with db.connect(db_path) as con:
        row = con.execute("SELECT u.id, u.username, u.role, u.must_change, s.csrf FROM sessions s "
                          "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? "
                          "AND s.expires_at > ? AND u.active = 1",
                          (_sha(token), time.time())).fetchone()
    return (User(row[0], row[1], row[2], bool(row[3])), row[4]) if row else None


def create_api_token(db_path: str | Path, username: str, label: str, by: str,
                     days: int = TOKEN_DAYS) -> str:
    """A new API token for the user, valid `days` (returned once; only its hash is kept)."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise AuthError(f"Thời hạn token phải từ 1 đến {MAX_TOKEN_DAYS} ngày")
    token = "ln_" + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with db.connect(db_path) as con:
        uid = _user_id(con, username)
        con.execute("INSERT INTO api_tokens(token_hash, user_id, label, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?)", (_sha(token), uid, label or "api",
                                               db.now_iso(now),
                                               db.now_iso(now + timedelta(days=days))))
        db.audit(con, by, "token.create", f"{username}: {label} ({days} ngày)")
    return token


def list_tokens(db_path: str | Path, username: str | None = None) -> list[dict]:
    """API tokens, newest first (of one user, or everyone's): id, username, label, created_at,
    last_used_at, expires_at, expired."""
    now = db.now_iso()
    with db.connect(db_path) as con:
        rows = con.execute("SELECT substr(t.token_hash, 1, ?) AS id, u.username, t.label, "
                           "t.created_at, t.last_used_at, t.expires_at FROM api_tokens t "
                           "JOIN users u ON u.id = t.user_id WHERE ? IS NULL OR u.username = ? "
                           "ORDER BY t.created_at DESC, id",
                           (TOKEN_ID_CHARS, username, username)).fetchall()
    return [{**dict(r), "expired": r["expires_at"] <= now} for r in rows]


def revoke_token(db_path: str | Path, token_id: str, by: str, owner: str | None = None) -> None:
    """Delete a token named by its id (audited); `owner` limits it to that user's tokens.
    AuthError when there is no such token."""
    if len(token_id) != TOKEN_ID_CHARS or not set(token_id) <= set("0123456789abcdef"):
        raise AuthError("Không có token này")
    with db.connect(db_path) as con:
        row = con.execute("SELECT t.token_hash, u.username, t.label FROM api_tokens t JOIN users u "
                          "ON u.id = t.user_id WHERE t.token_hash LIKE ? || '%' "
                          "AND (? IS NULL OR u.username = ?)",
                          (token_id, owner, owner)).fetchone()
        if row is None:
            raise AuthError("Không có token này")
        con.execute("DELETE FROM api_tokens WHERE token_hash = ?", (row[0],))
        db.audit(con, by, "token.revoke", f"{row[1]}: {row[2]} ({token_id})")


def token_user(db_path: str | Path, token: str) -> User | None:
    """The owner of a live token (not expired, account active); notes the token's last use."""
    now = datetime.now(UTC)
    with db.connect(db_path) as con:
        row = con.execute("SELECT u.id, u.username, u.role, t.last_used_at FROM api_tokens t "
                          "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? "
                          "AND t.expires_at > ? AND u.active = 1",
                          (_sha(token), db.now_iso(now))).fetchone()
        if row is None:
            return None
        stale = db.now_iso(now - timedelta(seconds=LAST_USE_RESOLUTION_S))
        if row[3] is None or row[3] < stale:
            con.execute("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?",
                        (db.now_iso(now), _sha(token)))
    return User(row[0], row[1], row[2])


_DUMMY = hash_password(secrets.token_hex(8))
