"""The stage functions, called the same way by the embedded runner, the CLI and the DAGs.

collect: poll due feeds and crawl new articles into the spool (Scrapy in a subprocess).
ingest:  claim spooled batches, enrich them, upsert them into the store, then acknowledge.
Both are idempotent: a retried or repeated call never duplicates a document.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from crawlers.run import CrawlReport, crawl_once
from langnghe.paths import Home
from langnghe.sources import Registry
from langnghe.spool import Spool
from nlp.pipeline import EnrichContext, EnrichPool, enrich
from store.base import Store

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
    `capture_retention_days` are deleted."""
    from crawlers.capture import prune_if_due
    from crawlers.discovery import DEFAULT_MINUTES
    from crawlers.run import CAPTURE_DIR

    report = crawl_once(registry, home, host_map=host_map, due_only=due_only, timeout=timeout,
                        settings=settings, env=env, topics=topics,
                        discovery_minutes=discovery_minutes or DEFAULT_MINUTES)
    try:
        prune_if_due(home.root / CAPTURE_DIR, registry.capture_retention_days)
    except OSError:  # evidence retention must not stop collection; retried next cycle
        log.exception("pruning captures failed")
    return report


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
    """What the alert stage needs, loaded once at start-up (validated: bad config stops start)."""

    config: object  # alerts.config.AlertsConfig: the YAML's groups + the web app's
    outbox: object  # alerts.outbox.Outbox
    channels: dict
    topics: list
    base: object = None  # the YAML's AlertsConfig alone (web groups are merged into `config`)

    def refresh_recipients(self, web_db: Path) -> None:
        """Take up the recipient groups admins added or changed in the web app since."""
        from alerts.engine import build_channels
        from web.recipients import merge_config

        self.config = merge_config(self.base, web_db)
        self.channels = build_channels(self.config)


@dataclass
class AlertReport:
    alerts: int = 0  # detections this cycle (new incidents and updates of open ones)
    open: int = 0  # incidents open after this cycle
    sent: int = 0
    failed: int = 0


def alerting(home: Home, alerts_path: str | Path | None, topics: list) -> Alerting | None:
    """Load the alerts configuration, with the recipient groups managed in the web app (the
    home's web database); None when there is no file (alerting switched off)."""
    if not alerts_path or not Path(alerts_path).exists():
        return None
    from alerts.config import load_config
    from alerts.outbox import Outbox

    base = load_config(alerts_path)
    base.check_secret()  # a weak signing secret stops the start, in both deployments
    setup = Alerting(base, Outbox(home.root / "alerts.sqlite"), {}, list(topics), base)
    setup.refresh_recipients(home.web_db)
    return setup


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
