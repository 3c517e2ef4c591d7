"""Shared pieces: paths of the real saved pages/responses and an API-replaying local server.

`ApiReplay` is `crawlers.replay.ReplayServer` with two additions API tests need: a route can
answer with another HTTP status (`X-Replay-Status` header, stripped before sending), and
requests are matched on selected query parameters only (`pageToken`, `after`, `offset`, …), so
the real recorded page 2 is served exactly when the client asks for page 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from crawlers.replay import ReplayServer, _Handler
from tests.paths import WEB

YOUTUBE = WEB / "social" / "youtube"
FACEBOOK = WEB / "social" / "facebook"
TELEGRAM = WEB / "social" / "telegram"
VOZ = WEB / "voz"
VNE_COMMENTS = WEB / "vnexpress" / "comments" / "vnexpress_comment_api_page.json"
VOZ_THREAD = VOZ / "voz_thread_view_196903_2020.html"
VOZ_FORUM = VOZ / "voz_forum_view_chuyen-tro-linh-tinh_2026.html"
ROUTING_PARAMS = ("pageToken", "after", "until", "offset")  # the parameters that select a page


def routing_key(path: str) -> str:
    """'/host/path?…' reduced to the query parameters that choose a page, sorted."""
    parts = urlsplit(path)
    kept = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                  if k in ROUTING_PARAMS)
    return f"{parts.path}?{urlencode(kept)}" if kept else parts.path


class _ApiHandler(_Handler):
    def _send(self, status, body, headers, head):
        wanted = headers.pop("X-Replay-Status", None)
        super()._send(int(wanted) if wanted and status == 200 else status, body, headers, head)


class ApiReplay(ReplayServer):
    def _get(self, path):
        return super()._get(routing_key(path))

    def add(self, url, body_or_path, headers=None, status: int = 200):
        parts = urlsplit(url)
        key_url = url.split("?", 1)[0]
        query = routing_key("/x?" + parts.query).partition("?")[2]
        extra = {**(headers or {}), **({"X-Replay-Status": str(status)} if status != 200 else {})}
        super().add(key_url + (f"?{query}" if query else ""), body_or_path, extra)

    def start(self):  # ReplayServer.start with the status-aware handler
        import threading
        from http.server import ThreadingHTTPServer
        handler = type("Handler", (_ApiHandler,), {"replay": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


@pytest.fixture(scope="session")
def _api_server():
    server = ApiReplay({}).start()
    yield server
    server.stop()  # once: shutting a server down waits out its 0.5 s poll interval


@pytest.fixture
def api(_api_server):
    """The shared replay server, emptied of routes and request log for each test."""
    with _api_server._lock:
        _api_server._routes.clear()
    _api_server.requests.clear()
    return _api_server


def load(path: Path) -> dict:
    return json.loads(path.read_bytes())
