"""The effective configuration: the deployment's files plus what people set in the web app
(sources, topics, mutes, recipient groups), through the web modules' own functions on a real
web database, as the runner and the DAG tasks both build it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.config import load_config
from langnghe.paths import Home
from langnghe.sources import Registry, Source
from nlp.watch import topic
from runner import stages
from runner.effective import Files, effective, load_files
from web import recipients, sources_admin, topics

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def public(host: str) -> list[str]:
    """DNS as the web form sees it for a public outlet (no lookup leaves the machine)."""
    return ["14.225.0.1"]


@pytest.fixture
def files() -> Files:
    registry = Registry(capture_retention_days=30, sources=(
        Source(id="vnexpress", name="VnExpress", homepage="https://vnexpress.net"),
        Source(id="baothanhhoa", name="Báo Thanh Hóa", type="local",
               homepage="https://baothanhhoa.vn")))
    return Files(registry=registry, province="Thanh Hóa",
                 topics=(topic("chay-no", "Cháy nổ", "cháy OR nổ"),
                         topic("ngo-doc", "Ngộ độc", '"ngộ độc"')),
                 discovery_minutes=60, alerts=load_config(stages.DEFAULT_ALERTS))


@pytest.fixture
def web_db(tmp_path):
    return Home.resolve(tmp_path).web_db


def test_effective_without_web_database_is_the_files(files, web_db):
    config = effective(files, web_db, NOW)  # no file yet: nobody changed anything
    assert config.registry == files.registry and config.topics == files.topics
    assert config.muted == {} and config.alerts is files.alerts
    assert [t.id for t in config.alert_topics] == ["chay-no", "ngo-doc"]
    assert config.discovery_topics == list(files.topics)


def test_effective_adds_and_disables_web_sources_keeping_registry_settings(files, web_db):
    sources_admin.add_source(web_db, {"id": "baonghean", "name": "Báo Nghệ An", "type": "local",
                                      "homepage": "https://baonghean.vn",
                                      "feeds": ["https://baonghean.vn/rss/home.rss"]},
                             "admin", resolver=public)
    sources_admin.set_disabled(web_db, "vnexpress", True, "admin")
    registry = effective(files, web_db, NOW).registry
    assert [s.id for s in registry.enabled] == ["baothanhhoa", "baonghean"]
    assert registry.get("baonghean").type == "local"
    assert registry.capture_retention_days == 30  # the sources file's, not the default 90


def test_effective_merges_web_topics_and_leaves_muted_ones_out_of_alerting(files, web_db):
    topics.save_topic(web_db, "sat-lo", "Sạt lở", '"sạt lở"', "analyst")
    topics.save_topic(web_db, "chay-no", "Trùng id với tệp", "khác", "analyst")  # the file wins
    topics.mute(web_db, "chay-no", NOW + timedelta(hours=6), NOW, "analyst")
    topics.mute(web_db, "ngo-doc", NOW + timedelta(hours=1), NOW, "analyst")
    config = effective(files, web_db, NOW)
    assert [(t.id, t.name) for t in config.topics] == [
        ("chay-no", "Cháy nổ"), ("ngo-doc", "Ngộ độc"), ("sat-lo", "Sạt lở")]
    assert [t.id for t in config.alert_topics] == ["sat-lo"]
    assert [t.id for t in config.discovery_topics] == ["chay-no", "ngo-doc", "sat-lo"]
    later = effective(files, web_db, NOW + timedelta(hours=2))  # ngo-doc's mute has ended
    assert [t.id for t in later.alert_topics] == ["ngo-doc", "sat-lo"]


def test_effective_adds_web_recipient_groups(files, web_db):
    form = recipients.GroupForm("Trực ban", "webhook", "https://example.com/hook", "info",
                                ("rule",))
    recipients.save_group(web_db, form, "admin", files.alerts)
    config = effective(files, web_db, NOW)
    assert "Trực ban" in {g.name for g in config.alerts.groups}
    assert "Trực ban" not in {g.name for g in files.alerts.groups}


def test_load_files_reads_the_three_files(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text("capture_retention_days: 45\nsources:\n  - id: a\n    name: A\n"
                       "    homepage: https://a.vn\n", encoding="utf-8")
    watch = tmp_path / "watch.yaml"
    watch.write_text("province: Thanh Hóa\ndiscovery: {enabled: false}\ntopics:\n"
                     "  - {id: lu, name: Lũ, query: lũ}\n", encoding="utf-8")
    files = load_files(sources, watch, tmp_path / "absent.yaml")
    assert files.registry.capture_retention_days == 45 and files.province == "Thanh Hóa"
    assert [t.id for t in files.topics] == ["lu"]
    assert files.discovery_minutes is None and files.alerts is None


def test_engine_cycle_applies_the_web_settings_to_context_and_alerting(files, web_db, tmp_path):
    """The runner's refresh is `effective` + `stages.configure`: enrichment matches web topics,
    detection skips muted ones and routes to web groups, collection uses web sources."""
    from nlp.pipeline import EnrichContext
    from runner.engine import Engine
    from store.sqlite import SqliteStore

    home = Home.resolve(tmp_path)
    topics.save_topic(web_db, "sat-lo", "Sạt lở", '"sạt lở"', "analyst")
    topics.mute(web_db, "chay-no", NOW + timedelta(hours=6), NOW, "analyst")
    sources_admin.set_disabled(web_db, "vnexpress", True, "admin")
    recipients.save_group(web_db, recipients.GroupForm(
        "Trực ban", "webhook", "https://example.com/hook", "info", ("rule",)), "admin",
        files.alerts)
    context = EnrichContext(topics=list(files.topics), home_province=files.province)
    setup = stages.alerting(home, stages.DEFAULT_ALERTS, list(files.topics))
    engine = Engine(home, files.registry, SqliteStore(home.store), context=context,
                    alerting=setup, web_db=web_db, discovery_minutes=60)
    engine.refresh_from_web(NOW)
    assert [t.id for t in context.topics] == ["chay-no", "ngo-doc", "sat-lo"]
    assert [t.id for t in setup.topics] == ["ngo-doc", "sat-lo"]
    assert "Trực ban" in {g.name for g in setup.config.groups} and "webhook" in setup.channels
    assert [s.id for s in engine.registry.enabled] == ["baothanhhoa"]
    assert engine.registry.capture_retention_days == 30
