import pytest

from crawlers.urls import canonicalize, choose_canonical


@pytest.mark.parametrize("raw, expected", [
    ("https://VnExpress.NET/a-1.html?utm_source=fb&utm_medium=x#comments",
     "https://vnexpress.net/a-1.html"),
    ("https://tuoitre.vn/x.htm?fbclid=abc&gclid=1&zarsrc=30&id=5", "https://tuoitre.vn/x.htm?id=5"),
    ("http://dantri.com.vn:80//kinh-doanh//a.htm", "http://dantri.com.vn/kinh-doanh/a.htm"),
    ("https://cafef.vn:8443/a.chn?b=2&a=1", "https://cafef.vn:8443/a.chn?b=2&a=1"),
])
def test_canonicalize_drops_tracking_and_normalizes(raw, expected):
    assert canonicalize(raw) == expected


def test_canonicalize_rejects_non_http():
    with pytest.raises(ValueError, match="absolute http"):
        canonicalize("ftp://example.org/file")


def test_choose_canonical_prefers_same_site_declared_link():
    page = "https://m.vnexpress.net/a-1.html?utm_campaign=z"
    assert choose_canonical(page, "https://vnexpress.net/a-1.html") == "https://vnexpress.net/a-1.html"
    # a canonical on another site (syndication, hijack) is ignored
    assert choose_canonical(page, "https://evil.example/a") == "https://m.vnexpress.net/a-1.html"
    assert choose_canonical(page, None) == "https://m.vnexpress.net/a-1.html"
