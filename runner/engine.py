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
from runner.effective import Files, effective
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
    """Runs cycles every `interval` seconds until stopped; `cycle()` runs one on demand.

    `registry`, `context` (province, watch topics), `discovery_minutes` and `alerting` (its
    YAML configuration) are the deployment's files as loaded at start; every cycle begins by
    building the effective configuration from them and the web app's database (`web_db`) with
    `runner.effective.effective` — the function the Airflow tasks call — and bringing the
    registry, the enrich context and the alert setup to it."""

    def __init__(self, home: Home, registry: Registry, store: Store, *, interval: float = 60,
                 host_map: dict[str, str] | None = None, context: EnrichContext | None = None,
                 alerting: stages.Alerting | None = None, web_db: Path | None = None,
                 discovery_minutes: float | None = None, workers: int = 1,
                 echo: Callable[[str], None] | None = None):
        self.home = home
        self.registry = registry  # the effective registry, refreshed every cycle
        self.store = store
        self.interval = interval
        self.host_map = host_map
        self.context = context
        self.alerting = alerting
        self.web_db = web_db  # sources, topics, mutes and recipient groups set in the web app
        self.files = Files(registry=registry,
                           province=context.home_province if context else None,
                           topics=tuple(context.topics) if context else (),
                           discovery_minutes=discovery_minutes,  # None: keyword discovery off
                           alerts=alerting.base if alerting else None)
        self.config = effective(self.files, None, datetime.now(UTC))
        self.workers = workers  # enrichment processes; the pool starts with the first cycle
        self._pool: EnrichPool | None = None
        self.echo = echo or (lambda line: print(line, flush=True))
        self.cycles = 0
        self.last: CycleSummary | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh_from_web(self, now: datetime) -> None:
        """Apply what staff changed in the web app since the last cycle."""
        self.config = effective(self.files, self.web_db, now)
        self.registry = self.config.registry
        stages.configure(self.config, self.context, self.alerting)

    def cycle(self, now: datetime | None = None) -> CycleSummary:
        """One collect → ingest → alerts cycle; `now` (default: the clock) is the moment the
        web app's mutes and alert detection are judged at."""
        self.cycles += 1
        summary = CycleSummary(self.cycles)
        start = time.perf_counter()
        try:
            self.refresh_from_web(now or datetime.now(UTC))
        except Exception as exc:  # a broken web DB must not stop collection: last settings stay
            log.exception("reading the web app's settings failed")
            summary.error = f"cấu hình web: {exc}"
        try:
            report = stages.collect(self.registry, self.home, host_map=self.host_map,
                                    topics=self.config.discovery_topics,
                                    discovery_minutes=self.config.discovery_minutes)
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
                                                   self.home, now or datetime.now(UTC))
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


def open_engine(home: Home, store: Store, files: Files, *, interval: float = 60,
                host_map: dict[str, str] | None = None, workers: int = 1,
                echo: Callable[[str], None] | None = None) -> Engine:
    """The engine of `langnghe run` for the loaded files (`runner.effective.load_files`): an
    enrich context with the files' province and topics, the alert setup with the web app's
    recipient groups and mutes as they are now, and the home's web database to read every
    cycle."""
    context = stages.enrich_context(home, None)  # the models and the story index
    context.topics, context.home_province = list(files.topics), files.province
    alerting = stages.open_alerting(home, effective(files, home.web_db, datetime.now(UTC)),
                                    files.alerts)
    return Engine(home, files.registry, store, interval=interval, host_map=host_map,
                  context=context, alerting=alerting, web_db=home.web_db,
                  discovery_minutes=files.discovery_minutes, workers=workers, echo=echo)
