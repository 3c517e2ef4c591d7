import re

import pytest

from crawlers.urls import TRACKING_PARAMS, canonicalize, choose_canonical
from tests.paths import WEB


@pytest.mark.parametrize("raw, expected", [
    ("https://VnExpress.NET/a-1.html?utm_source=fb&utm_medium=x#comments",
     "https://vnexpress.net/a-1.html"),
    ("https://tuoitre.vn/x.htm?fbclid=abc&gclid=1&zarsrc=30&id=5", "https://tuoitre.vn/x.htm?id=5"),
    ("http://dantri.com.vn:80//kinh-doanh//a.htm", "http://dantri.com.vn/kinh-doanh/a.htm"),
    ("https://cafef.vn:8443/a.chn?b=2&a=1", "https://cafef.vn:8443/a.chn?a=1&b=2"),  # sorted
])
def test_canonicalize_drops_tracking_and_normalizes(raw, expected):
    assert canonicalize(raw) == expected


def test_canonicalize_rejects_non_http():
    with pytest.raises(ValueError, match="absolute http"):
        canonicalize("ftp://example.org/file")


def test_canonicalize_keeps_a_meaningful_parameter_the_old_prefix_rule_dropped():
    # NXB Kim Đồng's site (Drupal): `itok` is the image derivative's token; Drupal refuses to
    # build the image without it. The old rule dropped every parameter starting with "ito".
    url = ("https://nxbkimdong.com.vn/sites/default/files/styles/158_auto/public/"
           "vo-chong-lao-twwit.jpg?itok=THfNSW3O")
    assert canonicalize(url) == url
    # the rule, on an invented address: only the named vn_* parameters go
    assert canonicalize("https://example.vn/a?vn_id=7&vn_source=Home") == \
        "https://example.vn/a?vn_id=7"


def test_canonicalize_drops_the_tracking_parameters_vnexpress_pages_set():
    # the names VnExpress's own click-tracking script appends (window.itmSource.vn_*)
    page = (WEB / "vnexpress" / "vnexpress_article.html").read_text(encoding="utf-8")
    names = set(re.findall(r"itmSource\.(vn_[a-z]+)", page))
    assert len(names) >= 8 and names <= set(TRACKING_PARAMS)
    tracked = "https://vnexpress.net/a-1.html?" + "&".join(f"{n}=x" for n in sorted(names))
    assert canonicalize(tracked) == "https://vnexpress.net/a-1.html"


@pytest.mark.parametrize("spelling", [
    "https://vi.wikipedia.org/wiki/Thanh_Hóa",
    "https://vi.wikipedia.org/wiki/Thanh_H%C3%B3a",
    "https://vi.wikipedia.org/wiki/Thanh_H%c3%b3a#Lịch_sử",
])
def test_canonicalize_one_spelling_of_a_vietnamese_path(spelling):
    assert canonicalize(spelling) == "https://vi.wikipedia.org/wiki/Thanh_H%C3%B3a"


def test_canonicalize_vietnamese_query_and_host():
    assert canonicalize("https://thanhnien.vn/tim-kiem?q=lũ lụt") == \
        canonicalize("https://thanhnien.vn/tim-kiem?q=l%C5%A9+l%E1%BB%A5t")
    assert canonicalize("https://Báo.vn/a") == "https://xn--bo-mia.vn/a"


def test_choose_canonical_prefers_same_site_declared_link():
    page = "https://m.vnexpress.net/a-1.html?utm_campaign=z"
    assert choose_canonical(page, "https://vnexpress.net/a-1.html") == "https://vnexpress.net/a-1.html"
    # a canonical on another site (syndication, hijack) is ignored
    assert choose_canonical(page, "https://evil.example/a") == "https://m.vnexpress.net/a-1.html"
    assert choose_canonical(page, None) == "https://m.vnexpress.net/a-1.html"
