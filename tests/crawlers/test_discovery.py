"""Keyword discovery: query translation, Google News item handling, and real Scrapy crawls of a
Google News search feed (in the real feed's format) against ReplayServer, whose Google links
answer 302 to real saved article pages served under their real URLs."""

import base64
import urllib.request
from datetime import UTC, datetime
from email.utils import format_datetime
from types import SimpleNamespace
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from crawlers.discovery import (
    DiscoveryConfigError,
    article_link,
    discovery_health,
    google_query,
    load_discovery_settings,
    outlet_domain,
    proposed_sources,
    search_feed_url,
    url_in_article_id,
)
from crawlers.feeds import parse_feed
from crawlers.replay import ReplayServer
from crawlers.run import crawl_once
from langnghe.paths import Home
from langnghe.query import parse
from langnghe.sources import Registry
from langnghe.spool import Spool
from tests.paths import REPO, WEB

FAST = {"DOWNLOAD_DELAY": 0, "LANGNGHE_BACKOFF_BASE": 0}  # a local server needs no politeness
REAL_GOOGLE_FEED = WEB / "feeds" / "rss-feed-standard-realworld.xml"
DANTRI = ("https://dantri.com.vn/kinh-doanh/gia-vang-giam-van-cao-hon-the-gioi-gan-20-trieu-"
          "dongluong-20260307080054340.htm", WEB / "dantri" / "dantri_article.html")
VNEXPRESS = ("https://vnexpress.net/cach-cac-nuoc-doi-pho-cu-soc-nang-luong-tu-trung-dong-"
             "5047363.html", WEB / "vnexpress" / "vnexpress_article.html")


# -- query translation --------------------------------------------------------------------------
@pytest.mark.parametrize("query, expected", [
    ('cháy AND NOT "diễn tập"', 'cháy -"diễn tập"'),
    ("bão OR lũ", "bão OR lũ"),
    ("(bão OR lũ) source:vnexpress", "bão OR lũ"),
    ('title:"ngộ độc" kind:article', '"ngộ độc"'),
    ("thanh*", "thanh"),
    ("NOT (bão OR lũ) Thanh Hóa", "-bão -lũ Thanh Hóa"),
    ("(bão lũ) OR sạt", "(bão lũ) OR sạt"),
    ('"Thanh Hoá" ngập', '"Thanh Hoá" ngập'),  # diacritics kept as typed (NFC)
])
def test_google_query_translates_the_engine_syntax(query, expected):
    assert google_query(parse(query)) == expected


@pytest.mark.parametrize("query", ["source:vnexpress", "-bão", "NOT (a b)", ""])
def test_google_query_is_none_without_a_positive_term(query):
    assert google_query(parse(query)) is None


def test_google_query_of_the_shipped_watch_topics_means_the_same_query():
    topics = yaml.safe_load((REPO / "config" / "watch.yaml").read_text("utf-8"))["topics"]
    assert topics
    for topic in topics:
        translated = google_query(parse(topic["query"]))
        # the Google syntax is a subset of ours: read back, it is the very same query tree
        assert parse(translated) == parse(topic["query"]), topic["id"]


def test_search_feed_url_asks_the_vietnamese_edition_for_the_query():
    query = '"Thanh Hóa" -"diễn tập"'
    parts = urlsplit(search_feed_url(query))
    params = parse_qs(parts.query)
    assert (parts.netloc, parts.path) == ("news.google.com", "/rss/search")
    assert params == {"q": [query], "hl": ["vi"], "gl": ["VN"], "ceid": ["VN:vi"]}


# -- Google News items ------------------------------------------------------------------------
def test_url_in_article_id_reads_the_outlet_url_of_real_google_news_items():
    entries = parse_feed(REAL_GOOGLE_FEED.read_bytes()).entries
    assert len(entries) > 20
    for entry in entries:
        url = url_in_article_id(entry.link)
        assert url and outlet_domain(url).endswith(outlet_domain(entry.source_url)), entry.link


def _opaque_link(n: int) -> str:
    """A Google News link in the current format: the id holds an opaque token, not the URL."""
    token = f"AU_yqLtestopaquetoken{n:04d}".encode()
    raw = b"\x08\x13\x22" + bytes([len(token)]) + token
    return ("https://news.google.com/rss/articles/"
            + base64.urlsafe_b64encode(raw).decode().rstrip("=") + "?oc=5")


def test_article_link_prefers_a_direct_outlet_link_then_the_id_then_the_redirect():
    google = _opaque_link(1)
    direct = f'<a href="{DANTRI[0]}">x</a>'
    assert article_link(google, direct, "dantri.com.vn") == DANTRI[0]
    assert article_link(google, direct, "vnexpress.net") == google  # not the item's outlet
    old_style = parse_feed(REAL_GOOGLE_FEED.read_bytes()).entries[0].link
    assert article_link(old_style, "", "cnn.com").startswith("https://www.cnn.com/2022/07/27/")
    assert url_in_article_id(google) is None


# -- settings ---------------------------------------------------------------------------------
def test_load_discovery_settings_defaults_and_validates(tmp_path):
    path = tmp_path / "watch.yaml"
    path.write_text("topics: []\n", encoding="utf-8")
    assert (load_discovery_settings(path).enabled, load_discovery_settings(path).minutes) \
        == (True, 60.0)
    path.write_text("discovery: {minutes: 120, enabled: false}\ntopics: []\n", encoding="utf-8")
    assert (load_discovery_settings(path).enabled, load_discovery_settings(path).minutes) \
        == (False, 120.0)
    path.write_text("discovery: {minutes: 1}\n", encoding="utf-8")
    with pytest.raises(DiscoveryConfigError, match="expected a number of minutes from 15"):
        load_discovery_settings(path)
    path.write_text("discovery: {every: 5}\n", encoding="utf-8")
    with pytest.raises(DiscoveryConfigError, match="only `enabled`"):
        load_discovery_settings(path)


# -- ReplayServer redirects ---------------------------------------------------------------------
def test_replay_answers_a_route_with_its_status_and_headers():
    link = _opaque_link(9)
    with ReplayServer({link: b""}) as server:
        server.add(link, b"", status=302, headers={"Location": DANTRI[0]})
        opener = urllib.request.build_opener(_NoRedirect())
        with pytest.raises(HTTPError) as err:
            opener.open(server.local_url(link))
        assert (err.value.code, err.value.headers["Location"]) == (302, DANTRI[0])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# -- real crawls ------------------------------------------------------------------------------
def google_news_rss(items: list[tuple[str, str, str, str]]) -> bytes:
    """A search feed in Google News' real format (see REAL_GOOGLE_FEED): (title, link, outlet
    URL, outlet name) per item."""
    now = format_datetime(datetime.now(UTC), usegmt=True)
    body = "".join(
        f"<item><title>{title} - {name}</title><link>{link}</link>"
        f'<guid isPermaLink="false">{link[-12:]}</guid><pubDate>{now}</pubDate>'
        f"<description>&lt;a href=\"{link}\" target=\"_blank\"&gt;{title}&lt;/a&gt;&amp;nbsp;"
        f"&amp;nbsp;&lt;font color=\"#6f6f6f\"&gt;{name}&lt;/font&gt;</description>"
        f'<source url="{site}">{name}</source></item>'
        for title, link, site, name in items)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss version="2.0" '
            'xmlns:media="http://search.yahoo.com/mrss/"><channel><generator>NFE/5.0</generator>'
            '<title>"giá vàng" - Google News</title><link>https://news.google.com/search?q=x'
            '</link><language>vi</language><webMaster>news-webmaster@google.com</webMaster>'
            f"<copyright>2026 Google LLC</copyright><lastBuildDate>{now}</lastBuildDate>"
            f"<description>Google News</description>{body}</channel></rss>").encode()


TOPIC = SimpleNamespace(id="gia-vang", name="Giá vàng", node=parse('"giá vàng" OR "vàng"'))


@pytest.fixture
def google_world(tmp_path):
    """A registry with VnExpress only; a topic whose Google News feed lists a VnExpress and a
    Dân Trí article behind Google redirect links."""
    registry = Registry.model_validate({"sources": [
        {"id": "vnexpress", "name": "VnExpress", "homepage": "https://vnexpress.net"}]})
    feed_url = search_feed_url(google_query(TOPIC.node))
    links = [_opaque_link(1), _opaque_link(2)]
    feed = google_news_rss([("Năng lượng", links[0], "https://vnexpress.net", "VnExpress"),
                            ("Giá vàng giảm", links[1], "https://dantri.com.vn", "Dân trí")])
    server = ReplayServer({feed_url: feed, VNEXPRESS[0]: VNEXPRESS[1], DANTRI[0]: DANTRI[1]})
    for link, target in zip(links, (VNEXPRESS[0], DANTRI[0]), strict=True):
        server.add(link, b"", status=302, headers={"Location": target})
    with server:
        yield server, registry, Home.resolve(tmp_path / "home"), feed_url, feed


def _crawl(server, registry, home, due_only=False):
    return crawl_once(registry, home, host_map=server.host_map, timeout=120, settings=FAST,
                      connectors=False, due_only=due_only, topics=[TOPIC])


def _spooled(home: Home) -> list:
    return [doc for path in sorted((home.spool / "new").glob("*.jsonl"))
            for doc in Spool(home.spool)._read(path)]


def _hits(server, url: str) -> int:
    path = server.local_url(url)[len(server.base_url):]
    return sum(1 for p, _ in server.requests if p == path)


def test_discovery_spools_unknown_outlets_once_and_proposes_them(google_world):
    server, registry, home, feed_url, feed = google_world
    report = _crawl(server, registry, home)
    stats = report.sources["discovery:gia-vang"]
    assert (stats["found"], stats["new"], stats["failed"]) == (2, 1, 0), stats
    docs = _spooled(home)
    assert len(docs) == 1
    doc = docs[0]
    assert (doc.source_id, doc.source_name, doc.kind) == ("discovered:dantri.com.vn", "Dân trí",
                                                          "article")
    assert doc.url == DANTRI[0] and "vàng" in doc.title.lower() and len(doc.text) > 500
    assert _hits(server, _opaque_link(2)) == 1  # reached through Google's redirect
    assert _hits(server, _opaque_link(1)) == _hits(server, VNEXPRESS[0]) == 0  # a registry
    # outlet: its own feeds cover it
    [health] = discovery_health(home)
    assert health.source_id == "discovery:gia-vang" and health.last_success is not None
    [proposal] = proposed_sources(home)
    assert (proposal.domain, proposal.name, proposal.articles, proposal.example_url,
            proposal.topic_ids) == ("dantri.com.vn", "Dân trí", 1, DANTRI[0], ("gia-vang",))
    assert proposed_sources(home, registry.model_copy(update={"sources": (
        *registry.sources, registry.sources[0].model_copy(
            update={"id": "dantri", "homepage": "https://dantri.com.vn"}))})) == []

    server.add(feed_url, feed.replace(b"</channel>", b"<!-- rebuilt --></channel>"))
    again = _crawl(server, registry, home)  # the feed changed, its items did not
    assert again.sources["discovery:gia-vang"]["found"] == 2
    assert again.new == 0 and len(_spooled(home)) == 1
    assert _hits(server, DANTRI[0]) == 1 and proposed_sources(home)[0].articles == 1

    polls = _hits(server, feed_url)
    _crawl(server, registry, home, due_only=True)  # polled minutes ago: not due for an hour
    assert _hits(server, feed_url) == polls


def test_discovery_reports_a_malformed_search_feed_without_crashing(google_world):
    server, registry, home, feed_url, _ = google_world
    server.add(feed_url, b"<!doctype html><html><body>Before you continue to Google"
                         b"</body></html>", headers={"Content-Type": "text/html"})
    report = _crawl(server, registry, home)
    stats = report.sources["discovery:gia-vang"]
    assert report.returncode == 0 and stats["failed"] == 1 and stats["new"] == 0
    assert "gia-vang" in stats["errors"][0] and "expected an RSS, Atom or JSON feed" \
        in stats["errors"][0]
    assert _spooled(home) == [] and proposed_sources(home) == []
    assert [h.last_error_class for h in discovery_health(home)] == ["parse"]
