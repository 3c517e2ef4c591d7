"""Downloader middlewares: host mapping (fetch real URLs from a local server), a gate that
stops requests to sources found unreachable in this crawl, and retry backoff."""

from __future__ import annotations

import asyncio

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

ORIGINAL_URL = "langnghe_original_url"


def map_url(url: str, host_map: dict[str, str]) -> str | None:
    """The local URL for `url` when its origin is mapped, else None."""
    for origin, local in host_map.items():
        if url == origin or url.startswith(origin + "/"):
            return local + url[len(origin):]
    return None


def unmap_url(url: str, host_map: dict[str, str]) -> str:
    """Inverse of `map_url` (https wins when both schemes map to one local base)."""
    for origin, local in sorted(host_map.items(), key=lambda kv: not kv[0].startswith("https")):
        if url == local or url.startswith(local + "/"):
            return origin + url[len(local):]
    return url


class HostMapMiddleware:
    """Setting `LANGNGHE_HOST_MAP` (origin → local base): download the local copy, but give
    spiders the response under its original URL. Off when the map is empty."""

    def __init__(self, host_map: dict[str, str]):
        self.host_map = {k.rstrip("/"): v.rstrip("/") for k, v in host_map.items()}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostMapMiddleware:
        host_map = crawler.settings.getdict("LANGNGHE_HOST_MAP")
        if not host_map:
            raise NotConfigured("LANGNGHE_HOST_MAP is empty")
        return cls(host_map)

    def process_request(self, request: Request) -> Request | None:
        local = map_url(request.url, self.host_map)
        if local is None:
            return None
        meta = {**request.meta, ORIGINAL_URL: request.url, "dont_obey_robotstxt": True}
        return request.replace(url=local, meta=meta, dont_filter=True)

    def process_response(self, request: Request, response: Response) -> Response:
        original = unmap_url(response.url, self.host_map)
        return response if original == response.url else response.replace(url=original)


class SourceGateMiddleware:
    """Drops requests of sources the spider has marked unreachable (DNS/connect failure), so
    an offline machine yields one error per source instead of one per request."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceGateMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        ctx = getattr(self.crawler.spider, "ctx", None)
        source_id = request.meta.get("source_id")
        if ctx is not None and source_id in ctx.dead:
            raise IgnoreRequest(f"source {source_id} unreachable in this crawl")


class BackoffMiddleware:
    """Waits base * 2**(n-1) seconds (capped) before sending retry n of a request."""

    def __init__(self, base: float, cap: float):
        self.base, self.cap = base, cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffMiddleware:
        return cls(crawler.settings.getfloat("LANGNGHE_BACKOFF_BASE", 1.0),
                   crawler.settings.getfloat("LANGNGHE_BACKOFF_MAX", 30.0))

    async def process_request(self, request: Request) -> None:
        retries = request.meta.get("retry_times", 0)
        if retries and self.base > 0:
            await asyncio.sleep(min(self.cap, self.base * 2 ** (retries - 1)))
