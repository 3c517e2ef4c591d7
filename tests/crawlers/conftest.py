"""Shared fixtures: the saved Vietnamese pages of ../shared/data/web and their gold."""

import json
import unicodedata

import pytest

from tests.paths import WEB

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def manifest() -> list[dict]:
    return [json.loads(line) for line in (WEB / "manifest.jsonl").read_text("utf-8").splitlines()]


def vn_articles() -> list[dict]:
    return [e for e in manifest() if e["lang"] == "vi" and e["kind"] == "article"
            and not e["path"].startswith("benchmark/")]


def to_cp1258(text: str) -> bytes:
    """Encode Vietnamese the way windows-1258 pages do: tone marks as combining characters."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        out.append(base + "".join(c for c in parts if c in TONES))
    return "".join(out).encode("cp1258")


def rss(*links: str) -> bytes:
    items = "".join(f"<item><title>t{i}</title><link>{link.replace('&', '&amp;')}</link>"
                    f"<pubDate>Sat, 07 Mar 2026 08:00:00 +0700</pubDate></item>"
                    for i, link in enumerate(links))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>test feed</title><link>https://example.org/</link>{items}</channel></rss>"
            ).encode()


@pytest.fixture(scope="session")
def articles() -> list[dict]:
    found = vn_articles()
    assert len(found) >= 8, "the shared web data set lost its Vietnamese article pages"
    return found
