"""The crawler's egress guard (crawlers.middlewares.EgressGuardMiddleware) in real crawls.

An outlet replayed on 127.0.0.1 through the host map (the explicit destination of tests and the
demo) lists, in its feed, an article that redirects to a loopback *name* and an article on an
internal address; a second real server on 127.0.0.1 stands for the internal service. Nothing
may reach it unless the allow-list names it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from crawlers.replay import ReplayServer
from crawlers.run import crawl_once
from langnghe.paths import Home
from langnghe.sources import Registry
from tests.connectors.test_spiders import FORUM, crawl, site_routes
from tests.crawlers.conftest import rss
from tests.crawlers.test_crawl import FAST, _spooled
from tests.paths import REPO

FEED = "https://bao.vn/rss/tin-moi.rss"
REDIRECTING = "https://bao.vn/tin/chuyen-huong.html"


@pytest.fixture
def world(articles, tmp_path):
    """(outlet replay, internal server, registry, home, [public URL, internal URLs...])."""
    public, hidden, redirected = articles[0], articles[1], articles[2]
    with ReplayServer({hidden["url"]: hidden["path_abs"], redirected["url"]:
                       redirected["path_abs"]}) as internal, \
            ReplayServer({public["url"]: public["path_abs"]}) as outlet:
        port = internal.base_url.rsplit(":", 1)[1]
        direct = internal.local_url(hidden["url"])  # http://127.0.0.1:PORT/...
        by_name = internal.local_url(redirected["url"]).replace("127.0.0.1", "localhost")
        outlet.add(REDIRECTING, b"", status=302, headers={"Location": by_name})
        outlet.add(FEED, rss(public["url"], REDIRECTING, direct))
        registry = Registry.model_validate({"sources": [
            {"id": "bao", "name": "Báo", "homepage": "https://bao.vn", "poll_minutes": 8,
             "feeds": [{"url": FEED}]}]})
        yield outlet, internal, registry, Home.resolve(tmp_path / "home"), port, public


@pytest.fixture
def articles(articles):
    from tests.paths import WEB
    return [{**a, "path_abs": WEB / a["path"]} for a in articles]


def test_crawl_refuses_a_redirect_to_a_loopback_name_and_a_listed_internal_url(world,
                                                                                monkeypatch):
    outlet, internal, registry, home, _, public = world
    monkeypatch.delenv("LANGNGHE_EGRESS_ALLOW", raising=False)
    report = crawl_once(registry, home, host_map=outlet.host_map, settings=FAST, timeout=120)
    assert internal.requests == []  # neither the listed address nor the redirect reached it
    assert [d.url for d in _spooled(home).values()] == [public["url"]]
    errors = report.sources["bao"]["errors"]
    assert len([e for e in errors if e.startswith("egress: Kết nối bị chặn")]) == 2, errors
    assert any("localhost" in e and "loopback" in e for e in errors), errors


def test_crawl_fetches_an_internal_server_the_allow_list_names(world):
    outlet, internal, registry, home, port, _ = world
    report = crawl_once(registry, home, host_map=outlet.host_map, timeout=120,
                        settings={**FAST, "LANGNGHE_EGRESS_ALLOW": [f"127.0.0.1:{port}"]})
    fetched = [path for path, _ in internal.requests if path != "/robots.txt"]
    assert len(fetched) == 2  # the listed URL and the redirect target, by address
    assert len(_spooled(home)) == 3 and report.sources["bao"]["failed"] == 0


def test_sources_check_goes_through_the_guard(world, monkeypatch):
    from crawlers.reachability import check_reachability
    from tests.egress import allow

    _, internal, _, _, port, _ = world
    feed = internal.base_url + "/robots.txt"
    registry = Registry.model_validate({"sources": [
        {"id": "noi-bo", "name": "Nội bộ", "homepage": "https://noibo.vn", "poll_minutes": 8,
         "feeds": [{"url": feed}]}]})
    monkeypatch.delenv("LANGNGHE_EGRESS_ALLOW", raising=False)
    [(_, _, refused)] = check_reachability(registry, timeout=5)
    assert refused.startswith("egress: Kết nối bị chặn") and internal.requests == []
    allow(monkeypatch, f"127.0.0.1:{port}")
    [(_, _, fetched)] = check_reachability(registry, timeout=5)
    assert fetched == "HTTP 404" and len(internal.requests) == 1


def test_forum_spider_is_guarded_too(tmp_path, monkeypatch):
    """The connectors' spiders (forums, Telegram previews) run their own Scrapy process: a forum
    listed at an internal address is refused there as well."""
    monkeypatch.delenv("LANGNGHE_EGRESS_ALLOW", raising=False)
    routes, _ = site_routes()
    with ReplayServer(routes) as server:
        internal = server.local_url(FORUM)  # the forum, but at 127.0.0.1, not through the map
        job = {"settings": {"LANGNGHE_DOCUMENTS_FILE": str(tmp_path / "docs.jsonl"),
                            "LANGNGHE_CONNECTOR_STATE": str(tmp_path / "state.sqlite"),
                            "LANGNGHE_CAPTURE_DIR": str(tmp_path / "warc"),
                            "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False,
                            "RETRY_ENABLED": False, "LOG_LEVEL": "WARNING"},
               "spiders": [["xenforo", {"forums": [internal]}]]}
        (tmp_path / "job.json").write_text(json.dumps(job))
        done = subprocess.run([sys.executable, "-m", "crawlers.connectors.spiders", "--job",
                               str(tmp_path / "job.json")], cwd=REPO, capture_output=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert server.requests == []
        assert crawl(server, tmp_path, 1)  # through the host map, the same forum is crawled
