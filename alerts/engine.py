"""The alert cycle, called the same way by the embedded runner and by Airflow tasks.

    run_detection(store, config, now, outbox=...)  -> alerts found (persisted + enqueued)
    deliver_pending(outbox, channels, now, config) -> DeliveryReport

Both are idempotent: re-running a cycle for the same `now` finds the same incidents, which the
outbox folds into the existing ones, and sends only deliveries still pending.

Detection reads counts, not documents: each watch's stories and outlets per bucket come from
the store (`Store.story_counts`: SQLite's docs and keys indexes, an Elasticsearch date
histogram), first for the last buckets only (the pre-check), then for the four weeks of
history the detector needs (outlets only in the buckets it judges); the tone of a watch's
last hours is `counts_by("sentiment")`.
Documents are read only for an alert found: the bucket's (evidence, severity) and the newest
BASELINE_DOCS of the week before it (which terms are new), or the window of a negative-share
rise and the newest of its week before.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from alerts import ack, health, incidents, rising, rules, severity
from alerts.channels.base import Channel, DeliveryError
from alerts.config import BUCKETS, AlertsConfig, Watch
from alerts.detector import BucketSeries, Detection, bucket_floor, dense, detect
from alerts.explain import explain
from alerts.model import Alert
from alerts.outbox import Outbox
from alerts.render import build_message
from alerts.routing import targets
from langnghe.sources import Registry
from store.base import Filters, Store

log = logging.getLogger(__name__)
BACKOFF_BASE = timedelta(seconds=30)  # 30 s, 1 min, 2 min, ... : a restarting SMTP relay
BACKOFF_MAX = timedelta(hours=1)  # never wait more than an hour between tries
BASELINE_TERMS = timedelta(days=7)  # "new" terms are new against the last week ...
# ... as its newest 300 documents say (all of them for a quiet watch): a term "new" at 3x its
# baseline share stays measurable down to a 1% share (3 of 300), and what an alert reads no
# longer grows with the watch's volume (a busy domain has thousands a week)
BASELINE_DOCS = 300


def watches(config: AlertsConfig, topics: Sequence = ()) -> list[Watch]:
    """Every watch topic, every domain, every tracked entity.

    `topics` are the NLP stage's watch topics (anything with `id` and `name`, e.g. from
    config/watch.yaml); they are counted by the tag the NLP stage put on each document.
    """
    tagged = [Watch(id=t.id, name=t.name, query=f'topic:"{t.id}"') for t in topics]
    domains = [Watch(id=f"domain-{d}".lower()[:64], name=f"Lĩnh vực {d}", query=f'domain:"{d}"')
               for d in config.watch.domains]
    own = {w.id for w in config.watch.topics}
    return [*config.watch.topics, *[w for w in tagged if w.id not in own], *domains,
            *config.watch.entities]


def story_series(store: Store, query: str, start: datetime, end: datetime,
                 bucket: timedelta) -> tuple[BucketSeries, int]:
    """Distinct stories per bucket from `start` to `end` counted by the store, and the index of
    the buckets the detector judges (the current and the last complete one), the only ones
    whose outlets it reads, so the only ones counted."""
    first = bucket_floor(start, bucket)
    judged = max(0, math.ceil((end - first) / bucket) - 2)
    counted = store.story_counts(query, Filters(since=start, until=end), bucket,
                                 outlets_from=first + judged * bucket)
    return dense(counted, start, end, bucket), judged


def _baseline(store: Store, w: Watch, since: datetime, until: datetime) -> list:
    """The newest BASELINE_DOCS documents of the watch in [since, until): what "new terms"
    are new against."""
    found = store.iter_documents(w.query, Filters(since=since, until=until),
                                 batch_size=BASELINE_DOCS)
    return list(islice(found, BASELINE_DOCS))


def _spike_alert(store: Store, w: Watch, hit: Detection, bucket: timedelta, since: datetime,
                 now: datetime, registry: Registry | None) -> Alert:
    """The alert of a detection, explained by the documents of its bucket and the week before
    (both within the detector's history: [since, now))."""
    start, end = hit.timestamp, hit.timestamp + bucket
    window = list(store.iter_documents(w.query, Filters(since=max(start, since),
                                                        until=min(end, now))))
    baseline = _baseline(store, w, max(start - BASELINE_TERMS, since), start)
    minutes = int(bucket.total_seconds() // 60)
    reason = (f"{hit.count} tin (đếm mỗi câu chuyện một lần) trong {minutes} phút, kỳ vọng "
              f"{hit.expected:.1f}; hôm qua {hit.yesterday:.1f}, tuần trước {hit.last_week:.1f} "
              f"cùng khung giờ; mức bất thường {hit.score:.1f} (ngưỡng {hit.threshold:g})")
    grade = severity.grade_documents(window, hit.ratio, registry)
    return Alert(key=f"spike:{w.id}", kind="spike", severity=grade,
                 title=f"Tin về “{w.name}” tăng đột biến", detected_at=end, score=hit.score,
                 explanation=explain(window, baseline, reason, hit.count, hit.expected,
                                     f"−log10 p ≥ {hit.threshold:g}", start, end))


def detect_spikes(store: Store, w: Watch, config: AlertsConfig, now: datetime,
                  registry: Registry | None) -> list[Alert]:
    """The watch's strongest detection of this cycle over every bucket width (one incident per
    watch and cycle), from four weeks of counts; documents are read only for it."""
    params = config.detection.params()
    since = now - timedelta(days=config.detection.history_days)
    best: tuple[Detection, timedelta] | None = None
    for name in config.detection.buckets:
        bucket = BUCKETS[name]
        series, judged = story_series(store, w.query, since, now, bucket)
        hits = detect(series.timestamps, series.counts, bucket, params, series.outlets, judged)
        if hits and (best is None or hits[-1].score > best[0].score):  # ties: the first width
            best = (hits[-1], bucket)
    return [] if best is None else [_spike_alert(store, w, *best, since, now, registry)]


def worth_a_look(store: Store, w: Watch, config: AlertsConfig, now: datetime) -> bool:
    """Cheap pre-check: could a judged bucket pass the minimum count and outlets at all?

    Most watches are quiet most cycles; only these pay for four weeks of counts and the
    detector's pass over them. One count of the judged buckets of the widest width: every
    width divides it (5, 15, 60 minutes), so each judged bucket lies inside one of them and
    has no more stories or outlets than it.
    """
    d = config.detection
    widest = max(BUCKETS[name] for name in d.buckets)
    since = bucket_floor(now - widest, widest)
    return any(b.stories >= d.min_count and b.outlets >= d.min_outlets
               for b in store.story_counts(w.query, Filters(since=since, until=now), widest))


def _usual_negative_share(store: Store, w: Watch, start: datetime, days: int) -> float:
    counts = dict(store.counts_by("sentiment", w.query,
                                  Filters(since=start - timedelta(days=days), until=start)))
    total = sum(counts.values())
    return counts.get("negative", 0) / total if total else 0.0


def negative_share_alert(w: Watch, config: AlertsConfig, now: datetime,
                         store: Store) -> Alert | None:
    """The watch's share of negative items in the last hours, when high and above its usual;
    from counts per sentiment, then the window's and the week before's documents if it fires."""
    cfg = config.watch
    start = now - timedelta(hours=cfg.negative_window_hours)
    window_filters = Filters(since=start, until=now)
    tones = dict(store.counts_by("sentiment", w.query, window_filters))
    labelled = sum(tones.values())
    if labelled < cfg.negative_min_items:
        return None
    share = tones.get("negative", 0) / labelled
    if share < cfg.negative_share:
        return None
    usual = _usual_negative_share(store, w, start, config.detection.history_days)
    if share < 1.5 * usual:  # 1.5x: above the topic's own usual tone
        return None
    window = list(store.iter_documents(w.query, window_filters))
    before = _baseline(store, w, start - BASELINE_TERMS, start)
    reason = (f"{share:.0%} tin tiêu cực trong {cfg.negative_window_hours:g} giờ qua "
              f"({labelled} tin có nhãn), thường ngày {usual:.0%}; "
              f"ngưỡng {cfg.negative_share:.0%}")
    return Alert(key=f"negative:{w.id}", kind="negative_share",
                 severity="critical" if share >= 0.8 else "warning",  # 80%: nearly all negative
                 title=f"Tỷ lệ tin tiêu cực về “{w.name}” tăng cao", detected_at=now, score=share,
                 explanation=explain(window, before, reason, labelled, usual * labelled,
                                     f"≥ {cfg.negative_share:.0%}", start, now))


def _rule_alert(hit: rules.RuleHit, now: datetime, registry: Registry | None,
                store: Store) -> Alert:
    start = now - hit.rule.window
    grade = max(hit.rule.severity, severity.grade_documents(hit.docs, 1.0, registry),
                key=("info", "warning", "critical").index)
    return Alert(key=f"rule:{hit.rule.id}", kind="rule", severity=grade,
                 title=f"Quy tắc “{hit.rule.title()}”", detected_at=now, score=float(hit.count),
                 explanation=explain(hit.docs, [], hit.reason, hit.count, 0.0,
                                     hit.rule.type, start, now))


def run_detection(store: Store, config: AlertsConfig, now: datetime, outbox: Outbox | None = None,
                  registry: Registry | None = None, crisis_rules: Sequence | None = None,
                  source_health: Sequence[health.SourceHealth] = (),
                  topics: Sequence = ()) -> list[Alert]:
    """Find spikes, negative-share rises, rule hits, rising issues (alerts.rising) and source
    problems; persist and enqueue.

    `crisis_rules` defaults to the config's rules file; `topics` adds the NLP watch topics.
    With an outbox, every alert is saved (new incident or update) before anything is sent.
    """
    if crisis_rules is None:
        path = config.rules_path()
        crisis_rules = rules.load_rules(path) if path else []
    found: list[Alert] = []
    for w in watches(config, topics):
        if worth_a_look(store, w, config, now):
            found += detect_spikes(store, w, config, now, registry)
        neg = negative_share_alert(w, config, now, store)
        found += [neg] if neg else []
    found += [_rule_alert(h, now, registry, store)
              for h in rules.evaluate_all(crisis_rules, store, now, registry)]
    found += rising.rising_alerts(store, watches(config, topics), now, registry)
    found += health.check_sources(source_health, now)
    found = incidents.merge(found, outbox.open_alerts() if outbox is not None else ())
    if outbox is not None:
        found = [persist(outbox, config, a, now) for a in found]
    return found


def persist(outbox: Outbox, config: AlertsConfig, alert: Alert, now: datetime) -> Alert:
    d = config.detection
    saved, notify = outbox.record(alert, now, targets(config, alert, now),
                                  timedelta(minutes=d.cooldown_minutes),
                                  timedelta(hours=d.incident_gap_hours))
    log.info("alert %s (%s) %s", saved.key, saved.severity, "notifies" if notify else "updated")
    return saved


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    if retry_after is not None:
        return timedelta(seconds=retry_after)  # the receiver said how long: obey it
    return min(BACKOFF_MAX, BACKOFF_BASE * (2 ** attempts))


def _ack_link(config: AlertsConfig | None, alert: Alert, who: str, now: datetime) -> str | None:
    if config is None or alert.id is None or alert.kind == "source_health":
        return None
    try:
        secret = config.secret()
    except ValueError as exc:
        log.warning("alerts go out without acknowledge links: %s", exc)
        return None
    expires = now + timedelta(days=config.ack_link_days)
    return ack.ack_url(config.public_url, ack.make_link(secret, alert.id, who, expires))


def deliver_pending(outbox: Outbox, channels: Mapping[str, Channel], now: datetime,
                    config: AlertsConfig | None = None) -> DeliveryReport:
    """Send every due delivery once; failures are rescheduled with backoff or given up."""
    report = DeliveryReport()
    max_attempts = config.max_attempts if config else AlertsConfig().max_attempts
    for item in outbox.due(now):
        message = build_message(item.alert, item.recipient,
                                _ack_link(config, item.alert, item.recipient, now))
        try:
            channel = channels.get(item.channel)
            if channel is None:
                raise DeliveryError(f"channel {item.channel!r} is not configured", permanent=True)
            channel.send(message, item.address)
        except DeliveryError as exc:
            give_up = exc.permanent or item.attempts + 1 >= max_attempts
            retry_at = None if give_up else now + _backoff(item.attempts, exc.retry_after)
            outbox.mark_failed(item.id, now, str(exc), retry_at)
            report.failed += give_up
            report.retried += not give_up
            report.errors.append(f"{item.channel} {item.recipient}: {exc}")
            continue
        outbox.mark_sent(item.id, now)
        report.sent += 1
    return report


def build_channels(config: AlertsConfig) -> dict[str, Channel]:
    from alerts.channels.email import EmailChannel
    from alerts.channels.telegram import TelegramChannel
    from alerts.channels.webhook import WebhookChannel

    out: dict[str, Channel] = {}
    c = config.channels
    if c.email:
        out["email"] = EmailChannel(c.email)
    if c.telegram:
        out["telegram"] = TelegramChannel(c.telegram)
    if c.webhook:  # the environment's token only to the file's addresses (see the channel)
        out["webhook"] = WebhookChannel(c.webhook, config.groups, config.secret_env)
    return out
