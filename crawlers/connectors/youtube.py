"""YouTube Data API v3 responses (videos, commentThreads, comments) parsed into Documents.

Videos are `post`s (title, description as text, channel as author and section, statistics as
engagement). Top-level comments are `comment`s whose parent is the video; replies (inline in a
commentThread or from comments.list) have the top-level comment as parent. Text is
`textOriginal` when the response has it, else `textDisplay` converted from HTML.
"""

from __future__ import annotations

from datetime import datetime

from crawlers.connectors.text import (
    author,
    bound_text,
    bound_title,
    engagement,
    html_to_text,
    parse_time,
    tidy,
)
from langnghe.document import Document, document_id, utcnow

PLATFORM = "youtube"
KINDS = ("youtube#videoListResponse", "youtube#commentThreadListResponse",
         "youtube#commentListResponse", "youtube#searchListResponse",
         "youtube#playlistItemListResponse")


def doc_id(native_id: str) -> str:
    return document_id(platform=PLATFORM, native_id=native_id)


def video_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def comment_url(video_id: str | None, comment_id: str) -> str:
    """A comment's address: the video page highlighting it (`lc=`); `lc` alone if unknown."""
    return f"{video_url(video_id)}&lc={comment_id}" if video_id else \
        f"https://www.youtube.com/watch?lc={comment_id}"


def video(item: dict, *, source_id: str = PLATFORM, fetched_at: datetime | None = None) -> Document:
    snippet, stats = item.get("snippet") or {}, item.get("statistics") or {}
    url = video_url(item["id"])
    return Document(
        id=doc_id(item["id"]), url=url, canonical_url=url, source_id=source_id, kind="post",
        title=bound_title(snippet.get("title", "")),
        text=bound_text(tidy(snippet.get("description", ""))),
        authors=author(snippet.get("channelTitle")), section=snippet.get("channelTitle", ""),
        language=(snippet.get("defaultLanguage") or "vi")[:8],
        published_at=parse_time(snippet.get("publishedAt")), fetched_at=fetched_at or utcnow(),
        engagement=engagement(views=_int(stats.get("viewCount")),
                              likes=_int(stats.get("likeCount")),
                              replies=_int(stats.get("commentCount"))))


def comment(item: dict, *, video_id: str | None = None, parent_native: str | None = None,
            replies: int | None = None, source_id: str = PLATFORM,
            fetched_at: datetime | None = None) -> Document:
    """One `youtube#comment` resource; parent = `parentId`, else `parent_native`, else video."""
    snippet = item.get("snippet") or {}
    video_id = snippet.get("videoId") or video_id
    parent = snippet.get("parentId") or parent_native
    text = snippet.get("textOriginal")
    text = tidy(text) if text is not None else html_to_text(snippet.get("textDisplay", ""))
    url = comment_url(video_id, item["id"])
    return Document(
        id=doc_id(item["id"]), url=url, canonical_url=url, source_id=source_id, kind="comment",
        text=bound_text(text), authors=author(snippet.get("authorDisplayName")),
        published_at=parse_time(snippet.get("publishedAt")), fetched_at=fetched_at or utcnow(),
        parent_id=doc_id(parent) if parent else (doc_id(video_id) if video_id else None),
        engagement=engagement(likes=snippet.get("likeCount"), replies=replies))


def parse_videos(data: dict, **kw) -> list[Document]:
    return [video(item, **kw) for item in data.get("items", []) if item.get("id")]


def parse_comment_threads(data: dict, **kw) -> list[Document]:
    """Top-level comments and the replies the API inlined (`part=replies`)."""
    docs = []
    for thread in data.get("items", []):
        snippet = thread.get("snippet") or {}
        top = snippet.get("topLevelComment")
        if not top:
            continue
        video_id = snippet.get("videoId")
        docs.append(comment(top, video_id=video_id, replies=snippet.get("totalReplyCount"), **kw))
        for reply in (thread.get("replies") or {}).get("comments", []):
            docs.append(comment(reply, video_id=video_id, parent_native=top["id"], **kw))
    return docs


def parse_comments(data: dict, *, video_id: str | None = None, **kw) -> list[Document]:
    """Replies from comments.list(parentId=…): parent is the comment they answer."""
    return [comment(item, video_id=video_id, **kw) for item in data.get("items", [])]


def video_ids(data: dict) -> list[str]:
    """Video ids from a search.list or playlistItems.list response, in order."""
    ids = []
    for item in data.get("items", []):
        ident = item.get("id")
        found = (ident.get("videoId") if isinstance(ident, dict) else None) or \
            (item.get("contentDetails") or {}).get("videoId") or \
            ((item.get("snippet") or {}).get("resourceId") or {}).get("videoId")
        if found:
            ids.append(found)
    return ids


def parse_response(data: dict, **kw) -> list[Document]:
    """Any of the supported list responses, by its `kind`."""
    kind = data.get("kind")
    if kind == "youtube#videoListResponse":
        return parse_videos(data, **kw)
    if kind == "youtube#commentThreadListResponse":
        return parse_comment_threads(data, **kw)
    if kind == "youtube#commentListResponse":
        return parse_comments(data, **kw)
    return []  # search / playlist responses list ids, not documents


def _int(value: object) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
