"""Google News article links: the decoder of URLs embedded in old-style ids, tested on ids built
by encoding real outlet URLs in Google's protobuf layout, and real crawls (ReplayServer standing
in for news.google.com) where a decodable id is fetched straight from its outlet and an opaque
one ends as `unresolved`, not as a parse error."""

from __future__ import annotations

import base64

import pytest

from crawlers.discovery import (
    discovery_health,
    google_query,
    is_google_article,
    proposed_sources,
    search_feed_url,
    url_in_article_id,
)
from crawlers.replay import ReplayServer
from crawlers.run import crawl_once
from langnghe.paths import Home
from langnghe.sources import Registry
from tests.crawlers.conftest import vn_articles
from tests.crawlers.test_discovery import DANTRI, FAST, TOPIC, _hits, _spooled, google_news_rss


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def string_field(number: int, value: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(value)) + value


def article_id(url: str, amp: str | None = "", header: bytes = b"\x08\x13") -> bytes:
    """Google's old id layout: field 1 = 19, field 4 = the URL, field 26 = the AMP URL (or
    empty, as Google writes it when there is none; None leaves the field out)."""
    tail = b"" if amp is None else string_field(26, amp.encode())
    return header + string_field(4, url.encode()) + tail


def google_link(raw: bytes, padded: bool = False, path: str = "/rss/articles/") -> str:
    token = base64.urlsafe_b64encode(raw).decode()
    return f"https://news.google.com{path}{token if padded else token.rstrip('=')}?oc=5"


def real_urls() -> list[str]:
    """The real Vietnamese article URLs of the shared web data (Google only lists URLs)."""
    urls = sorted({e["url"] for e in vn_articles() if str(e.get("url")).startswith("http")})
    assert len(urls) >= 8, "the shared web data set lost its Vietnamese article pages"
    return urls


# -- the decoder ------------------------------------------------------------------------------
def test_url_in_article_id_decodes_real_urls_in_every_layout():
    urls = real_urls()
    assert any(len(u.encode()) >= 128 for u in urls)  # two-byte lengths are exercised
    for url in urls:
        amp = url.replace("https://", "https://amp.", 1)
        for raw in (article_id(url), article_id(url, amp), article_id(url, None)):
            for padded in (False, True):
                assert url_in_article_id(google_link(raw, padded)) == url
        assert url_in_article_id(google_link(article_id(url), path="/articles/")) == url
        assert url_in_article_id(google_link(article_id(url), path="/__i/rss/rd/articles/")) \
            == url


def test_url_in_article_id_reads_past_junk_around_the_url():
    url = DANTRI[0]
    # junk after the URL field: appended bytes, and a dangling base64 character
    assert url_in_article_id(google_link(article_id(url) + b"\xff\xfe\x00junk")) == url
    assert url_in_article_id(google_link(article_id(url)).replace("?oc", "A?oc")) == url
    # an unknown header before it (a wire type protobuf does not have)
    assert url_in_article_id(google_link(article_id(url, header=b"\x0f\x07\x08\x13"))) == url


@pytest.mark.parametrize("link", [
    google_link(b"\x08\x13\x22\x19AU_yqLtestopaquetoken0001"),  # newer id: an opaque token
    google_link(article_id("not a url at all")),
    google_link(article_id("javascript:alert(1)")),
    google_link(article_id(DANTRI[0])[:40]),  # cut inside the URL: its length does not fit
    google_link(bytes(range(256))),
    google_link(b""),
    "https://news.google.com/rss/articles/%%%%?oc=5",
    "https://news.google.com/rss/articles/A?oc=5",
    "https://news.google.com/rss/search?q=vang",
    google_link(article_id(DANTRI[0])).replace("news.google.com", "evil.example"),
    "",
])
def test_url_in_article_id_is_none_without_a_url(link):
    assert url_in_article_id(link) is None


def test_is_google_article_tells_google_links_from_articles():
    assert is_google_article(google_link(article_id(DANTRI[0])))
    assert not is_google_article(DANTRI[0])
    assert not is_google_article(search_feed_url("vàng"))


# -- real crawls ------------------------------------------------------------------------------
NLD = "https://nld.com.vn"


def test_discovery_fetches_decoded_ids_from_the_outlet_and_counts_opaque_ids_unresolved(
        tmp_path):
    encoded = google_link(article_id(DANTRI[0], DANTRI[0].replace("https://", "https://amp.")))
    script_page = google_link(b"\x08\x13\x22\x19AU_yqLtestopaquetoken0001")  # 200, no redirect
    missing = google_link(b"\x08\x13\x22\x19AU_yqLtestopaquetoken0002")  # Google answers 404
    feed_url = search_feed_url(google_query(TOPIC.node))
    feed = google_news_rss([("Giá vàng giảm", encoded, "https://dantri.com.vn", "Dân trí"),
                            ("Giá vàng", script_page, NLD, "Người Lao Động"),
                            ("Vàng", missing, NLD, "Người Lao Động")])
    registry = Registry.model_validate({"sources": [
        {"id": "vnexpress", "name": "VnExpress", "homepage": "https://vnexpress.net"}]})
    home = Home.resolve(tmp_path / "home")
    server = ReplayServer({feed_url: feed, DANTRI[0]: DANTRI[1],
                           script_page: b"<html><body><script>/* Google */</script></body></html>"})
    with server:
        report = crawl_once(registry, home, host_map=server.host_map, timeout=120,
                            settings=FAST, connectors=False, due_only=False, topics=[TOPIC])
        stats = report.sources["discovery:gia-vang"]
        assert (stats["found"], stats["new"], stats["failed"]) == (3, 1, 2), stats
        [doc] = _spooled(home)
        assert (doc.url, doc.source_id) == (DANTRI[0], "discovered:dantri.com.vn")
        assert _hits(server, DANTRI[0]) == 1 and _hits(server, encoded) == 0  # no Google call
        assert sorted(e.split(":", 1)[0] for e in stats["errors"]) == ["unresolved"] * 2
        [health] = discovery_health(home)
        assert health.last_error_class == "unresolved" and health.last_success is not None
        assert [p.domain for p in proposed_sources(home)] == ["dantri.com.vn"]

        server.add(feed_url, feed.replace(b"</channel>", b"<!-- rebuilt --></channel>"))
        again = crawl_once(registry, home, host_map=server.host_map, timeout=120,
                           settings=FAST, connectors=False, due_only=False, topics=[TOPIC])
        assert again.sources["discovery:gia-vang"]["failed"] == 0  # not asked again
        assert _hits(server, script_page) == 1 and _hits(server, missing) == 1
