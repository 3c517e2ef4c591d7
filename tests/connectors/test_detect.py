"""`detect_and_parse` and the `langnghe parse` entry point on the real saved files."""

from __future__ import annotations

import gzip
import json

import pytest

from crawlers.connectors import detect_and_parse, parse_cli_main
from tests.connectors.conftest import (
    FACEBOOK,
    TELEGRAM,
    VNE_COMMENTS,
    VOZ_FORUM,
    VOZ_THREAD,
    YOUTUBE,
)
from tests.paths import WEB


@pytest.mark.parametrize("path, kind, count", [
    (VOZ_THREAD, "forum_thread", 20),
    (VOZ_FORUM, "forum_thread_list", 0),
    (TELEGRAM / "full.html", "telegram", 12),
    (YOUTUBE / "videos__videos_info_single.json", "youtube_videos", 1),
    (YOUTUBE / "comment_threads__comment_threads_by_video_paged_1.json",
     "youtube_comment_threads", 5),
    (YOUTUBE / "comments__comments_by_parent_paged_2.json", "youtube_comments", 1),
    (FACEBOOK / "posts__feed_fields_p2.json", "facebook_feed", 5),
    (FACEBOOK / "posts__single_post_data.json", "facebook_post", 1),
    (FACEBOOK / "comments__comments_p2.json", "facebook_comments", 5),
    (VNE_COMMENTS, "vnexpress_comments", 5),
])
def test_detect_recognises_each_real_file(path, kind, count):
    detected, docs = detect_and_parse(path.read_bytes())
    assert (detected, len(docs)) == (kind, count)


def test_detect_hands_other_pages_to_the_article_extractor():
    page = WEB / "vnexpress" / "fundus_VnExpress_2025_10_22.html"
    detected, docs = detect_and_parse(page.read_bytes())
    assert detected == "article" and docs[0].kind == "article" and len(docs[0].text) > 500


def test_detect_reads_gzip_files():
    detected, docs = detect_and_parse(gzip.compress(VOZ_THREAD.read_bytes()))
    assert detected == "forum_thread" and len(docs) == 20


def test_detect_unknown_json_yields_nothing():
    assert detect_and_parse(b'{"hello": "world"}') == ("unknown", [])


def test_parse_cli_prints_one_json_line_per_document(capsys):
    status = parse_cli_main([str(VOZ_THREAD), str(VNE_COMMENTS), "--url",
                             "https://vnexpress.net/bai-viet-5101768.html"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 0 and len(lines) == 25
    post = lines[1]
    assert post["kind"] == "forum_post" and post["author"] == ["Cay But Den"]
    assert post["published_at"] == "2020-12-17T18:17:52+07:00" and post["parent"]
    assert post["url"].endswith("post-6060862") and post["engagement"] == {"likes": 28}
    comment = lines[20]
    assert comment["kind"] == "comment" and comment["url"].startswith(
        "https://vnexpress.net/bai-viet-5101768.html#comment-")


def test_parse_cli_lists_threads_of_a_thread_list(capsys):
    assert parse_cli_main([str(VOZ_FORUM)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 23 and {line["kind"] for line in lines} == {"thread"}
    assert lines[0]["engagement"] == {"replies": 764, "views": 76_000}


def test_parse_cli_reports_unreadable_and_unknown_files(tmp_path, capsys):
    junk = tmp_path / "junk.json"
    junk.write_text('{"nothing": 1}')
    assert parse_cli_main([str(junk)]) == 1
    assert parse_cli_main([str(tmp_path / "missing.html")]) == 2
    assert "cannot read" in capsys.readouterr().err
