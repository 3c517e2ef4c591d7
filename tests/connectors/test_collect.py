"""The collect stage end to end with connector sources: forum, Telegram, YouTube, Facebook.

voz.vn, t.me and the YouTube API cannot be reached from here: one local `ApiReplay` server
serves the real saved VOZ pages, the real Telegram preview and the real recorded YouTube Data
API responses under their real URLs (host map). Facebook has no token in the environment given
to collect, so it must end 'not_configured' without breaking the cycle.
"""

from __future__ import annotations

import pytest

from crawlers.capture import CaptureRef, read_capture
from crawlers.connectors import xenforo
from crawlers.health import source_health
from langnghe.paths import Home
from langnghe.sources import load_registry
from langnghe.spool import Spool
from runner.stages import collect
from tests.connectors.conftest import TELEGRAM, VOZ_FORUM, VOZ_THREAD
from tests.connectors.test_spiders import CHANNEL, FORUM, last_page
from tests.connectors.test_youtube_client import serve_video

FAST = {"DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False, "RETRY_ENABLED": False,
        "LOG_LEVEL": "WARNING"}
ENV = {"YOUTUBE_API_KEY": "test-key"}  # and no FB_TOKEN_VTV: Facebook is not configured
SOURCES = f"""
sources:
  - id: voz
    name: VOZ
    type: forum
    homepage: https://voz.vn
    poll_minutes: 1
    connector: {{kind: xenforo, forums: ["{FORUM}"]}}
  - id: tg
    name: Telegram topwar
    type: social
    homepage: https://t.me
    poll_minutes: 1
    connector: {{kind: telegram, channels: [topwar_official]}}
  - id: yt
    name: YouTube
    type: social
    homepage: https://www.youtube.com
    poll_minutes: 1
    connector: {{kind: youtube, videos: [D-lhorsDlUQ], daily_quota: 100}}
  - id: fb
    name: Facebook VTV
    type: social
    homepage: https://www.facebook.com
    poll_minutes: 1
    connector:
      kind: facebook
      pages: [{{page_id: vtv24news, token_env: FB_TOKEN_VTV}}]
"""


@pytest.fixture
def setup(api, tmp_path):
    thread = last_page(VOZ_THREAD.read_bytes())
    api.add(FORUM, VOZ_FORUM)
    api.add(CHANNEL, TELEGRAM / "full.html")
    for entry in xenforo.parse_thread_list(VOZ_FORUM.read_bytes()):
        api.add(entry.url, thread)
    serve_video(api)
    (tmp_path / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    registry = load_registry(tmp_path / "sources.yaml")
    return registry, Home.resolve(tmp_path / "home"), thread


def spooled(home: Home) -> list:
    with Spool(home.spool).claim(max_batches=10_000) as batches:
        return [doc for _, batch in batches for doc in batch]


def run(registry, home, api):
    return collect(registry, home, host_map=api.host_map, due_only=False, timeout=60,
                   settings=FAST, env=ENV)


def test_collect_runs_connectors_into_the_spool_with_captures(setup, api):
    registry, home, thread = setup
    report = run(registry, home, api)
    docs = spooled(home)
    by_source = {sid: [d for d in docs if d.source_id == sid] for sid in ("voz", "tg", "yt")}
    assert by_source["voz"] and by_source["tg"], report.sources
    assert len(by_source["yt"]) == 1 + 8  # the video and its 5 comments + 3 replies
    for sid, found in by_source.items():
        assert report.sources[sid]["new"] == len(found), (sid, report.sources[sid])
    assert any("not_configured" in e for e in report.sources["fb"]["errors"])
    assert all(d.capture is not None for d in docs)
    forum_post = by_source["voz"][0]
    headers, body = read_capture(CaptureRef.of(forum_post.capture))
    assert body == thread  # the stored WARC reproduces the bytes the parser saw


def test_collect_second_run_fetches_nothing_new_and_health_covers_connectors(setup, api):
    registry, home, _ = setup
    run(registry, home, api)
    spooled(home)
    api.requests.clear()
    again = run(registry, home, api)
    assert {sid: again.sources[sid]["new"] for sid in ("voz", "tg", "yt", "fb")} == \
        {"voz": 0, "tg": 0, "yt": 0, "fb": 0}
    assert spooled(home) == []
    asked = api.paths()
    assert not any("/threads/" in p for p in asked)  # unchanged threads are not re-read
    assert not any("googleapis" in p for p in asked)  # nothing new to ask YouTube for
    health = {h.source_id: h for h in source_health(home, registry)}
    assert set(health) == {"voz", "tg", "yt", "fb"}
    for sid in ("voz", "tg", "yt"):
        assert health[sid].last_success is not None and health[sid].status != "failing", sid
    assert health["yt"].items_24h == 9
    assert health["fb"].status == "failing"
    assert health["fb"].last_error_class == "not_configured"
    assert "FB_TOKEN_VTV" in health["fb"].last_error


VNE = """
sources:
  - id: vnexpress
    name: VnExpress
    homepage: https://vnexpress.net
    poll_minutes: 1
    connector: {kind: vnexpress_comments, min_interval_minutes: 30}
"""
VNE_ENDPOINT = "https://usi-saas.vnexpress.net/index/get"
VNE_ARTICLE = "https://vnexpress.net/de-xuat-mo-khoa-hoc-tien-hon-nhan-5101768.html"
VNE_OLD = "https://vnexpress.net/bai-cu-5000001.html"


def test_run_connectors_polls_comments_of_articles_the_crawl_saw_recently(api, tmp_path):
    from crawlers.connectors.collect import run_connectors
    from crawlers.state import CrawlState
    from tests.connectors.conftest import VNE_COMMENTS

    for offset in (0, 25, 50, 75):  # the widget pages 25 at a time through its 83 comments
        api.add(f"{VNE_ENDPOINT}?offset={offset}", VNE_COMMENTS)
    (tmp_path / "sources.yaml").write_text(VNE, encoding="utf-8")
    registry, home = load_registry(tmp_path / "sources.yaml"), Home.resolve(tmp_path / "home")
    now = 1785060000.0  # a few hours after the recorded comments were written
    crawl = CrawlState(home.crawl_state)
    crawl.mark_seen([VNE_ARTICLE, VNE_ARTICLE + "?x=1"], "vnexpress", now - 5 * 3600)
    crawl.mark_seen([VNE_OLD], "vnexpress", now - 72 * 3600)  # beyond the 48 h of freshness
    crawl.close()
    stats = run_connectors(registry, home, host_map=api.host_map, now=now)
    assert stats["vnexpress"]["new"] == 5 and stats["vnexpress"]["errors"] == []
    asked = api.paths()
    assert len(asked) == 4 and all("objectid=5101768" in p for p in asked)  # fresh one only
    assert {d.kind for d in spooled(home)} == {"comment"}
    assert run_connectors(registry, home, host_map=api.host_map, now=now + 30) == {}  # not due
    api.requests.clear()
    again = run_connectors(registry, home, host_map=api.host_map, now=now + 120)
    assert again["vnexpress"]["new"] == 0 and api.paths() == []  # polled < 30 min ago
