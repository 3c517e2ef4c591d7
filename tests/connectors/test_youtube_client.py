"""YouTube connector against a local server replaying real YouTube Data API v3 responses.

The API cannot be reached from here: `ApiReplay` on 127.0.0.1 stands in for
www.googleapis.com and serves the real recorded responses of ../shared/data/web/social/youtube
(page 2 exactly when the client sends page 1's `nextPageToken`). The quotaExceeded error body
follows the API's documented error format.
"""

from __future__ import annotations

import json

import pytest

from crawlers.connectors.state import ConnectorState
from crawlers.connectors.youtube_client import YouTubeConfig, YouTubeConnector
from tests.connectors.conftest import YOUTUBE, load

API = "https://www.googleapis.com/youtube/v3"
ENV = {"YOUTUBE_API_KEY": "test-key"}
QUOTA_EXCEEDED = json.dumps({"error": {"code": 403, "message": "The request cannot be completed "
                             "because you have exceeded your quota.", "errors": [{
                                 "message": "The request cannot be completed because you have "
                                 "exceeded your quota.", "domain": "youtube.quota",
                                 "reason": "quotaExceeded"}]}})


def serve_video(api) -> None:
    p1 = load(YOUTUBE / "comment_threads__comment_threads_by_video_paged_1.json")
    c1 = load(YOUTUBE / "comments__comments_by_parent_paged_1.json")
    api.add(f"{API}/videos", YOUTUBE / "videos__videos_info_single.json")
    api.add(f"{API}/commentThreads", YOUTUBE /
            "comment_threads__comment_threads_by_video_paged_1.json")
    api.add(f"{API}/commentThreads?pageToken={p1['nextPageToken']}",
            YOUTUBE / "comment_threads__comment_threads_by_video_paged_2.json")
    api.add(f"{API}/comments", YOUTUBE / "comments__comments_by_parent_paged_1.json")
    api.add(f"{API}/comments?pageToken={c1['nextPageToken']}",
            YOUTUBE / "comments__comments_by_parent_paged_2.json")


def connector(api, tmp_path, env=ENV, **config) -> YouTubeConnector:
    config = {"videos": ["D-lhorsDlUQ"], **config}
    return YouTubeConnector(YouTubeConfig(base_url=api.base_url + "/www.googleapis.com/youtube/v3",
                                          **config),
                            ConnectorState(tmp_path / "state.sqlite"), env=env)


def test_youtube_fetches_video_comments_and_replies_following_page_tokens(api, tmp_path):
    serve_video(api)
    run = connector(api, tmp_path).run()
    assert run.status == "ok", run.message
    kinds = [d.kind for d in run.documents]
    assert kinds.count("post") == 1 and kinds.count("comment") == 5 + 3
    methods = [p.split("?")[0].rsplit("/", 1)[1] for p in api.paths()]
    assert methods == ["videos", "commentThreads", "comments", "comments", "commentThreads"]
    assert any("pageToken=" in p for p in api.paths() if "/commentThreads" in p)
    assert run.units == 5  # five 1-unit calls


def test_youtube_second_run_fetches_nothing_new(api, tmp_path):
    serve_video(api)
    connector(api, tmp_path).run()
    api.requests.clear()
    again = connector(api, tmp_path).run()
    assert again.status == "ok" and again.documents == [] and api.paths() == []


def test_youtube_fresh_video_comments_are_repolled_and_stop_at_known_ones(api, tmp_path):
    serve_video(api)
    first = connector(api, tmp_path)
    published = 1553200669  # 2019-03-21T20:37:49Z, the recorded video's publication time
    first.run(now=published + 3600)
    api.requests.clear()
    again = connector(api, tmp_path).run(now=published + 7200)
    assert again.documents == []
    assert [p.split("?")[0].rsplit("/", 1)[1] for p in api.paths()] == ["commentThreads"]


def test_youtube_stops_with_quota_when_the_daily_budget_is_spent(api, tmp_path):
    serve_video(api)
    run = connector(api, tmp_path, daily_quota=3).run()
    assert run.status == "quota" and "daily budget of 3 units" in run.message
    assert len(api.paths()) == 3 and run.units == 3
    assert len(run.documents) == 1 + 5 + 2  # what was fetched before the budget ran out


def test_youtube_search_costs_100_units_and_is_not_sent_over_budget(api, tmp_path):
    run = connector(api, tmp_path, videos=[], searches=["lũ lụt Thanh Hóa"],
                    daily_quota=99).run()
    assert run.status == "quota" and "costs 100" in run.message and api.paths() == []


def test_youtube_quota_exceeded_answer_stops_the_run(api, tmp_path):
    api.add(f"{API}/videos", QUOTA_EXCEEDED, status=403)
    conn = connector(api, tmp_path)
    run = conn.run()
    assert run.status == "quota" and "exceeded your quota" in run.message
    [status] = conn.state.statuses()
    assert (status.connector, status.status) == ("youtube", "quota")


def test_youtube_channel_uploads_playlist_is_derived_without_a_channels_call(api, tmp_path):
    run = connector(api, tmp_path, videos=[], channels=["UC_x5XG1OV2P6uZZ5FSM9Ttw"]).run()
    [path] = api.paths()
    assert "/playlistItems?" in path and "playlistId=UU_x5XG1OV2P6uZZ5FSM9Ttw" in path
    assert run.status == "http"  # nothing recorded for this playlist: the replay answers 404


def test_youtube_malformed_json_is_a_parse_error(api, tmp_path):
    body = (YOUTUBE / "videos__videos_info_single.json").read_bytes()
    api.add(f"{API}/videos", body[: len(body) // 2])
    run = connector(api, tmp_path).run()
    assert run.status == "parse" and "expected a JSON object" in run.message


@pytest.mark.parametrize("env", [{}, {"YOUTUBE_API_KEY": ""}])
def test_youtube_without_key_is_not_configured(api, tmp_path, env):
    conn = connector(api, tmp_path, env=env)
    run = conn.run()
    assert run.status == "not_configured" and "YOUTUBE_API_KEY" in run.message
    assert api.paths() == [] and conn.state.statuses()[0].status == "not_configured"


def test_youtube_api_key_never_appears_in_recorded_urls(api, tmp_path):
    serve_video(api)
    run = connector(api, tmp_path).run()
    assert run.requests and not any("test-key" in url for url in run.requests)
