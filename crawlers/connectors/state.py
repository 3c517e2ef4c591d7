"""Connector state in one small SQLite file: what was fetched, cursors, quota, statuses.

`seen` makes a second run fetch nothing new; `marks` holds small per-key values (a thread's
last-post date and reply count, an article's last comment poll, a channel's newest message);
`quota` counts API units per platform per Pacific day (YouTube resets quotas at midnight
Pacific time); `status` is what the source-health page shows for each connector.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (platform TEXT NOT NULL, native_id TEXT NOT NULL,
  seen_at REAL NOT NULL, PRIMARY KEY (platform, native_id));
CREATE TABLE IF NOT EXISTS marks (key TEXT PRIMARY KEY, value TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS quota (platform TEXT NOT NULL, day TEXT NOT NULL,
  units INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (platform, day));
CREATE TABLE IF NOT EXISTS status (connector TEXT PRIMARY KEY, status TEXT NOT NULL,
  message TEXT NOT NULL, at REAL NOT NULL, last_success REAL);
"""
QUOTA_TZ = ZoneInfo("America/Los_Angeles")  # the YouTube Data API quota day


@dataclass
class ConnectorStatus:
    connector: str
    status: str  # ok, not_configured, quota, rate_limit, auth, parse, http, network
    message: str
    at: datetime
    last_success: datetime | None


class ConnectorState:
    """One connection; every method commits at once (a killed run keeps what it recorded)."""

    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- seen items ---------------------------------------------------------------------------
    def seen(self, platform: str, native_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM seen WHERE platform=? AND native_id=?",
                              (platform, native_id)).fetchone()
        return row is not None

    def mark_seen(self, platform: str, native_ids: list[str], now: float | None = None) -> None:
        moment = now if now is not None else time.time()
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)",
                            [(platform, n, moment) for n in native_ids])

    # -- small marks ----------------------------------------------------------------------------
    def get(self, key: str, default: object = None) -> object:
        row = self.db.execute("SELECT value FROM marks WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, key: str, value: object, now: float | None = None) -> None:
        self.db.execute("INSERT OR REPLACE INTO marks VALUES (?, ?, ?)",
                        (key, json.dumps(value), now if now is not None else time.time()))

    # -- quota ----------------------------------------------------------------------------------
    @staticmethod
    def quota_day(now: float) -> str:
        return datetime.fromtimestamp(now, UTC).astimezone(QUOTA_TZ).date().isoformat()

    def units_used(self, platform: str, now: float) -> int:
        row = self.db.execute("SELECT units FROM quota WHERE platform=? AND day=?",
                              (platform, self.quota_day(now))).fetchone()
        return row[0] if row else 0

    def spend(self, platform: str, units: int, now: float) -> None:
        self.db.execute(
            "INSERT INTO quota VALUES (?, ?, ?) ON CONFLICT (platform, day) "
            "DO UPDATE SET units = units + excluded.units",
            (platform, self.quota_day(now), units))

    # -- statuses for the health page ------------------------------------------------------------
    def set_status(self, connector: str, status: str, message: str, now: float) -> None:
        success = now if status == "ok" else None
        self.db.execute(
            "INSERT INTO status VALUES (?, ?, ?, ?, ?) ON CONFLICT (connector) DO UPDATE SET "
            "status=excluded.status, message=excluded.message, at=excluded.at, "
            "last_success=COALESCE(excluded.last_success, status.last_success)",
            (connector, status, message, now, success))

    def statuses(self) -> list[ConnectorStatus]:
        rows = self.db.execute("SELECT * FROM status ORDER BY connector").fetchall()
        return [ConnectorStatus(c, s, m, datetime.fromtimestamp(at, UTC),
                                datetime.fromtimestamp(ok, UTC) if ok else None)
                for c, s, m, at, ok in rows]
