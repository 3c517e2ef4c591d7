"""Feed parsing: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed by hand.

`parse_feed(body) -> FeedResult`: entries (link, title, summary, published, and the RSS
`<source url="…">name</source>` an aggregator names the outlet with) and, when the
document is not a feed at all, an error saying what was expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import feedparser

from crawlers.dates import parse_date


@dataclass
class Entry:
    link: str
    title: str = ""
    summary: str = ""
    published: datetime | None = None
    source_url: str = ""  # RSS <source url>: the outlet an aggregator (Google News) links to
    source_name: str = ""


@dataclass
class FeedResult:
    entries: list[Entry] = field(default_factory=list)
    error: str = ""  # empty when the document parsed as a feed


def _struct_time(value: object) -> datetime | None:
    if not value:
        return None
    return datetime(*value[:6], tzinfo=UTC)  # feedparser normalizes to UTC


def _json_feed(body: bytes) -> FeedResult:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        return FeedResult(error=f"expected a JSON Feed, got invalid JSON: {exc}")
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return FeedResult(error="expected a JSON Feed object with an 'items' list")
    entries = []
    for item in data["items"]:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url") or ""
        if isinstance(link, str) and link.startswith(("http://", "https://")):
            entries.append(Entry(link=link, title=str(item.get("title") or ""),
                                 summary=str(item.get("summary") or ""),
                                 published=parse_date(item.get("date_published"))))
    return FeedResult(entries=entries)


def parse_feed(body: bytes) -> FeedResult:
    """Entries of an RSS/Atom/RDF/JSON feed; `error` set when `body` is not a usable feed."""
    if body.lstrip()[:1] == b"{":
        return _json_feed(body)
    parsed = feedparser.parse(body)
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS/Atom root element"
        return FeedResult(error=f"expected an RSS, Atom or JSON feed: {reason}")
    entries = []
    for item in parsed.entries:
        link = item.get("link") or (item.get("id") if str(item.get("id", "")).startswith("http")
                                    else "")
        if link:
            origin = item.get("source") or {}
            entries.append(Entry(link=link.strip(), title=item.get("title", ""),
                                 summary=item.get("summary", ""),
                                 published=_struct_time(item.get("published_parsed")
                                                        or item.get("updated_parsed")),
                                 source_url=str(origin.get("href") or ""),
                                 source_name=str(origin.get("title") or "").strip()))
    return FeedResult(entries=entries)
