"""Decode fetched HTML to text: w3lib's charset sniffing, in an order fit for Vietnamese sites.

w3lib (Scrapy's own helper) reads the byte-order mark, the HTTP header's charset and the page's
`<meta>` declaration, with the WHATWG names (latin-1 means windows-1252). Its `html_to_unicode`
trusts them in that order, but Vietnamese sites often declare the wrong charset: a UTF-8 page
served as ISO-8859-1, or a windows-1258 page whose header or `<meta>` still says UTF-8 — and
w3lib then returns mojibake ("Thanh HÃ³a") or replacement characters
(tests/crawlers/test_charset.py). So the order here is:

1. a byte-order mark;
2. UTF-8, when the bytes are valid UTF-8 and not plain ASCII (valid multi-byte UTF-8
   practically never arises by accident in a legacy 8-bit encoding, so it beats a wrong header);
3. the declared charset, HTTP header first, then `<meta>`, except UTF-8, which step 2 has just
   shown to be wrong;
4. windows-1258, the legacy Vietnamese code page.

Output is NFC, since windows-1258 writes tones as combining marks.
"""

from __future__ import annotations

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    to_unicode,
)

from langnghe.vietnamese import nfc

LEGACY = "cp1258"  # windows-1258


def header_charset(content_type: str | bytes | None) -> str | None:
    """The charset of a Content-Type header as a Python codec name, if any and known."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return http_content_type_encoding(content_type or "")


def decode_html(body: bytes, declared: str | None = None) -> str:
    """Text of an HTML page; `declared` is the HTTP header's charset, if any."""
    bom, mark = read_bom(body)  # 1
    if bom:
        return nfc(to_unicode(body[len(mark):], bom))
    if not body.isascii():  # 2
        try:
            return nfc(body.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    for name in (header_charset(f"charset={declared}") if declared else None,  # 3
                 html_body_declared_encoding(body)):
        if name and name != "utf-8":
            return nfc(to_unicode(body, name))
    return nfc(to_unicode(body, LEGACY))  # 4
