"""The one spool pipeline in the news crawl: a batch counts as seen only once it is in the spool.
A real crawl (crawl_once, ReplayServer with the real outlet pages) whose spool write fails on the
second batch stops, records nothing it did not spool, and the next run delivers the rest: every
article exactly once over both runs — from the same, unchanged feeds: a feed's validators are
stored only once all its entries were seen, so the second poll is a full GET, not a 304."""

import json
from collections import Counter

from crawlers.run import crawl_once
from crawlers.state import CrawlState
from tests.crawlers.test_crawl import (  # noqa: F401 (outlet_world is a fixture)
    FAST,
    OUTLETS,
    _spooled,
    outlet_world,
)

BATCH = 3


def _delivered(home) -> Counter:
    """Document id → how many times it reached the spool."""
    return Counter(json.loads(line)["id"] for path in (home.spool / "new").glob("*.jsonl")
                   for line in path.read_text(encoding="utf-8").splitlines())


def test_spool_pipeline_failed_write_commits_nothing_and_next_run_delivers_the_rest(
        outlet_world, articles, monkeypatch):  # noqa: F811
    server, registry, home = outlet_world
    monkeypatch.setenv("LANGNGHE_TEST_BREAK_AT", "2")
    broken = crawl_once(registry, home, host_map=server.host_map, timeout=120, settings={
        **FAST, "LANGNGHE_SPOOL_BATCH": BATCH,
        "LANGNGHE_SPOOL_CLASS": "tests.connectors.faults.FailingSpool"})
    assert broken.returncode == 0 and broken.new == BATCH  # the first batch only
    state = CrawlState(home.crawl_state)
    try:
        seen = {u for (u,) in state.db.execute("SELECT url FROM seen")}
    finally:
        state.close()
    assert {d.canonical_url for d in _spooled(home).values()} <= seen
    assert len(_spooled(home)) == BATCH < len(articles)

    server.requests.clear()
    again = crawl_once(registry, home, host_map=server.host_map, timeout=120,
                       settings={**FAST, "LANGNGHE_SPOOL_BATCH": BATCH}, due_only=False)
    assert again.new == len(articles) - BATCH
    delivered = _delivered(home)
    assert len(delivered) == len(articles) and set(delivered.values()) == {1}
    feed_requests = [h for p, h in server.requests if p.endswith("/rss/test.rss")]
    assert len(feed_requests) == len(OUTLETS) and not any("If-None-Match" in h
                                                          for h in feed_requests)
