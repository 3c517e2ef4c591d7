"""A local replay of real outlets: the saved Vietnamese article pages of ../shared/data/web,
served on 127.0.0.1 under their real URLs, with one RSS feed per outlet listing them."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import pytest

from crawlers.replay import ReplayServer
from langnghe.document import VN_TZ
from tests.paths import WEB


def manifest_articles() -> list[dict]:
    rows = [json.loads(line) for line in (WEB / "manifest.jsonl").read_text().splitlines()]
    return [r for r in rows if r["kind"] == "article" and r["lang"] == "vi"
            and not r["path"].startswith("benchmark/") and r.get("url")]


def rss(urls: list[str]) -> bytes:
    now = datetime.now(VN_TZ)
    items = "".join(f"<item><title>t{i}</title><link>{u}</link><guid>{u}</guid>"
                    f"<pubDate>{format_datetime(now - timedelta(minutes=i))}</pubDate></item>"
                    for i, u in enumerate(urls))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>test'
            f"</title><link>https://example.vn/</link>{items}</channel></rss>").encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def replay(tmp_path):
    """(server, sources_yaml_path, host_map_path, expected article URLs)."""
    articles = manifest_articles()
    by_origin: dict[str, list[str]] = {}
    routes = {}
    for art in articles:
        parts = urlsplit(art["url"])
        by_origin.setdefault(f"{parts.scheme}://{parts.netloc}", []).append(art["url"])
        routes[art["url"]] = WEB / art["path"]
    lines = ["sources:"]
    for n, (origin, urls) in enumerate(sorted(by_origin.items())):
        feed = f"{origin}/rss/langnghe-test.rss"
        routes[feed] = rss(urls)
        lines += [f"  - id: outlet{n}", f"    name: Outlet {n}", f"    homepage: {origin}",
                  "    poll_minutes: 1", "    feeds:", f"      - url: {feed}"]
    sources = tmp_path / "sources.yaml"
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with ReplayServer(routes) as server:
        host_map = tmp_path / "hostmap.json"
        host_map.write_text(json.dumps(server.host_map))
        yield server, sources, host_map, sorted(a["url"] for a in articles)
