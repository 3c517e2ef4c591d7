"""crawlers.charset: w3lib's charset rules plus the two corrections Vietnamese pages need."""

from __future__ import annotations

import codecs

import pytest
from w3lib.encoding import html_to_unicode

from crawlers.charset import decode_html, header_charset
from tests.crawlers.conftest import to_cp1258, vn_articles
from tests.paths import WEB

TITLE = "Lũ lụt ở Thanh Hóa: người dân sơ tán khẩn cấp"


def test_w3lib_alone_trusts_a_wrong_latin1_header_on_a_utf8_page():
    # why crawlers.charset is more than html_to_unicode: the case it corrects
    _, text = html_to_unicode("text/html; charset=iso-8859-1", f"<title>{TITLE}</title>".encode())
    assert TITLE not in text and "HÃ³a" in text


def test_utf8_page_served_as_latin1_decodes_as_utf8():
    assert TITLE in decode_html(f"<title>{TITLE}</title>".encode(), declared="iso-8859-1")


def test_real_vietnamese_articles_survive_a_wrong_header():
    for article in vn_articles()[:3]:
        raw = (WEB / article["path"]).read_bytes()
        text = decode_html(raw, declared="windows-1252")
        assert text == decode_html(raw, declared="utf-8") and "Ã" not in text


def test_windows1258_page_behind_a_default_utf8_header_follows_its_meta():
    legacy = b'<meta charset="windows-1258"><title>' + to_cp1258(TITLE) + b"</title>"
    assert TITLE in decode_html(legacy, declared="utf-8")


def test_windows1258_page_whose_meta_still_says_utf8():
    # a real Người Lao Động page re-encoded to windows-1258, its <meta> left saying UTF-8;
    # w3lib alone believes the <meta>
    page = (WEB / "nld" / "nld_article.html").read_bytes().decode("utf-8")
    title = "Những sai sót hộ kinh doanh thường gặp khi thực hiện quy định mới về thuế"
    legacy = to_cp1258(page)
    assert b'content="text/html; charset=utf-8"' in legacy[:300]
    assert title not in html_to_unicode("text/html", legacy)[1]
    assert title in decode_html(legacy, declared=None)


@pytest.mark.parametrize("meta", [b'<meta charset="windows-1258">',
                                  b'<meta http-equiv="Content-Type" '
                                  b'content="text/html; charset=windows-1258">', b""])
def test_windows1258_from_meta_or_by_default(meta):
    assert TITLE in decode_html(meta + b"<title>" + to_cp1258(TITLE) + b"</title>")


def test_byte_order_marks_win():
    assert decode_html(codecs.BOM_UTF8 + TITLE.encode()) == TITLE
    assert decode_html(codecs.BOM_UTF16_LE + TITLE.encode("utf-16-le")) == TITLE


@pytest.mark.parametrize("header, expected", [
    ("text/html; charset=UTF-8", "utf-8"), (b"text/html; charset=windows-1258", "cp1258"),
    ('text/html; charset="latin-1"', "cp1252"), ("text/html", None), (None, None),
    ("text/html; charset=no-such-thing", None),
])
def test_header_charset_names_a_python_codec(header, expected):
    assert header_charset(header) == expected
