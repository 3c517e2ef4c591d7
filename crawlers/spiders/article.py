"""The article step shared by the spiders: schedule unseen entries, extract, build Documents."""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.charset import decode_html, header_charset
from crawlers.context import CrawlContext, listening_sockets
from crawlers.dates import check_published
from crawlers.extract import extract_article
from crawlers.urls import canonicalize
from langnghe.document import (
    MAX_LEAD_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    Document,
    document_id,
)
from langnghe.sources import Source

MAX_ENTRIES_PER_LIST = 300  # a feed or news sitemap lists ≤ ~100 items; more is a runaway list


def slot_of(url: str) -> str:
    """Download slot = the outlet's host, so politeness holds even when fetched locally."""
    return (urlsplit(url).hostname or "").lower()


class ArticleSteps(Spider):
    """Base of the spiders: holds the run's `CrawlContext` and the article parse step."""

    ctx: CrawlContext

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args, **kwargs) -> ArticleSteps:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._closing, signal=signals.spider_closed)
        return spider

    def _closing(self, spider: Spider, reason: str) -> None:
        self.ctx.close_reasons.append(reason)
        found = listening_sockets()
        previous = self.ctx.listening_sockets or 0
        self.ctx.listening_sockets = max(previous, found)

    def article_request(self, link: str, source: Source, section: str,
                        listed: datetime | None) -> Request | None:
        """A request for `link` unless it was fetched before or is already scheduled."""
        try:
            entry_url = canonicalize(link)
        except ValueError:
            return None
        if entry_url in self.ctx.inflight or self.ctx.state.seen(entry_url):
            return None
        self.ctx.inflight.add(entry_url)
        meta = {"source_id": source.id, "section": section, "listed": listed,
                "entry_url": entry_url, "download_slot": slot_of(link)}
        return Request(link, callback=self.parse_article, errback=self.article_failed,
                       meta=meta)

    def article_failed(self, failure: Failure) -> None:
        meta = failure.request.meta
        error_class = self.ctx.failure(failure, meta["source_id"], meta["entry_url"],
                                       feed_level=False, stats_key=meta.get("stats_key"))
        if error_class and (error_class.startswith("http 4")
                            or error_class in ("too-large", "egress")):
            # permanent (an address the guard refuses stays refused): not fetched next cycle
            self.ctx.state.mark_seen([meta["entry_url"]], meta["source_id"], time.time())

    def parse_article(self, response: Response):
        meta = response.meta
        source = self.ctx.source(meta["source_id"])
        html = decode_html(response.body, header_charset(response.headers.get("Content-Type")))
        page = extract_article(html, response.url)
        if not page.is_article:
            self.ctx.error(source.id, "parse", "not an article page (no article body found)",
                           response.url, feed_level=False, stats_key=meta.get("stats_key"))
            self.ctx.state.mark_seen([meta["entry_url"]], source.id, time.time())
            return
        canonical = page.canonical_url or meta["entry_url"]
        seen = sorted({meta["entry_url"], canonical, canonicalize(response.url)})
        if canonical != meta["entry_url"] and self.ctx.state.seen(canonical):
            self.ctx.state.mark_seen(seen, source.id, time.time())
            return  # the same article reached under another URL
        doc = self._document(page, source, meta, response.url, canonical)
        if self.ctx.capture is not None:
            doc.capture = self._capture(response, doc.fetched_at)
        yield {"document": doc, "seen": seen, "stats_key": meta.get("stats_key") or source.id}

    def _capture(self, response: Response, fetched_at: datetime):
        """Keep the page exactly as parsed (its real URL, headers and body) as a WARC record."""
        headers = [(k.decode("latin-1"), v.decode("latin-1"))
                   for k, values in response.headers.items() for v in values]
        ref = self.ctx.capture.capture(response.url, response.status, headers, response.body,
                                       fetched_at)
        return ref.as_capture(fetched_at)

    def _document(self, page, source: Source, meta: dict, url: str, canonical: str) -> Document:
        published = page.published_at or check_published(meta.get("listed"), url=url)
        return Document(
            id=document_id(canonical), url=url, canonical_url=canonical, source_id=source.id,
            source_name=source.name, kind="article", title=page.title[:MAX_TITLE_CHARS],
            lead=page.lead[:MAX_LEAD_CHARS], text=page.text[:MAX_TEXT_CHARS],
            authors=page.authors[:20], language=page.language or "vi", published_at=published,
            section=page.section or meta.get("section", ""))
