"""Crawl + extract throughput against the local replay server, beside plain trafilatura.

The saved Vietnamese article pages of ../shared/data/web are served under many distinct URLs
(~300 pages; each copy's canonical/og:url rewritten so every copy is its own article), listed
in one test feed per outlet, and crawled by `crawl_once` (real Scrapy, subprocess, spool).
The same page bodies then go through `extract_article` and plain `trafilatura.extract` in
this process. Prints pages/s for each.

    python -m benchmarks.crawl [--copies 38]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import trafilatura

from crawlers.extract import extract_article
from crawlers.replay import ReplayServer
from crawlers.run import crawl_once
from langnghe.paths import Home
from langnghe.sources import Registry

WEB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "web"
LOCAL = {"DOWNLOAD_DELAY": 0}  # politeness off: the server is ours; per-domain concurrency kept


def vn_pages() -> list[tuple[str, bytes]]:
    pages = []
    for line in (WEB / "manifest.jsonl").read_text("utf-8").splitlines():
        e = json.loads(line)
        if e["lang"] == "vi" and e["kind"] == "article" and not e["path"].startswith("benchmark"):
            pages.append((e["url"], (WEB / e["path"]).read_bytes()))
    return pages


def copies(pages: list[tuple[str, bytes]], n: int) -> dict[str, bytes]:
    """URL → body: n copies per page, URL and self-references made unique per copy."""
    routes = {}
    for url, body in pages:
        stem, dot, ext = url.rpartition(".")
        for i in range(n):
            new = f"{stem}-b{i}{dot}{ext}"
            routes[new] = body.replace(url.encode(), new.encode())
    return routes


def rss(links: list[str]) -> bytes:
    items = "".join(f"<item><title>b</title><link>{u}</link></item>" for u in links)
    return f'<rss version="2.0"><channel><title>bench</title>{items}</channel></rss>'.encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="crawl + extract throughput")
    parser.add_argument("--copies", type=int, default=38, help="copies per saved page (8 pages)")
    args = parser.parse_args(argv)
    routes = copies(vn_pages(), args.copies)
    hosts = sorted({u.split("/")[2] for u in routes})
    feeds = {f"https://{h}/rss/bench.rss": rss([u for u in routes if u.split("/")[2] == h])
             for h in hosts}
    registry = Registry.model_validate({"sources": [
        {"id": h.split(".")[0], "name": h, "homepage": f"https://{h}",
         "feeds": [{"url": f"https://{h}/rss/bench.rss"}]} for h in hosts]})
    with tempfile.TemporaryDirectory() as tmp, ReplayServer({**routes, **feeds}) as server:
        report = crawl_once(registry, Home.resolve(tmp), host_map=server.host_map,
                            due_only=False, settings=LOCAL, timeout=600)
    bodies = list(routes.items())
    started = time.perf_counter()
    for url, body in bodies:
        extract_article(body, url)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    for url, body in bodies:
        trafilatura.extract(body, url=url)
    plain_s = time.perf_counter() - started
    n, new = len(bodies), report.totals["new"]
    print(f"pages: {n} ({len(hosts)} outlets, {args.copies} copies of each saved article)")
    print(f"crawl+extract (Scrapy, per-domain concurrency 2, no delay): {new} documents spooled, "
          f"{report.totals['failed']} failed")
    print(f"  {new / report.crawl_seconds:.1f} pages/s inside the crawl process "
          f"({report.crawl_seconds:.1f} s); {new / report.elapsed:.1f} pages/s wall clock "
          f"incl. process start ({report.elapsed:.1f} s)")
    print(f"extract_article alone:      {n / ours_s:.1f} pages/s ({ours_s:.2f} s)")
    print(f"plain trafilatura.extract:  {n / plain_s:.1f} pages/s ({plain_s:.2f} s)")
    return 0 if new == n else 1


if __name__ == "__main__":
    raise SystemExit(main())
