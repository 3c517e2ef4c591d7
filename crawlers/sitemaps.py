"""News sitemap parsing: sitemaps.org `urlset` / `sitemapindex` plus Google News tags."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from crawlers.dates import parse_date

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
      "news": "http://www.google.com/schemas/sitemap-news/0.9"}
MAX_URLS = 5_000  # a news sitemap holds ≤ 1,000 URLs (Google's rule); 5x for slack


@dataclass
class SitemapUrl:
    loc: str
    lastmod: datetime | None = None
    title: str = ""  # news:title


@dataclass
class Sitemap:
    urls: list[SitemapUrl] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # a sitemap index's sitemaps
    error: str = ""


def _text(node: etree._Element, path: str) -> str:
    found = node.xpath(path, namespaces=NS)
    return found[0].strip() if found and isinstance(found[0], str) else ""


def parse_sitemap(body: bytes) -> Sitemap:
    """URLs (with news publication date or lastmod) of a sitemap, or the children of an index."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             recover=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        return Sitemap(error=f"expected sitemap XML: {exc}")
    if root is None:
        return Sitemap(error="expected sitemap XML, got an empty document")
    tag = etree.QName(root).localname
    if tag == "sitemapindex":
        return Sitemap(children=[c for c in root.xpath("//sm:sitemap/sm:loc/text()", namespaces=NS)
                                 if c.strip()][:MAX_URLS])
    if tag != "urlset":
        return Sitemap(error=f"expected <urlset> or <sitemapindex>, got <{tag}>")
    urls = []
    for node in root.xpath("sm:url", namespaces=NS)[:MAX_URLS]:
        loc = _text(node, "sm:loc/text()")
        if loc:
            stamp = _text(node, "news:news/news:publication_date/text()") or \
                _text(node, "sm:lastmod/text()")
            urls.append(SitemapUrl(loc=loc, lastmod=parse_date(stamp),
                                   title=_text(node, "news:news/news:title/text()")))
    return Sitemap(urls=urls)
