"""Real Scrapy crawls of the real VOZ and Telegram pages served by a local ReplayServer.

voz.vn and t.me cannot be reached from here; `ReplayServer` serves the saved pages under
their original URLs and `HostMapMiddleware` maps the requests to it. The spiders run in a
process of their own (`python -m crawlers.connectors.spiders --job …`), as in production.
The saved thread page (2020) stands in for every thread of the saved thread list (2026), with
its `rel=next` link removed so that it is a thread's last page.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from crawlers.capture import CaptureRef, read_capture
from crawlers.connectors import xenforo
from crawlers.connectors.state import ConnectorState
from crawlers.replay import ReplayServer
from tests.connectors.conftest import TELEGRAM, VOZ_FORUM, VOZ_THREAD
from tests.paths import REPO

FORUM = "https://voz.vn/f/chuyen-tro-linh-tinh%E2%84%A2.17/"
CHANNEL = "https://t.me/s/topwar_official"
CHANGED_THREAD = "1195253"
LAST_POST = b'datetime="2026-01-10T19:41:09+0700"'


def last_page(html: bytes) -> bytes:
    lines = html.split(b"\n")
    return b"\n".join(line for line in lines if b'rel="next"' not in line)


def site_routes() -> tuple[dict, bytes]:
    """The real forum list, its threads (one real last page each) and the Telegram channel."""
    thread = last_page(VOZ_THREAD.read_bytes())
    routes = {FORUM: VOZ_FORUM, CHANNEL: TELEGRAM / "full.html"}
    routes.update({e.url: thread for e in xenforo.parse_thread_list(VOZ_FORUM.read_bytes())})
    return routes, thread


@pytest.fixture(scope="module")
def site():
    routes, thread = site_routes()
    with ReplayServer(routes) as server:
        yield server, thread


def crawl(server, tmp_path, run: int) -> list[dict]:
    out = tmp_path / f"docs-{run}.jsonl"
    job = {"settings": {
        "LANGNGHE_HOST_MAP": server.host_map, "LANGNGHE_DOCUMENTS_FILE": str(out),
        "LANGNGHE_CONNECTOR_STATE": str(tmp_path / "state.sqlite"),
        "LANGNGHE_CAPTURE_DIR": str(tmp_path / "warc"),
        "DOWNLOADER_MIDDLEWARES": {"crawlers.middlewares.HostMapMiddleware": 150},
        "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False, "RETRY_ENABLED": False,
        "LOG_LEVEL": "WARNING"},
        "spiders": [["xenforo", {"forums": [FORUM]}],
                    ["telegram", {"channels": ["topwar_official"]}]]}
    (tmp_path / "job.json").write_text(json.dumps(job))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "crawlers.connectors.spiders", "--job",
                           str(tmp_path / "job.json")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def fetched(server) -> list[str]:
    return [path for path, _ in server.requests]


def test_spiders_crawl_forum_and_channel_incrementally_with_captures(site, tmp_path):
    server, thread_bytes = site
    server.requests.clear()
    first = crawl(server, tmp_path, 1)
    kinds = [line["document"]["kind"] for line in first]
    assert kinds.count("forum_post") == 20  # 23 threads, one page each, same posts: no dupes
    assert kinds.count("post") == 12  # the channel's messages
    assert len(fetched(server)) == 1 + 23 + 1

    # capture round trip: the WARC record gives back exactly the bytes that were parsed
    post = next(line for line in first if line["document"]["kind"] == "forum_post")
    headers, body = read_capture(CaptureRef(**post["capture"]))
    assert body == thread_bytes and ("Content-Type", "text/html; charset=utf-8") in headers

    server.requests.clear()
    assert crawl(server, tmp_path, 2) == []  # nothing changed: nothing new
    assert sorted(fetched(server)) == sorted(
        ["/voz.vn/f/chuyen-tro-linh-tinh%E2%84%A2.17/", "/t.me/s/topwar_official"])

    # one thread gets a new reply; the channel was paused long enough to leave a gap
    assert VOZ_FORUM.read_bytes().count(LAST_POST) == 1
    server.add(FORUM, VOZ_FORUM.read_bytes().replace(
        LAST_POST, b'datetime="2026-01-10T19:59:00+0700"'))
    state = ConnectorState(tmp_path / "state.sqlite")
    state.put("tg:newest:topwar_official", 70_980)
    state.close()
    server.requests.clear()
    assert crawl(server, tmp_path, 3) == []  # the replayed pages hold no unseen post
    threads = [p for p in fetched(server) if "/t/" in p]
    assert len(threads) == 1 and CHANGED_THREAD in threads[0]
    assert any("before=70989" in p for p in fetched(server))  # older page to close the gap
