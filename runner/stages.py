"""The stage functions, called the same way by the embedded runner, the CLI and the DAGs.

collect: poll due feeds and crawl new articles into the spool (Scrapy in a subprocess).
ingest:  claim spooled batches, enrich them, upsert them into the store, then acknowledge.
detect_and_deliver: spikes, crisis rules, source problems into the outbox, then delivery.
All are idempotent: a retried or repeated call never duplicates a document or an alert.

Both deployments run them with the effective configuration (`runner.effective`): the registry
it holds, an enrich context and an alert setup brought to it by `configure`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crawlers.run import CrawlReport, crawl_once
from langnghe.paths import Home
from langnghe.sources import Registry
from langnghe.spool import Spool
from nlp.pipeline import EnrichContext, EnrichPool, enrich
from runner.effective import Effective, Files, effective, load_alerts
from store.base import Store

if TYPE_CHECKING:
    from alerts.config import AlertsConfig
    from alerts.outbox import Outbox

log = logging.getLogger(__name__)
DEFAULT_WATCH = Path(__file__).resolve().parent.parent / "config" / "watch.yaml"
DEFAULT_ALERTS = Path(__file__).resolve().parent.parent / "config" / "alerts.yaml"


@dataclass
class IngestReport:
    batches: int = 0
    documents: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def collect(registry: Registry, home: Home, *, host_map: dict[str, str] | None = None,
            due_only: bool = True, timeout: float = 600, settings: dict | None = None,
            env: dict[str, str] | None = None, topics: list | None = None,
            discovery_minutes: float | None = None) -> CrawlReport:
    """Poll due feeds, crawl new articles and run the due connectors (forums, Telegram,
    YouTube, Facebook, news comments); their documents land in the home's spool. With watch
    `topics`, their Google News search feeds are polled every `discovery_minutes` (default
    `crawlers.discovery.DEFAULT_MINUTES`; see `load_discovery_settings` for the watch file's
    `discovery:` block) and articles of outlets outside the registry are crawled and those
    outlets proposed as sources. Once a day the evidence captures older than the registry's
    `capture_retention_days` are deleted (`prune_captures`)."""
    from crawlers.discovery import DEFAULT_MINUTES

    report = crawl_once(registry, home, host_map=host_map, due_only=due_only, timeout=timeout,
                        settings=settings, env=env, topics=topics,
                        discovery_minutes=discovery_minutes or DEFAULT_MINUTES)
    try:
        prune_captures(home, registry)
    except OSError:  # evidence retention must not stop collection; retried next cycle
        log.exception("pruning captures failed")
    return report


def prune_captures(home: Home, registry: Registry, now: float | None = None) -> list[Path] | None:
    """Delete the WARC evidence captures (under the home, where every crawl writes them) last
    written more than the registry's `capture_retention_days` ago, at most once a day; None
    when the last prune is less than a day old. `collect` calls it in both deployments; the
    maintenance DAG calls it too, so the day's prune happens even while collection is paused."""
    from crawlers.capture import prune_if_due
    from crawlers.run import CAPTURE_DIR

    return prune_if_due(home.root / CAPTURE_DIR, registry.capture_retention_days, now)


def enrich_context(home: Home, watch_path: str | Path | None = DEFAULT_WATCH) -> EnrichContext:
    """What enrichment needs from the deployment: watch topics, home province, story index.

    A transformers model configured in the environment is loaded here, so a model that cannot
    be used stops the start with `BackendError` instead of failing every batch."""
    from nlp.classify import check_backends
    from nlp.stories import StoryIndex
    from nlp.watch import load_watch

    check_backends()
    province, topics = load_watch(watch_path) if watch_path else (None, [])
    return EnrichContext(topics=topics, stories=StoryIndex.for_home(home.root),
                         home_province=province)


def ingest(home: Home, store: Store, *, context: EnrichContext | None = None,
           pool: EnrichPool | None = None, max_batches: int = 20,
           max_rounds: int = 1000) -> IngestReport:
    """Move everything waiting in the spool into the store (enriched), batch by batch.

    A batch is deleted from the spool only after the store has committed it, so a crash at any
    point leaves it to be re-delivered; the upsert by id makes re-delivery harmless.
    """
    spool = Spool(home.spool)
    spool.requeue_stale()
    report = IngestReport()
    start = time.perf_counter()
    for _ in range(max_rounds):
        with spool.claim(max_batches=max_batches) as batches:
            if not batches:
                break
            docs = enrich((doc for _, batch in batches for doc in batch), context, pool)
            store.upsert(docs)
            report.batches += len(batches)
            report.documents += len(docs)
    report.seconds = time.perf_counter() - start
    return report


@dataclass
class Alerting:
    """What the alert stage needs: its configuration, outbox, channels and watch topics."""

    config: AlertsConfig  # the YAML's groups + the web app's
    outbox: Outbox
    channels: dict
    topics: list  # the watch topics detection watches (muted ones left out)
    base: AlertsConfig | None = None  # the YAML's configuration alone (default: `config`)

    def __post_init__(self) -> None:
        self.base = self.base or self.config

    def apply(self, config: Effective) -> None:
        """Take up the effective configuration: recipient groups (and the channels they need),
        the topics not muted."""
        from alerts.engine import build_channels

        self.config = config.alerts
        self.channels = build_channels(self.config)
        self.topics = config.alert_topics


def configure(config: Effective, context: EnrichContext | None = None,
              alerting: Alerting | None = None) -> None:
    """Bring an enrich context (province, topics of the files and the web app) and an alert
    setup (`Alerting.apply`) to the effective configuration. The runner does it every cycle, a
    DAG task once at its start."""
    if context is not None:
        context.topics = list(config.topics)
        context.home_province = config.province
    if alerting is not None:
        alerting.apply(config)


@dataclass
class AlertReport:
    alerts: int = 0  # detections this cycle (new incidents and updates of open ones)
    open: int = 0  # incidents open after this cycle
    sent: int = 0
    failed: int = 0


def open_alerting(home: Home, config: Effective, base: AlertsConfig | None = None
                  ) -> Alerting | None:
    """The alert setup of an effective configuration, with the home's outbox; None when
    alerting is off (no alerts file)."""
    if config.alerts is None:
        return None
    from alerts.outbox import Outbox

    setup = Alerting(config.alerts, Outbox(home.root / "alerts.sqlite"), {}, [], base)
    setup.apply(config)
    return setup


def alerting(home: Home, alerts_path: str | Path | None, topics: list) -> Alerting | None:
    """The alert setup at start-up: the alerts file loaded and checked (a weak signing secret
    stops the start), the web app's recipient groups and mutes as they are now; None when there
    is no file (alerting switched off)."""
    base = load_alerts(alerts_path)
    if base is None:
        return None
    config = effective(Files(topics=tuple(topics), alerts=base), home.web_db, datetime.now(UTC))
    return open_alerting(home, config, base)


def detect_and_deliver(setup: Alerting, store: Store, registry: Registry, home: Home,
                       now: datetime) -> AlertReport:
    """Detect spikes, crisis rules and source problems; persist them, then send what is due."""
    from alerts import digest
    from alerts.engine import deliver_pending, run_detection
    from alerts.health import from_crawler
    from crawlers.health import source_health

    health = [from_crawler(row, now) for row in source_health(home, registry)]
    found = run_detection(store, setup.config, now, outbox=setup.outbox, registry=registry,
                          source_health=health, topics=setup.topics)
    if setup.config.digest.groups and digest.digest_due(setup.config, now, None):
        digest.queue_digest(setup.outbox, store, setup.config, now, source_health=health)
    sent = deliver_pending(setup.outbox, setup.channels, now, setup.config)
    return AlertReport(alerts=len(found), open=len(setup.outbox.open_alerts()), sent=sent.sent,
                       failed=sent.failed)
