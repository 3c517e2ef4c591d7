"""The effective configuration: the deployment's files plus what people set in the web app.

`effective(files, web_db, now)` is the one function that builds it. The embedded runner calls
it at the start of every cycle (`runner.engine.Engine.refresh_from_web`) and every Airflow task
at the start of its run (`dags/langnghe_common.py`, `Deployment.effective`); both hand the
result to the same stage functions (`runner.stages`), so a setting works in both deployments or
in neither.

From the files — loaded and validated once by `load_files` (a mistake stops the start):
- sources.yaml: the outlets and the evidence retention (`capture_retention_days`);
- watch.yaml: the home province, the watch topics, keyword discovery (`discovery:`);
- alerts.yaml: detection, channels, recipient groups, crisis rules (absent: alerting off).

From the web app's database under the home (`web.sqlite`), read on every call since people
change it at any time, each through the web module that owns it:
- sources added or disabled by admins (`web.sources_admin`);
- watch topics saved by analysts (`web.topics`; a file topic with the same id wins);
- topic mutes still running at `now` (`web.topics`): a muted topic is still matched at
  enrichment and searched by discovery, only its alerts stop;
- recipient groups managed by admins (`web.recipients`; a YAML group with the same name wins).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from langnghe.sources import Registry, load_registry

if TYPE_CHECKING:
    from alerts.config import AlertsConfig
    from nlp.watch import WatchTopic


def _no_sources() -> Registry:
    return Registry(sources=())


@dataclass(frozen=True)
class Files:
    """The deployment's configuration files, loaded and validated."""

    registry: Registry = field(default_factory=_no_sources)
    province: str | None = None
    topics: tuple[WatchTopic, ...] = ()  # in file order
    discovery_minutes: float | None = None  # None: keyword discovery off
    alerts: AlertsConfig | None = None  # None: no alerts file, alerting off


@dataclass(frozen=True)
class Effective:
    """What the stages run with: the files with the web app's settings applied."""

    registry: Registry  # file sources + web additions, web disables applied
    province: str | None
    topics: tuple[WatchTopic, ...]  # file, then web topics: enrichment tags, discovery searches
    muted: dict[str, datetime]  # topic id -> end of its mute, for mutes running at `now`
    alerts: AlertsConfig | None  # with the web's recipient groups; None: alerting off
    discovery_minutes: float | None

    @property
    def alert_topics(self) -> list[WatchTopic]:
        """The topics alert detection watches: every topic not muted."""
        return [t for t in self.topics if t.id not in self.muted]

    @property
    def discovery_topics(self) -> list[WatchTopic] | None:
        """The topics keyword discovery searches; None when discovery is off."""
        return list(self.topics) if self.discovery_minutes else None


def load_alerts(path: str | Path | None) -> AlertsConfig | None:
    """The alerts file, validated, its signing secret checked (a weak one stops the start in
    both deployments); None when there is no file (alerting switched off)."""
    if not path or not Path(path).exists():
        return None
    from alerts.config import load_config

    config = load_config(path)
    config.check_secret()
    return config


def load_files(sources: str | Path | None, watch: str | Path | None, alerts: str | Path | None, *,
               registry: Registry | None = None) -> Files:
    """Load and validate the three files; `registry` stands in for the sources file (the demo's
    replay registry)."""
    from crawlers.discovery import load_discovery_settings
    from nlp.watch import load_watch

    province, topics, minutes = None, [], None
    if watch:
        province, topics = load_watch(watch)
        discovery = load_discovery_settings(watch)
        minutes = discovery.minutes if discovery.enabled else None
    return Files(registry=registry if registry is not None else load_registry(sources),
                 province=province, topics=tuple(topics), discovery_minutes=minutes,
                 alerts=load_alerts(alerts))


def effective(files: Files, web_db: str | Path | None, now: datetime) -> Effective:
    """`files` with the web app's sources, topics, mutes (those running at `now`) and recipient
    groups applied; `web_db` None (or a missing file) leaves the files as they are."""
    from web.recipients import merge_config
    from web.sources_admin import apply_source_overrides
    from web.topics import load_web_topics, merge_topics, muted_topics

    if web_db is None or not Path(web_db).exists():
        return Effective(files.registry, files.province, files.topics, {}, files.alerts,
                         files.discovery_minutes)
    topics = merge_topics(list(files.topics), load_web_topics(web_db))
    # only the source list changes: registry-wide settings (capture_retention_days) stay the file's
    sources = apply_source_overrides(files.registry, web_db).sources
    return Effective(
        registry=files.registry.model_copy(update={"sources": sources}), province=files.province,
        topics=tuple(topics), muted=muted_topics(web_db, now),
        alerts=merge_config(files.alerts, web_db) if files.alerts is not None else None,
        discovery_minutes=files.discovery_minutes)
