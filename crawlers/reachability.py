"""Reachability check of every configured feed (for `langnghe sources check`), through the
egress guard like every other fetch (langnghe.egress)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from langnghe import egress
from langnghe.sources import Registry, Source

USER_AGENT = "LangNghe/0.1 (+https://github.com/langnghe; media monitoring)"


def check_reachability(registry: Registry,
                       timeout: float = 10) -> Iterator[tuple[Source, str, str]]:
    """Yield (source, feed url, outcome) where outcome is "HTTP 200" or an error class."""
    with egress.client(timeout=timeout, follow_redirects=True,
                       headers={"User-Agent": USER_AGENT}) as client:
        for source in registry.enabled:
            for feed in source.feeds:
                try:
                    response = client.get(feed.url)
                    yield source, feed.url, f"HTTP {response.status_code}"
                except httpx.ConnectError as exc:
                    kind = "DNS" if "Name or service" in str(exc) or "resolution" in str(exc) \
                        else "connect"
                    yield source, feed.url, f"{kind} error: {exc}"
                except egress.EgressRefused as exc:
                    yield source, feed.url, f"egress: {exc}"
                except httpx.HTTPError as exc:
                    yield source, feed.url, f"{type(exc).__name__}: {exc}"
