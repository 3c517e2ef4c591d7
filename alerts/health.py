"""Source-health alerts: a source silent against its own rhythm, or failing, warns the admins.

Input is a list of `SourceHealth` records (the crawler's health report, adapted); output is
low-severity `source_health` alerts keyed per source, so one source's trouble is one incident.

Failures with a common cause are one incident, not one per outlet: when, in one crawl cycle,
at least `OUTAGE_MIN_SOURCES` sources fail with the same network-level error (DNS, no
connection — no route, refused, the proxy down — or time-outs) and they are at least
`OUTAGE_SHARE` of the sources polled in that cycle, the trouble is the machine's network, not
the outlets: one warning keyed by the cause (`health:outage:<class>`) names them all, and they
get no alert of their own. A source failing alone, or with another error, keeps its own alert.
The share is what tells an outage from a few dead domains: three outlets whose names stopped
resolving fail every cycle too, but beside dozens that were reached.
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
# network-level causes an outlet cannot produce for the whole press at once (crawlers.context)
COMMON_CAUSES = {"dns": "không phân giải được tên miền (DNS)",
                 "connect": "không kết nối được (mạng, tuyến đường hoặc proxy)",
                 "timeout": "quá thời gian chờ"}
OUTAGE_MIN_SOURCES = 3  # two outlets down at once happens; three with one cause is the network
OUTAGE_SHARE = 0.5  # ... and at least half of the sources the cycle polled
CYCLE = timedelta(minutes=15)  # failures this close together belong to one cycle (crawl ≤ 10 min)


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    last_success: datetime | None  # the last poll that brought new items
    items_per_day: Sequence[int] = ()  # recent daily item counts, oldest first (complete days)
    name: str = ""
    consecutive_failures: int = 0
    last_error: str | None = None
    reported_silent: bool = False  # the crawler's own verdict, used when no history is known
    error_class: str | None = None  # of the last error: dns, connect, timeout, http 503, ...
    failed_at: datetime | None = None  # the last error
    polled_at: datetime | None = None  # the last successful poll


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
                        record.last_error, reported_silent=record.status == "silent",
                        error_class=record.last_error_class, failed_at=record.last_error_at,
                        polled_at=record.last_success)


def _reached(record: SourceHealth, start: datetime, end: datetime) -> bool:
    """Polled successfully between start and end, after its last error."""
    ok = record.polled_at
    return ok is not None and start <= ok <= end and (record.failed_at is None
                                                      or record.failed_at < ok)


def outages(records: Sequence[SourceHealth]) -> list[list[SourceHealth]]:
    """Groups of sources failing in one cycle with one common cause (see the module doc)."""
    failing = [r for r in records if r.consecutive_failures >= FAILURES_TO_ALERT
               and r.error_class in COMMON_CAUSES and r.failed_at is not None]
    groups = []
    for cause in COMMON_CAUSES:
        same = [r for r in failing if r.error_class == cause]
        if len(same) < OUTAGE_MIN_SOURCES:
            continue
        latest = max(r.failed_at for r in same)
        together = [r for r in same if latest - r.failed_at <= CYCLE]
        reached = sum(_reached(r, latest - CYCLE, latest + CYCLE) for r in records)
        if (len(together) >= OUTAGE_MIN_SOURCES
                and len(together) >= OUTAGE_SHARE * (len(together) + reached)):
            groups.append(together)
    return groups


def _outage_alert(group: Sequence[SourceHealth], now: datetime) -> Alert:
    cause = group[0].error_class or ""
    names = [r.name or r.source_id for r in group]
    example = next((r.last_error for r in group if r.last_error), "")
    reason = (f"{len(group)} nguồn lỗi cùng một nguyên nhân trong một chu kỳ thu thập "
              f"({COMMON_CAUSES[cause]}): {', '.join(names)}"
              + (f". Lỗi gặp phải: {example}" if example else "")
              + ". Nhiều khả năng do mạng, DNS hoặc proxy của máy chủ chứ không phải do từng "
                "báo; các nguồn tự thu thập tiếp khi kết nối trở lại.")
    return Alert(key=f"health:outage:{cause}", kind="source_health", severity="warning",
                 title=f"Sự cố kết nối: {len(group)} nguồn cùng lỗi — {COMMON_CAUSES[cause]}",
                 detected_at=now, score=float(len(group)),
                 explanation=Explanation(reason=reason, count=len(group),
                                         outlets=[(name, 0) for name in names]))


def check_sources(records: Sequence[SourceHealth], now: datetime) -> list[Alert]:
    """One alert per outage (common cause), one per source in trouble on its own."""
    groups = outages(records)
    grouped = {r.source_id for g in groups for r in g}
    return [*(_outage_alert(g, now) for g in groups),
            *(a for r in records if r.source_id not in grouped and (a := check(r, now)))]
