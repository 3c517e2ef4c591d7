"""Source health for the web page and the console: last success/error, items, silence."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from crawlers.state import CrawlState
from langnghe.paths import Home
from langnghe.sources import Registry

Status = Literal["ok", "failing", "silent", "never"]
MIN_SILENCE = timedelta(hours=6)  # even slow local outlets publish several times a day
RHYTHM_DAYS = 7  # a week: the normal rhythm covers weekdays and the weekend
SILENT_POLLS = 12  # or, for fast feeds, twelve poll intervals without a single new item


@dataclass
class SourceHealth:
    source_id: str
    name: str
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    items_24h: int
    silent_for: timedelta | None  # since the last new item; None when none was ever fetched
    status: Status
    last_error_class: str | None = None  # dns, connect, timeout, too-large, http <n>, parse,
    # and for connectors: not_configured, quota, rate_limit, auth, network, crash
    usual_24h: float | None = None  # normal rhythm: median items/day over the previous week


def usual_per_day(daily: dict[str, int], today: str, days: int = RHYTHM_DAYS) -> float | None:
    """Median of the items per day over the `days` days before `today` (missing days count 0);
    None when the source has no history before today."""
    earlier = [d for d in daily if d < today]
    if not earlier:
        return None
    start = (datetime.fromisoformat(today) - timedelta(days=days)).date().isoformat()
    window = [daily.get(d, 0) for d in _days(start, today)]
    return float(statistics.median(window))


def _days(start: str, end: str) -> list[str]:
    day, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    out = []
    while day < last:
        out.append(day.date().isoformat())
        day += timedelta(days=1)
    return out


def _status(last_success: datetime | None, last_error_at: datetime | None,
            silent_for: timedelta | None, threshold: timedelta) -> Status:
    if last_error_at and (last_success is None or last_error_at > last_success):
        return "failing"
    if last_success is None:
        return "never"
    if silent_for is None or silent_for > threshold:
        return "silent"
    return "ok"


def source_health(home: Home, registry: Registry) -> list[SourceHealth]:
    """One row per source of `registry` (enabled or not), in registry order.

    status: 'failing' when the latest event is an error, 'never' when the source was never
    fetched, 'silent' when fetched but no new item for max(6 h, 12 poll intervals), else 'ok'.
    """
    now = time.time()
    moment = datetime.fromtimestamp(now, UTC)
    today = moment.date().isoformat()
    usual: dict[str, float | None] = {}
    if home.crawl_state.exists():
        state = CrawlState(home.crawl_state)
        try:
            rows = state.health(now)
            usual = {s.id: usual_per_day(state.daily(s.id), today) for s in registry.sources}
        finally:
            state.close()
    else:
        rows = {}
    result = []
    for source in registry.sources:
        row = rows.get(source.id)
        last_item = row.last_item if row else None
        silent_for = moment - last_item if last_item else None
        threshold = max(MIN_SILENCE, timedelta(minutes=source.poll_minutes * SILENT_POLLS))
        result.append(SourceHealth(
            source_id=source.id, name=source.name,
            last_success=row.last_success if row else None,
            last_error=row.last_error if row else None,
            last_error_at=row.last_error_at if row else None,
            items_24h=row.items_24h if row else 0, silent_for=silent_for,
            status=_status(row.last_success if row else None,
                           row.last_feed_error_at if row else None, silent_for, threshold),
            last_error_class=row.last_error_class if row else None,
            usual_24h=usual.get(source.id)))
    return result
