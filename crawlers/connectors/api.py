"""What the API connectors share: one JSON GET with error classes, run results, redaction.

Error classes (the `status` a run ends with, shown on the source-health page):
`not_configured` (no credentials), `quota` (daily budget spent / API says quotaExceeded),
`rate_limit` (throttled), `auth` (token expired, revoked or lacking permission), `parse`
(the body is not the JSON expected), `http` (another HTTP error), `network` (no answer).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from langnghe.document import Document

SECRET_PARAMS = {"key", "access_token", "appsecret_proof", "client_secret"}
TIMEOUT_S = 20.0  # an API answer slower than this is better retried next cycle
MAX_BODY_BYTES = 10 * 1024 * 1024  # the largest list responses are ~1 MB; more is a runaway


class ApiError(Exception):
    """A failed API call, with its error class (see the module docstring)."""

    def __init__(self, error_class: str, message: str):
        super().__init__(f"{error_class}: {message}")
        self.error_class, self.message = error_class, message


@dataclass
class Fetched:
    url: str  # redacted: no API key or token
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    data: dict
    fetched_at: datetime


@dataclass
class ConnectorRun:
    """The outcome of one connector run: documents, what was fetched, how it ended."""

    connector: str
    status: str = "ok"
    message: str = ""
    documents: list[Document] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # redacted URLs, in order
    units: int = 0  # API quota units spent (YouTube)
    captures: dict[str, object] = field(default_factory=dict)  # document id → CaptureRef

    def fail(self, error: ApiError) -> ConnectorRun:
        self.status, self.message = error.error_class, error.message
        return self


def redact(url: str) -> str:
    """`url` without credentials in its query (they must never reach logs or captures)."""
    parts = urlsplit(url)
    query = [(k, "REDACTED" if k in SECRET_PARAMS else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def get_json(client: httpx.Client, url: str, params: dict | None = None,
             classify=None) -> Fetched:
    """GET `url` and decode JSON; raise ApiError with a class on any failure.

    `classify(status, data)` maps a provider's error body to (class, message) or None.
    """
    try:
        response = client.get(url, params=params, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise ApiError("network", f"{type(exc).__name__}: {exc}") from None
    body = response.content[:MAX_BODY_BYTES]
    shown = redact(str(response.url))
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if classify is not None and isinstance(data, dict):
        found = classify(response.status_code, data)
        if found:
            raise ApiError(*found)
    if response.status_code >= 400:
        raise ApiError("http", f"HTTP {response.status_code} from {shown}")
    if not isinstance(data, dict):
        raise ApiError("parse", f"expected a JSON object from {shown}, got "
                                f"{body[:60]!r}{'…' if len(body) > 60 else ''}")
    return Fetched(shown, response.status_code, list(response.headers.items()), body, data,
                   datetime.now(UTC))


def record(fetched: Fetched, docs: list[Document], run: ConnectorRun, capture) -> None:
    """Keep the response as evidence (when a capture store is given) for the docs it yielded."""
    if capture is None or not docs:
        return
    ref = capture.capture(fetched.url, fetched.status, fetched.headers, fetched.body,
                          fetched.fetched_at)
    for doc in docs:
        run.captures[doc.id] = ref


def finish(run: ConnectorRun, state, now: float | None = None) -> ConnectorRun:
    """Store the run's status for the health page and return the run."""
    message = run.message or f"{len(run.documents)} new documents, {len(run.requests)} requests"
    state.set_status(run.connector, run.status, message, now if now is not None else time.time())
    return run
