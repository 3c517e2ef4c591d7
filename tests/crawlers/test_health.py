import time
from datetime import timedelta

from crawlers.health import source_health
from crawlers.state import CrawlState
from langnghe.paths import Home
from langnghe.sources import Registry

REGISTRY = Registry.model_validate({"sources": [
    {"id": s, "name": s.title(), "homepage": f"https://{s}.vn", "poll_minutes": 10,
     "feeds": [{"url": f"https://{s}.vn/rss"}]}
    for s in ("fresh", "quiet", "broken", "flaky", "new")]})


def test_source_health_statuses_from_crawl_state(tmp_path):
    home = Home.resolve(tmp_path)
    state = CrawlState(home.crawl_state)
    now = time.time()
    state.success("fresh", now)
    state.item("fresh", now - 60)
    state.success("quiet", now)
    state.item("quiet", now - 2 * 86_400)  # nothing new for two days
    state.success("broken", now - 3600)
    state.error("broken", "dns", "DNS lookup failed", now)
    state.success("flaky", now - 10)
    state.item("flaky", now - 10)
    state.error("flaky", "http 404", "one article gone", now, feed_level=False)
    state.close()
    rows = {h.source_id: h for h in source_health(home, REGISTRY)}
    assert rows["fresh"].status == "ok" and rows["fresh"].items_24h == 1
    assert rows["fresh"].silent_for < timedelta(minutes=5)
    assert rows["quiet"].status == "silent" and rows["quiet"].silent_for > timedelta(days=1)
    assert rows["quiet"].items_24h == 0
    assert rows["broken"].status == "failing" and rows["broken"].last_error_class == "dns"
    assert rows["flaky"].status == "ok" and rows["flaky"].last_error  # article error: shown only
    assert rows["new"].status == "never" and rows["new"].last_success is None


def test_crawl_state_adaptive_interval_bounds(tmp_path):
    state = CrawlState(tmp_path / "s.sqlite")
    poll = 600.0
    intervals = [state.feed_polled("u", "a", poll, new_items=n, etag=None, last_modified=None,
                                   now=0) for n in (3, 3, 3, 3, 0, 0, 0, 0, 0, 0)]
    assert intervals[:4] == [300, 150, 75, 75]  # halves on news, floor = poll/8 (≥ 60 s)
    assert intervals[-1] == poll and all(i <= poll for i in intervals)  # grows back, capped
    state.close()
