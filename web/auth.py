"""Accounts and access: password hashing, sessions, CSRF tokens, API tokens, login throttling.

- Passwords: hashlib.scrypt (n=2**14, r=8, p=1 — the parameters RFC 7914 recommends for
  interactive logins, ~16 MiB and ~50 ms), random 16-byte salt, stored as `scrypt$n$r$p$salt$hash`.
- Sessions: a random 32-byte token in an HttpOnly, SameSite=Lax cookie (Secure unless the
  deployment serves plain http on localhost); the database keeps only its SHA-256.
- CSRF: one random token per session, required in the `csrf` field of every POST form (or the
  `X-CSRF-Token` header for JSON calls made with the session cookie).
- API tokens: per user, shown once, stored as SHA-256, sent as `Authorization: Bearer …`.
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


class AuthError(ValueError):
    """A refused account operation; the message says what was expected."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str

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


def _check_new(username: str, password: str, role: str) -> None:
    if not username or len(username) > 64 or not set(username) <= USERNAME_CHARS:
        raise AuthError("Tên đăng nhập phải gồm chữ thường không dấu, số, dấu . _ - "
                        "(1–64 ký tự)")
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự")
    if role not in ROLES:
        raise AuthError(f"Vai trò phải là một trong: {', '.join(ROLES)}")


def create_user(db_path: str | Path, username: str, password: str, role: str,
                by: str = "system") -> User:
    """Add an account (audited); raises AuthError on a bad name, short password or taken name."""
    _check_new(username, password, role)
    db.setup(db_path)
    try:
        with db.connect(db_path) as con:
            cur = con.execute("INSERT INTO users(username, password, role, created_at) "
                              "VALUES (?, ?, ?, ?)",
                              (username, hash_password(password), role, db.now_iso()))
            db.audit(con, by, "user.create", f"{username} ({role})")
    except sqlite3.IntegrityError:
        raise AuthError(f"Tên đăng nhập {username!r} đã có") from None
    return User(cur.lastrowid, username, role)


def create_admin(db_path: str | Path, username: str, password: str) -> User:
    """The first administrator (for `langnghe users create-admin`)."""
    return create_user(db_path, username, password, "admin", by="cli")


def set_role(db_path: str | Path, username: str, role: str, active: bool, by: str) -> None:
    if role not in ROLES:
        raise AuthError(f"Vai trò phải là một trong: {', '.join(ROLES)}")
    with db.connect(db_path) as con:
        con.execute("UPDATE users SET role = ?, active = ? WHERE username = ?",
                    (role, int(active), username))
        if not active:
            con.execute("DELETE FROM sessions WHERE user_id = "
                        "(SELECT id FROM users WHERE username = ?)", (username,))
        db.audit(con, by, "user.update", f"{username}: {role}, {'on' if active else 'off'}")


def list_users(db_path: str | Path) -> list[dict]:
    with db.connect(db_path) as con:
        return [dict(r) for r in con.execute(
            "SELECT username, role, active, created_at FROM users ORDER BY username")]


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
        row = con.execute("SELECT id, username, role, password FROM users "
                          "WHERE username = ? AND active = 1", (username,)).fetchone()
    # verify against a dummy hash for unknown names so timing does not reveal which exist
    ok = verify_password(password, row["password"] if row else _DUMMY)
    if row and ok:
        return User(row["id"], row["username"], row["role"])
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
        row = con.execute("SELECT u.id, u.username, u.role, s.csrf FROM sessions s JOIN users u "
                          "ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? "
                          "AND u.active = 1", (_sha(token), time.time())).fetchone()
    return (User(row[0], row[1], row[2]), row[3]) if row else None


def create_api_token(db_path: str | Path, username: str, label: str, by: str) -> str:
    """A new API token for the user (returned once; only its hash is kept)."""
    token = "ln_" + secrets.token_urlsafe(32)
    with db.connect(db_path) as con:
        row = con.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
        if row is None:
            raise AuthError(f"Không có người dùng {username!r}")
        con.execute("INSERT INTO api_tokens VALUES (?, ?, ?, ?)",
                    (_sha(token), row[0], label or "api", db.now_iso()))
        db.audit(con, by, "token.create", f"{username}: {label}")
    return token


def token_user(db_path: str | Path, token: str) -> User | None:
    with db.connect(db_path) as con:
        row = con.execute("SELECT u.id, u.username, u.role FROM api_tokens t JOIN users u "
                          "ON u.id = t.user_id WHERE t.token_hash = ? AND u.active = 1",
                          (_sha(token),)).fetchone()
    return User(*row) if row else None


_DUMMY = hash_password(secrets.token_hex(8))
