"""Item pipeline: crawled documents go to the spool in small batches, then count as seen.

A document's URLs are marked seen only after its batch is on disk, so killing the crawl loses
at most the current batch, and those articles are fetched again next cycle.
"""

from __future__ import annotations

import time

from scrapy.crawler import Crawler

from crawlers.context import SourceStats
from langnghe.document import Document
from langnghe.spool import Spool


class SpoolPipeline:
    def __init__(self, crawler: Crawler, batch_size: int):
        self.crawler, self.batch_size = crawler, batch_size
        self.batch: list[dict] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SpoolPipeline:
        return cls(crawler, crawler.settings.getint("LANGNGHE_SPOOL_BATCH", 20))

    @property
    def ctx(self):
        return self.crawler.spider.ctx

    def process_item(self, item: dict) -> dict:
        if isinstance(item.get("document"), Document):
            self.batch.append(item)
            if len(self.batch) >= self.batch_size:
                self.flush()
        return item

    def close_spider(self) -> None:
        self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        Spool(self.ctx.spool_dir).put(item["document"] for item in batch)
        now = time.time()
        for item in batch:
            doc: Document = item["document"]
            self.ctx.state.mark_seen(item["seen"], doc.source_id, now)
            self.ctx.state.item(doc.source_id, now)
            key = item.get("stats_key") or doc.source_id  # discovery counts per topic
            self.ctx.stats.setdefault(key, SourceStats()).new += 1
