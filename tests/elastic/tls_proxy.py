"""A TLS endpoint on 127.0.0.1 that accepts one API key and relays to the suites' plain node.

API keys live in Elasticsearch's `.security` index, whose mapping needs the analysis-common
module (`pattern_capture`); the integ-test-zip has no such module and Maven Central does not
publish it, so the security-enabled test node (tests/elastic/secure_node.py) can check users and
certificates but cannot create an API key. This endpoint stands in for that one check: it
serves a certificate of a CA made here and answers 401 (as Elasticsearch does) unless a request
carries `Authorization: ApiKey <key>`; it records every Authorization header it saw.
"""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

RELAYED_HEADERS = ("Content-Type", "Accept")
RETURNED_HEADERS = ("Content-Type", "X-Elastic-Product", "Warning")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ApiKeyProxy

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        given = self.headers.get("Authorization")
        self.server.seen.append(given)
        if given != f"ApiKey {self.server.key}":
            payload = json.dumps({"error": {"type": "security_exception",
                                            "reason": "unable to authenticate with provided "
                                                      "credentials"}, "status": 401}).encode()
            self._answer(401, {"Content-Type": "application/json",
                               "X-Elastic-Product": "Elasticsearch",
                               "WWW-Authenticate": 'ApiKey realm="langnghe-test"'}, payload)
            return
        headers = {k: v for k in RELAYED_HEADERS if (v := self.headers.get(k))}
        upstream = self.server.upstream.request(self.command, self.path, content=body,
                                                headers=headers)
        self._answer(upstream.status_code,
                     {k: v for k in RETURNED_HEADERS if (v := upstream.headers.get(k))},
                     upstream.content)

    def _answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


class ApiKeyProxy(ThreadingHTTPServer):
    """`with ApiKeyProxy(upstream_url, key, cert, key_file) as proxy:` → proxy.url (https)."""

    daemon_threads = True

    def __init__(self, upstream: str, key: str, certificate: Path, private_key: Path):
        super().__init__(("127.0.0.1", 0), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, private_key)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.key = key
        self.seen: list[str | None] = []
        self.upstream = httpx.Client(base_url=upstream, timeout=60)
        self.url = f"https://127.0.0.1:{self.server_address[1]}"
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self) -> ApiKeyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self.upstream.close()
