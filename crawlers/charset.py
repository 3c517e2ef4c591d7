"""Decode fetched HTML to text: servers often declare the wrong charset.

Order: a byte-order mark; then UTF-8 when the bytes are valid UTF-8 and not plain ASCII (valid
multi-byte UTF-8 practically never arises by accident in a legacy 8-bit encoding, so it beats a
wrong header); then the declared charset (HTTP header, then `<meta>`); then windows-1258, the
legacy Vietnamese code page. Output is NFC, since windows-1258 writes tones as combining marks.
"""

from __future__ import annotations

import codecs
import re

from langnghe.vietnamese import nfc

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
SNIFF_BYTES = 4096  # <meta charset> must be within the first 1024 bytes per HTML; be generous


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def header_charset(content_type: str | bytes | None) -> str | None:
    """The charset parameter of a Content-Type header, if any and known to Python."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    m = re.search(r"charset\s*=\s*\"?([\w.:-]+)", content_type or "", re.I)
    return _known(m.group(1)) if m else None


def decode_html(body: bytes, declared: str | None = None) -> str:
    """Text of an HTML page; `declared` is the HTTP header charset, if any."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return nfc(body.decode(name, errors="replace"))
    if not body.isascii():
        try:
            return nfc(body.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    meta = _META_CHARSET.search(body[:SNIFF_BYTES])
    for name in (_known(declared), _known(meta.group(1).decode("ascii")) if meta else None):
        if name and name not in ("utf-8", "ascii"):
            return nfc(body.decode(name, errors="replace"))
    return nfc(body.decode("cp1258", errors="replace"))
