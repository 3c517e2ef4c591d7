"""Run the registry's due connectors once: documents to the spool, stats and health recorded.

`run_connectors(registry, home)` is what the collect stage calls beside the news crawl:
XenForo/Telegram sources run as Scrapy spiders in a subprocess of their own
(`python -m crawlers.connectors.spiders --job …`, spooling through `crawlers.pipelines`); API
sources (YouTube, Facebook, VnExpress comments) run in this process. All of them keep their
state in `home.root/connectors.sqlite` and their evidence under `home.root/captures`.

For every connector source the outcome goes to the crawl state's health rows (last success,
last error and its class, items), so `crawlers.health.source_health` covers it like an outlet,
and comes back as per-source stats {found, new, failed, errors} for the `CrawlReport`. A
connector without credentials ends 'not_configured'; no connector failure ever raises here.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from crawlers.capture import WarcCapture
from crawlers.connectors.api import ConnectorRun
from crawlers.connectors.state import ConnectorState
from crawlers.connectors.vnexpress import article_id
from crawlers.middlewares import map_url
from crawlers.state import CrawlState
from langnghe.paths import Home
from langnghe.sources import Registry, Source
from langnghe.spool import Spool

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[2]
STATE_FILE = "connectors.sqlite"
CAPTURE_DIR = "captures"  # shared with the news crawl (crawlers.run.CAPTURE_DIR)
SPIDER_KINDS = {"xenforo", "telegram"}
API_KINDS = {"youtube", "facebook", "vnexpress_comments"}
# run statuses that mean "nothing wrong with the source", not an error on the health page
FINE = {"ok"}
SPIDER_POLITENESS = {"DOWNLOAD_DELAY": 2.0}  # see spiders.DEFAULT_SETTINGS; tests pass 0


def connector_sources(registry: Registry) -> list[Source]:
    return [s for s in registry.enabled if s.connector is not None]


def _due(state: ConnectorState, source: Source, now: float, due_only: bool) -> bool:
    last = state.get(f"due:{source.id}")
    return not due_only or last is None or now - float(last) >= source.poll_minutes * 60


def _record(crawl: CrawlState, source_id: str, stats: dict, status: str, message: str,
            new_items: int, now: float) -> None:
    """Health rows for one connector run: success, or the error with its class; items."""
    if status in FINE:
        crawl.success(source_id, now)
    else:
        crawl.error(source_id, status, f"{status}: {message}", now)
        stats["errors"].append(f"{status}: {message}")
        stats["failed"] = max(stats["failed"], 1)
    for _ in range(new_items):
        crawl.item(source_id, now)


def run_connectors(registry: Registry, home: Home, *, host_map: dict[str, str] | None = None,
                   due_only: bool = True, timeout: float = 600,
                   env: Mapping[str, str] | None = None, settings: dict | None = None,
                   now: float | None = None) -> dict[str, dict]:
    """Run every enabled connector source that is due; return {source_id: stats}."""
    now = now if now is not None else time.time()
    host_map = host_map or {}
    state = ConnectorState(home.root / STATE_FILE)
    crawl = CrawlState(home.crawl_state)
    results: dict[str, dict] = {}
    try:
        due = [s for s in connector_sources(registry) if _due(state, s, now, due_only)]
        spiders = [s for s in due if s.connector.kind in SPIDER_KINDS]
        if spiders:
            results.update(_run_spiders(spiders, home, host_map, timeout, settings or {}))
            for source in spiders:
                stats = results[source.id]
                _record(crawl, source.id, stats, stats.pop("status", "ok"),
                        stats.pop("message", ""), stats["new"], now)
        for source in (s for s in due if s.connector.kind in API_KINDS):
            results[source.id] = _run_api(source, home, state, crawl, host_map, env, now)
        for source in due:
            state.put(f"due:{source.id}", now, now)
    finally:
        state.close()
        crawl.close()
    return results


# -- spiders (subprocess) -----------------------------------------------------------------------
def _spider_args(source: Source, host_map: dict[str, str]) -> list:
    conn = source.connector
    if conn.kind == "xenforo":
        return ["xenforo", {"forums": list(conn.forums), "threads": list(conn.threads),
                            "source_id": source.id, "thread_pages": conn.thread_pages,
                            "status_key": source.id}]
    return ["telegram", {"channels": list(conn.channels), "source_id": source.id,
                         "base_url": conn.base_url, "status_key": source.id}]


def _run_spiders(sources: list[Source], home: Home, host_map: dict[str, str], timeout: float,
                 overrides: dict) -> dict[str, dict]:
    work = Path(tempfile.mkdtemp(prefix="connectors-", dir=home.root))
    settings = {**SPIDER_POLITENESS,
                "LANGNGHE_CONNECTOR_STATE": str(home.root / STATE_FILE),
                "LANGNGHE_CAPTURE_DIR": str(home.root / CAPTURE_DIR),
                "LANGNGHE_SPOOL": str(home.spool), "LANGNGHE_REPORT_DIR": str(work),
                "CLOSESPIDER_TIMEOUT": timeout * 0.7,  # as the news crawl: stop before the kill
                "LOG_LEVEL": "INFO", **overrides}
    if host_map:
        settings["LANGNGHE_HOST_MAP"] = host_map
        settings["DOWNLOADER_MIDDLEWARES"] = {"crawlers.middlewares.HostMapMiddleware": 150}
    job = {"settings": settings, "spiders": [_spider_args(s, host_map) for s in sources]}
    (work / "job.json").write_text(json.dumps(job), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    message = ""
    with open(home.logs / "connectors.log", "ab") as out:
        try:
            done = subprocess.run([sys.executable, "-m", "crawlers.connectors.spiders", "--job",
                                   str(work / "job.json")], stdout=out, stderr=subprocess.STDOUT,
                                  cwd=REPO_ROOT, env=env, timeout=timeout)
            if done.returncode:
                message = f"spider process exited with code {done.returncode}"
        except subprocess.TimeoutExpired:
            message = f"spider process timed out after {timeout:.0f}s"
    results = {}
    for source in sources:
        path = work / f"{source.id}.json"
        if path.exists():
            results[source.id] = json.loads(path.read_text(encoding="utf-8"))
        else:
            why = message or "spider wrote no report"
            results[source.id] = {"found": 0, "new": 0, "failed": 1, "errors": [],
                                  "status": "crash", "message":
                                  f"{why}; see {home.logs / 'connectors.log'}"}
    shutil.rmtree(work, ignore_errors=True)
    return results


# -- API connectors (in process) ----------------------------------------------------------------
def _base(url: str, host_map: dict[str, str]) -> str:
    return map_url(url, host_map) or url


def _build(source: Source, home: Home, state: ConnectorState, host_map: dict[str, str],
           env: Mapping[str, str] | None):
    from crawlers.connectors.facebook_client import (
        FacebookConfig,
        FacebookConnector,
        FacebookPage,
    )
    from crawlers.connectors.vnexpress_client import VnExpressComments, VnExpressCommentsConfig
    from crawlers.connectors.youtube_client import YouTubeConfig, YouTubeConnector

    conn = source.connector
    capture = WarcCapture(home.root / CAPTURE_DIR, prefix=conn.kind)
    if conn.kind == "youtube":
        config = YouTubeConfig(channels=list(conn.channels), searches=list(conn.searches),
                               videos=list(conn.videos), api_key_env=conn.api_key_env,
                               daily_quota=conn.daily_quota, fresh_hours=conn.fresh_hours,
                               base_url=_base(conn.base_url, host_map), source_id=source.id)
        return YouTubeConnector(config, state, env=env, capture=capture)
    if conn.kind == "facebook":
        config = FacebookConfig(pages=[FacebookPage(p.page_id, p.token_env) for p in conn.pages],
                                base_url=_base(conn.base_url, host_map), version=conn.version,
                                fresh_hours=conn.fresh_hours, source_id=source.id)
        return FacebookConnector(config, state, env=env, capture=capture)
    config = VnExpressCommentsConfig(base_url=_base(conn.base_url, host_map),
                                     fresh_hours=conn.fresh_hours,
                                     min_interval_minutes=conn.min_interval_minutes,
                                     source_id=source.id)
    return VnExpressComments(config, state, capture=capture)


def recent_articles(crawl: CrawlState, source_id: str, hours: float,
                    now: float) -> list[tuple[str, datetime]]:
    """(URL, first-seen time) of the source's articles crawled in the last `hours`, one per
    article id; the first-seen time stands in for publication (feeds list news within minutes).
    """
    chosen: dict[str, tuple[str, datetime]] = {}
    for url, seen_at in crawl.recent(source_id, now - hours * 3600):
        key = article_id(url)
        if key and key not in chosen:
            chosen[key] = (url, datetime.fromtimestamp(seen_at, UTC))
    return list(chosen.values())


def _run_api(source: Source, home: Home, state: ConnectorState, crawl: CrawlState,
             host_map: dict[str, str], env: Mapping[str, str] | None, now: float) -> dict:
    stats = {"found": 0, "new": 0, "failed": 0, "errors": []}
    try:
        connector = _build(source, home, state, host_map, env)
        if source.connector.kind == "vnexpress_comments":
            run = connector.run(recent_articles(crawl, source.id, source.connector.fresh_hours,
                                                now), now)
        else:
            run = connector.run(now)
    except Exception as exc:  # a connector bug must not stop the cycle
        log.exception("connector %s failed", source.id)
        run = ConnectorRun(source.connector.kind, status="crash",
                           message=f"{type(exc).__name__}: {exc}")
    docs = []
    for doc in run.documents:
        ref = run.captures.get(doc.id)
        if ref is not None:
            doc.capture = ref.as_capture(doc.fetched_at)
        docs.append(doc)
    if docs:
        Spool(home.spool).put(docs)
    state.set_status(source.id, run.status, run.message or f"{len(docs)} new documents",
                     now)
    stats["found"] = stats["new"] = len(docs)
    _record(crawl, source.id, stats, run.status, run.message, len(docs), now)
    return stats
