"""XenForo 2 forums (voz.vn): thread-list and thread pages parsed into entries and Documents.

Quoted text: a reply's `text` is the reply only. Every `blockquote.bbCodeBlock--quote` is
removed from it; the quote is not repeated (it is the quoted post's own text) but linked:
`parent_id` is the id of the quoted post when the reply quotes a post, else the thread's
opening post. A reply that quotes several posts links the first. Quoted posts are addressed
within the same thread (`<thread URL>post-<id>`), which is where XenForo quotes come from.

Ids: a reply's canonical URL is its permalink `<thread URL>post-<id>`. The opening post's
canonical URL is the thread URL itself, so every page of a thread (not only page 1) knows its
id, and replies on page 7 still point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import lxml.html
from lxml.html import HtmlElement

from crawlers.connectors.text import (
    author,
    bound_text,
    bound_title,
    engagement,
    node_text,
    parse_count,
    parse_time,
    tidy,
)
from langnghe.document import Document, document_id, utcnow

_THREAD_URL = re.compile(r"^(.*?/t/[^/]+\.\d+/)")
_POST_ID = re.compile(r"post-(\d+)")
_REACTORS = re.compile(r"and (\d+) others?|và (\d+) người khác", re.I)
_POSITION = re.compile(r"#\s*(\d+)")
QUOTE = "blockquote.bbCodeBlock--quote"
NOISE = ("div.bbCodeBlock-expandLink", "script", "div.js-selectToQuoteEnd", "noscript")


@dataclass
class ThreadEntry:
    """One line of a forum's thread list: enough to decide whether the thread changed."""

    url: str  # thread URL (page 1), absolute
    thread_id: str
    title: str
    author: str
    started_at: datetime | None
    last_post_at: datetime | None
    replies: int | None
    views: int | None


def parse_tree(data: bytes | str) -> HtmlElement | None:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    return lxml.html.document_fromstring(text) if text.strip() else None


def template(tree: HtmlElement) -> str:
    """XenForo's page template name ('thread_view', 'forum_view'), '' for other pages."""
    return tree.get("data-template", "") if tree.get("id") == "XF" else ""


def thread_url(url: str) -> str:
    """'https://voz.vn/t/slug.123/page-4' → 'https://voz.vn/t/slug.123/'."""
    match = _THREAD_URL.match(url)
    return match.group(1) if match else url


def _page_url(tree: HtmlElement, url: str | None) -> str:
    canonical = tree.cssselect("link[rel=canonical]")
    href = canonical[0].get("href") if canonical else None
    return urljoin(url or "", href) if href else (url or "")


def next_page(data: bytes | str, url: str | None = None) -> str | None:
    """The absolute URL of the next page (thread or thread list), None on the last page."""
    tree = parse_tree(data)
    link = tree.cssselect("link[rel=next]") if tree is not None else []
    return urljoin(_page_url(tree, url), link[0].get("href")) if link else None


# -- thread list ---------------------------------------------------------------------------
def _pair(item: HtmlElement, label: str) -> int | None:
    for pair in item.cssselect("dl.pairs"):
        dt, dd = pair.find("dt"), pair.find("dd")
        if dt is not None and dd is not None and dt.text_content().strip() == label:
            return parse_count(dd.text_content().strip())
    return None


def _time(item: HtmlElement, selector: str) -> datetime | None:
    found = item.cssselect(selector)
    return parse_time(found[0].get("datetime")) if found else None


def _entry(item: HtmlElement, base: str) -> ThreadEntry | None:
    link = item.cssselect("div.structItem-title a[data-tp-primary]") or \
        item.cssselect("div.structItem-title a[href*='/t/']")
    if not link:
        return None
    url = thread_url(urljoin(base, link[0].get("href")))
    return ThreadEntry(
        url=url, thread_id=url.rstrip("/").rsplit(".", 1)[-1],
        title=bound_title(link[0].text_content()), author=item.get("data-author", ""),
        started_at=_time(item, "li.structItem-startDate time"),
        last_post_at=_time(item, "time.structItem-latestDate"),
        replies=_pair(item, "Replies"), views=_pair(item, "Views"))


def parse_thread_list(data: bytes | str, url: str | None = None) -> list[ThreadEntry]:
    """The threads listed on a forum page (sticky and normal), in page order."""
    tree = parse_tree(data)
    if tree is None:
        return []
    base = _page_url(tree, url)
    items = (_entry(item, base) for item in tree.cssselect("div.structItem--thread"))
    return [item for item in items if item is not None]


# -- thread page ----------------------------------------------------------------------------
def _forum_name(tree: HtmlElement) -> str:
    crumbs = [a for a in tree.cssselect("ul.p-breadcrumbs a") if "/f/" in (a.get("href") or "")]
    return tidy(crumbs[-1].text_content()) if crumbs else ""


def _likes(post: HtmlElement) -> int | None:
    """Reaction count from 'A, B, C and 25 others' (names listed + others)."""
    bar = post.cssselect("a.reactionsBar-link")
    if not bar:
        return 0
    names = len(bar[0].cssselect("bdi"))
    more = _REACTORS.search(bar[0].text_content())
    extra = int(more.group(1) or more.group(2)) if more else 0
    return names + extra


def _quoted_post(body: HtmlElement) -> str | None:
    for quote in body.cssselect(QUOTE):
        source = quote.cssselect("a.bbCodeBlock-sourceJump")
        ref = (source[0].get("data-content-selector") or source[0].get("href") or "") \
            if source else ""
        match = _POST_ID.search(ref) or re.search(r"id=(\d+)", ref)
        if match:
            return match.group(1)
    return None


def _reply_text(body: HtmlElement) -> str:
    for selector in (QUOTE, *NOISE):
        for node in body.cssselect(selector):
            node.drop_tree()
    return bound_text(node_text(body))


def _position(post: HtmlElement) -> int | None:
    for link in post.cssselect("ul.message-attribution-opposite a"):
        match = _POSITION.fullmatch(link.text_content().strip())
        if match:
            return int(match.group(1))
    return None


def _is_opening(post: HtmlElement, index: int, page_url: str) -> bool:
    position = _position(post)
    if position is not None:
        return position == 1
    return index == 0 and "/page-" not in page_url


def parse_thread(data: bytes | str, url: str | None = None, *,
                 source_id: str = "voz", fetched_at: datetime | None = None) -> list[Document]:
    """Every post of one thread page as a `forum_post` Document (see the module docstring)."""
    tree = parse_tree(data)
    if tree is None:
        return []
    page_url = _page_url(tree, url)
    thread = thread_url(page_url)
    title_node = tree.cssselect("h1.p-title-value")
    title = bound_title(title_node[0].text_content()) if title_node else ""
    forum, opening_id = _forum_name(tree), document_id(thread)
    docs = []
    for index, post in enumerate(tree.cssselect("article.message--post")):
        post_id = _POST_ID.search(post.get("data-content", "") or post.get("id", ""))
        bodies = post.cssselect("div.bbWrapper")
        if not post_id or not bodies:
            continue
        opening = _is_opening(post, index, page_url)
        quoted = _quoted_post(bodies[0])
        canonical = thread if opening else f"{thread}post-{post_id.group(1)}"
        parent = None if opening else (
            document_id(f"{thread}post-{quoted}") if quoted else opening_id)
        docs.append(Document(
            id=document_id(canonical), url=f"{thread}post-{post_id.group(1)}",
            canonical_url=canonical, source_id=source_id, kind="forum_post",
            title=title if opening else "", text=_reply_text(bodies[0]),
            authors=author(post.get("data-author")), section=forum, parent_id=parent,
            published_at=_time(post, "time.u-dt"), fetched_at=fetched_at or utcnow(),
            engagement=engagement(likes=_likes(post))))
    return docs
