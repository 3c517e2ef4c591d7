"""Keyword discovery in the collect DAG: `dag.test()` of langnghe_collect with a watch file that
switches discovery on, and a ReplayServer standing in for news.google.com (host map) as well as
the outlets. The Google News search feed of the watch topic lists an article of a registry
outlet (skipped: its own feed covers it) and one of an outlet outside the registry, behind an
old-style Google link whose id carries the article URL: that article reaches the spool as
`discovered:<domain>` and its outlet is proposed; the registry outlet is crawled once, by its
group."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from crawlers.discovery import google_query, proposed_sources, search_feed_url
from crawlers.replay import ReplayServer
from langnghe.paths import Home
from langnghe.query import parse
from langnghe.spool import Spool
from tests.crawlers.test_discovery import DANTRI, VNEXPRESS, google_news_rss
from tests.crawlers.test_google_links import string_field
from tests.dags.conftest import xcoms
from tests.runner.conftest import rss

QUERY = '"giá vàng" OR "vàng"'
VNEXPRESS_FEED = "https://vnexpress.net/rss/kinh-doanh.rss"


def google_link(url: str) -> str:
    """A Google News link whose id carries `url` (field 4 of the id's protobuf)."""
    raw = b"\x08\x13" + string_field(4, url.encode()) + string_field(26, b"")
    return "https://news.google.com/rss/articles/" \
        + base64.urlsafe_b64encode(raw).decode().rstrip("=") + "?oc=5"


def _config(folder, server) -> dict[str, str]:
    (folder / "sources.yaml").write_text(
        "sources:\n  - id: vnexpress\n    name: VnExpress\n    homepage: https://vnexpress.net\n"
        f"    type: national\n    poll_minutes: 5\n    feeds:\n      - url: {VNEXPRESS_FEED}\n",
        encoding="utf-8")
    (folder / "watch.yaml").write_text(
        "province: Thanh Hóa\ndiscovery:\n  enabled: true\n  minutes: 15\ntopics:\n"
        f"  - id: gia-vang\n    name: Giá vàng\n    query: '{QUERY}'\n", encoding="utf-8")
    (folder / "hostmap.json").write_text(json.dumps(server.host_map), encoding="utf-8")
    return {"LANGNGHE_HOME": str(folder / "home"), "LANGNGHE_SOURCES": str(folder / "sources.yaml"),
            "LANGNGHE_WATCH": str(folder / "watch.yaml"),
            "LANGNGHE_HOST_MAP": str(folder / "hostmap.json"), "LANGNGHE_COLLECT_GROUPS": "2"}


@pytest.fixture(scope="module")
def run(dagbag, airflow_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("discovery")
    feed = google_news_rss([
        ("Năng lượng", google_link(VNEXPRESS[0]), "https://vnexpress.net", "VnExpress"),
        ("Giá vàng giảm", google_link(DANTRI[0]), "https://dantri.com.vn", "Dân trí")])
    server = ReplayServer({search_feed_url(google_query(parse(QUERY))): feed,
                           VNEXPRESS_FEED: rss([VNEXPRESS[0]]), VNEXPRESS[0]: VNEXPRESS[1],
                           DANTRI[0]: DANTRI[1]})
    saved = dict(os.environ)
    with server:
        os.environ.update(_config(folder, server))
        try:
            dag = dagbag.get_dag("langnghe_collect")
            now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
            result = dag.test(logical_date=now)
            yield {"state": result.state, "home": Home.resolve(folder / "home"),
                   "server": server, **{t.task_id: xcoms(result, t.task_id) for t in dag.tasks}}
        finally:
            os.environ.clear()
            os.environ.update(saved)


def test_collect_dag_discovery_spools_the_discovered_article_and_proposes_its_outlet(run):
    assert run["state"] == "success"
    (discovery,) = run["discover"]
    stats = discovery["sources"]["discovery:gia-vang"]
    assert (stats["found"], stats["new"], stats["failed"]) == (2, 1, 0), stats
    assert set(discovery["sources"]) == {"discovery:gia-vang"}  # no outlet crawled again
    home = run["home"]
    docs = [d for path in sorted((home.spool / "new").glob("*.jsonl"))
            for d in Spool(home.spool)._read(path)]
    by_source = {d.source_id: d.url for d in docs}
    assert by_source == {"discovered:dantri.com.vn": DANTRI[0], "vnexpress": VNEXPRESS[0]}
    [proposal] = proposed_sources(home)
    assert (proposal.domain, proposal.topic_ids) == ("dantri.com.vn", ("gia-vang",))
    (total,) = run["report"]
    assert total["discovery"] == {"found": 2, "new": 1, "failed": 0}
    assert total["new"] == 2  # the group's VnExpress article and the discovered one


def test_collect_dag_discovery_polls_google_once_per_cycle(run):
    server = run["server"]
    searches = [p for p, _ in server.requests if p.startswith("/news.google.com/rss/search")]
    assert len(searches) == 1
    assert not any("/rss/articles/" in p for p, _ in server.requests)  # the id named the URL
