"""Evidence capture of crawled news articles, and its daily retention.

A real Scrapy crawl (subprocess via crawl_once) of real saved article pages served by
ReplayServer under their real URLs; every spooled article must link a WARC record that gives
back exactly the bytes the extractor parsed.
"""

import gzip
import os
import time

from crawlers.capture import CaptureRef, prune_if_due, read_capture, record_info
from crawlers.replay import ReplayServer
from crawlers.run import CAPTURE_DIR, crawl_once
from langnghe.document import Document, document_id
from langnghe.paths import Home
from langnghe.sources import Registry
from langnghe.spool import Spool
from tests.crawlers.conftest import rss
from tests.paths import WEB

FAST = {"DOWNLOAD_DELAY": 0, "LANGNGHE_BACKOFF_BASE": 0}
HOSTS = ("vnexpress.net", "tuoitre.vn")


def page_bytes(entry: dict) -> bytes:
    data = (WEB / entry["path"]).read_bytes()
    return gzip.decompress(data) if entry["path"].endswith(".gz") else data


def test_crawl_once_article_capture_reproduces_parsed_bytes(articles, tmp_path):
    chosen = [e for e in articles if any(h in e["url"] for h in HOSTS)]
    routes = {e["url"]: WEB / e["path"] for e in chosen}
    sources = []
    for host in HOSTS:
        feed = f"https://{host}/rss/capture-test.rss"
        routes[feed] = rss(*[e["url"] for e in chosen if host in e["url"]])
        sources.append({"id": host.split(".")[0], "name": host, "homepage": f"https://{host}",
                        "feeds": [{"url": feed}]})
    home = Home.resolve(tmp_path / "home")
    with ReplayServer(routes) as server:
        report = crawl_once(Registry.model_validate({"sources": sources}), home,
                            host_map=server.host_map, settings=FAST, timeout=120)
    assert report.new == len(chosen) > 0
    docs: dict[str, Document] = {}
    for path in (home.spool / "new").glob("*.jsonl"):
        docs.update({d.id: d for d in Spool(home.spool)._read(path)})
    for entry in chosen:
        doc = docs[document_id(entry["url"])]
        assert doc.capture is not None and doc.capture.fetched_at is not None
        assert doc.capture.file.startswith(str(home.root / CAPTURE_DIR))
        ref = CaptureRef.of(doc.capture)
        headers, body = read_capture(ref)
        assert body == page_bytes(entry)  # the stored WARC reproduces the parsed bytes
        assert record_info(ref)["WARC-Target-URI"] == entry["url"]  # the real URL, not 127.0.0.1


def test_prune_if_due_applies_retention_once_a_day(tmp_path):
    now = time.time()
    old, fresh = tmp_path / "old.warc.gz", tmp_path / "fresh.warc.gz"
    for path, age_days in ((old, 100), (fresh, 10)):
        path.write_bytes(b"x")
        os.utime(path, (now - age_days * 86400, now - age_days * 86400))
    assert prune_if_due(tmp_path, days=90, now=now) == [old]
    assert fresh.exists() and not old.exists()
    os.utime(fresh, (now - 200 * 86400, now - 200 * 86400))
    assert prune_if_due(tmp_path, days=90, now=now + 3600) is None  # pruned an hour ago
    assert prune_if_due(tmp_path, days=90, now=now + 86400) == [fresh]  # a day later
