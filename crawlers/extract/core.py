"""Article extraction, orchestrated as a numbered cascade (the steps live in their own modules).

1. metadata: JSON-LD NewsArticle, OpenGraph and <meta> tags (`metadata.py`);
2. structural rules of news CMSs — generic hooks first, outlet-specific last (`rules.py`);
3. trafilatura for the body when no rule matched or the rule's body comes up short (`body.py`).
The sapo (lead) is kept apart from the body and never repeated at the start of `text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import lxml.html
from lxml.html import HtmlElement

from crawlers.charset import decode_html
from crawlers.dates import check_published, parse_date
from crawlers.extract import body, rules
from crawlers.extract.metadata import PageMeta, read_metadata
from crawlers.urls import canonicalize, choose_canonical
from langnghe.vietnamese import fold

MIN_RULE_BODY_CHARS = 250  # shorter than a news brief: the rule matched a wrong/empty node
MIN_ARTICLE_CHARS = 200  # below this a page is a listing, a stub or an error page
NOT_A_NAME = re.compile(r"^(và|and)\s|tác giả|\d{2}[/:]\d{2}|https?:", re.I)
VI_LETTERS = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


@dataclass
class Extracted:
    """What one page yields; `method` says which cascade step produced the body."""

    url: str | None
    canonical_url: str | None
    title: str = ""
    lead: str = ""
    text: str = ""
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    section: str = ""
    language: str = ""
    method: str = ""  # "rule", "trafilatura" or "" (nothing found)
    is_article: bool = False  # looks like one article (not a listing, stub or error page)


def parse_html(html: bytes | str) -> HtmlElement | None:
    """An lxml tree of the page, or None for empty/unparseable input."""
    text = decode_html(html) if isinstance(html, bytes) else html
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)  # lxml refuses str with an encoding declaration
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError):
        return None


def _norm(text: str) -> str:
    return " ".join(text.split())


def _title(tree: HtmlElement, meta: PageMeta) -> str:
    title = rules.text_of(rules.first(tree, rules.TITLE_HOOKS)) or meta.title
    if not title:
        raw = _norm(" ".join(tree.xpath("//title//text()")))
        title = re.split(r"\s+[|–—-]\s+", raw)[0] if raw else ""
    return title


def _body(tree: HtmlElement, url: str | None, drop: list[HtmlElement]) -> tuple[str, str, str]:
    """(text, method, byline) from step 2, falling back to step 3 when it comes up short."""
    container = rules.first(tree, rules.BODY_HOOKS)
    text, byline = "", ""
    if container is not None:
        signed = container.xpath(rules.BYLINE_HOOK)
        if signed and _is_tail(signed[0]):
            byline = rules.text_of(signed[0])
            drop = [*drop, signed[0]]
        text = body.container_text(container, drop=drop)  # 2. rule
        if len(text) >= MIN_RULE_BODY_CHARS:
            return text, "rule", byline
    fallback = body.trafilatura_text(tree, url)  # 3. trafilatura
    if len(fallback) > len(text):
        return fallback, "trafilatura", byline
    return text, ("rule" if text else ""), byline


def _is_tail(node: HtmlElement) -> bool:
    """True when nothing but empty elements follows `node` in its parent."""
    return all(not isinstance(sib.tag, str) or not _norm(sib.text_content())
               for sib in node.itersiblings())


def _split_lead(lead: str, text: str, description: str) -> tuple[str, str]:
    """Keep the sapo out of the body; without a sapo, a first paragraph equal to the page
    description becomes the lead."""
    paragraphs = text.split("\n\n")
    first = _norm(paragraphs[0]) if paragraphs else ""
    if lead and first and (first == _norm(lead) or _norm(lead).startswith(first)):
        return lead, "\n\n".join(paragraphs[1:])
    if not lead and description and first and _norm(description).startswith(first[:100]) \
            and len(paragraphs) > 1:
        return paragraphs[0], "\n\n".join(paragraphs[1:])
    return lead, text


def _site_names(meta: PageMeta, url: str | None) -> set[str]:
    host = urlsplit(url or meta.canonical).hostname or ""
    names = {fold(meta.site_name).replace(" ", "")} if meta.site_name else set()
    return names | {part for part in host.split(".") if len(part) > 3}


def _authors(found: list[str], meta: PageMeta, byline: str, url: str | None) -> list[str]:
    found = found or ([byline] if byline else []) or meta.authors
    sites = _site_names(meta, url)
    return [a for a in found if not NOT_A_NAME.search(a)
            and not any(s and s in fold(a).replace(" ", "") for s in sites)]


def _published(tree: HtmlElement, meta: PageMeta, url: str | None) -> tuple[datetime | None, bool]:
    """(first plausible date candidate, whether any candidate parsed at all).

    Implausible ones (future, before 1990: placeholders like 0001-01-01) are logged and skipped.
    """
    candidates = meta.published + [rules.text_of(rules.first(tree, rules.DATE_HOOKS))]
    parsed = [v for v in map(parse_date, candidates) if v is not None]
    plausible = (check_published(v, url=url or "") for v in parsed)
    return next((v for v in plausible if v is not None), None), bool(parsed)


def _section(tree: HtmlElement, meta: PageMeta) -> str:
    if meta.section:
        return meta.section
    crumbs = tree.xpath('//*[contains(@class,"breadcrumb")]//a') or tree.xpath(
        '//*[contains(@class,"detail-cate")]//a')
    names = [rules.text_of(a) for a in crumbs if rules.text_of(a)]
    return names[-1] if names else ""


def _language(meta: PageMeta, text: str) -> str:
    if meta.language:
        return meta.language
    sample = text[:2000]
    return "vi" if sample and len(VI_LETTERS.findall(sample)) > len(sample) / 50 else ""


def _canonical(url: str | None, meta: PageMeta) -> str | None:
    if url:
        return choose_canonical(url, meta.canonical)
    try:
        return canonicalize(meta.canonical) if meta.canonical else None
    except ValueError:
        return None


def extract_article(html: bytes | str, url: str | None = None) -> Extracted:
    """Extract one article page (bytes are charset-sniffed; see crawlers.charset).

    `url` is the page's address; without it the canonical link is used. Never raises on bad
    HTML: an unparseable or non-article page gives an `Extracted` with `is_article` False.
    """
    tree = parse_html(html)
    if tree is None:
        return Extracted(url=url, canonical_url=canonicalize(url) if url else None)
    meta = read_metadata(tree)  # 1. metadata
    title_node = rules.first(tree, rules.TITLE_HOOKS)
    sapo_node = rules.first(tree, rules.SAPO_HOOKS)
    page = Extracted(url=url, canonical_url=_canonical(url, meta), title=_title(tree, meta),
                     section=_section(tree, meta))
    page.published_at, dated = _published(tree, meta, url)
    rule_authors, sapo = rules.find_authors(tree), rules.text_of(sapo_node)
    drop = [n for n in (title_node, sapo_node) if n is not None]
    text, method, byline = _body(tree, url, drop)  # 2. and 3.; may alter `tree`, so last
    page.lead, page.text = _split_lead(sapo, text, meta.description)
    page.authors = _authors(rule_authors, meta, byline, url)
    page.language, page.method = _language(meta, page.text), method
    page.is_article = len(page.text) >= MIN_ARTICLE_CHARS and (
        meta.ld_article or method == "rule" or (meta.og_article and dated))
    return page
