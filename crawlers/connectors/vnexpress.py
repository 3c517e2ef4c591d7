"""VnExpress comment-widget responses (JSON) parsed into `comment` Documents.

The endpoint answers `{"error":0, "data":{"total":…, "items":[…]}}`; an item has comment_id,
parent_id (its own id for a top-level comment), article_id, content (HTML), full_name,
creation_time (Unix seconds), userlike and replys.total. A top-level comment's parent is the
article (`document_id(article_url)`, when the article URL is known); a reply's parent is the
comment it answers.
"""

from __future__ import annotations

import re
from datetime import datetime

from crawlers.connectors.text import author, bound_text, engagement, from_unix, html_to_text
from langnghe.document import Document, document_id, utcnow

PLATFORM = "vnexpress"
_ARTICLE_ID = re.compile(r"-(\d+)\.html")


def doc_id(comment_id: object) -> str:
    return document_id(platform=PLATFORM, native_id=str(comment_id))


def article_id(url: str) -> str | None:
    """'https://vnexpress.net/some-title-5101768.html' → '5101768'."""
    match = _ARTICLE_ID.search(url)
    return match.group(1) if match else None


def is_comment_response(data: object) -> bool:
    items = (data.get("data") or {}).get("items") if isinstance(data, dict) and \
        isinstance(data.get("data"), dict) else None
    return isinstance(items, list) and "iscomment" in data or (
        isinstance(items, list) and bool(items) and "comment_id" in items[0])


def comment(item: dict, *, article_url: str | None = None, source_id: str = PLATFORM,
            fetched_at: datetime | None = None) -> Document:
    ident, parent = item["comment_id"], item.get("parent_id")
    base = article_url or f"https://vnexpress.net/{item.get('article_id', '')}"
    url = f"{base}#comment-{ident}"
    if parent and parent != ident:
        parent_id = doc_id(parent)
    else:
        parent_id = document_id(article_url) if article_url else None
    return Document(
        id=doc_id(ident), url=url, canonical_url=url, source_id=source_id, kind="comment",
        text=bound_text(html_to_text(item.get("content") or "")),
        authors=author(item.get("full_name")), published_at=from_unix(item.get("creation_time")),
        fetched_at=fetched_at or utcnow(), parent_id=parent_id,
        engagement=engagement(likes=item.get("userlike"),
                              replies=(item.get("replys") or {}).get("total")))


def parse_comments(data: dict, **kw) -> list[Document]:
    body = data.get("data") or {}
    items = list(body.get("items_pin") or []) + list(body.get("items") or [])
    seen, docs = set(), []
    for item in items:
        if "comment_id" in item and item["comment_id"] not in seen:
            seen.add(item["comment_id"])
            docs.append(comment(item, **kw))
    return docs


def total(data: dict) -> int:
    """How many top-level comments the article has (for paging with offset/limit)."""
    value = (data.get("data") or {}).get("total")
    return value if isinstance(value, int) else 0
