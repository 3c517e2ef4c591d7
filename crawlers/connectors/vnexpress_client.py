"""VnExpress comment connector: comments of known articles, re-polled while they are fresh.

The comment widget's endpoint is public (no credentials), so the connector is always
configured. An article is polled when it is younger than `fresh_hours` (news comments come in
the first two days) and its last poll is older than `min_interval_minutes`; each poll pages
through the top-level comments (offset/limit) and keeps only comments not seen before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import httpx

from crawlers.connectors import vnexpress
from crawlers.connectors.api import ApiError, ConnectorRun, finish, get_json, record
from crawlers.connectors.state import ConnectorState


@dataclass
class VnExpressCommentsConfig:
    base_url: str = "https://usi-saas.vnexpress.net/index/get"
    site_id: str = "1000000"  # the widget's id for vnexpress.net
    fresh_hours: float = 48  # VnExpress articles gather nearly all comments in two days
    min_interval_minutes: float = 30  # between two polls of one article
    page_size: int = 25  # the widget's own page size
    max_pages: int = 8  # 200 top-level comments per poll
    source_id: str = "vnexpress"


def classify(status: int, data: dict) -> tuple[str, str] | None:
    if data.get("error") not in (0, None, "0"):
        return "http", f"endpoint error {data.get('error')}: {data.get('errorDescription', '')}"
    return None


class VnExpressComments:
    name = "vnexpress_comments"
    configured = True

    def __init__(self, config: VnExpressCommentsConfig, state: ConnectorState, *,
                 capture=None, client: httpx.Client | None = None):
        self.config, self.state, self.capture = config, state, capture
        self.client = client or httpx.Client(follow_redirects=True)

    def run(self, articles: list[tuple[str, datetime | None]],
            now: float | None = None) -> ConnectorRun:
        """Poll the comments of `articles` (URL, publication time) that are due."""
        now = now if now is not None else time.time()
        run = ConnectorRun(self.name)
        for url, published in articles:
            if not self._due(url, published, now):
                continue
            try:
                self._poll(run, url)
            except ApiError as error:
                run.fail(ApiError(error.error_class, f"{url}: {error.message}"))
                break
            self.state.put(f"vne:polled:{url}", now, now)
        return finish(run, self.state, now)

    def _due(self, url: str, published: datetime | None, now: float) -> bool:
        if vnexpress.article_id(url) is None:
            return False
        if published is None or now - published.timestamp() > self.config.fresh_hours * 3600:
            return False
        last = self.state.get(f"vne:polled:{url}")
        return last is None or now - float(last) >= self.config.min_interval_minutes * 60

    def _poll(self, run: ConnectorRun, url: str) -> None:
        offset = 0
        for _ in range(self.config.max_pages):
            params = {"offset": offset, "limit": self.config.page_size, "sort": "like",
                      "objectid": vnexpress.article_id(url), "objecttype": 1,
                      "siteid": self.config.site_id}
            fetched = get_json(self.client, self.config.base_url, params, classify)
            run.requests.append(fetched.url)
            docs = vnexpress.parse_comments(fetched.data, article_url=url,
                                            source_id=self.config.source_id)
            fresh = [d for d in docs if not self.state.seen(self.name, d.id)]
            record(fetched, fresh, run, self.capture)
            self.state.mark_seen(self.name, [d.id for d in fresh])
            run.documents.extend(fresh)
            offset += self.config.page_size
            if not docs or offset >= vnexpress.total(fetched.data):
                return
