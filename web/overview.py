"""The numbers behind the overview and topic pages, read through the store interface only.

Each panel is a handful of store aggregations (histogram, counts_by) over the chosen period, so
the page costs the same at 2,000 or 200,000 documents in the period's index range.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerts import forecast
from langnghe.document import KINDS, VN_TZ
from store.base import Filters, Store
from store.fields import keyword_key
from web.parallel import gather

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
HOURLY_UP_TO = timedelta(hours=48)  # longer periods in hourly buckets draw unreadable lines
MAX_CUSTOM = timedelta(days=366)  # a year of daily points is still a readable chart
TOP_STORIES = 8  # fits a phone screen without scrolling past the alerts
STORY_COPIES = 100  # copies read per top story: enough to find its first publisher
WEEK = timedelta(days=7)
SENTIMENTS = ("negative", "neutral", "positive")
HORIZON = {"hour": 24, "day": 7}  # the next 24 hours by hour, the next 7 days by day


class RangeError(ValueError):
    """A bad period; the message says what was expected."""


@dataclass(frozen=True)
class Period:
    key: str  # 24h | 7d | 30d | custom
    since: datetime
    until: datetime

    @property
    def hourly(self) -> bool:
        return self.until - self.since <= HOURLY_UP_TO

    @property
    def interval(self) -> str:
        return "hour" if self.hourly else "day"

    def filters(self, **extra) -> Filters:
        return Filters(since=self.since, until=self.until, **extra)

    def shifted(self, delta: timedelta) -> Period:
        return Period(self.key, self.since - delta, self.until - delta)


def period(key: str, since: str | None, until: str | None, now: datetime) -> Period:
    if key in RANGES:
        return Period(key, now - RANGES[key], now)
    if key != "custom":
        raise RangeError("Khoảng thời gian phải là 24h, 7d, 30d hoặc custom")
    try:
        start = datetime.fromisoformat(since or "").replace(tzinfo=VN_TZ)
        end = datetime.fromisoformat(until or "").replace(tzinfo=VN_TZ) + timedelta(days=1)
    except ValueError:
        raise RangeError("Khoảng tùy chọn cần ngày bắt đầu và kết thúc dạng 2026-11-26") from None
    if not start < end <= start + MAX_CUSTOM:
        raise RangeError("Ngày kết thúc phải sau ngày bắt đầu, tối đa 366 ngày")
    return Period("custom", start, end)


def volume_by_kind(store: Store, p: Period, query: str = "") -> dict[str, list]:
    out = {k: store.histogram(query, p.filters(kinds=(k,)), p.interval) for k in KINDS}
    return {k: v for k, v in out.items() if v}


def volume_by_outlet(store: Store, p: Period, outlet_types: dict[str, str]) -> dict[str, list]:
    groups: dict[str, list[str]] = {}
    for source_id, kind in outlet_types.items():
        groups.setdefault(kind, []).append(source_id)
    out = {t: store.histogram("", p.filters(sources=tuple(ids)), p.interval)
           for t, ids in groups.items()}
    return {t: v for t, v in out.items() if v}


def _and(query: str, extra: str) -> str:
    return f"({query}) {extra}" if query else extra


def sentiment_calls(store: Store, p: Period, query: str = "") -> dict[str, Callable[[], list]]:
    """One histogram per sentiment label, as calls for web.parallel.gather."""
    return {f"sentiment:{label}": (lambda q=_and(query, f"sentiment:{label}"):
                                   store.histogram(q, p.filters(), p.interval))
            for label in SENTIMENTS}


def sentiment_series(results: dict[str, list]) -> dict[str, list]:
    return {label: results[f"sentiment:{label}"] for label in SENTIMENTS
            if results.get(f"sentiment:{label}")}


def split_sentiments(split: dict[str, list]) -> dict[str, list]:
    """The sentiment lines of a Summary split by sentiment (keys are folded labels)."""
    return {label: split[keyword_key(label)] for label in SENTIMENTS
            if split.get(keyword_key(label))}


def domain_calls(store: Store, p: Period, limit: int) -> dict[str, Callable[[], list]]:
    """Domain counts (all, negative) in the period and a week earlier, as calls for gather."""
    spans = {"now": p, "prev": p.shifted(WEEK)}
    return {f"domains:{span}:{q or 'all'}": (lambda s=period_, q=q:
                                             store.counts_by("domain", q, s.filters(),
                                                             limit=limit))
            for span, period_ in spans.items() for q in ("", "sentiment:negative")}


def domain_table(results: dict[str, list], domains: tuple[str, ...]) -> list[dict]:
    """Per domain: count and negative share in the period, and both a week earlier."""
    now, neg, prev, prev_neg = (dict(results[f"domains:{s}:{q}"]) for s in ("now", "prev")
                                for q in ("all", "sentiment:negative"))
    return [{"domain": d, "count": now.get(d, 0), "previous": prev.get(d, 0),
             "negative_share": neg.get(d, 0) / now[d] if now.get(d) else 0.0,
             "previous_share": prev_neg.get(d, 0) / prev[d] if prev.get(d) else 0.0}
            for d in domains]


def top_stories(store: Store, p: Period, counts: list[tuple[str, int]]) -> list[dict]:
    """The biggest stories of `counts` (from counts_by("story")): first publisher, outlets."""
    out = []
    for story, size in counts:
        copies = store.search(f'story:"{story}"', p.filters(), sort="oldest",
                              limit=STORY_COPIES, highlight=False).hits
        if not copies:
            continue
        first = copies[0].doc
        out.append({"story": story, "title": first.title, "doc_id": first.id,
                    "first_source": first.source_name or first.source_id,
                    "first_published": first.published_at, "copies": size,
                    "outlets": len({h.doc.source_id for h in copies})})
    return sorted(out, key=lambda s: (-s["outlets"], -s["copies"]))


def panel_calls(store: Store, p: Period, outlet_types: dict[str, str],
                domains: tuple[str, ...]) -> dict[str, Callable[[], Any]]:
    """Every aggregation of the overview, independent of each other: run them with gather."""
    return {"kinds": lambda: volume_by_kind(store, p),
            "outlets": lambda: volume_by_outlet(store, p, outlet_types),
            "total": lambda: store.search("", p.filters(), limit=0, highlight=False).total,
            "story_counts": lambda: store.counts_by("story", "", p.filters(), limit=TOP_STORIES),
            **sentiment_calls(store, p), **domain_calls(store, p, len(domains) + 10)}


def overview_data(store: Store, p: Period, outlet_types: dict[str, str],
                  domains: tuple[str, ...], **extra: Callable[[], Any]) -> dict[str, Any]:
    """All overview panels (plus `extra` calls), aggregated concurrently."""
    got = gather(**panel_calls(store, p, outlet_types, domains), **extra)
    got["sentiment"] = sentiment_series(got)
    got["domains"] = domain_table(got, domains)
    got["stories"] = top_stories(store, p, got["story_counts"])
    return got


def forecast_calls(store: Store, p: Period, now: datetime,
                   query: str = "") -> dict[str, Callable[[], Any]]:
    """Forecasts of the volume and negative volume in the period's buckets (hourly for 24 h,
    else daily), as calls for gather; none for a custom period (it need not end now)."""
    if p.key == "custom":
        return {}
    horizon = HORIZON[p.interval]
    return {f"forecast:{part}": (lambda negative=negative: forecast.for_query(
                store, query, p.interval, horizon, now, negative=negative))
            for part, negative in (("all", False), ("negative", True))}


def total_series(by_part: dict[str, list]) -> list[tuple[datetime, int]]:
    """The sum of several histograms (e.g. per kind) per bucket, oldest first."""
    total: dict[datetime, int] = {}
    for points in by_part.values():
        for t, c in points:
            total[t] = total.get(t, 0) + c
    return sorted(total.items())


def health_summary(rows: list) -> dict[str, int]:
    summary: dict[str, int] = {}
    for row in rows:
        status = row["status"] if isinstance(row, dict) else row.status
        summary[status] = summary.get(status, 0) + 1
    return summary
