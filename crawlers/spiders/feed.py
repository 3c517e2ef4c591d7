"""The feed spider: polls due feeds with conditional GET and adapts each feed's interval."""

from __future__ import annotations

import time

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.feeds import parse_feed
from crawlers.spiders.article import MAX_ENTRIES_PER_LIST, ArticleSteps, slot_of


def conditional_headers(state) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from a feed's stored validators (`FeedState`)."""
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def poll_validators(response: Response, new_items: int) -> tuple[str | None, str | None]:
    """ETag and Last-Modified to store after a poll (see `CrawlState.feed_polled`): a 304 keeps
    the stored ones (None); a poll with new entries clears them (""), so that while those
    entries are on their way to the spool (a killed crawl may lose them) the next poll re-reads
    the whole feed instead of getting a 304 — seen-URL memory skips what did arrive; otherwise
    the response's own."""
    if response.status == 304:
        return None, None
    if new_items:
        return "", ""
    etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    return (etag.decode("latin-1") if etag else "", modified.decode("latin-1") if modified else "")


class FeedSpider(ArticleSteps):
    name = "feeds"

    async def start(self):
        now = time.time()
        for source in self.ctx.registry.enabled:
            poll_s = source.poll_minutes * 60
            for feed in source.feeds:
                state = self.ctx.state.feed(feed.url, source.id, poll_s)
                if self.ctx.due_only and state.next_due > now:
                    continue
                yield Request(feed.url, headers=conditional_headers(state),
                              callback=self.parse_feed, errback=self.feed_failed,
                              dont_filter=True, meta={
                                  "source_id": source.id, "section": feed.section,
                                  "feed_url": feed.url, "download_slot": slot_of(feed.url),
                                  "handle_httpstatus_list": [304]})

    def feed_failed(self, failure: Failure) -> None:
        meta = failure.request.meta
        source = self.ctx.source(meta["source_id"])
        if self.ctx.failure(failure, source.id, meta["feed_url"]):
            self.ctx.state.feed_failed(meta["feed_url"], source.id, source.poll_minutes * 60,
                                       time.time())

    def parse_feed(self, response: Response):
        meta = response.meta
        source = self.ctx.source(meta["source_id"])
        poll_s, now = source.poll_minutes * 60, time.time()
        if response.status == 304:
            self._polled(response, poll_s, 0, now)
            return
        result = parse_feed(response.body)
        if result.error:
            self.ctx.error(source.id, "parse", result.error, meta["feed_url"])
            self.ctx.state.feed_failed(meta["feed_url"], source.id, poll_s, now)
            return
        entries = result.entries[:MAX_ENTRIES_PER_LIST]
        self.ctx.stats[source.id].found += len(entries)
        requests = [r for e in entries
                    if (r := self.article_request(e.link, source, meta["section"], e.published))]
        self._polled(response, poll_s, len(requests), now)
        yield from requests

    def _polled(self, response: Response, poll_s: float, new_items: int, now: float) -> None:
        meta = response.meta
        etag, modified = poll_validators(response, new_items)
        self.ctx.state.feed_polled(meta["feed_url"], meta["source_id"], poll_s,
                                   new_items=new_items, now=now, etag=etag, last_modified=modified)
        self.ctx.state.success(meta["source_id"], now)
