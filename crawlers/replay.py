"""A local replay HTTP server: serves saved pages and feeds under their original URLs.

Used by tests, benchmarks and `langnghe demo`. A route's key is the ORIGINAL absolute URL
(`https://vnexpress.net/rss/the-gioi.rss`); it is served at `http://127.0.0.1:PORT/<host><path>`
and `host_map` gives the origin → local base mapping that `crawlers.middlewares.HostMapMiddleware`
(setting `LANGNGHE_HOST_MAP`) uses to fetch real outlet URLs locally.

Supports conditional GET (ETag / If-None-Match and Last-Modified / If-Modified-Since → 304),
`.gz` files (sent gzip-encoded when the client accepts it, else decompressed), and routes added
while running (`add`), so a test can make a feed gain items. A route may answer with another
`status` (e.g. `add(url, b"", status=302, headers={"Location": target})` for a redirect); such
routes never answer 304.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

_TYPES = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
          ".chn": "text/html; charset=utf-8", ".xml": "application/xml",
          ".rss": "application/rss+xml",
          ".json": "application/json", ".txt": "text/plain; charset=utf-8"}


def _route_key(url: str) -> str:
    """'/host/path?query' — the local path a original URL is served at."""
    parts = urlsplit(url)
    key = f"/{(parts.hostname or '').lower()}{parts.path or '/'}"
    return f"{key}?{parts.query}" if parts.query else key


def _content_type(url: str, body: bytes) -> str:
    path = urlsplit(url).path.lower()
    for suffix, kind in _TYPES.items():
        if path.endswith(suffix):
            return kind
    head = body[:200].lstrip().lower()
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<urlset", b"<sitemapindex")):
        return "application/xml"
    if head.startswith(b"{"):
        return "application/json"
    return "text/html; charset=utf-8"


class _Route:
    def __init__(self, url: str, source: Path | bytes, headers: dict[str, str] | None,
                 status: int = 200):
        self.status = status
        data = source.read_bytes() if isinstance(source, Path) else source
        self.gzipped = data[:2] == b"\x1f\x8b"
        self.plain = gzip.decompress(data) if self.gzipped else data
        self.raw = data
        self.etag = '"' + hashlib.sha1(self.plain, usedforsecurity=False).hexdigest()[:16] + '"'
        self.last_modified = formatdate(usegmt=True)
        self.headers = {"Content-Type": _content_type(url, self.plain), **(headers or {})}


class ReplayServer:
    """Threaded HTTP server on 127.0.0.1 replaying `routes` (original URL → file or bytes).

    `headers` maps an original URL to extra/overriding response headers (e.g. a wrong
    Content-Type charset). Use as a context manager or call `start()` / `stop()`.
    """

    def __init__(self, routes: dict[str, Path | bytes], port: int = 0,
                 headers: dict[str, dict[str, str]] | None = None):
        self._port = port
        self._extra_headers = headers or {}
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._httpd: ThreadingHTTPServer | None = None
        for url, source in routes.items():
            self.add(url, source)

    # -- routes ---------------------------------------------------------------------------
    def add(self, url: str, body_or_path: Path | bytes | str,
            headers: dict[str, str] | None = None, status: int = 200) -> None:
        """Serve (or replace) `url` with `status`; str is encoded as UTF-8. Safe while running."""
        source = body_or_path.encode("utf-8") if isinstance(body_or_path, str) else body_or_path
        route = _Route(url, source, {**self._extra_headers.get(url, {}), **(headers or {})},
                       status)
        with self._lock:
            self._routes[_route_key(url)] = route

    def remove(self, url: str) -> None:
        with self._lock:
            self._routes.pop(_route_key(url), None)

    def _get(self, path: str) -> _Route | None:
        with self._lock:
            return self._routes.get(path)

    # -- addresses ------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("ReplayServer not started: call start() first")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def local_url(self, original_url: str) -> str:
        return self.base_url + _route_key(original_url)

    @property
    def host_map(self) -> dict[str, str]:
        """Origin ('https://vnexpress.net') → local base ('http://127.0.0.1:PORT/vnexpress.net')."""
        with self._lock:
            keys = list(self._routes)
        hosts = {key.split("/", 2)[1] for key in keys}
        return {f"{scheme}://{host}": f"{self.base_url}/{host}"
                for host in sorted(hosts) for scheme in ("https", "http")}

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> ReplayServer:
        handler = type("Handler", (_Handler,), {"replay": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True,
                         name="replay-server").start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ReplayServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    replay: ReplayServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_HEAD(self) -> None:  # noqa: N802 (http.server naming)
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        self.replay.requests.append((self.path, dict(self.headers.items())))
        # like real sites, unknown query strings (tracking parameters) serve the same page
        route = self.replay._get(self.path) or self.replay._get(self.path.split("?", 1)[0])
        if route is None:
            return self._send(404, b"not found", {"Content-Type": "text/plain"}, head)
        if route.status == 200 and self._not_modified(route):
            return self._send(304, b"", {"ETag": route.etag,
                                         "Last-Modified": route.last_modified}, head)
        body, headers = route.plain, dict(route.headers)
        if route.gzipped and "gzip" in self.headers.get("Accept-Encoding", ""):
            body, headers["Content-Encoding"] = route.raw, "gzip"
        headers.update({"ETag": route.etag, "Last-Modified": route.last_modified})
        self._send(route.status, body, headers, head)

    def _not_modified(self, route: _Route) -> bool:
        if "If-None-Match" in self.headers:
            return route.etag in self.headers["If-None-Match"]
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return parsedate_to_datetime(since) >= parsedate_to_datetime(route.last_modified)
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)


def routes_from_manifest(web_dir: str | Path) -> dict[str, Path]:
    """Original URL → saved file, for every page/feed of `web_dir/manifest.jsonl` with a URL.

    Gold files are skipped; when several files share a URL the first listed wins.
    """
    web_dir = Path(web_dir)
    routes: dict[str, Path] = {}
    for line in (web_dir / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        url = entry.get("url")
        if url and entry.get("kind") not in ("gold_body", "gold_annotation") \
                and url not in routes and urlsplit(url).scheme in ("http", "https"):
            routes[url] = web_dir / entry["path"]
    return routes
