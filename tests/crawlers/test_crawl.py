"""Real Scrapy crawls (subprocess via crawl_once) against ReplayServer serving the saved pages."""

import socket
import time

import pytest

from crawlers.context import listening_sockets
from crawlers.health import source_health
from crawlers.replay import ReplayServer, routes_from_manifest
from crawlers.run import crawl_once
from crawlers.state import CrawlState
from langnghe.document import document_id
from langnghe.paths import Home
from langnghe.sources import Registry
from langnghe.spool import Spool
from tests.crawlers.conftest import rss, to_cp1258
from tests.paths import WEB

FAST = {"DOWNLOAD_DELAY": 0, "LANGNGHE_BACKOFF_BASE": 0}  # a local server needs no politeness
OUTLETS = ("vnexpress.net", "tuoitre.vn", "dantri.com.vn", "vietnamnet.vn", "nld.com.vn",
           "cafef.vn")


def _registry(*sources: dict) -> Registry:
    return Registry.model_validate({"sources": [
        {"name": s["id"].upper(), "homepage": f"https://{s['id']}.example", "poll_minutes": 8, **s}
        for s in sources]})


def _feed_url(host: str) -> str:
    return f"https://{host}/rss/test.rss"


def _spooled(home: Home) -> dict:
    docs = {}
    for path in sorted((home.spool / "new").glob("*.jsonl")):
        for doc in Spool(home.spool)._read(path):
            docs[doc.id] = doc
    return docs


@pytest.fixture
def outlet_world(articles, tmp_path):
    """One source per outlet whose test feed lists that outlet's real article URLs."""
    routes = dict(routes_from_manifest(WEB))
    sources = []
    for host in OUTLETS:
        links = [e["url"] for e in articles if host in e["url"]]
        links[0] += "?utm_source=rss&fbclid=XYZ#top"  # tracking junk: same article
        routes[_feed_url(host)] = rss(*links)
        sources.append({"id": host.split(".")[0], "feeds": [{"url": _feed_url(host)}]})
    with ReplayServer(routes) as server:
        yield server, _registry(*sources), Home.resolve(tmp_path / "home")


def test_crawl_once_spools_every_feed_article_with_canonical_ids(outlet_world, articles):
    server, registry, home = outlet_world
    report = crawl_once(registry, home, host_map=server.host_map, timeout=120,
                        settings={**FAST, "LANGNGHE_SPOOL_BATCH": 3})
    assert report.totals == {"found": len(articles), "new": len(articles), "failed": 0}
    batches = list((home.spool / "new").glob("*.jsonl"))
    assert len(batches) == -(-len(articles) // 3)  # small batches: a kill loses little
    docs = _spooled(home)
    for entry in articles:
        doc = docs[document_id(entry["url"])]  # canonical URL: tracking params dropped
        assert doc.canonical_url == entry["url"] and doc.kind == "article"
        assert doc.title and doc.text and doc.published_at and doc.source_name
        if "title" in entry["gold"]:
            assert doc.title == entry["gold"]["title"]
    assert report.listening_sockets == 0  # no telnet console, no remote-control server


def test_crawl_second_run_uses_conditional_get_and_seen_memory(outlet_world, articles):
    server, registry, home = outlet_world
    crawl_once(registry, home, host_map=server.host_map, settings=FAST, timeout=120)
    # validators are stored only once every entry of a feed was seen: the second poll re-reads
    # the feeds (finding nothing new), the third is conditional
    server.requests.clear()
    report = crawl_once(registry, home, host_map=server.host_map, due_only=False, settings=FAST,
                        timeout=120)
    feed_requests = [h for p, h in server.requests if p.endswith("/rss/test.rss")]
    assert not any("If-None-Match" in h for h in feed_requests)
    assert report.totals["new"] == 0 and report.totals["found"] == len(articles)
    server.requests.clear()
    report = crawl_once(registry, home, host_map=server.host_map, due_only=False, settings=FAST,
                        timeout=120)
    feed_requests = [h for p, h in server.requests if p.endswith("/rss/test.rss")]
    assert len(feed_requests) == len(OUTLETS)
    assert all("If-None-Match" in h for h in feed_requests)
    assert report.totals == {"found": 0, "new": 0, "failed": 0}  # all 304
    # the feed gains one item beside the old ones: only the new one is fetched
    host = "vnexpress.net"
    old = [e["url"] for e in articles if host in e["url"]]
    new_url = "https://vnexpress.net/bai-moi-1234567.html"
    server.add(new_url, (WEB / "vnexpress/vnexpress_article.html").read_bytes().replace(
        b"cach-cac-nuoc-doi-pho-cu-soc-nang-luong-tu-trung-dong-5047363", b"bai-moi-1234567"))
    server.add(_feed_url(host), rss(new_url, *old))
    server.requests.clear()
    report = crawl_once(registry, home, host_map=server.host_map, due_only=False, settings=FAST,
                        timeout=120)
    fetched = [p for p, _ in server.requests if not p.endswith((".rss", "robots.txt"))]
    assert fetched == ["/vnexpress.net/bai-moi-1234567.html"]
    assert report.sources["vnexpress"]["found"] == len(old) + 1
    assert report.sources["vnexpress"]["new"] == 1


def test_crawl_adapts_feed_interval_and_skips_feeds_not_due(outlet_world):
    server, registry, home = outlet_world
    crawl_once(registry, home, host_map=server.host_map, settings=FAST, timeout=120)
    state = CrawlState(home.crawl_state)
    poll_s = 8 * 60
    first = state.feed(_feed_url("cafef.vn"), "cafef", poll_s).interval_s
    assert first < poll_s  # new items: poll sooner
    crawl_once(registry, home, host_map=server.host_map, due_only=False, settings=FAST, timeout=120)
    assert first < state.feed(_feed_url("cafef.vn"), "cafef", poll_s).interval_s <= poll_s
    server.requests.clear()
    crawl_once(registry, home, host_map=server.host_map, settings=FAST, timeout=120)  # none due
    assert not [p for p, _ in server.requests if p.endswith(".rss")]
    state.close()


def test_crawl_bad_inputs_record_errors_and_produce_no_documents(tmp_path):
    article = (WEB / "nld/nld_article.html").read_bytes()
    title = "Những sai sót hộ kinh doanh thường gặp khi thực hiện quy định mới về thuế"
    legacy = article.decode("utf-8").replace('charset="utf-8"', 'charset="windows-1258"')
    routes = {
        _feed_url("broken.vn"): b"<html><body>Trang bao tri</body></html>",
        _feed_url("junk.vn"): rss("https://junk.vn/listing.htm", "https://junk.vn/huge.htm"),
        "https://junk.vn/listing.htm": WEB / "dantri/dantri_list.html",
        "https://junk.vn/huge.htm": b"<html>" + b"x" * (6 * 1024 * 1024) + b"</html>",
        _feed_url("charset.vn"): rss("https://charset.vn/a-1.htm", "https://charset.vn/b-2.htm"),
        "https://charset.vn/a-1.htm": to_cp1258(legacy),
        "https://charset.vn/b-2.htm": article,
        _feed_url("robots.vn"): rss("https://robots.vn/private/a.htm"),
        "https://robots.vn/robots.txt": b"User-agent: *\nDisallow: /private/\n",
        "https://robots.vn/private/a.htm": article,
    }
    headers = {"https://charset.vn/a-1.htm": {"Content-Type": "text/html"},
               "https://charset.vn/b-2.htm": {"Content-Type": "text/html; charset=iso-8859-1"}}
    registry = _registry(*({"id": h.split(".")[0], "feeds": [{"url": _feed_url(f"{h}")}]}
                           for h in ("broken.vn", "junk.vn", "charset.vn", "robots.vn")),
                         {"id": "offline", "feeds": [{"url": "https://nowhere.invalid/rss.xml"},
                                                     {"url": "https://nowhere.invalid/b.xml"}]})
    home = Home.resolve(tmp_path / "home")
    with ReplayServer(routes, headers=headers) as server:
        started = time.monotonic()
        report = crawl_once(registry, home, host_map=server.host_map, settings=FAST, timeout=120)
        assert time.monotonic() - started < 30  # unreachable host fails fast
        robots_fetched = [p for p, _ in server.requests if p.startswith("/robots.vn/private")]
    s = report.sources
    assert s["broken"]["failed"] == 1 and s["broken"]["errors"][0].startswith("parse: expected")
    assert s["junk"]["new"] == 0 and s["junk"]["failed"] == 2
    assert any(e.startswith("parse: not an article") for e in s["junk"]["errors"])
    assert any(e.startswith("too-large") for e in s["junk"]["errors"])
    assert s["offline"]["failed"] == 1 and s["offline"]["errors"][0].startswith("dns")
    assert report.unreachable == ["offline"] and report.failed == 4
    assert s["robots"]["new"] == 0 and not robots_fetched
    docs = list(_spooled(home).values())
    # windows-1258 without a header charset, and UTF-8 under a wrong ISO-8859-1 header
    assert s["charset"]["new"] == 2 and [d.title for d in docs] == [title, title]
    assert {d.source_id for d in docs} == {"charset"} and "Nghị định 68" in docs[0].text
    health = {h.source_id: h for h in source_health(home, registry)}
    assert health["offline"].status == "failing" and health["offline"].last_error
    assert health["charset"].status == "ok" and health["charset"].items_24h >= 1
    assert health["broken"].status == "failing"


def test_crawl_sitemap_spider_fetches_recent_news_urls(articles, tmp_path):
    url = next(e["url"] for e in articles if "cafef.vn" in e["url"])
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    sitemap = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>{url}</loc><news:news><news:publication_date>{now}</news:publication_date>"
        "<news:title>t</news:title></news:news></url>"
        "<url><loc>https://cafef.vn/old.chn</loc><lastmod>2020-01-01</lastmod></url></urlset>")
    routes = {**routes_from_manifest(WEB), "https://cafef.vn/sitemap-news.xml": sitemap.encode()}
    registry = _registry({"id": "cafef", "sitemaps": ["https://cafef.vn/sitemap-news.xml"]})
    home = Home.resolve(tmp_path / "home")
    with ReplayServer(routes) as server:
        report = crawl_once(registry, home, host_map=server.host_map, settings=FAST, timeout=120)
    assert report.sources["cafef"] == {"found": 1, "new": 1, "failed": 0, "errors": []}
    assert document_id(url) in _spooled(home)


def test_health_reports_never_for_unpolled_sources(tmp_path):
    registry = _registry({"id": "quiet", "feeds": [{"url": "https://quiet.vn/rss"}]})
    [row] = source_health(Home.resolve(tmp_path), registry)
    assert row.status == "never" and row.silent_for is None and row.items_24h == 0


@pytest.mark.parametrize("setting", ["TELNETCONSOLE_ENABLED", "REMOTE_CONTROL_ENABLED"])
def test_crawl_socket_check_would_catch_an_enabled_console(setting, tmp_path):
    registry = _registry({"id": "a", "feeds": [{"url": "https://a.vn/rss"}]})
    with ReplayServer({"https://a.vn/rss": rss()}) as server:
        report = crawl_once(registry, Home.resolve(tmp_path), host_map=server.host_map,
                            settings={**FAST, setting: True}, timeout=60)
    assert report.listening_sockets >= 1  # the default settings (tested above) give 0


def test_listening_sockets_sees_a_listening_server():
    before = listening_sockets()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert listening_sockets() == before + 1


def test_crawl_once_stops_a_hung_crawl_at_its_time_limit(tmp_path):
    with socket.socket() as hung:  # accepts connections (backlog) but never answers
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        local = f"http://127.0.0.1:{hung.getsockname()[1]}/slow.vn"
        registry = _registry({"id": "slow", "feeds": [{"url": "https://slow.vn/rss"}]})
        started = time.monotonic()
        report = crawl_once(registry, Home.resolve(tmp_path), host_map={"https://slow.vn": local},
                            timeout=4)
    assert report.timed_out and report.new == 0
    assert time.monotonic() - started < 4 + 5 + 3  # limit + kill grace + process start
