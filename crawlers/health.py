"""Source health for the web page and the console: last success/error, items, silence."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from crawlers.state import CrawlState
from langnghe.paths import Home
from langnghe.sources import Registry

Status = Literal["ok", "failing", "silent", "never"]
MIN_SILENCE = timedelta(hours=6)  # even slow local outlets publish several times a day
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
    last_error_class: str | None = None  # dns, connect, timeout, too-large, http <n>, parse


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
    if home.crawl_state.exists():
        state = CrawlState(home.crawl_state)
        try:
            rows = state.health(now)
        finally:
            state.close()
    else:
        rows = {}
    moment = datetime.fromtimestamp(now, UTC)
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
            last_error_class=row.last_error_class if row else None))
    return result
