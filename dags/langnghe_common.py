"""What every Lắng Nghe DAG shares: deployment settings, default task arguments, the spool asset.

No business logic lives here (nor in the DAG files): tasks call the stage functions of
`runner.stages`, `alerts`, `crawlers` and `store`. This module only answers "where is the home,
which store, which files" for a task, from an Airflow Variable `langnghe_<name>` when one is
set, else the environment variable `LANGNGHE_<NAME>`, else the default below:

- `home`: shared storage (spool, crawl state, story index, alert outbox, WARC captures, the web
  app's database, logs); default ./var/langnghe beside the checkout (langnghe.paths)
- `store_url`: `store.open_store` URL; default sqlite:///<home>/store.sqlite; Elasticsearch as
  elasticsearch+http://host:9200 (credentials: LANGNGHE_ES_* of store.elastic)
- `sources`, `watch`, `alerts`: the YAML files; default config/*.yaml of the checkout; an
  absent alerts file switches alerting off
- `host_map`: JSON file origin → local base URL (offline replays and tests only)
- `collect_groups`: source groups crawled in parallel per collect run (default 4)
- `es_keep_months`: monthly Elasticsearch indices kept (default 24)

Every task works with the effective configuration (`Deployment.effective`): the files plus what
people set in the web app — sources added or disabled, watch topics, mutes, recipient groups —
read from `<home>/web.sqlite`, the database of the `langnghe web` service on the same shared
home, built by `runner.effective.effective`, the function the embedded runner calls every
cycle. Evidence retention is the sources file's `capture_retention_days`, as in the runner.

Imports of the package happen inside functions, so parsing a DAG file stays cheap.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from airflow.sdk import Asset

# The spool on shared storage: `collect` updates it, `enrich_index` is scheduled by it.
SPOOL = Asset(name="langnghe_spool", uri="file:///langnghe/spool")
START = datetime(2025, 1, 1, tzinfo=UTC)  # any past date: catchup is off, so no backfill happens
DEFAULT_ARGS = {
    "owner": "langnghe",
    "retries": 2,  # a task is a transaction (upsert / claim-then-ack): retrying is safe
    "retry_delay": timedelta(seconds=30),  # a source or ES node hiccup usually passes in seconds
    "retry_exponential_backoff": True,  # 30 s, 60 s, ... for longer outages
    "max_retry_delay": timedelta(minutes=10),
}
DEFAULT_GROUPS = 4  # two workers × two slots each in the compose deployment
ES_KEEP_MONTHS = 24  # two years searchable; older coverage stays in the snapshots


def setting(name: str, default: str | None = None) -> str | None:
    """Airflow Variable `langnghe_<name>`, else env `LANGNGHE_<NAME>`, else `default`."""
    from airflow.sdk import Variable

    try:
        value = Variable.get(f"langnghe_{name}", default=None)
    except Exception:  # no metadata DB / API reachable (e.g. a plain import): env decides
        value = None
    if value in (None, ""):
        value = os.environ.get(f"LANGNGHE_{name.upper()}") or default
    return value


@dataclass(frozen=True)
class Deployment:
    """The resolved settings of one task run."""

    home: object  # langnghe.paths.Home
    store_url: str
    sources: Path
    watch: Path
    alerts: Path
    host_map: dict[str, str] | None

    @property
    def is_elasticsearch(self) -> bool:
        return self.store_url.lower().startswith(("elasticsearch+", "http://", "https://"))

    def files(self):
        """The sources, watch and alerts files, loaded and validated (runner.effective)."""
        from runner.effective import load_files

        return load_files(self.sources, self.watch, self.alerts)

    def effective(self, now: datetime):
        """The effective configuration at `now` (the run's data_interval_end): the files plus
        the web app's sources, topics, mutes and recipient groups (runner.effective)."""
        from runner.effective import effective

        return effective(self.files(), self.home.web_db, now)

    def open_store(self):
        from store import open_store

        return open_store(self.store_url)


def _config_path(name: str) -> Path:
    from langnghe.sources import DEFAULT_SOURCES
    from runner import stages

    defaults = {"watch": stages.DEFAULT_WATCH, "alerts": stages.DEFAULT_ALERTS,
                "sources": DEFAULT_SOURCES}
    return Path(setting(name) or defaults[name])


def deployment() -> Deployment:
    from langnghe.paths import Home

    home = Home.resolve(setting("home"))
    host_map_file = setting("host_map")
    host_map = json.loads(Path(host_map_file).read_text(encoding="utf-8")) if host_map_file \
        else None
    return Deployment(home=home, store_url=setting("store_url") or f"sqlite:///{home.store}",
                      sources=_config_path("sources"), watch=_config_path("watch"),
                      alerts=_config_path("alerts"), host_map=host_map)


def restrict(registry, source_ids: list[str]):
    """The registry with only `source_ids` (one crawl group); registry-wide settings stay."""
    wanted = set(source_ids)
    return registry.model_copy(update={"sources": tuple(
        s for s in registry.sources if s.id in wanted)})


def discovery_registry(registry):
    """The registry for keyword discovery alone: every source kept (its outlets are known, not
    re-discovered) but disabled, so no feed, sitemap or connector is crawled again."""
    return registry.model_copy(update={"sources": tuple(
        s.model_copy(update={"enabled": False}) for s in registry.sources)})


def source_groups(source_ids: list[str], groups: int) -> list[list[str]]:
    """Split source ids into at most `groups` non-empty groups, each source always in the same
    group (CRC32 of its id), so a source's feeds are polled by one crawl at a time."""
    if groups < 1:
        raise ValueError(f"collect_groups must be ≥ 1, got {groups}")
    buckets: list[list[str]] = [[] for _ in range(groups)]
    for sid in source_ids:
        buckets[zlib.crc32(sid.encode("utf-8")) % groups].append(sid)
    return [sorted(b) for b in buckets if b]


def run_time(moment: datetime) -> datetime:
    """A data-interval bound as a plain aware `datetime` (Airflow hands out pendulum objects,
    whose arithmetic with `timedelta` differs from the stdlib's)."""
    return datetime.fromtimestamp(moment.timestamp(), tz=UTC)


def crawl_summary(report) -> dict:
    """A crawlers.run.CrawlReport as JSON for XCom: totals plus per-source stats."""
    return {"found": report.found, "new": report.new, "failed": report.failed,
            "sources": report.sources, "unreachable": report.unreachable,
            "timed_out": report.timed_out, "elapsed_s": round(report.elapsed, 2),
            "crawl_s": round(report.crawl_seconds, 2)}
