"""Telegram public channels through their web preview (`https://t.me/s/<channel>`).

Each message block (`div.tgme_widget_message[data-post="<channel>/<n>"]`) becomes a `post`
Document: id from `telegram:<channel>/<n>`, author the channel's display name, views from
'33.4K' style counters, time from the date link's `<time datetime>` (UTC on the page).
A forwarded message keeps its origin in `lead` as `Forwarded from: <name> (<url>)`, since
the Document has no field of its own for it; the text stays the message alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from lxml.html import HtmlElement

from crawlers.connectors.text import (
    author,
    bound_text,
    engagement,
    node_text,
    parse_time,
    tidy,
)
from crawlers.connectors.xenforo import parse_tree
from langnghe.document import MAX_LEAD_CHARS, Document, document_id, utcnow

PLATFORM = "telegram"
FORWARD_MARKER = "Forwarded from: "
_BEFORE = re.compile(r"[?&]before=(\d+)")


@dataclass
class Message:
    channel: str
    number: int
    document: Document


def is_preview(data: bytes | str) -> bool:
    head = data[:200_000] if isinstance(data, bytes) else data[:200_000].encode()
    return b"tgme_widget_message" in head and b"data-post=" in head


def _text(block: HtmlElement) -> str:
    """The message's own text (not a replied-to message's, not a link preview's)."""
    for node in block.cssselect("div.tgme_widget_message_text"):
        inside = node.iterancestors()
        if not any("tgme_widget_message_reply" in (a.get("class") or "") or
                   "link_preview" in (a.get("class") or "") for a in inside):
            return bound_text(node_text(node))
    return _poll(block)


def _poll(block: HtmlElement) -> str:
    """A poll's question and options, one per line (a poll has no message text)."""
    question = block.cssselect(".tgme_widget_message_poll_question")
    options = block.cssselect(".tgme_widget_message_poll_option_text")
    lines = [tidy(n.text_content()) for n in question + options]
    return bound_text("\n".join(line for line in lines if line))


def _forwarded(block: HtmlElement) -> str:
    link = block.cssselect("a.tgme_widget_message_forwarded_from_name") or \
        block.cssselect(".tgme_widget_message_forwarded_from_name")
    if not link:
        return ""
    name, href = tidy(link[0].text_content()), link[0].get("href")
    return (FORWARD_MARKER + name + (f" ({href})" if href else ""))[:MAX_LEAD_CHARS]


def _message(block: HtmlElement, source_id: str, fetched_at: datetime) -> Message | None:
    channel, _, number = (block.get("data-post") or "").partition("/")
    if not channel or not number.isdigit():
        return None
    owner = block.cssselect(".tgme_widget_message_owner_name")
    views = block.cssselect(".tgme_widget_message_views")
    stamp = block.cssselect("a.tgme_widget_message_date time") or block.cssselect("time[datetime]")
    url = f"https://t.me/{channel}/{number}"
    doc = Document(
        id=document_id(platform=PLATFORM, native_id=f"{channel}/{number}"), url=url,
        canonical_url=url, source_id=source_id, kind="post", text=_text(block),
        lead=_forwarded(block), authors=author(owner[0].text_content() if owner else channel),
        published_at=parse_time(stamp[0].get("datetime")) if stamp else None,
        fetched_at=fetched_at, section=channel,
        engagement=engagement(views=views[0].text_content().strip() if views else None))
    return Message(channel, int(number), doc)


def parse_messages(data: bytes | str, url: str | None = None, *, source_id: str = PLATFORM,
                   fetched_at: datetime | None = None) -> list[Message]:
    tree = parse_tree(data)
    if tree is None:
        return []
    moment = fetched_at or utcnow()
    found = (_message(b, source_id, moment) for b in tree.cssselect("div.tgme_widget_message"))
    return [m for m in found if m is not None]


def parse_preview(data: bytes | str, url: str | None = None, *, source_id: str = PLATFORM,
                  fetched_at: datetime | None = None) -> list[Document]:
    """Every message on a channel preview page (or a saved single message block)."""
    return [m.document for m in parse_messages(data, url, source_id=source_id,
                                               fetched_at=fetched_at)]


def older_page(data: bytes | str, url: str) -> str | None:
    """The preview page of older messages (`<link rel="prev" href="/s/x?before=N">`)."""
    tree = parse_tree(data)
    link = tree.cssselect("link[rel=prev]") if tree is not None else []
    href = link[0].get("href") if link else None
    return urljoin(url, href) if href and _BEFORE.search(href) else None
