"""The discovery spider: polls each watch topic's Google News search feed and fetches the
articles of outlets outside the registry as `discovered:<domain>` (see `crawlers.discovery`).

An item whose Google link neither names the article (`article_link`) nor redirects to it over
HTTP is counted under the topic as error class `unresolved` (not `parse`: no article page was
ever reached) and is not asked again."""

from __future__ import annotations

import time

from scrapy import Request
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.context import SourceStats
from crawlers.discovery import (
    SOURCE_PREFIX,
    STATS_PREFIX,
    article_link,
    is_google_article,
    is_known,
    outlet_domain,
    registry_domains,
)
from crawlers.feeds import Entry, parse_feed
from crawlers.middlewares import ORIGINAL_URL
from crawlers.spiders.article import MAX_ENTRIES_PER_LIST, ArticleSteps, slot_of
from crawlers.spiders.feed import conditional_headers, poll_validators
from crawlers.urls import canonicalize
from langnghe.sources import Source


class DiscoverySpider(ArticleSteps):
    """Arguments: `ctx`, `topics` (dicts of `crawlers.discovery.DiscoveryTopic`), `minutes`."""

    name = "discovery"
    topics: list[dict]
    minutes: float

    async def start(self):
        self.known = registry_domains(self.ctx.registry)
        self.topics_of: dict[str, set[str]] = {}  # entry URL → ids of the topics listing it
        now, poll_s = time.time(), self.minutes * 60
        for topic in self.topics:
            key = STATS_PREFIX + topic["id"]
            self.ctx.stats.setdefault(key, SourceStats())
            state = self.ctx.state.feed(topic["url"], key, poll_s)
            if self.ctx.due_only and state.next_due > now:
                continue
            yield Request(topic["url"], headers=conditional_headers(state),
                          callback=self.parse_search, errback=self.search_failed,
                          dont_filter=True, meta={
                              "source_id": key, "topic_id": topic["id"],
                              "feed_url": topic["url"], "download_slot": slot_of(topic["url"]),
                              "handle_httpstatus_list": [304]})

    def search_failed(self, failure: Failure) -> None:
        meta = failure.request.meta
        error_class = self.ctx.failure(failure, meta["source_id"], meta["feed_url"])
        if error_class is None and meta["source_id"] not in self.ctx.dead:
            # robots.txt forbade it: say so, or discovery would stop without a word
            error_class = "robots"
            self.ctx.error(meta["source_id"], error_class, f"request ignored: {failure.value}",
                           meta["feed_url"])
        self.ctx.state.feed_failed(meta["feed_url"], meta["source_id"], self.minutes * 60,
                                   time.time())

    def parse_search(self, response: Response):
        meta, now = response.meta, time.time()
        key = meta["source_id"]
        if response.status == 304:
            self._polled(response, 0, now)
            return
        result = parse_feed(response.body)
        if result.error:
            self.ctx.error(key, "parse", f"Google News search feed of topic "
                                         f"{meta['topic_id']!r}: {result.error}", meta["feed_url"])
            self.ctx.state.feed_failed(meta["feed_url"], key, self.minutes * 60, now)
            return
        entries = result.entries[:MAX_ENTRIES_PER_LIST]
        self.ctx.stats[key].found += len(entries)
        requests = [r for e in entries if (r := self._article(e, meta["topic_id"], key))]
        self._polled(response, len(requests), now)
        yield from requests

    def _article(self, entry: Entry, topic_id: str, key: str) -> Request | None:
        """A request for an item of an outlet outside the registry, once per URL."""
        domain = outlet_domain(entry.source_url)
        if not domain or is_known(domain, self.known):
            return None  # unattributable, or the outlet's own feeds cover it
        link = article_link(entry.link, entry.summary, domain)
        try:
            self.topics_of.setdefault(canonicalize(link), set()).add(topic_id)
        except ValueError:
            return None
        request = self.article_request(link, self._outlet(domain, entry.source_name),
                                       "", entry.published)
        if request is None:
            return None
        return request.replace(callback=self.parse_discovered, errback=self.discovered_failed,
                               meta={**request.meta, "stats_key": key, "domain": domain})

    def _outlet(self, domain: str, name: str) -> Source:
        """The stand-in source of a discovered outlet (not in the registry, so not validated:
        its id 'discovered:<domain>' is deliberately outside the registry's id pattern)."""
        source_id = SOURCE_PREFIX + domain
        if source_id not in self.ctx.discovered:
            self.ctx.discovered[source_id] = Source.model_construct(
                id=source_id, name=name or domain, homepage=f"https://{domain}", type="other")
        return self.ctx.discovered[source_id]

    def unresolved(self, meta: dict, why: str, url: str) -> None:
        """A Google link that led to no article: its own error class, counted under the topic
        (health row `discovery:<topic>`, item-level), and never fetched again."""
        key = meta["stats_key"]
        self.ctx.error(key, "unresolved", f"Google News link not resolved ({why})", url,
                       feed_level=False)
        self.ctx.state.mark_seen([meta["entry_url"]], key, time.time())

    def discovered_failed(self, failure: Failure) -> None:
        meta = failure.request.meta
        url = meta.get(ORIGINAL_URL, failure.request.url)
        if is_google_article(url) and isinstance(failure.value, HttpError):
            status = failure.value.response.status
            return self.unresolved(meta, f"HTTP {status} from Google", url)
        return self.article_failed(failure)

    def parse_discovered(self, response: Response):
        meta = response.meta
        if is_google_article(response.url):  # no HTTP redirect: only Google's script knows it
            self.unresolved(meta, "no redirect to the article", response.url)
            return
        for item in self.parse_article(response):
            doc = item["document"]
            self.ctx.state.propose(meta["domain"], doc.source_name, doc.url,
                                   sorted(self.topics_of.get(meta["entry_url"], ())), time.time())
            yield item

    def _polled(self, response: Response, new_items: int, now: float) -> None:
        meta = response.meta
        etag, modified = poll_validators(response, new_items)
        self.ctx.state.feed_polled(
            meta["feed_url"], meta["source_id"], self.minutes * 60, new_items=new_items,
            now=now, adaptive=False, etag=etag, last_modified=modified)
        self.ctx.state.success(meta["source_id"], now)
