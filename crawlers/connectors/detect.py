"""Recognise what a saved page or API response is and parse it: `detect_and_parse`.

Order: 1. JSON (YouTube by `kind`; VnExpress comment widget; Facebook Graph), 2. XenForo pages
(by the template name on `<html id="XF">`), 3. Telegram channel previews, 4. anything else is
treated as an article page and handed to `crawlers.extract.extract_article`.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime

from crawlers.connectors import facebook, telegram, vnexpress, xenforo, youtube
from crawlers.urls import canonicalize
from langnghe.document import (
    MAX_LEAD_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    Document,
    document_id,
)

YOUTUBE_KINDS = {"youtube#videoListResponse": "youtube_videos",
                 "youtube#commentThreadListResponse": "youtube_comment_threads",
                 "youtube#commentListResponse": "youtube_comments",
                 "youtube#searchListResponse": "youtube_search",
                 "youtube#playlistItemListResponse": "youtube_playlist"}


def _json(data: bytes) -> object | None:
    head = data.lstrip()[:1]
    if head not in (b"{", b"["):
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _parse_json(data: object, url: str | None) -> tuple[str, list[Document]] | None:
    if not isinstance(data, dict):
        return None
    if data.get("kind") in YOUTUBE_KINDS:  # 1a. YouTube
        return YOUTUBE_KINDS[data["kind"]], youtube.parse_response(data)
    if vnexpress.is_comment_response(data):  # 1b. VnExpress comment widget
        article = url if url and vnexpress.article_id(url) else None
        return "vnexpress_comments", vnexpress.parse_comments(data, article_url=article)
    kind, docs = facebook.parse_response(data)  # 1c. Facebook Graph
    return (kind, docs) if kind != "facebook_unknown" else None


def _article(data: bytes, url: str | None) -> tuple[str, list[Document]]:
    from crawlers.extract import extract_article  # the article stage, loaded only when needed
    page = extract_article(data, url)
    if not page.is_article:
        return "unknown", []
    canonical = page.canonical_url or (canonicalize(url) if url else None)
    if not canonical:
        return "article", []  # an article with no address cannot have an id
    return "article", [Document(
        id=document_id(canonical), url=url or canonical, canonical_url=canonical,
        source_id="parse", kind="article", title=page.title[:MAX_TITLE_CHARS],
        lead=page.lead[:MAX_LEAD_CHARS], text=page.text[:MAX_TEXT_CHARS],
        authors=page.authors[:20], language=page.language or "vi",
        published_at=page.published_at, section=page.section)]


def detect_and_parse(data: bytes, url: str | None = None) -> tuple[str, list[Document]]:
    """(what it is, the documents it yields). Kinds: forum_thread, forum_thread_list,
    telegram, youtube_videos, youtube_comment_threads, youtube_comments, youtube_search,
    youtube_playlist, facebook_feed, facebook_post, facebook_comments, vnexpress_comments,
    article, unknown. A thread list yields no documents (see `xenforo.parse_thread_list`)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    parsed = _json(data)
    if parsed is not None:
        return _parse_json(parsed, url) or ("unknown", [])
    tree = xenforo.parse_tree(data)
    if tree is None:
        return "unknown", []
    template = xenforo.template(tree)
    if template == "thread_view":  # 2. XenForo
        return "forum_thread", xenforo.parse_thread(data, url)
    if template == "forum_view":
        return "forum_thread_list", []
    if telegram.is_preview(data):  # 3. Telegram
        return "telegram", telegram.parse_preview(data, url)
    return _article(data, url)  # 4. article page


def document_line(doc: Document, detected: str) -> dict:
    """The JSON line `langnghe parse` prints for one document."""
    return {"detected": detected, "kind": doc.kind, "id": doc.id, "author": doc.authors,
            "published_at": _iso(doc.published_at), "title": doc.title, "lead": doc.lead,
            "text": doc.text, "parent": doc.parent_id, "engagement": doc.engagement,
            "section": doc.section, "url": doc.url, "source_id": doc.source_id}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
