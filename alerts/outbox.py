"""Durable alerts and their deliveries in one SQLite file: persist first, send second.

Tables:
- `alerts`: one row per incident (`key`), its latest content, version, status (open | acked |
  closed), who acknowledged it and when, when it last fired and last notified;
- `deliveries`: one row per (alert, version, recipient, channel) — unique, so re-running a cycle
  never enqueues twice — with the snapshot to send, attempts, next attempt time and status
  (pending | sent | failed | cancelled);
- `delivery_log`: every attempt and its outcome.

An incident is one alert: a new detection with the same key while the incident is open updates
it, and re-notifies only when the severity rises, or when the cooldown has passed and the volume
has grown by half. Acknowledging stops re-notification and cancels what is still pending.
A delivery is marked sent in its own transaction right after the channel accepts it; a crash
can only re-send the one message in flight, and it carries an idempotency key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.detector import SEVERITIES
from alerts.model import Alert

log = logging.getLogger(__name__)
GROWTH_TO_RENOTIFY = 1.5  # an update is worth a message when the volume grew by half
BUSY_TIMEOUT_S = 30  # the runner and an Airflow task may share the file briefly

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY, key TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open', version INTEGER NOT NULL DEFAULT 1,
  payload TEXT NOT NULL, created_at TEXT NOT NULL, last_seen TEXT NOT NULL,
  notified_at TEXT, notified_severity TEXT, notified_count INTEGER NOT NULL DEFAULT 0,
  acked_by TEXT, acked_at TEXT);
CREATE INDEX IF NOT EXISTS alerts_key ON alerts(key, status);
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY, alert_id TEXT NOT NULL REFERENCES alerts(id), version INTEGER NOT NULL,
  recipient TEXT NOT NULL, channel TEXT NOT NULL, address TEXT NOT NULL, payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL, last_error TEXT, sent_at TEXT,
  UNIQUE(alert_id, version, recipient, channel));
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt_at);
CREATE TABLE IF NOT EXISTS delivery_log (
  delivery_id INTEGER NOT NULL, at TEXT NOT NULL, attempt INTEGER NOT NULL,
  outcome TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
"""


@dataclass(frozen=True)
class Target:
    """Where one alert goes: a recipient on a channel, not before a time (quiet hours)."""

    recipient: str
    channel: str  # email | telegram | webhook
    address: str
    not_before: datetime


@dataclass(frozen=True)
class Delivery:
    id: int
    alert: Alert  # the snapshot enqueued for this version
    recipient: str
    channel: str
    address: str
    attempts: int


def _ts(moment: datetime) -> str:
    """UTC ISO text: compares correctly as a string in SQL."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must carry a time zone")
    return moment.astimezone(UTC).isoformat()


class Outbox:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # built at start-up, then used by the engine thread only (the web app opens its own)
        self.con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.executescript(SCHEMA)

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.con.execute("BEGIN IMMEDIATE")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # --- incidents -------------------------------------------------------------------------

    def record(self, alert: Alert, now: datetime, targets: list[Target], cooldown: timedelta,
               incident_gap: timedelta) -> tuple[Alert, bool]:
        """Save a detection as a new incident or an update; enqueue deliveries when it notifies.

        Returns the saved alert (id, version, status filled) and whether it notifies.
        """
        with self._tx() as con:
            row = con.execute("SELECT id, status, version, last_seen, notified_at, "
                              "notified_severity, notified_count, acked_by, acked_at, created_at "
                              "FROM alerts WHERE key=? AND status IN ('open','acked') "
                              "ORDER BY last_seen DESC LIMIT 1", (alert.key,)).fetchone()
            if row and now - datetime.fromisoformat(row[3]) > incident_gap:
                con.execute("UPDATE alerts SET status='closed' WHERE id=?", (row[0],))
                row = None
            if row is None:
                return self._insert(con, alert, now, targets), True
            return self._update(con, alert, now, targets, row, cooldown)

    def _insert(self, con: sqlite3.Connection, alert: Alert, now: datetime,
                targets: list[Target]) -> Alert:
        alert.id = hashlib.sha256(f"{alert.key}|{_ts(now)}".encode()).hexdigest()[:20]
        alert.version, alert.status = 1, "open"
        con.execute("INSERT INTO alerts(id, key, kind, severity, version, payload, created_at, "
                    "last_seen, notified_at, notified_severity, notified_count) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (alert.id, alert.key, alert.kind, alert.severity, 1,
                     json.dumps(alert.to_dict(), ensure_ascii=False), _ts(now), _ts(now),
                     _ts(now), alert.severity, alert.explanation.count))
        self._enqueue(con, alert, targets)
        return alert

    def _update(self, con, alert: Alert, now: datetime, targets: list[Target], row,
                cooldown: timedelta) -> tuple[Alert, bool]:
        alert_id, status, version, _, notified_at, notified_sev, notified_count = row[:7]
        alert.id, alert.status, alert.acked_by, alert.acked_at = alert_id, status, row[7], row[8]
        escalated = SEVERITIES.index(alert.severity) > SEVERITIES.index(notified_sev)
        grown = alert.explanation.count >= GROWTH_TO_RENOTIFY * max(1, notified_count)
        rested = now - datetime.fromisoformat(notified_at) >= cooldown
        notify = status == "open" and (escalated or (rested and grown))
        alert.version = version + 1 if notify else version
        if not notify:  # keep the notified severity so a later escalation is still news
            alert.severity = max(alert.severity, notified_sev, key=SEVERITIES.index)
        con.execute("UPDATE alerts SET severity=?, version=?, payload=?, last_seen=? WHERE id=?",
                    (alert.severity, alert.version, json.dumps(alert.to_dict(), ensure_ascii=False),
                     _ts(now), alert_id))
        if notify:
            con.execute("UPDATE alerts SET notified_at=?, notified_severity=?, notified_count=? "
                        "WHERE id=?", (_ts(now), alert.severity, alert.explanation.count,
                                       alert_id))
            con.execute("UPDATE deliveries SET status='cancelled', last_error='superseded' "
                        "WHERE alert_id=? AND status='pending'", (alert_id,))
            self._enqueue(con, alert, targets)
        return alert, notify

    def _enqueue(self, con: sqlite3.Connection, alert: Alert, targets: list[Target]) -> None:
        payload = json.dumps(alert.to_dict(), ensure_ascii=False)
        con.executemany("INSERT OR IGNORE INTO deliveries(alert_id, version, recipient, channel, "
                        "address, payload, next_attempt_at) VALUES (?,?,?,?,?,?,?)",
                        [(alert.id, alert.version, t.recipient, t.channel, t.address, payload,
                          _ts(t.not_before)) for t in targets])

    # --- acknowledgement -------------------------------------------------------------------

    def acknowledge(self, alert_id: str, who: str, now: datetime) -> bool:
        """Record who/when, stop re-notification, cancel pending sends. False if unknown."""
        with self._tx() as con:
            done = con.execute("UPDATE alerts SET status='acked', acked_by=?, acked_at=? "
                               "WHERE id=? AND status='open'", (who, _ts(now), alert_id)).rowcount
            if done:
                con.execute("UPDATE deliveries SET status='cancelled', last_error='acknowledged' "
                            "WHERE alert_id=? AND status='pending'", (alert_id,))
        return bool(done)

    def get(self, alert_id: str) -> Alert | None:
        row = self.con.execute("SELECT payload, status, acked_by, acked_at, version FROM alerts "
                               "WHERE id=?", (alert_id,)).fetchone()
        return self._alert(row) if row else None

    def open_alerts(self) -> list[Alert]:
        rows = self.con.execute("SELECT payload, status, acked_by, acked_at, version FROM alerts "
                                "WHERE status IN ('open','acked') AND kind != 'digest' "
                                "ORDER BY last_seen DESC")
        return [self._alert(r) for r in rows]

    @staticmethod
    def _alert(row) -> Alert:
        alert = Alert.from_dict(json.loads(row[0]))
        alert.status, alert.acked_by, alert.acked_at, alert.version = row[1], row[2], row[3], row[4]
        return alert

    # --- delivery --------------------------------------------------------------------------

    def due(self, now: datetime, limit: int = 200) -> list[Delivery]:
        rows = self.con.execute("SELECT id, payload, recipient, channel, address, attempts "
                                "FROM deliveries WHERE status='pending' AND next_attempt_at<=? "
                                "ORDER BY id LIMIT ?", (_ts(now), limit)).fetchall()
        return [Delivery(r[0], Alert.from_dict(json.loads(r[1])), r[2], r[3], r[4], r[5])
                for r in rows]

    def mark_sent(self, delivery_id: int, now: datetime) -> None:
        with self._tx() as con:
            con.execute("UPDATE deliveries SET status='sent', sent_at=?, attempts=attempts+1 "
                        "WHERE id=? AND status='pending'", (_ts(now), delivery_id))
            self._log(con, delivery_id, now, "sent", "")

    def mark_failed(self, delivery_id: int, now: datetime, error: str,
                    retry_at: datetime | None) -> None:
        """A failed attempt: retry at `retry_at`, or give up (status failed) when None."""
        with self._tx() as con:
            if retry_at is None:
                con.execute("UPDATE deliveries SET status='failed', attempts=attempts+1, "
                            "last_error=? WHERE id=?", (error, delivery_id))
            else:
                con.execute("UPDATE deliveries SET attempts=attempts+1, last_error=?, "
                            "next_attempt_at=? WHERE id=?", (error, _ts(retry_at), delivery_id))
            self._log(con, delivery_id, now, "retry" if retry_at else "failed", error)

    def _log(self, con, delivery_id: int, now: datetime, outcome: str, detail: str) -> None:
        attempt = con.execute("SELECT attempts FROM deliveries WHERE id=?",
                              (delivery_id,)).fetchone()[0]
        con.execute("INSERT INTO delivery_log VALUES (?,?,?,?,?)",
                    (delivery_id, _ts(now), attempt, outcome, detail[:1000]))
        log.info("delivery %s attempt %s: %s %s", delivery_id, attempt, outcome, detail[:200])

    def deliveries(self, alert_id: str | None = None) -> list[dict]:
        """Rows for the web app and tests: id, alert, version, recipient, channel, status, ..."""
        sql = ("SELECT id, alert_id, version, recipient, channel, address, status, attempts, "
               "last_error, sent_at FROM deliveries")
        rows = self.con.execute(sql + (" WHERE alert_id=?" if alert_id else "") + " ORDER BY id",
                                (alert_id,) if alert_id else ()).fetchall()
        keys = ("id", "alert_id", "version", "recipient", "channel", "address", "status",
                "attempts", "last_error", "sent_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def attempt_log(self, delivery_id: int) -> list[tuple[str, int, str, str]]:
        return self.con.execute("SELECT at, attempt, outcome, detail FROM delivery_log "
                                "WHERE delivery_id=? ORDER BY rowid", (delivery_id,)).fetchall()
