"""The alert stage's watch detection as it was before it read counts (alerts/engine.py at commit
a6c1c93): every watch's recent documents, then four weeks of them, bucketed in Python. Kept
only as the reference the count path must agree with (tests/alerts/test_counts_path.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from alerts import severity
from alerts.config import BUCKETS, AlertsConfig, Watch
from alerts.detector import BucketSeries, Detection, bucket_floor, detect
from alerts.engine import BASELINE_TERMS
from alerts.explain import explain, story_key, when
from alerts.model import Alert
from langnghe.document import Document
from langnghe.sources import Registry
from store.base import Filters, Store


def bucketize(items: Sequence[tuple[datetime, str, str]], start: datetime, end: datetime,
              bucket: timedelta) -> BucketSeries:
    first = bucket_floor(start, bucket)
    n = max(0, int(math.ceil((end - first) / bucket)))
    stories: list[set[str]] = [set() for _ in range(n)]
    sources: list[set[str]] = [set() for _ in range(n)]
    for ts, story, source in items:
        k = int((ts - first) // bucket)
        if 0 <= k < n:
            stories[k].add(story)
            sources[k].add(source)
    times = [first + k * bucket for k in range(n)]
    return BucketSeries(times, [len(s) for s in stories], [len(s) for s in sources])


def _spike_alert(w: Watch, hit: Detection, bucket: timedelta, docs: Sequence[Document],
                 registry: Registry | None) -> Alert:
    start, end = hit.timestamp, hit.timestamp + bucket
    window = [d for d in docs if start <= when(d) < end]
    baseline = [d for d in docs if start - BASELINE_TERMS <= when(d) < start]
    minutes = int(bucket.total_seconds() // 60)
    reason = (f"{hit.count} tin (đếm mỗi câu chuyện một lần) trong {minutes} phút, kỳ vọng "
              f"{hit.expected:.1f}; hôm qua {hit.yesterday:.1f}, tuần trước {hit.last_week:.1f} "
              f"cùng khung giờ; mức bất thường {hit.score:.1f} (ngưỡng {hit.threshold:g})")
    grade = severity.grade_documents(window, hit.ratio, registry)
    return Alert(key=f"spike:{w.id}", kind="spike", severity=grade,
                 title=f"Tin về “{w.name}” tăng đột biến", detected_at=end, score=hit.score,
                 explanation=explain(window, baseline, reason, hit.count, hit.expected,
                                     f"−log10 p ≥ {hit.threshold:g}", start, end))


def detect_spikes(w: Watch, docs: Sequence[Document], config: AlertsConfig, now: datetime,
                  registry: Registry | None) -> list[Alert]:
    params = config.detection.params()
    items = [(when(d), story_key(d), d.source_id) for d in docs]
    start = now - timedelta(days=config.detection.history_days)
    found: list[Alert] = []
    for name in config.detection.buckets:
        bucket = BUCKETS[name]
        series = bucketize(items, start, now, bucket)
        judged = max(0, len(series.counts) - 2)
        hits = detect(series.timestamps, series.counts, bucket, params, series.outlets, judged)
        found += [_spike_alert(w, h, bucket, docs, registry) for h in hits[-1:]]
    return sorted(found, key=lambda a: -a.score)[:1]


def worth_a_look(w: Watch, recent: Sequence[Document], config: AlertsConfig,
                 now: datetime) -> bool:
    d = config.detection
    items = [(when(doc), story_key(doc), doc.source_id) for doc in recent]
    for name in d.buckets:
        bucket = BUCKETS[name]
        series = bucketize(items, now - 2 * bucket, now, bucket)
        if any(c >= d.min_count and o >= d.min_outlets
               for c, o in zip(series.counts, series.outlets, strict=True)):
            return True
    return False


def _usual_negative_share(store: Store, w: Watch, start: datetime, days: int) -> float:
    counts = dict(store.counts_by("sentiment", w.query,
                                  Filters(since=start - timedelta(days=days), until=start)))
    total = sum(counts.values())
    return counts.get("negative", 0) / total if total else 0.0


def negative_share_alert(w: Watch, recent: Sequence[Document], config: AlertsConfig,
                         now: datetime, store: Store) -> Alert | None:
    cfg = config.watch
    start = now - timedelta(hours=cfg.negative_window_hours)
    window = [d for d in recent if when(d) >= start]
    labelled = [d for d in window if d.nlp and d.nlp.sentiment]
    if len(labelled) < cfg.negative_min_items:
        return None
    share = severity.negative_share(labelled)
    if share < cfg.negative_share:
        return None
    usual = _usual_negative_share(store, w, start, config.detection.history_days)
    if share < 1.5 * usual:
        return None
    before = list(store.iter_documents(w.query, Filters(since=start - BASELINE_TERMS,
                                                        until=start)))
    reason = (f"{share:.0%} tin tiêu cực trong {cfg.negative_window_hours:g} giờ qua "
              f"({len(labelled)} tin có nhãn), thường ngày {usual:.0%}; "
              f"ngưỡng {cfg.negative_share:.0%}")
    return Alert(key=f"negative:{w.id}", kind="negative_share",
                 severity="critical" if share >= 0.8 else "warning",
                 title=f"Tỷ lệ tin tiêu cực về “{w.name}” tăng cao", detected_at=now, score=share,
                 explanation=explain(window, before, reason, len(labelled), usual * len(labelled),
                                     f"≥ {cfg.negative_share:.0%}", start, now))


def watch_alerts(store: Store, w: Watch, config: AlertsConfig, now: datetime,
                 registry: Registry | None) -> list[Alert]:
    """What run_detection's loop found for one watch."""
    history = Filters(since=now - timedelta(days=config.detection.history_days), until=now)
    span = max(timedelta(hours=config.watch.negative_window_hours),
               *(3 * BUCKETS[b] for b in config.detection.buckets))
    recent = list(store.iter_documents(w.query, Filters(since=now - span, until=now)))
    found = []
    if worth_a_look(w, recent, config, now):
        found += detect_spikes(w, list(store.iter_documents(w.query, history)), config, now,
                               registry)
    neg = negative_share_alert(w, recent, config, now, store)
    return found + ([neg] if neg else [])
