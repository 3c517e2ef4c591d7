"""The one item pipeline of every crawl (news and connectors): documents go to the spool in small
batches, and only a batch that is on disk is committed as seen.

An item is a dict whose `document` is a `langnghe.document.Document` (other items pass through).
A batch goes to the spool `LANGNGHE_SPOOL` (else the news crawl's `spider.ctx.spool_dir`; with
neither, the earlier pipelines — `DocumentsFilePipeline` — were the delivery) and then is
committed, in this order:

1. the spider's `commit_spooled(items, now)` when it has one (the connector spiders: seen posts,
   thread snapshots, a channel's newest message, their counts);
2. else the news crawl's `commit_news(ctx, items, now)` (seen URLs, items, per-source stats).

So a crawl killed mid-batch loses at most the uncommitted batch, which is fetched again next
run. When the spool cannot be written, that batch is not committed, the spider is closed (reason
`spool_failed`) and later items are dropped uncommitted too: committing a later batch could mark
a thread finished whose earlier posts never reached the spool. Setting `LANGNGHE_SPOOL_CLASS`
names the spool class (a thin wrapper injects write failures in tests).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object

from crawlers.context import SourceStats
from langnghe.document import Document

log = logging.getLogger(__name__)
SPOOL_BATCH = 20  # documents per batch: a killed crawl loses (re-fetches) at most this many
SPOOL_CLASS = "langnghe.spool.Spool"


def commit_news(ctx, batch: list[dict], now: float) -> None:
    """The news crawl's record of a spooled batch: seen URLs, item counts, per-source stats."""
    for item in batch:
        doc: Document = item["document"]
        ctx.state.mark_seen(item["seen"], doc.source_id, now)
        ctx.state.item(doc.source_id, now)
        key = item.get("stats_key") or doc.source_id  # discovery counts per topic
        ctx.stats.setdefault(key, SourceStats()).new += 1


class SpoolPipeline:
    def __init__(self, crawler: Crawler, batch_size: int, spool_class: type):
        self.crawler, self.batch_size, self.spool_class = crawler, batch_size, spool_class
        self.batch: list[dict] = []
        self.failed = False  # the spool refused a batch: nothing more is committed this run
        self.closing = False
        self._spool = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SpoolPipeline:
        settings = crawler.settings
        return cls(crawler, settings.getint("LANGNGHE_SPOOL_BATCH", SPOOL_BATCH),
                   load_object(settings.get("LANGNGHE_SPOOL_CLASS") or SPOOL_CLASS))

    @property
    def spool(self):
        """The spool to write to, or None when no spool is configured."""
        if self._spool is None:
            ctx = getattr(self.crawler.spider, "ctx", None)
            root = self.crawler.settings.get("LANGNGHE_SPOOL") or getattr(ctx, "spool_dir", None)
            self._spool = self.spool_class(root) if root else False
        return self._spool or None

    def process_item(self, item: dict) -> dict:
        if isinstance(item, dict) and isinstance(item.get("document"), Document) \
                and not self.failed:
            self.batch.append(item)
            if len(self.batch) >= self.batch_size:
                self.flush()
        return item

    def close_spider(self) -> None:
        self.closing = True
        self.flush()

    def flush(self) -> None:
        if not self.batch or self.failed:
            self.batch = []
            return
        batch, self.batch = self.batch, []
        spool = self.spool
        try:
            if spool is not None:
                spool.put(item["document"] for item in batch)
        except Exception as exc:  # disk full, permissions, a lost share: stop, commit nothing
            self._fail(exc, len(batch))
            return
        self._commit(batch, time.time())

    def _commit(self, batch: list[dict], now: float) -> None:
        spider = self.crawler.spider
        if hasattr(spider, "commit_spooled"):  # 1.
            spider.commit_spooled(batch, now)
        else:  # 2.
            commit_news(spider.ctx, batch, now)

    def _fail(self, exc: Exception, lost: int) -> None:
        self.failed = True
        log.error("spool write failed (%s: %s); %d documents left for the next run",
                  type(exc).__name__, exc, lost)
        spider = self.crawler.spider
        if hasattr(spider, "spool_failed"):
            spider.spool_failed(exc)
        if not self.closing:  # at close time the spider is already being closed
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="spool_failed"))


class DocumentsFilePipeline:
    """Appends each item's document (and capture) as a JSON line to `LANGNGHE_DOCUMENTS_FILE`
    (a debugging and test sink placed before `SpoolPipeline`)."""

    def __init__(self, path: str):
        self.path = Path(path)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DocumentsFilePipeline:
        path = crawler.settings.get("LANGNGHE_DOCUMENTS_FILE")
        if not path:
            raise NotConfigured("LANGNGHE_DOCUMENTS_FILE is not set")
        return cls(path)

    def process_item(self, item: dict) -> dict:
        ref = item.get("capture")
        line = {"document": json.loads(item["document"].to_json()),
                "capture": ref.as_dict() if ref is not None else None}
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return item
