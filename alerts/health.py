"""Source-health alerts: a source silent against its own rhythm, or failing, warns the admins.

Input is a list of `SourceHealth` records (the crawler's health report, adapted); output is
low-severity `source_health` alerts keyed per source, so one outage is one incident.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from alerts.explain import local
from alerts.model import Alert, Explanation

SILENCE_P = 1e-3  # alert when a silence this long had < 0.1% chance at the usual rate
MIN_SILENCE = timedelta(hours=6)  # never call a source silent before six hours
FAILURES_TO_ALERT = 3  # three failed polls in a row: not a blip


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    last_success: datetime | None  # the last poll that brought new items
    items_per_day: Sequence[int] = ()  # recent daily item counts, oldest first (complete days)
    name: str = ""
    consecutive_failures: int = 0
    last_error: str | None = None
    reported_silent: bool = False  # the crawler's own verdict, used when no history is known


def usual_rate(items_per_day: Sequence[int]) -> float:
    """Median items per day over the history: robust to a burst or an outage day."""
    return float(np.median(items_per_day)) if len(items_per_day) else 0.0


def allowed_silence(rate_per_day: float) -> timedelta | None:
    """Longest silence that is still normal: P(no item in t) = exp(-rate t) = SILENCE_P."""
    if rate_per_day <= 0:
        return None  # a source that usually publishes nothing cannot go silent
    return max(MIN_SILENCE, timedelta(days=math.log(1 / SILENCE_P) / rate_per_day))


def check(record: SourceHealth, now: datetime) -> Alert | None:
    name = record.name or record.source_id
    if record.consecutive_failures >= FAILURES_TO_ALERT:
        reason = (f"Nguồn {name} lỗi {record.consecutive_failures} lần liên tiếp"
                  + (f": {record.last_error}" if record.last_error else ""))
        return _alert(record, now, f"Nguồn {name} đang lỗi", reason)
    rate = usual_rate(record.items_per_day)
    limit = allowed_silence(rate)
    if limit is None and record.reported_silent and record.last_success:
        limit = now - record.last_success - timedelta(seconds=1)  # trust the crawler's verdict
    if limit is None:
        return None
    silent = now - record.last_success if record.last_success else None
    if silent is None or silent > limit:
        since = local(record.last_success) if record.last_success else "chưa bao giờ"
        hours = limit.total_seconds() / 3600
        reason = (f"Nguồn {name} im lặng từ {since}; bình thường ~{rate:g} tin/ngày, "
                  f"ngưỡng im lặng {hours:.1f} giờ")
        return _alert(record, now, f"Nguồn {name} ngừng cập nhật", reason)
    return None


def _alert(record: SourceHealth, now: datetime, title: str, reason: str) -> Alert:
    return Alert(key=f"health:source:{record.source_id}", kind="source_health", severity="info",
                 title=title, detected_at=now,
                 explanation=Explanation(reason=reason, outlets=[(record.name or
                                                                  record.source_id, 0)]))


def from_crawler(record, now: datetime, items_per_day: Sequence[int] = ()) -> SourceHealth:
    """Adapt a `crawlers.health.SourceHealth` row (duck-typed: source_id, name, silent_for,
    items_24h, status, last_error) to this module's record."""
    last_item = now - record.silent_for if record.silent_for is not None else None
    history = tuple(items_per_day) or ((record.items_24h,) if record.items_24h else ())
    return SourceHealth(record.source_id, last_item, history, record.name,
                        FAILURES_TO_ALERT if record.status == "failing" else 0,
                        record.last_error, reported_silent=record.status == "silent")


def check_sources(records: Sequence[SourceHealth], now: datetime) -> list[Alert]:
    return [a for r in records if (a := check(r, now)) is not None]
