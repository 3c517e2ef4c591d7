"""The web app's own SQLite file: users, sessions, tokens, topics, corrections, mutes, audit,
source overrides and alert recipient groups.

The store holds documents; this file holds what people decide in the dashboard. Other stages
read it through the functions of web.topics, web.corrections, web.sources_admin and
web.recipients (never through SQL of their own). One short-lived connection per call: the
engine thread and the web workers share the file, WAL lets readers run while one writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

BUSY_TIMEOUT_S = 10  # writes here are single rows; waiting 10 s means something is stuck

SCHEMA = """
CREATE TABLE IF NOT EXISTS users(
    id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL,
    must_change INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions(
    token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS api_tokens(
    token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    label TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, last_used_at TEXT);
CREATE TABLE IF NOT EXISTS login_failures(key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at);
CREATE TABLE IF NOT EXISTS audit(
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, username TEXT NOT NULL, action TEXT NOT NULL,
    detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS topics(
    id TEXT PRIMARY KEY, name TEXT NOT NULL, query TEXT NOT NULL, updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mutes(
    topic_id TEXT PRIMARY KEY, until TEXT NOT NULL, muted_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS corrections(
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, field TEXT NOT NULL, old TEXT,
    new TEXT NOT NULL, username TEXT NOT NULL, at TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS corrections_doc ON corrections(doc_id, id);
CREATE TABLE IF NOT EXISTS source_overrides(
    source_id TEXT PRIMARY KEY, action TEXT NOT NULL CHECK (action IN ('add', 'disable')),
    spec TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert_groups(
    name TEXT PRIMARY KEY, channel TEXT NOT NULL CHECK (channel IN ('email', 'telegram',
    'webhook')), spec TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,
    updated_by TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ask_history(
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), at TEXT NOT NULL,
    via TEXT NOT NULL, question TEXT NOT NULL, intent TEXT NOT NULL, answer TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ask_history_user ON ask_history(user_id, id);
CREATE TABLE IF NOT EXISTS telegram_links(
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), code_hash TEXT UNIQUE,
    expires_at TEXT, chat_id TEXT UNIQUE, linked_at TEXT);
"""


# Columns added after the first release, for files made before them: (table, column, type).
ADDED_COLUMNS = (("users", "must_change", "INTEGER NOT NULL DEFAULT 0"),
                 ("api_tokens", "expires_at", "TEXT"), ("api_tokens", "last_used_at", "TEXT"),
                 ("corrections", "kind", "TEXT"))
OLD_TOKEN_DAYS = 90  # tokens made before expiry existed run this long from the upgrade


def now_iso(at: datetime | None = None) -> str:
    """A UTC time as stored here: ISO 8601 to the second, so text order is time order."""
    return (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


_READY: set[str] = set()  # databases whose tables exist (checked once per process)


def setup(path: str | Path) -> None:
    """Create the tables (safe on every start)."""
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        con.executescript(SCHEMA)
        with con:
            _add_columns(con)
    finally:
        con.close()
    _READY.add(str(Path(path).resolve()))


def _add_columns(con: sqlite3.Connection) -> None:
    for table, column, kind in ADDED_COLUMNS:
        have = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            try:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            except sqlite3.OperationalError as exc:  # another process added it meanwhile
                if "duplicate column" not in str(exc):
                    raise
    # an API token without an expiry predates it: give it the default lifetime from now
    con.execute("UPDATE api_tokens SET expires_at = ? WHERE expires_at IS NULL",
                (now_iso(datetime.now(UTC) + timedelta(days=OLD_TOKEN_DAYS)),))


@contextmanager
def connect(path: str | Path) -> Iterator[sqlite3.Connection]:
    """One transaction on a fresh connection: committed on success, rolled back on error.

    The tables are created on first use, so the CLI and the engine can use a fresh home."""
    if str(Path(path).resolve()) not in _READY:
        setup(path)
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.row_factory = sqlite3.Row
        with con:
            yield con
    finally:
        con.close()


def audit(con: sqlite3.Connection, username: str, action: str, detail: str) -> None:
    """Record a configuration change (who, when, what)."""
    con.execute("INSERT INTO audit(at, username, action, detail) VALUES (?, ?, ?, ?)",
                (now_iso(), username, action, detail))
