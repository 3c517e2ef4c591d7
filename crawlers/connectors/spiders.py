"""Scrapy spiders for XenForo forums and Telegram channel previews, incremental by state.

`XenForoSpider` (name 'xenforo'): configured sub-forums → the first page of their thread list
(XenForo sorts it by latest activity) → only threads
whose last-post date or reply count changed since the last visit → from the last page read
onwards (new replies are at the end), following `rel=next` up to `LANGNGHE_THREAD_PAGES` pages.
`TelegramSpider` (name 'telegram'): `https://t.me/s/<channel>` → messages newer than the newest
one seen; older preview pages are followed only to close a gap, up to `LANGNGHE_TELEGRAM_PAGES`.

Both yield `{"document": Document, "capture": CaptureRef | None, "seq": int}` items to the
news crawl's pipeline (`crawlers.pipelines.SpoolPipeline`, spool `LANGNGHE_SPOOL`); state (seen
posts, thread snapshots, newest message) lives in a `ConnectorState` file (setting
`LANGNGHE_CONNECTOR_STATE`) and is committed only once the items it covers are in the spool
(`StatefulSpider.commit_spooled`), so a killed run re-fetches, never loses, them; pages that
produced documents are captured as WARC records when `LANGNGHE_CAPTURE_DIR` is set.
`python -m crawlers.connectors.spiders --job JOB.json` runs them in a process of their own
(`run_job`).
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

_PAGE = re.compile(r"/page-(\d+)")
MAX_ERRORS = 20  # per spider in a report: enough to diagnose, bounded for the console
THREAD_PAGES = 10  # per thread per visit: 200 posts; a busier thread continues next visit
TELEGRAM_PAGES = 3  # older preview pages (20 messages each) to close a gap after a pause
DEFAULT_SETTINGS = {  # under the job's own settings
    "DOWNLOAD_DELAY": 2.0,  # a forum is one server run by volunteers: gentler than news sites
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,  # one request at a time per forum / t.me
    "ROBOTSTXT_OBEY": True,
    "COOKIES_ENABLED": False,  # logged-out, anonymous reading only
    "TELNETCONSOLE_ENABLED": False,
    "USER_AGENT": "LangNghe/0.1 (+https://github.com/langnghe; press monitoring)",
    # the news crawl's pipeline: posts count as seen only once their batch is in the spool
    "ITEM_PIPELINES": {"crawlers.pipelines.DocumentsFilePipeline": 300,
                       "crawlers.pipelines.SpoolPipeline": 310},
    # every request and redirect hop through the egress guard, as in the news crawl
    "DOWNLOADER_MIDDLEWARES": {"crawlers.middlewares.EgressGuardMiddleware": 950},
}


def page_number(url: str) -> int:
    match = _PAGE.search(url)
    return int(match.group(1)) if match else 1


class StatefulSpider(Spider):
    """Shared plumbing: the state file, evidence capture, error recording, and the commit of
    state once the items it covers are in the spool (`crawlers.pipelines.SpoolPipeline`).

    Every item gets a sequence number. State that depends on items (posts seen, a thread's
    snapshot, a channel's newest message) is recorded as *marks* to apply after every item
    yielded so far is committed; a run killed before that leaves the state as it was, so the
    next run fetches the same items again.
    """

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
        spider.pending: set[str] = set()  # ids yielded in this run (committed or not)
        spider.yielded = 0  # sequence number of the last item yielded
        spider.committed: set[int] = set()  # committed sequence numbers above the watermark
        spider.watermark = 0  # every item up to this sequence number is committed
        spider.waiting: list[tuple[int, list[tuple]]] = []  # (after seq, marks), in order
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

    def spool_failed(self, exc: Exception) -> None:
        self.errors.append(f"spool: {type(exc).__name__}: {exc}")

    # -- state after the spool ------------------------------------------------------------------
    def after_items(self, marks: list[tuple]) -> None:
        """Apply `marks` — ("put", key, value) or ("max", key, number) — once every item
        yielded so far is committed (at once when it already is)."""
        self.waiting.append((self.yielded, marks))
        self._apply_due(time.time())

    def commit_spooled(self, items: list[dict], now: float) -> None:
        """Called by the spool pipeline once `items` are on disk: they count as seen."""
        self.state.mark_seen(self.platform, [item["document"].id for item in items], now)
        self.spooled += len(items)
        self.committed.update(item["seq"] for item in items)
        while self.watermark + 1 in self.committed:
            self.watermark += 1
            self.committed.discard(self.watermark)
        self._apply_due(now)

    def _apply_due(self, now: float) -> None:
        while self.waiting and self.waiting[0][0] <= self.watermark:
            for op, key, value in self.waiting.pop(0)[1]:
                if op == "max":
                    value = max(value, int(self.state.get(key, 0)))
                self.state.put(key, value, now)

    def emit(self, response: Response, docs: list[Document]):
        """Items for the documents not seen before; the page is captured when it yielded any."""
        fresh = [d for d in docs
                 if d.id not in self.pending and not self.state.seen(self.platform, d.id)]
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
        for doc in fresh:
            self.pending.add(doc.id)
            self.yielded += 1
            yield {"document": doc, "capture": ref, "seq": self.yielded}


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
        self.after_items([("put", f"xf:thread:{meta['thread']}",
                           {**snapshot, "page": page_number(response.url)})])


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
            self.after_items([("max", f"tg:newest:{meta['channel']}",
                               max(m.number for m in messages))])
        gap = meta["newest"] and messages and min(m.number for m in messages) > meta["newest"] + 1
        older = telegram.older_page(response.body, response.url)
        if gap and older and meta["pages_left"] > 1:
            yield response.follow(older, callback=self.parse_preview, errback=self.failed,
                                  dont_filter=True,
                                  meta={**meta, "pages_left": meta["pages_left"] - 1})


SPIDERS = {"xenforo": XenForoSpider, "telegram": TelegramSpider}


def run_job(job: dict) -> None:
    """Run the job's spiders in this process: {"settings": {…}, "spiders": [[name, {args}]]}."""
    given = job.get("settings", {})
    settings = {**DEFAULT_SETTINGS, **given,  # middlewares the job adds (host map) join the guard
                "DOWNLOADER_MIDDLEWARES": {**DEFAULT_SETTINGS["DOWNLOADER_MIDDLEWARES"],
                                           **given.get("DOWNLOADER_MIDDLEWARES", {})}}
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
