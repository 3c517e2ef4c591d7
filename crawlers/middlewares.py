"""Downloader middlewares: host mapping (fetch real URLs from a local server), a gate that
stops requests to sources found unreachable in this crawl, retry backoff, and the egress guard
every request and redirect hop passes before it connects."""

from __future__ import annotations

import asyncio
import socket

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.resolver import dnscache
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

from langnghe import egress

ORIGINAL_URL = "langnghe_original_url"
MAPPED_TO = "langnghe_mapped_to"  # the local URL the host map chose (a redirect copies meta)


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
        meta = {**request.meta, ORIGINAL_URL: request.url, MAPPED_TO: local,
                "dont_obey_robotstxt": True}
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


class EgressGuardMiddleware:
    """Every request and every redirect hop connects only where `langnghe.egress` allows.

    The host is resolved and every address checked (loopback, private, link-local, multicast,
    reserved: refused unless the allow-list names them); the request fails with EgressRefused
    (error class "egress") or, for a name that does not resolve, with a DNS error as before.
    The checked address is the one connected to: it is written into Scrapy's DNS cache, which
    the HTTP/1.1 handler's resolver reads at connection time, so a name that answers otherwise
    a moment later (DNS rebinding) still reaches only the checked address.

    A request the host map rewrote goes to the local base the map names — configuration of
    the tests and the demo, explicit like an allow-list entry — and passes; anything else
    pointing at that server (a link, a redirect) needs the allow-list. Allow-list: the setting
    `LANGNGHE_EGRESS_ALLOW` plus the environment variable of the same name.
    """

    def __init__(self, allow: egress.AllowList):
        self.allow = allow
        self.passed: set[tuple[str, int]] = set()  # (host, port) checked in this crawl

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EgressGuardMiddleware:
        return cls(egress.AllowList.from_env(crawler.settings.getlist("LANGNGHE_EGRESS_ALLOW")))

    async def process_request(self, request: Request) -> None:
        if request.meta.get(MAPPED_TO) == request.url:
            return  # exactly where the host map sent it; a redirect from there is checked
        parts = urlparse_cached(request)
        if parts.scheme not in egress.DEFAULT_PORTS or not parts.hostname:
            raise egress.EgressRefused(f"Chỉ tải địa chỉ http:// hoặc https://: {request.url}")
        host = parts.hostname
        key = (host, parts.port or egress.DEFAULT_PORTS[parts.scheme])
        if key in self.passed:
            return  # its address is pinned in the DNS cache since the first check
        try:
            addresses = await asyncio.to_thread(egress.check, *key, self.allow)
        except socket.gaierror as exc:
            raise DNSLookupError(f"{host}: {exc}") from exc
        # the HTTP/1.1 handler connects over IPv4 through Scrapy's caching resolver
        ipv4 = next((a for a in addresses if ":" not in a), None)
        if ipv4 is not None and ipv4 != host:
            dnscache[host] = ipv4
        self.passed.add(key)
