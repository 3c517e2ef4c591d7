"""An outage is one incident, not one per outlet: failures with a common cause in one cycle.

The first test is the reported case end to end: a real offline crawl (crawl_once, names that
cannot resolve), the crawler's health report, the alert cycle and its outbox. The others judge
`alerts.health.check_sources` on records where only the timing and the neighbours differ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.config import AlertsConfig
from alerts.digest import build_digest
from alerts.engine import run_detection
from alerts.health import SourceHealth, check_sources, from_crawler
from alerts.outbox import Outbox
from crawlers.health import source_health
from crawlers.replay import ReplayServer
from crawlers.run import crawl_once
from langnghe.paths import Home
from langnghe.sources import Registry
from store.sqlite import SqliteStore
from tests.crawlers.test_crawl import FAST

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def _source(sid: str, feed: str) -> dict:
    return {"id": sid, "name": f"Báo {sid}", "homepage": f"https://{sid}.vn", "poll_minutes": 8,
            "feeds": [{"url": feed}]}


def test_offline_cycle_opens_one_outage_naming_the_outlets_and_keeps_a_lone_failure(tmp_path):
    # thirteen outlets whose names cannot resolve (.invalid never does), one answering 404
    sources = [_source(f"bao{i}", f"https://bao{i}.invalid/rss") for i in range(13)]
    sources.append(_source("baoloi", "https://baoloi.vn/rss/khong-co.rss"))
    registry = Registry.model_validate({"sources": sources})
    home = Home.resolve(tmp_path / "home")
    with ReplayServer({"https://baoloi.vn/robots.txt": b"User-agent: *\n"}) as server:
        report = crawl_once(registry, home, host_map=server.host_map, settings=FAST,
                            timeout=120, connectors=False)
    assert sorted(report.unreachable) == sorted(f"bao{i}" for i in range(13))
    now = datetime.now(UTC)
    health = [from_crawler(row, now) for row in source_health(home, registry)]
    store = SqliteStore(tmp_path / "store.sqlite")
    box = Outbox(tmp_path / "alerts.sqlite")
    try:
        run_detection(store, AlertsConfig(), now, outbox=box, registry=registry,
                      crisis_rules=[], source_health=health)
        opened = {a.key: a for a in box.open_alerts() if a.kind == "source_health"}
        problems = build_digest(store, now, None, health)["source_problems"]
    finally:
        box.close()
        store.close()
    assert sorted(opened) == ["health:outage:dns", "health:source:baoloi"]
    outage = opened["health:outage:dns"]
    assert outage.severity == "warning" and outage.title.startswith("Sự cố kết nối: 13 nguồn")
    assert [name for name, _ in outage.explanation.outlets] == [f"Báo bao{i}" for i in range(13)]
    assert ", ".join(f"Báo bao{i}" for i in range(13)) in outage.explanation.reason
    assert "http 404" in opened["health:source:baoloi"].explanation.reason
    assert [p["source"] for p in problems] == [outage.title, "Báo baoloi"]  # the daily digest


def _failing(sid: str, cause: str, at: datetime) -> SourceHealth:
    return SourceHealth(sid, None, (), f"Báo {sid}", consecutive_failures=3,
                        last_error=f"{cause}: lỗi", error_class=cause, failed_at=at)


def _reached(sid: str, at: datetime) -> SourceHealth:
    return SourceHealth(sid, at, (), f"Báo {sid}", polled_at=at)


def test_a_few_dead_domains_among_reachable_outlets_keep_their_own_alerts():
    dead = [_failing(f"chet{i}", "dns", NOW - timedelta(seconds=i)) for i in range(3)]
    alive = [_reached(f"song{i}", NOW - timedelta(seconds=30)) for i in range(20)]
    alerts = check_sources(dead + alive, NOW)
    assert sorted(a.key for a in alerts) == [f"health:source:chet{i}" for i in range(3)]


def test_failures_of_different_cycles_or_causes_are_not_one_outage():
    spread = [_failing(f"b{i}", "dns", NOW - timedelta(hours=i)) for i in range(4)]
    assert all(a.key.startswith("health:source:") for a in check_sources(spread, NOW))
    mixed = [_failing("a", "dns", NOW), _failing("b", "connect", NOW),
             _failing("c", "http 503", NOW), _failing("d", "timeout", NOW)]
    assert len([a for a in check_sources(mixed, NOW) if "source" in a.key]) == 4


def test_a_proxy_down_is_one_connect_outage_beside_the_lone_http_failure():
    down = [_failing(f"b{i}", "connect", NOW - timedelta(seconds=i)) for i in range(5)]
    alone = _failing("x", "http 500", NOW)
    reached = [_reached("y", NOW - timedelta(seconds=5))]
    alerts = {a.key: a for a in check_sources([*down, alone, *reached], NOW)}
    assert sorted(alerts) == ["health:outage:connect", "health:source:x"]
    assert alerts["health:outage:connect"].explanation.count == 5
