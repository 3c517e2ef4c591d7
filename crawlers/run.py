"""Run one crawl cycle in a subprocess and report per-source stats (`crawl_once`).

Twisted's reactor cannot restart within a process, so every cycle runs
`python -m crawlers.run --job JOB.json` (Scrapy's FeedSpider + SitemapSpider, and the
DiscoverySpider for watch topics' Google News search feeds); the child writes
Documents to the spool in small batches, keeps crawl state in `home.crawl_state`, and leaves a
JSON report that `crawl_once` returns as a `CrawlReport`. Its log is appended to
`home.logs/crawl.log`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from crawlers.discovery import DEFAULT_MINUTES, check_minutes, discovery_topics
from langnghe.paths import Home
from langnghe.sources import Registry

REPO_ROOT = Path(__file__).resolve().parent.parent
KILL_GRACE_S = 5.0  # after SIGTERM, time for Scrapy to flush the last spool batch
# Within `timeout`, the crawl stops itself (CLOSESPIDER_TIMEOUT) at 70% and no single download
# may take over 20%, so it ends gracefully (report, last batch spooled) before the hard kill.
SELF_STOP_SHARE, DOWNLOAD_SHARE = 0.7, 0.2
CAPTURE_DIR = "captures"  # under the home: WARC evidence of every page that made a document


@dataclass
class CrawlReport:
    """Outcome of one cycle. `sources[id]` = {found, new, failed, errors: [...]}."""

    sources: dict[str, dict] = field(default_factory=dict)
    elapsed: float = 0.0  # seconds, wall clock of the whole cycle
    crawl_seconds: float = 0.0  # seconds inside the Scrapy run (no process start-up)
    listening_sockets: int | None = None  # LISTEN sockets seen in the crawl process: must be 0
    timed_out: bool = False
    returncode: int | None = None
    unreachable: list[str] = field(default_factory=list)  # sources with DNS/connect failures

    @property
    def totals(self) -> dict[str, int]:
        return {key: sum(s.get(key, 0) for s in self.sources.values())
                for key in ("found", "new", "failed")}

    @property
    def found(self) -> int:
        return self.totals["found"]

    @property
    def new(self) -> int:
        return self.totals["new"]

    @property
    def failed(self) -> int:
        return self.totals["failed"]

    def merge(self, sources: dict[str, dict]) -> None:
        """Add other per-source stats (the connectors') to this report's."""
        for sid, stats in sources.items():
            mine = self.sources.setdefault(sid, {"found": 0, "new": 0, "failed": 0,
                                                 "errors": []})
            for key in ("found", "new", "failed"):
                mine[key] = mine.get(key, 0) + stats.get(key, 0)
            mine["errors"] = list(mine.get("errors", [])) + list(stats.get("errors", []))

    def summary_line(self) -> str:
        """One console line: totals, then per source found/new/failed."""
        t = self.totals
        parts = [f"{sid} {s['found']}/{s['new']}/{s['failed']}" for sid, s in self.sources.items()]
        flag = " TIMEOUT" if self.timed_out else ""
        return (f"crawl{flag}: found {t['found']}, new {t['new']}, failed {t['failed']} "
                f"in {self.elapsed:.1f}s [{', '.join(parts)}]")


def _failed_report(registry: Registry, message: str, **kw) -> CrawlReport:
    return CrawlReport(sources={s.id: {"found": 0, "new": 0, "failed": 1, "errors": [message]}
                                for s in registry.enabled}, **kw)


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def crawl_once(registry: Registry, home: Home, *, host_map: dict[str, str] | None = None,
               due_only: bool = True, timeout: float = 600, settings: dict | None = None,
               connectors: bool = True, env: dict[str, str] | None = None,
               topics: Iterable | None = None,
               discovery_minutes: float = DEFAULT_MINUTES) -> CrawlReport:
    """Crawl the enabled sources' due feeds and sitemaps once; new articles go to the spool.

    `host_map` (origin → local base, e.g. `ReplayServer.host_map`) fetches real outlet URLs from
    a local server; `due_only=False` polls every feed now; `settings` overrides Scrapy settings
    (e.g. `{"DOWNLOAD_DELAY": 0}` against a local server). The crawl is killed after `timeout`
    seconds; what it spooled until then is kept. Then, with `connectors`, the due connector
    sources run (`crawlers.connectors.collect.run_connectors`, credentials from `env` or the
    environment) and their stats are merged into the report.

    With `topics` (watch topics: objects with id, name and the parsed query `node`), each
    topic's Google News search feed is polled at most every `discovery_minutes` and the
    articles of outlets outside the registry are crawled too (`crawlers.discovery`); their
    stats come back per topic as source `discovery:<topic id>`.
    """
    discovery = {"topics": [asdict(t) for t in discovery_topics(topics or [])],
                 "minutes": check_minutes(discovery_minutes)}
    report = _crawl_news(registry, home, host_map=host_map, due_only=due_only,
                         timeout=timeout, settings=settings, discovery=discovery)
    if connectors:
        from crawlers.connectors.collect import connector_sources, run_connectors
        if connector_sources(registry):
            started = time.monotonic()
            report.merge(run_connectors(registry, home, host_map=host_map, due_only=due_only,
                                        timeout=timeout, env=env, settings=settings))
            report.elapsed += time.monotonic() - started
    return report


def _crawl_news(registry: Registry, home: Home, *, host_map: dict[str, str] | None,
                due_only: bool, timeout: float, settings: dict | None,
                discovery: dict | None = None) -> CrawlReport:
    started = time.monotonic()
    settings = {"CLOSESPIDER_TIMEOUT": timeout * SELF_STOP_SHARE,
                "DOWNLOAD_TIMEOUT": min(30.0, timeout * DOWNLOAD_SHARE), **(settings or {})}
    work = Path(tempfile.mkdtemp(prefix="crawl-", dir=home.root))
    job = {"registry": registry.model_dump(mode="json"), "crawl_state": str(home.crawl_state),
           "spool": str(home.spool), "host_map": host_map or {}, "due_only": due_only,
           "settings": settings, "report": str(work / "report.json"),
           "captures": str(home.root / CAPTURE_DIR), "discovery": discovery or {}}
    (work / "job.json").write_text(json.dumps(job), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    with open(home.logs / "crawl.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "crawlers.run", "--job",
                                 str(work / "job.json")], stdout=log, stderr=subprocess.STDOUT,
                                cwd=REPO_ROOT, env=env, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop(proc)
    report_path = work / "report.json"
    elapsed = time.monotonic() - started
    if not report_path.exists():
        why = "timed out" if timed_out else f"exited with code {proc.returncode}"
        return _failed_report(registry, f"crawl process {why}; see {home.logs / 'crawl.log'}",
                              elapsed=elapsed, timed_out=timed_out, returncode=proc.returncode)
    data = json.loads(report_path.read_text(encoding="utf-8"))
    for path in work.iterdir():
        path.unlink()
    work.rmdir()
    return CrawlReport(sources=data["sources"], elapsed=elapsed,
                       crawl_seconds=data["crawl_seconds"],
                       listening_sockets=data["listening_sockets"],
                       timed_out=timed_out or data["timed_out"],
                       returncode=proc.returncode, unreachable=data["unreachable"])


def _run_job(job: dict) -> dict:
    """The child side: one Scrapy process running the feed and sitemap spiders."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawlers.capture import WarcCapture
    from crawlers.context import CrawlContext
    from crawlers.spiders.discovery import DiscoverySpider
    from crawlers.spiders.feed import FeedSpider
    from crawlers.spiders.sitemap import SitemapSpider
    from crawlers.state import CrawlState

    started = time.monotonic()
    registry = Registry.model_validate(job["registry"])
    state = CrawlState(job["crawl_state"])
    capture = WarcCapture(job["captures"], prefix="news") if job.get("captures") else None
    ctx = CrawlContext(registry, state, job["spool"], due_only=job["due_only"], capture=capture)
    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    settings.set("LANGNGHE_HOST_MAP", job["host_map"], priority="project")
    settings.update(job["settings"], priority="cmdline")
    process = CrawlerProcess(settings)
    if any(s.feeds for s in registry.enabled):
        process.crawl(FeedSpider, ctx=ctx)
    if any(s.sitemaps for s in registry.enabled):
        process.crawl(SitemapSpider, ctx=ctx)
    discovery = job.get("discovery") or {}
    if discovery.get("topics"):
        process.crawl(DiscoverySpider, ctx=ctx, topics=discovery["topics"],
                      minutes=discovery["minutes"])
    process.start()
    state.prune(time.time())
    state.close()
    return {"sources": {sid: s.as_dict() for sid, s in ctx.stats.items()},
            "crawl_seconds": time.monotonic() - started,
            "listening_sockets": ctx.listening_sockets, "unreachable": sorted(ctx.dead),
            "timed_out": "closespider_timeout" in ctx.close_reasons}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one crawl job (used by crawl_once).")
    parser.add_argument("--job", required=True, help="path of the job JSON written by crawl_once")
    args = parser.parse_args(argv)
    job = json.loads(Path(args.job).read_text(encoding="utf-8"))
    report = _run_job(job)
    tmp = Path(job["report"] + ".tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, job["report"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
