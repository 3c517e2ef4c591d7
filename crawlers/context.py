"""Shared state of one crawl run: registry, crawl state, per-source stats, error classes."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, DNSLookupError, TimeoutError
from twisted.python.failure import Failure

from crawlers.state import CrawlState
from langnghe.egress import EgressRefused
from langnghe.sources import Registry, Source

log = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 20  # per source in a report: enough to diagnose, bounded for the console
UNREACHABLE = {"dns", "connect"}  # errors after which the rest of a source is skipped


@dataclass
class SourceStats:
    found: int = 0  # feed/sitemap entries listed
    new: int = 0  # documents written to the spool
    failed: int = 0  # feeds, sitemaps or articles that failed
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"found": self.found, "new": self.new, "failed": self.failed,
                "errors": list(self.errors)}


def classify(failure: Failure) -> tuple[str, str]:
    """(error class, message): dns, connect, timeout, too-large, http <status>, egress,
    network."""
    exc = failure.value
    if isinstance(exc, EgressRefused):
        return "egress", str(exc)
    if isinstance(exc, HttpError):
        return f"http {exc.response.status}", f"HTTP {exc.response.status}"
    if isinstance(exc, CannotResolveHostError | DNSLookupError):
        return "dns", f"DNS lookup failed: {exc}"
    if isinstance(exc, DownloadConnectionRefusedError | ConnectError):
        return "connect", f"connection failed: {exc}"
    if isinstance(exc, DownloadTimeoutError | TimeoutError):
        return "timeout", f"timed out: {exc}"
    if isinstance(exc, DownloadCancelledError) and "max size" in str(exc).lower():
        return "too-large", f"response too large: {exc}"
    if isinstance(exc, DownloadCancelledError):
        return "too-large", f"download cancelled (too large): {exc}"
    return "network", f"{type(exc).__name__}: {exc}"


class CrawlContext:
    """Everything the spiders and the pipeline of one run share (one process, one thread)."""

    def __init__(self, registry: Registry, state: CrawlState, spool_dir: str,
                 due_only: bool = True, capture=None):
        self.registry, self.state, self.spool_dir = registry, state, spool_dir
        self.due_only = due_only
        self.capture = capture  # crawlers.capture.WarcCapture: article pages kept as evidence
        self.stats: dict[str, SourceStats] = {s.id: SourceStats() for s in registry.enabled}
        self.dead: set[str] = set()
        self.inflight: set[str] = set()  # canonical URLs scheduled in this run
        self.listening_sockets: int | None = None
        self.close_reasons: list[str] = []  # Scrapy's finish reason per spider
        # outlets outside the registry found by keyword discovery (id 'discovered:<domain>')
        self.discovered: dict[str, Source] = {}

    def source(self, source_id: str) -> Source:
        source = self.registry.get(source_id) or self.discovered.get(source_id)
        if source is None:
            raise KeyError(f"unknown source id {source_id!r}")
        return source

    def error(self, source_id: str, error_class: str, message: str, url: str = "",
              feed_level: bool = True, stats_key: str | None = None) -> None:
        """Count and record a failure; the first dns/connect failure marks the source dead.

        `stats_key` counts it in the report under another id than the source's (discovered
        articles count under their discovery topic)."""
        if error_class in UNREACHABLE and source_id in self.dead:
            return  # one error per unreachable source, not one per request
        if error_class in UNREACHABLE:
            self.dead.add(source_id)
        stats = self.stats.setdefault(stats_key or source_id, SourceStats())
        stats.failed += 1
        line = f"{error_class}: {message}" + (f" ({url})" if url else "")
        if len(stats.errors) < MAX_ERRORS_KEPT:
            stats.errors.append(line)
        self.state.error(source_id, error_class, line, time.time(), feed_level)
        log.warning("source %s: %s", source_id, line)

    def failure(self, failure: Failure, source_id: str, url: str,
                feed_level: bool = True, stats_key: str | None = None) -> str | None:
        """Record a request failure; returns its class (None when deliberately ignored)."""
        if isinstance(failure.value, IgnoreRequest) and not isinstance(failure.value, HttpError):
            return None  # robots.txt or a dead source: not a new error
        error_class, message = classify(failure)
        self.error(source_id, error_class, message, url, feed_level, stats_key)
        return error_class


def listening_sockets() -> int:
    """TCP sockets this process holds in LISTEN state (Linux /proc; 0 elsewhere).

    Used to verify that no telnet console or remote-control server was opened.
    """
    import os
    from pathlib import Path
    inodes = set()
    for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else ():
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile (e.g. the descriptor listdir itself used)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            cols = line.split()
            if len(cols) > 9 and cols[3] == "0A" and cols[9] in inodes:  # 0A = TCP_LISTEN
                count += 1
    return count
