"""Facebook Graph API connector: posts and comments of pages the operator holds a token for.

Tokens come from the environment (one variable per page, named in the config); a page
without its token is skipped, and with none the connector reports 'not_configured'. Paging
follows `paging.next` (cursor URLs). Graph errors are classed by their code: 4, 17, 32, 613
(and 80001-80014, the business-use-case limits) → 'rate_limit'; 190 (expired or invalid
token), 102, 10 and 200-299 (missing permission) → 'auth'. Either stops the run; the message
names the page. Incremental: posts already fetched are not fetched again and stop the paging;
comments are re-polled while the post is fresh.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from crawlers.connectors import facebook
from crawlers.connectors.api import ApiError, ConnectorRun, finish, get_json, record
from crawlers.connectors.state import ConnectorState

DEFAULT_BASE = "https://graph.facebook.com"
RATE_CODES = {4, 17, 32, 613} | set(range(80001, 80015))
AUTH_CODES = {190, 102, 10} | set(range(200, 300))
POST_FIELDS = ("id,message,story,created_time,permalink_url,from,shares,"
               "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)")
COMMENT_FIELDS = "id,message,created_time,like_count,comment_count,permalink_url,from,parent{id}"


@dataclass
class FacebookPage:
    page_id: str
    token_env: str  # environment variable holding this page's access token


@dataclass
class FacebookConfig:
    pages: list[FacebookPage] = field(default_factory=list)
    base_url: str = DEFAULT_BASE
    version: str = "v19.0"
    page_size: int = 25  # Graph's default page size
    max_pages: int = 4  # per edge per run: 100 posts or comments
    fresh_hours: float = 48  # re-poll a post's comments this long after publication
    source_id: str = "facebook"


def classify(status: int, data: dict) -> tuple[str, str] | None:
    error = data.get("error")
    if not isinstance(error, dict):
        return None
    code, message = error.get("code"), str(error.get("message", ""))[:300]
    label = f"code {code}" + (f"/{error['error_subcode']}" if error.get("error_subcode") else "")
    if code in RATE_CODES:
        return "rate_limit", f"{label}: {message}"
    if code in AUTH_CODES or error.get("type") == "OAuthException":
        return "auth", f"{label}: {message}"
    return "http", f"HTTP {status} {label}: {message}"


class FacebookConnector:
    name = "facebook"

    def __init__(self, config: FacebookConfig, state: ConnectorState, *,
                 env: Mapping[str, str] | None = None, capture=None,
                 client: httpx.Client | None = None):
        self.config, self.state, self.capture = config, state, capture
        env = env if env is not None else os.environ
        self.tokens = {p.page_id: env.get(p.token_env, "") for p in config.pages}
        self.client = client or httpx.Client(follow_redirects=True)

    @property
    def configured(self) -> bool:
        return any(self.tokens.values())

    def run(self, now: float | None = None) -> ConnectorRun:
        now = now if now is not None else time.time()
        run = ConnectorRun(self.name)
        if not self.configured:
            run.status = "not_configured"
            names = ", ".join(p.token_env for p in self.config.pages) or "(no pages configured)"
            run.message = f"no page token in the environment: {names}"
            return finish(run, self.state, now)
        for page in self.config.pages:
            token = self.tokens[page.page_id]
            if not token:
                continue
            try:
                self._page(run, page.page_id, token, now)
            except ApiError as error:
                run.fail(ApiError(error.error_class, f"page {page.page_id}: {error.message}"))
                break
        return finish(run, self.state, now)

    # -- calls ---------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/{self.config.version}/{path}"

    def _local(self, url: str) -> str:
        """A `paging.next` URL pointed at the configured base (tests, proxies)."""
        if url.startswith(DEFAULT_BASE) and self.config.base_url != DEFAULT_BASE:
            return self.config.base_url.rstrip("/") + url[len(DEFAULT_BASE):]
        return url

    def _pages(self, run: ConnectorRun, url: str, params: dict | None):
        """Yield (fetched, data) for up to `max_pages` pages, following paging.next."""
        for _ in range(self.config.max_pages):
            fetched = get_json(self.client, url, params, classify)
            run.requests.append(fetched.url)
            yield fetched
            following = facebook.next_page(fetched.data)
            if not following:
                return
            url, params = self._local(following), None

    def _keep(self, run: ConnectorRun, fetched, docs: list) -> list:
        fresh = [d for d in docs if not self.state.seen(self.name, d.id)]
        record(fetched, fresh, run, self.capture)
        self.state.mark_seen(self.name, [d.id for d in fresh])
        run.documents.extend(fresh)
        return fresh

    # -- flow ----------------------------------------------------------------------------------
    def _page(self, run: ConnectorRun, page_id: str, token: str, now: float) -> None:
        params = {"fields": POST_FIELDS, "limit": self.config.page_size, "access_token": token}
        polled: list[str] = []
        for fetched in self._pages(run, self._url(f"{page_id}/posts"), params):
            items = {d.id: d for d in facebook.parse_feed(fetched.data,
                                                          source_id=self.config.source_id)}
            new = self._keep(run, fetched, list(items.values()))
            new_ids = {d.id for d in new}
            for item in fetched.data.get("data", []):
                doc = items.get(facebook.doc_id(item.get("id", "")))
                if doc and (doc.id in new_ids or self._fresh(doc, now)):
                    polled.append(item["id"])
            if not new:
                break  # the rest of the feed is older and was fetched before
        for post_id in dict.fromkeys(polled):
            self._comments(run, post_id, token)

    def _fresh(self, doc, now: float) -> bool:
        published = doc.published_at.timestamp() if doc.published_at else 0
        return now - published < self.config.fresh_hours * 3600

    def _comments(self, run: ConnectorRun, post_id: str, token: str) -> None:
        params = {"fields": COMMENT_FIELDS, "filter": "stream", "order": "reverse_chronological",
                  "limit": self.config.page_size, "access_token": token}
        for fetched in self._pages(run, self._url(f"{post_id}/comments"), params):
            docs = facebook.parse_comments(fetched.data, post_native=post_id,
                                           source_id=self.config.source_id)
            if not self._keep(run, fetched, docs):
                return
