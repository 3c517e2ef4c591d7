"""Crawl state in SQLite (WAL): feed validators and schedule, seen URLs, per-source health,
and the outlets keyword discovery proposes as new sources.

Written only by the crawl subprocess; read by `crawlers.health` and `crawl_once` (WAL lets
readers run beside the one writer).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
  url TEXT PRIMARY KEY, source_id TEXT NOT NULL, etag TEXT, last_modified TEXT,
  interval_s REAL NOT NULL, next_due REAL NOT NULL DEFAULT 0, last_new REAL);
CREATE TABLE IF NOT EXISTS seen (
  url TEXT PRIMARY KEY, source_id TEXT NOT NULL, seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS health (
  source_id TEXT PRIMARY KEY, last_success REAL, last_error TEXT, last_error_class TEXT,
  last_error_at REAL, last_item REAL, last_feed_error_at REAL);
CREATE TABLE IF NOT EXISTS daily (
  source_id TEXT NOT NULL, day TEXT NOT NULL, items INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source_id, day));
CREATE TABLE IF NOT EXISTS items (source_id TEXT NOT NULL, fetched_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS items_by_source ON items (source_id, fetched_at);
CREATE TABLE IF NOT EXISTS proposed (
  domain TEXT PRIMARY KEY, name TEXT NOT NULL, first_seen REAL NOT NULL, last_seen REAL NOT NULL,
  articles INTEGER NOT NULL DEFAULT 0, example_url TEXT NOT NULL, topic_ids TEXT NOT NULL);
"""
SEEN_KEEP = timedelta(days=60)  # feeds and news sitemaps list at most a few days of items
ITEMS_KEEP = timedelta(days=2)  # the item log only answers "items in the last 24 h"
MIN_INTERVAL_S = 60.0  # never poll one feed more than once a minute
SHRINK, GROW = 0.5, 1.5  # halve the interval when a poll finds news, grow it by half when not


def _ts(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


@dataclass
class FeedState:
    url: str
    etag: str | None
    last_modified: str | None
    interval_s: float
    next_due: float


@dataclass
class HealthRow:
    source_id: str
    last_success: datetime | None
    last_error: str | None
    last_error_class: str | None
    last_error_at: datetime | None
    last_item: datetime | None
    items_24h: int
    last_feed_error_at: datetime | None = None


class CrawlState:
    """One connection to the crawl-state database; methods commit immediately."""

    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- feeds ----------------------------------------------------------------------------
    def feed(self, url: str, source_id: str, poll_s: float) -> FeedState:
        row = self.db.execute("SELECT etag, last_modified, interval_s, next_due FROM feeds "
                              "WHERE url=?", (url,)).fetchone()
        if row is None:
            return FeedState(url, None, None, poll_s, 0.0)
        return FeedState(url, row[0], row[1], min(row[2], poll_s), row[3])

    def feed_polled(self, url: str, source_id: str, poll_s: float, *, new_items: int,
                    etag: str | None, last_modified: str | None, now: float,
                    adaptive: bool = True) -> float:
        """Record a successful poll; returns the next interval (adaptive, ≤ poll_s; exactly
        poll_s when not `adaptive`, for feeds that must not be polled more often).

        `etag` / `last_modified`: None keeps the stored validator (a 304 need not repeat it),
        "" clears it (the next poll is a full GET), anything else replaces it."""
        current = self.feed(url, source_id, poll_s)
        floor = min(poll_s, max(MIN_INTERVAL_S, poll_s / 8)) if adaptive else poll_s
        factor = SHRINK if new_items else GROW
        interval = max(floor, min(poll_s, current.interval_s * factor))
        self.db.execute(
            "INSERT INTO feeds (url, source_id, etag, last_modified, interval_s, next_due,"
            " last_new) VALUES (?,?,?,?,?,?,?) ON CONFLICT(url) DO UPDATE SET etag=excluded.etag,"
            " last_modified=excluded.last_modified, interval_s=excluded.interval_s,"
            " next_due=excluded.next_due, last_new=COALESCE(excluded.last_new, feeds.last_new)",
            (url, source_id, current.etag if etag is None else etag or None,
             current.last_modified if last_modified is None else last_modified or None,
             interval, now + interval, now if new_items else None))
        return interval

    def feed_failed(self, url: str, source_id: str, poll_s: float, now: float) -> None:
        """A failed poll is retried after the full poll interval (no hammering a dead host)."""
        current = self.feed(url, source_id, poll_s)
        self.db.execute(
            "INSERT INTO feeds (url, source_id, interval_s, next_due) VALUES (?,?,?,?) "
            "ON CONFLICT(url) DO UPDATE SET next_due=excluded.next_due",
            (url, source_id, current.interval_s, now + poll_s))

    # -- seen URLs ------------------------------------------------------------------------
    def seen(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM seen WHERE url=?", (url,)).fetchone() is not None

    def mark_seen(self, urls: list[str], source_id: str, now: float) -> None:
        self.db.executemany("INSERT OR IGNORE INTO seen (url, source_id, seen_at) VALUES (?,?,?)",
                            [(u, source_id, now) for u in urls])

    def recent(self, source_id: str, since: float) -> list[tuple[str, float]]:
        """(URL, first seen) of a source's URLs seen since `since`, newest first."""
        return self.db.execute("SELECT url, seen_at FROM seen WHERE source_id=? AND seen_at>=?"
                               " ORDER BY seen_at DESC", (source_id, since)).fetchall()

    def prune(self, now: float) -> None:
        self.db.execute("DELETE FROM seen WHERE seen_at < ?", (now - SEEN_KEEP.total_seconds(),))
        self.db.execute("DELETE FROM items WHERE fetched_at < ?",
                        (now - ITEMS_KEEP.total_seconds(),))

    # -- proposed sources (keyword discovery) -------------------------------------------
    def propose(self, domain: str, name: str, url: str, topic_ids: list[str],
                now: float) -> None:
        """Count one more discovered article of an outlet outside the registry."""
        row = self.db.execute("SELECT topic_ids FROM proposed WHERE domain=?",
                              (domain,)).fetchone()
        topics = sorted(set(json.loads(row[0]) if row else []) | set(topic_ids))
        self.db.execute(
            "INSERT INTO proposed (domain, name, first_seen, last_seen, articles, example_url,"
            " topic_ids) VALUES (?,?,?,?,1,?,?) ON CONFLICT(domain) DO UPDATE SET"
            " name=excluded.name, last_seen=excluded.last_seen, articles=proposed.articles+1,"
            " topic_ids=excluded.topic_ids",
            (domain, name, now, now, url, json.dumps(topics)))

    def proposed(self) -> list[tuple]:
        """(domain, name, first_seen, last_seen, articles, example_url, topic_ids JSON),
        most recently seen first."""
        return self.db.execute("SELECT domain, name, first_seen, last_seen, articles,"
                               " example_url, topic_ids FROM proposed"
                               " ORDER BY last_seen DESC, domain").fetchall()

    # -- health ---------------------------------------------------------------------------
    def success(self, source_id: str, now: float) -> None:
        self.db.execute("INSERT INTO health (source_id, last_success) VALUES (?,?) ON CONFLICT"
                        "(source_id) DO UPDATE SET last_success=excluded.last_success",
                        (source_id, now))

    def error(self, source_id: str, error_class: str, message: str, now: float,
              feed_level: bool = True) -> None:
        """Record an error; `feed_level` errors (a feed or sitemap failed) make a source
        'failing', article-level ones are only shown."""
        self.db.execute(
            "INSERT INTO health (source_id, last_error, last_error_class, last_error_at,"
            " last_feed_error_at) VALUES (?,?,?,?,?) ON CONFLICT(source_id) DO UPDATE SET"
            " last_error=excluded.last_error, last_error_class=excluded.last_error_class,"
            " last_error_at=excluded.last_error_at, last_feed_error_at="
            "COALESCE(excluded.last_feed_error_at, health.last_feed_error_at)",
            (source_id, message[:500], error_class, now, now if feed_level else None))

    def item(self, source_id: str, now: float) -> None:
        day = datetime.fromtimestamp(now, UTC).date().isoformat()
        self.db.execute("INSERT INTO items (source_id, fetched_at) VALUES (?,?)", (source_id, now))
        self.db.execute("INSERT INTO daily (source_id, day, items) VALUES (?,?,1) ON CONFLICT"
                        "(source_id, day) DO UPDATE SET items=items+1", (source_id, day))
        self.db.execute("INSERT INTO health (source_id, last_item) VALUES (?,?) ON CONFLICT"
                        "(source_id) DO UPDATE SET last_item=excluded.last_item", (source_id, now))

    def health(self, now: float) -> dict[str, HealthRow]:
        counts = dict(self.db.execute("SELECT source_id, COUNT(*) FROM items WHERE fetched_at >= ?"
                                      " GROUP BY source_id", (now - 86_400,)).fetchall())
        rows = self.db.execute(
            "SELECT source_id, last_success, last_error, last_error_class, last_error_at,"
            " last_item, last_feed_error_at FROM health").fetchall()
        return {r[0]: HealthRow(r[0], _ts(r[1]), r[2], r[3], _ts(r[4]), _ts(r[5]),
                                counts.get(r[0], 0), _ts(r[6])) for r in rows}

    def daily(self, source_id: str) -> dict[str, int]:
        """Items fetched per UTC day for one source."""
        return dict(self.db.execute("SELECT day, items FROM daily WHERE source_id=? ORDER BY day",
                                    (source_id,)).fetchall())
