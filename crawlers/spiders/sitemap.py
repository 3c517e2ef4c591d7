"""The sitemap spider: news sitemaps (sitemaps.org + Google News tags), recent URLs only."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.sitemaps import parse_sitemap
from crawlers.spiders.article import MAX_ENTRIES_PER_LIST, ArticleSteps, slot_of

NEWS_WINDOW = timedelta(days=2)  # Google News sitemaps list the last 2 days of articles
MAX_CHILDREN = 5  # of a sitemap index, the first (newest, by convention) few are news


class SitemapSpider(ArticleSteps):
    name = "sitemaps"

    async def start(self):
        now = time.time()
        for source in self.ctx.registry.enabled:
            for url in source.sitemaps:
                state = self.ctx.state.feed(url, source.id, source.poll_minutes * 60)
                if self.ctx.due_only and state.next_due > now:
                    continue
                yield self._request(url, source.id, url)

    def _request(self, url: str, source_id: str, root: str, depth: int = 0) -> Request:
        return Request(url, callback=self.parse_sitemap, errback=self.sitemap_failed,
                       dont_filter=True, meta={"source_id": source_id, "feed_url": root,
                                               "depth": depth, "download_slot": slot_of(url)})

    def sitemap_failed(self, failure: Failure) -> None:
        meta = failure.request.meta
        source = self.ctx.source(meta["source_id"])
        if self.ctx.failure(failure, source.id, failure.request.url):
            self.ctx.state.feed_failed(meta["feed_url"], source.id, source.poll_minutes * 60,
                                       time.time())

    def parse_sitemap(self, response: Response):
        meta = response.meta
        source = self.ctx.source(meta["source_id"])
        poll_s, now = source.poll_minutes * 60, time.time()
        sitemap = parse_sitemap(response.body)
        if sitemap.error:
            self.ctx.error(source.id, "parse", sitemap.error, response.url)
            return
        if sitemap.children and meta["depth"] == 0:
            for child in sitemap.children[:MAX_CHILDREN]:
                yield self._request(child, source.id, meta["feed_url"], depth=1)
        cutoff = datetime.now(UTC) - NEWS_WINDOW
        recent = [u for u in sitemap.urls if u.lastmod is None or u.lastmod >= cutoff]
        recent = recent[:MAX_ENTRIES_PER_LIST]
        self.ctx.stats[source.id].found += len(recent)
        requests = [r for u in recent if (r := self.article_request(u.loc, source, "", u.lastmod))]
        self.ctx.state.feed_polled(meta["feed_url"], source.id, poll_s,
                                   new_items=len(requests), etag=None, last_modified=None,
                                   now=now)
        self.ctx.state.success(source.id, now)
        yield from requests
