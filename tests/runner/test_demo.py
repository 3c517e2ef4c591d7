"""`langnghe demo`'s replay: the fictional corpus goes through the real crawl → index flow."""

from __future__ import annotations

from langnghe.paths import Home
from runner import stages
from runner.demo import DemoReplay, load_corpus
from store.sqlite import SqliteStore


def test_demo_corpus_flows_through_crawl_and_index_and_releases_new_articles(tmp_path):
    home = Home.resolve(tmp_path / "home")
    replay = DemoReplay(home, release_every=3600).start()
    store = SqliteStore(home.store)
    context = stages.enrich_context(home)
    try:
        _, articles = load_corpus()
        past = [a for a in articles if a.hours <= 0]
        report = stages.collect(replay.registry, home, host_map=replay.host_map, due_only=False)
        assert report.failed == 0
        stages.ingest(home, store, context=context)
        assert store.count() == len(past)

        released = replay.release_next()
        assert "Cháy" in released.title
        stages.collect(replay.registry, home, host_map=replay.host_map, due_only=False)
        stages.ingest(home, store, context=context)
        assert store.count() == len(past) + 1
        hit = store.search("chay cho").hits[0].doc
        assert hit.title == released.title
        assert hit.source_name.endswith("(demo)")
        assert hit.authors == [released.author]
        assert "chay-no" in hit.nlp.topics  # the watch topics of config/watch.yaml
    finally:
        replay.stop()
        store.close()


def test_demo_pages_are_labelled_as_demo_data(tmp_path):
    replay = DemoReplay(Home.resolve(tmp_path / "home")).start()
    try:
        import httpx

        article = replay.published()[0]
        page = httpx.get(replay.server.local_url(article.url), timeout=5).text
        assert "DỮ LIỆU DEMO" in page and "hư cấu" in page.lower()
    finally:
        replay.stop()
