"""Facebook Graph API responses (page feed/posts, one post, comments) parsed into Documents.

Posts are `post`s with id `facebook:<page id>_<post id>`; comments are `comment`s with id
`facebook:<post id>_<comment id>`. When a comment lacks `id` (fields not requested), it is
rebuilt from its `permalink_url` (`…/posts/<post>/?comment_id=<c>&reply_comment_id=<r>`).
Parent: a reply → the comment it answers; a top-level comment → the post. Engagement: like /
reaction totals, comment counts and shares, whichever the response carries.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from crawlers.connectors.text import author, bound_text, engagement, parse_time, tidy
from langnghe.document import Document, document_id, utcnow

PLATFORM = "facebook"
_PERMALINK = re.compile(r"facebook\.com/(\d+)/posts/(\d+)")


def doc_id(native_id: str) -> str:
    return document_id(platform=PLATFORM, native_id=native_id)


def _summary(item: dict, edge: str) -> int | None:
    value = (item.get(edge) or {}).get("summary", {}).get("total_count")
    return value if isinstance(value, int) else None


def _likes(item: dict) -> int | None:
    if isinstance(item.get("like_count"), int):
        return item["like_count"]
    return _summary(item, "reactions") if _summary(item, "reactions") is not None \
        else _summary(item, "like")


def post(item: dict, *, source_id: str = PLATFORM, fetched_at: datetime | None = None) -> Document:
    url = item.get("permalink_url") or f"https://www.facebook.com/{item['id']}"
    return Document(
        id=doc_id(item["id"]), url=url, canonical_url=url, source_id=source_id, kind="post",
        text=bound_text(tidy(item.get("message") or item.get("story") or "")),
        authors=author((item.get("from") or {}).get("name")),
        published_at=parse_time(item.get("created_time")), fetched_at=fetched_at or utcnow(),
        engagement=engagement(likes=_likes(item), replies=_summary(item, "comments"),
                              shares=(item.get("shares") or {}).get("count")))


def _comment_ids(item: dict, post_native: str | None) -> tuple[str | None, str | None]:
    """(native id, parent native id) of a comment, from `id`/`parent` or its permalink."""
    link = item.get("permalink_url") or ""
    query = parse_qs(urlsplit(link).query)
    match = _PERMALINK.search(link)
    post_part = match.group(2) if match else (post_native or "").rpartition("_")[2] or None
    if post_native is None and match:
        post_native = f"{match.group(1)}_{match.group(2)}"
    native = item.get("id")
    if not native and post_part and "comment_id" in query:
        last = query.get("reply_comment_id", query["comment_id"])[0]
        native = f"{post_part}_{last}"
    parent = (item.get("parent") or {}).get("id")
    if not parent and "reply_comment_id" in query and post_part:
        parent = f"{post_part}_{query['comment_id'][0]}"
    return native, parent or post_native


def comment(item: dict, *, post_native: str | None = None, source_id: str = PLATFORM,
            fetched_at: datetime | None = None) -> Document | None:
    native, parent = _comment_ids(item, post_native)
    if not native:
        return None
    url = item.get("permalink_url") or f"https://www.facebook.com/{native}"
    return Document(
        id=doc_id(native), url=url, canonical_url=url, source_id=source_id, kind="comment",
        text=bound_text(tidy(item.get("message") or "")),
        authors=author((item.get("from") or {}).get("name")), parent_id=doc_id(parent) if
        parent else None, published_at=parse_time(item.get("created_time")),
        fetched_at=fetched_at or utcnow(),
        engagement=engagement(likes=item.get("like_count"), replies=item.get("comment_count")))


def is_comment_list(data: dict) -> bool:
    items = data.get("data") or []
    return bool(items) and all("comment_count" in i or "parent" in i or
                               "comment_id=" in (i.get("permalink_url") or "") for i in items)


def parse_feed(data: dict, **kw) -> list[Document]:
    return [post(item, **kw) for item in data.get("data", []) if item.get("id")]


def parse_comments(data: dict, *, post_native: str | None = None, **kw) -> list[Document]:
    docs = (comment(item, post_native=post_native, **kw) for item in data.get("data", []))
    return [d for d in docs if d is not None]


def parse_response(data: dict, **kw) -> tuple[str, list[Document]]:
    """(kind, documents) for a feed page, a comments page or a single post object."""
    if isinstance(data.get("data"), list):
        if is_comment_list(data):
            return "facebook_comments", parse_comments(data, **kw)
        return "facebook_feed", parse_feed(data, **kw)
    if data.get("id") and data.get("created_time"):
        return "facebook_post", [post(data, **kw)]
    return "facebook_unknown", []


def next_page(data: dict) -> str | None:
    """The `paging.next` URL (Graph cursor paging); None on the last page."""
    return ((data.get("paging") or {}).get("next")) or None
