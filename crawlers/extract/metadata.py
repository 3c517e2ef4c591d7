"""Step 1 of the cascade: page metadata from JSON-LD (NewsArticle), OpenGraph and <meta> tags."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field

from lxml.html import HtmlElement

ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle",
                 "blogposting", "opinionnewsarticle", "backgroundnewsarticle", "webpage",
                 "liveblogposting", "reviewnewsarticle"}
ORG_TYPES = {"organization", "newsmediaorganization", "corporation"}


@dataclass
class PageMeta:
    title: str = ""
    description: str = ""
    published: list[str] = field(default_factory=list)  # candidates, best first
    authors: list[str] = field(default_factory=list)
    section: str = ""
    canonical: str = ""
    language: str = ""
    site_name: str = ""
    ld_article: bool = False  # an article JSON-LD node (NewsArticle, BlogPosting, ...)
    og_article: bool = False  # og:type article (also set on listing pages by some CMSs)


def unescape(text: str) -> str:
    """HTML entities decoded, twice when needed (Tuổi Trẻ JSON-LD has `&amp;#7852;`)."""
    for _ in range(2):
        if "&" not in text:
            break
        text = html.unescape(text)
    return " ".join(text.split())


def _meta_index(tree: HtmlElement) -> dict[str, str]:
    """property/name/itemprop (lower-cased) → first non-empty content, in one pass."""
    index: dict[str, str] = {}
    for node in tree.iter("meta"):
        content = (node.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = (node.get(attr) or "").strip().lower()
            if key and key not in index:
                index[key] = content
    return index


def _meta(index: dict[str, str], *keys: str) -> str:
    return next((unescape(index[k.lower()]) for k in keys if k.lower() in index), "")


def _ld_nodes(tree: HtmlElement) -> list[dict]:
    nodes: list[dict] = []
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script.strip().rstrip(";"), strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                nodes.append(item)
                stack.extend(v for k, v in item.items() if k == "@graph")
    return nodes


def _types(node: dict) -> set[str]:
    kind = node.get("@type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def _names(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, dict):
            if _types(item) & ORG_TYPES:
                continue  # the outlet itself is not an author
            item = item.get("name", "")
        if isinstance(item, str) and item.strip():
            names.append(unescape(item))
    return names


def _section(value: object) -> str:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    return unescape(value) if isinstance(value, str) else ""


def _apply_ld(meta: PageMeta, tree: HtmlElement) -> None:
    for node in _ld_nodes(tree):
        if not _types(node) & ARTICLE_TYPES:
            continue
        meta.ld_article |= bool(_types(node) - {"webpage"})
        headline = node.get("headline") or node.get("name")
        if isinstance(headline, str) and not meta.title:
            meta.title = unescape(headline)
        if isinstance(node.get("datePublished"), str):
            meta.published.append(node["datePublished"])
        meta.authors.extend(a for a in _names(node.get("author")) if a not in meta.authors)
        meta.section = meta.section or _section(node.get("articleSection"))


def read_metadata(tree: HtmlElement) -> PageMeta:
    """Collect metadata; `published` holds every candidate, most precise source first."""
    meta = PageMeta()
    tags = _meta_index(tree)
    # Meta tags first for dates: article:published_time keeps seconds where JSON-LD rounds.
    for key in ("article:published_time", "datePublished", "pubdate", "og:published_time",
                "publishdate", "date", "dc.date.issued", "parsely-pub-date", "sailthru.date"):
        value = _meta(tags, key)
        if value:
            meta.published.append(value)
    _apply_ld(meta, tree)
    meta.published.extend(tree.xpath("//time[@datetime][1]/@datetime")[:1])
    meta.title = meta.title or _meta(tags, "og:title", "twitter:title")
    meta.description = _meta(tags, "og:description", "description", "twitter:description")
    for raw in (_meta(tags, "article:author"), _meta(tags, "dable:author"), _meta(tags, "author")):
        for name in re.split(r"[;|]", raw):
            name = name.strip()
            if name and "/" not in name and "." not in name and name not in meta.authors:
                meta.authors.append(name)
    meta.section = meta.section or _meta(tags, "article:section")
    canon = tree.xpath('//link[@rel="canonical"]/@href') or [tags.get("og:url", "")]
    meta.canonical = canon[0].strip()
    lang = tree.xpath("/html/@lang") or [_meta(tags, "og:locale", "language", "content-language")]
    meta.language = re.split(r"[-_]", (lang[0] or "").strip().lower())[0][:8]
    meta.site_name = _meta(tags, "og:site_name")
    meta.og_article = _meta(tags, "og:type").lower() == "article"
    return meta
