"""Scrapy spiders for XenForo forums and Telegram channel previews, incremental by state.

`XenForoSpider` (name 'xenforo'): configured sub-forums → the first page of their thread list
(XenForo sorts it by latest activity) → only threads
whose last-post date or reply count changed since the last visit → from the last page read
onwards (new replies are at the end), following `rel=next` up to `LANGNGHE_THREAD_PAGES` pages.
`TelegramSpider` (name 'telegram'): `https://t.me/s/<channel>` → messages newer than the newest
one seen; older preview pages are followed only to close a gap, up to `LANGNGHE_TELEGRAM_PAGES`.

Both yield `{"document": Document, "capture": CaptureRef | None}` items; state (seen posts,
thread snapshots, newest message) lives in a `ConnectorState` file (setting
`LANGNGHE_CONNECTOR_STATE`); pages that produced documents are captured as WARC records when
`LANGNGHE_CAPTURE_DIR` is set. `python -m crawlers.connectors.spiders --job JOB.json` runs them
in a process of their own (`run_job`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from scrapy import Request, Spider
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.capture import WarcCapture
from crawlers.connectors import telegram, xenforo
from crawlers.connectors.state import ConnectorState
from crawlers.context import classify
from langnghe.document import Document
from langnghe.spool import Spool

_PAGE = re.compile(r"/page-(\d+)")
MAX_ERRORS = 20  # per spider in a report: enough to diagnose, bounded for the console
SPOOL_BATCH = 20  # documents per spool batch (as the news crawl)
THREAD_PAGES = 10  # per thread per visit: 200 posts; a busier thread continues next visit
TELEGRAM_PAGES = 3  # older preview pages (20 messages each) to close a gap after a pause
DEFAULT_SETTINGS = {  # under the job's own settings
    "DOWNLOAD_DELAY": 2.0,  # a forum is one server run by volunteers: gentler than news sites
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,  # one request at a time per forum / t.me
    "ROBOTSTXT_OBEY": True,
    "COOKIES_ENABLED": False,  # logged-out, anonymous reading only
    "TELNETCONSOLE_ENABLED": False,
    "USER_AGENT": "LangNghe/0.1 (+https://github.com/langnghe; press monitoring)",
    "ITEM_PIPELINES": {"crawlers.connectors.spiders.DocumentsFilePipeline": 300,
                       "crawlers.connectors.spiders.SpoolItemsPipeline": 310},
}


def page_number(url: str) -> int:
    match = _PAGE.search(url)
    return int(match.group(1)) if match else 1


class StatefulSpider(Spider):
    """Shared plumbing: the state file, evidence capture, error recording."""

    platform = ""

    def __init__(self, status_key: str = "", **kwargs):
        super().__init__(**kwargs)
        self.status_key = status_key  # the source id the run's status is kept under

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args, **kwargs) -> StatefulSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.state = ConnectorState(settings.get("LANGNGHE_CONNECTOR_STATE"))
        capture_dir = settings.get("LANGNGHE_CAPTURE_DIR")
        spider.capture = WarcCapture(capture_dir, prefix=spider.name) if capture_dir else None
        spider.errors, spider.found, spider.spooled = [], 0, 0
        return spider

    def closed(self, reason: str) -> None:
        status = "ok" if not self.errors else self.errors[-1].split(":", 1)[0]
        message = "; ".join(self.errors[-3:]) or f"finished ({reason})"
        self.state.set_status(self.status_key or self.name, status, message, time.time())
        self.state.close()
        report_dir = self.settings.get("LANGNGHE_REPORT_DIR")
        if report_dir:
            report = {"found": self.found, "new": self.spooled, "failed": len(self.errors),
                      "errors": self.errors[:MAX_ERRORS], "status": status, "message": message}
            path = Path(report_dir) / f"{self.status_key or self.name}.json"
            path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")

    def failed(self, failure: Failure) -> None:
        error_class, message = classify(failure)
        self.errors.append(f"{error_class}: {message} ({failure.request.url})")
        self.logger.warning("%s: %s", error_class, failure.request.url)

    def emit(self, response: Response, docs: list[Document]):
        """Items for the documents not seen before; the page is captured when it yielded any."""
        fresh = [d for d in docs if not self.state.seen(self.platform, d.id)]
        self.found += len(fresh)
        ref = None
        if fresh and self.capture is not None:
            fetched_at = datetime.now(UTC)
            ref = self.capture.capture(
                response.url, response.status,
                [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in
                 response.headers.items() for v in vs],
                response.body, fetched_at)
            for doc in fresh:
                doc.capture = ref.as_capture(fetched_at)
        self.state.mark_seen(self.platform, [d.id for d in fresh])
        for doc in fresh:
            yield {"document": doc, "capture": ref}


class XenForoSpider(StatefulSpider):
    name = "xenforo"
    platform = "xenforo"

    def __init__(self, forums: list[str] = (), threads: list[str] = (), source_id: str = "voz",
                 thread_pages: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.forums, self.threads, self.source_id = list(forums), list(threads), source_id
        self.thread_pages = thread_pages

    async def start(self):
        for url in self.forums:
            yield Request(url, callback=self.parse_forum, errback=self.failed, dont_filter=True)
        for url in self.threads:
            yield self._thread_request(xenforo.thread_url(url), None)

    def _thread_request(self, thread: str, entry: dict | None) -> Request:
        known = self.state.get(f"xf:thread:{thread}") or {}
        page = int(known.get("page", 1))
        url = thread if page <= 1 else f"{thread}page-{page}"
        pages = self.thread_pages or self.settings.getint("LANGNGHE_THREAD_PAGES", THREAD_PAGES)
        return Request(url, callback=self.parse_thread, errback=self.failed, dont_filter=True,
                       meta={"thread": thread, "entry": entry, "pages_left": pages})

    def parse_forum(self, response: Response):
        for entry in xenforo.parse_thread_list(response.body, response.url):
            snapshot = {"last_post_at": entry.last_post_at.isoformat()
                        if entry.last_post_at else None, "replies": entry.replies}
            known = self.state.get(f"xf:thread:{entry.url}") or {}
            if {k: known.get(k) for k in snapshot} != snapshot:
                yield self._thread_request(entry.url, snapshot)

    def parse_thread(self, response: Response):
        meta = response.meta
        docs = xenforo.parse_thread(response.body, response.url, source_id=self.source_id)
        yield from self.emit(response, docs)
        following = xenforo.next_page(response.body, response.url)
        if following and meta["pages_left"] > 1:
            yield response.follow(following, callback=self.parse_thread, errback=self.failed,
                                  dont_filter=True,
                                  meta={**meta, "pages_left": meta["pages_left"] - 1})
            return
        finished = following is None  # capped visits resume next time, snapshot unchanged
        known = self.state.get(f"xf:thread:{meta['thread']}") or {}
        snapshot = meta["entry"] if finished and meta["entry"] else \
            {k: known.get(k) for k in ("last_post_at", "replies")}
        self.state.put(f"xf:thread:{meta['thread']}",
                       {**snapshot, "page": page_number(response.url)})


class TelegramSpider(StatefulSpider):
    name = "telegram"
    platform = "telegram"

    def __init__(self, channels: list[str] = (), source_id: str = "telegram",
                 base_url: str = "https://t.me", **kwargs):
        super().__init__(**kwargs)
        self.channels, self.source_id, self.base_url = list(channels), source_id, base_url

    async def start(self):
        pages = self.settings.getint("LANGNGHE_TELEGRAM_PAGES", TELEGRAM_PAGES)
        for channel in self.channels:
            newest = int(self.state.get(f"tg:newest:{channel}", 0))
            yield Request(f"{self.base_url}/s/{channel}", callback=self.parse_preview,
                          errback=self.failed, dont_filter=True,
                          meta={"channel": channel, "newest": newest, "pages_left": pages})

    def parse_preview(self, response: Response):
        meta = response.meta
        messages = telegram.parse_messages(response.body, response.url,
                                           source_id=self.source_id)
        newer = [m for m in messages if m.number > meta["newest"]]
        yield from self.emit(response, [m.document for m in newer])
        if messages:
            key = f"tg:newest:{meta['channel']}"
            highest = max(m.number for m in messages)
            self.state.put(key, max(highest, int(self.state.get(key, 0))))
        gap = meta["newest"] and messages and min(m.number for m in messages) > meta["newest"] + 1
        older = telegram.older_page(response.body, response.url)
        if gap and older and meta["pages_left"] > 1:
            yield response.follow(older, callback=self.parse_preview, errback=self.failed,
                                  dont_filter=True,
                                  meta={**meta, "pages_left": meta["pages_left"] - 1})


class SpoolItemsPipeline:
    """Writes the items' documents (capture attached) to the spool `LANGNGHE_SPOOL` in batches.

    Items are marked seen when parsed, so a crawl killed mid-batch loses at most one batch.
    """

    def __init__(self, spool: str, batch_size: int):
        self.spool, self.batch_size = Spool(spool), batch_size
        self.batch: list[tuple[Spider, Document]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SpoolItemsPipeline:
        from scrapy.exceptions import NotConfigured
        path = crawler.settings.get("LANGNGHE_SPOOL")
        if not path:
            raise NotConfigured("LANGNGHE_SPOOL is not set")
        pipeline = cls(path, crawler.settings.getint("LANGNGHE_SPOOL_BATCH", SPOOL_BATCH))
        pipeline.crawler = crawler
        return pipeline

    def process_item(self, item: dict) -> dict:
        self.batch.append((self.crawler.spider, item["document"]))
        if len(self.batch) >= self.batch_size:
            self.flush()
        return item

    def close_spider(self) -> None:
        self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        self.spool.put(doc for _, doc in batch)
        for spider, _ in batch:
            spider.spooled += 1


class DocumentsFilePipeline:
    """Appends each item's document (and capture) as a JSON line to `LANGNGHE_DOCUMENTS_FILE`."""

    def __init__(self, path: str):
        self.path = Path(path)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DocumentsFilePipeline:
        from scrapy.exceptions import NotConfigured
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


SPIDERS = {"xenforo": XenForoSpider, "telegram": TelegramSpider}


def run_job(job: dict) -> None:
    """Run the job's spiders in this process: {"settings": {…}, "spiders": [[name, {args}]]}."""
    settings = {**DEFAULT_SETTINGS, **job.get("settings", {})}
    process = CrawlerProcess(settings=settings, install_root_handler=False)
    for name, kwargs in job["spiders"]:
        process.crawl(SPIDERS[name], **kwargs)
    process.start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run forum/Telegram spiders from a job file.")
    parser.add_argument("--job", required=True, help="JSON file: settings and spiders to run")
    args = parser.parse_args(argv)
    run_job(json.loads(Path(args.job).read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
