import pytest

from crawlers.feeds import parse_feed
from crawlers.sitemaps import parse_sitemap
from tests.paths import WEB

FEEDS = WEB / "feeds"


@pytest.mark.parametrize("name, count", [
    ("vnexpress_the-gioi_rss_excerpt.xml", 1),  # RSS 2.0
    ("rss-feed-standard-realworld.xml", 38),
    ("atom-feed-standard-realworld.xml", 38),  # Atom
    ("rdf-standard.xml", 3),  # RSS 1.0 (RDF)
    ("json-feed-standard-realworld.json", 10),  # JSON Feed
    ("npr_technology_feed.json", 25),
])
def test_parse_feed_reads_every_format(name, count):
    result = parse_feed((FEEDS / name).read_bytes())
    assert result.error == "" and len(result.entries) == count
    assert all(e.link.startswith("http") for e in result.entries)
    assert all(e.published is None or e.published.tzinfo for e in result.entries)


def test_parse_feed_vnexpress_entry_fields():
    [entry] = parse_feed((FEEDS / "vnexpress_the-gioi_rss_excerpt.xml").read_bytes()).entries
    assert entry.link == "https://vnexpress.net/israel-noi-got-my-roi-hoi-dong-nhan-quyen-lhq-4846612.html"
    assert entry.title == "Israel nối gót Mỹ rời Hội đồng Nhân quyền LHQ"
    assert entry.published.isoformat() == "2025-02-06T13:30:48+00:00"  # 20:30:48 +07:00


@pytest.mark.parametrize("body", [b"<html><body>maintenance</body></html>", b"{not json",
                                  b'{"version": "x"}', b""])
def test_parse_feed_malformed_gives_error_not_entries(body):
    result = parse_feed(body)
    assert result.entries == [] and result.error.startswith("expected")


def test_parse_sitemap_urlset_index_and_news_tags():
    sitemap = parse_sitemap((FEEDS / "sitemaps.org_sitemap.xml").read_bytes())
    assert sitemap.error == "" and len(sitemap.urls) == 84
    assert sitemap.urls[0].loc == "https://www.sitemaps.org/" and sitemap.urls[0].lastmod
    index = parse_sitemap(b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                          b"<sitemap><loc>https://a.vn/news-1.xml</loc></sitemap></sitemapindex>")
    assert index.children == ["https://a.vn/news-1.xml"] and index.urls == []
    news = parse_sitemap(
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://a.vn/x</loc>'
        b"<news:news><news:publication_date>2026-03-07T08:00:00+07:00</news:publication_date>"
        b"<news:title>Tin</news:title></news:news></url></urlset>")
    assert news.urls[0].title == "Tin"
    assert news.urls[0].lastmod.isoformat() == "2026-03-07T08:00:00+07:00"
    assert parse_sitemap(b"<rss/>").error.startswith("expected <urlset>")
