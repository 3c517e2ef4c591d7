"""The embedded runner: one process that runs the collect → ingest cycle on a schedule and
serves the web app, with all state under one home directory.

Each cycle prints one line (found / new / failed per source, documents indexed) instead of a
stack trace per request; unreachable sources are counted in that line and shown on the
source-health page.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from crawlers.health import source_health
from langnghe.document import VN_TZ
from langnghe.paths import Home
from langnghe.sources import Registry
from nlp.pipeline import EnrichContext, EnrichPool
from runner import stages
from store.base import Store

log = logging.getLogger(__name__)


@dataclass
class CycleSummary:
    number: int
    found: int = 0
    new: int = 0
    failed: int = 0
    unreachable: list[str] = field(default_factory=list)
    per_source: dict[str, dict] = field(default_factory=dict)
    indexed: int = 0
    alerts: int = 0
    seconds: float = 0.0
    error: str | None = None

    def line(self) -> str:
        stamp = datetime.now(VN_TZ).strftime("%H:%M:%S")
        if self.error:
            return f"{stamp} chu kỳ {self.number}: LỖI {self.error}"
        text = (f"{stamp} chu kỳ {self.number}: tìm thấy {self.found}, mới {self.new}, "
                f"lỗi {self.failed}, đã lập chỉ mục {self.indexed}, "
                f"cảnh báo đang mở {self.alerts} ({self.seconds:.1f} s)")
        active = [f"{sid} {st.get('found', 0)}/{st.get('new', 0)}/{st.get('failed', 0)}"
                  for sid, st in sorted(self.per_source.items())
                  if st.get("found") or st.get("failed")]
        if active:
            text += " · nguồn (tìm/mới/lỗi): " + ", ".join(active)
        if self.unreachable:
            shown = ", ".join(self.unreachable[:6])
            extra = len(self.unreachable) - 6
            more = f" và {extra} nguồn khác" if extra > 0 else ""
            text += f" · nguồn đang lỗi: {shown}{more}"
        return text


class Engine:
    """Runs cycles every `interval` seconds until stopped; `cycle()` runs one on demand."""

    def __init__(self, home: Home, registry: Registry, store: Store, *, interval: float = 60,
                 host_map: dict[str, str] | None = None, context: EnrichContext | None = None,
                 alerting: stages.Alerting | None = None, web_db: Path | None = None,
                 discovery_minutes: float | None = None, workers: int = 1,
                 echo: Callable[[str], None] | None = None):
        self.home = home
        self.registry = registry
        self.store = store
        self.interval = interval
        self.host_map = host_map
        self.context = context
        self.alerting = alerting
        self.web_db = web_db  # sources, topics and mutes people change in the web app
        self.discovery_minutes = discovery_minutes  # None: keyword discovery off
        self.workers = workers  # enrichment processes; the pool starts with the first cycle
        self._pool: EnrichPool | None = None
        self.base_registry = registry
        self.file_topics = list(context.topics) if context else []
        self.echo = echo or (lambda line: print(line, flush=True))
        self.cycles = 0
        self.last: CycleSummary | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh_from_web(self, now: datetime) -> None:
        """Apply what staff changed in the web app since the last cycle."""
        from web.sources_admin import apply_source_overrides
        from web.topics import load_web_topics, merge_topics, muted_topics

        self.registry = apply_source_overrides(self.base_registry, self.web_db)
        topics = merge_topics(self.file_topics, load_web_topics(self.web_db))
        if self.context is not None:
            self.context.topics = topics
        if self.alerting is not None:
            muted = muted_topics(self.web_db, now)
            self.alerting.topics = [t for t in topics if t.id not in muted]
            self.alerting.refresh_recipients(self.web_db)

    def cycle(self) -> CycleSummary:
        self.cycles += 1
        summary = CycleSummary(self.cycles)
        start = time.perf_counter()
        if self.web_db is not None:
            try:
                self.refresh_from_web(datetime.now(UTC))
            except Exception as exc:  # a broken web DB must not stop collection
                log.exception("reading the web app's settings failed")
                summary.error = f"cấu hình web: {exc}"
        try:
            topics = self.context.topics if self.context and self.discovery_minutes else None
            report = stages.collect(self.registry, self.home, host_map=self.host_map,
                                    topics=topics, discovery_minutes=self.discovery_minutes)
            summary.found, summary.new, summary.failed = report.found, report.new, report.failed
            summary.per_source = report.sources
            # sources still failing from earlier cycles (not due now) are named too
            failing = [h.source_id for h in source_health(self.home, self.registry)
                       if h.status == "failing"]
            summary.unreachable = sorted(set(report.unreachable) | set(failing))
        except Exception as exc:  # a crawl failure must not stop indexing what was spooled
            log.exception("collect failed")
            summary.error = f"thu thập: {exc}"
        try:
            if self.workers > 1 and self._pool is None:
                self._pool = EnrichPool(self.workers)
            summary.indexed = stages.ingest(self.home, self.store, context=self.context,
                                            pool=self._pool).documents
        except Exception as exc:
            log.exception("ingest failed")
            summary.error = f"lập chỉ mục: {exc}"
        if self.alerting is not None:
            try:
                report = stages.detect_and_deliver(self.alerting, self.store, self.registry,
                                                   self.home, datetime.now(UTC))
                summary.alerts = report.open
            except Exception as exc:
                log.exception("alerting failed")
                summary.error = f"cảnh báo: {exc}"
        summary.seconds = time.perf_counter() - start
        self.last = summary
        self.echo(summary.line())
        return summary

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.cycle()
            self._stop.wait(self.interval)

    def start(self) -> Engine:
        self._thread = threading.Thread(target=self._loop, name="langnghe-engine", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        if self._pool is not None:
            self._pool.close()
            self._pool = None
