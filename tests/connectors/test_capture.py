"""Evidence capture: WARC records written, read back byte-for-byte, rotated and pruned."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import time
from datetime import UTC, datetime

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawlers.capture import CaptureError, CaptureRef, WarcCapture, prune, read_capture, record_info
from crawlers.connectors import detect_and_parse
from crawlers.connectors.state import ConnectorState
from crawlers.connectors.youtube_client import YouTubeConfig, YouTubeConnector
from tests.connectors.conftest import VNE_COMMENTS, VOZ_THREAD, YOUTUBE
from tests.connectors.test_youtube_client import serve_video

FETCHED = datetime(2026, 3, 7, 1, 2, 3, tzinfo=UTC)


def test_capture_round_trip_reproduces_the_parsed_bytes(tmp_path):
    store = WarcCapture(tmp_path)
    body = VOZ_THREAD.read_bytes()
    ref = store.capture("https://voz.vn/t/x.196903/", 200,
                        [("Content-Type", "text/html; charset=UTF-8"),
                         ("Content-Encoding", "gzip")], body, FETCHED)
    headers, stored = read_capture(ref)
    assert stored == body
    again = [(d.id, d.text, d.parent_id) for d in detect_and_parse(stored)[1]]
    assert again == [(d.id, d.text, d.parent_id) for d in detect_and_parse(body)[1]]
    assert len(again) == 20
    assert ("Content-Type", "text/html; charset=UTF-8") in headers
    assert ("X-Original-Content-Encoding", "gzip") in headers  # stored decoded, not re-decoded


def test_capture_record_has_url_time_status_and_sha256(tmp_path):
    store = WarcCapture(tmp_path)
    body = VNE_COMMENTS.read_bytes()
    ref = store.capture("https://usi-saas.vnexpress.net/index/get?objectid=5101768", 200,
                        {"Content-Type": "application/json"}, body, FETCHED)
    info = record_info(ref)
    assert info["WARC-Type"] == "response"
    assert info["WARC-Target-URI"] == "https://usi-saas.vnexpress.net/index/get?objectid=5101768"
    assert info["WARC-Date"] == "2026-03-07T01:02:03Z"
    assert info["WARC-Payload-Digest"].startswith("sha256:")
    assert ref.sha256 == hashlib.sha256(body).hexdigest()
    with gzip.open(ref.file, "rb") as raw:
        assert raw.read().startswith(b"WARC/1.")  # a standard gzip'd WARC file


def test_capture_appends_records_readable_by_any_warc_reader(tmp_path):
    store = WarcCapture(tmp_path)
    bodies = [p.read_bytes() for p in sorted(YOUTUBE.iterdir())]
    refs = [store.capture(f"https://example.org/{i}", 200, {}, b, FETCHED)
            for i, b in enumerate(bodies)]
    assert len({r.file for r in refs}) == 1
    assert [read_capture(r)[1] for r in refs] == bodies
    with open(refs[0].file, "rb") as stream:
        uris = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(stream)]
    assert uris == [f"https://example.org/{i}" for i in range(len(bodies))]


def test_capture_rotates_files_at_the_size_limit(tmp_path):
    store = WarcCapture(tmp_path, max_file_bytes=20_000)
    refs = [store.capture("https://voz.vn/", 200, {}, VOZ_THREAD.read_bytes(), FETCHED)
            for _ in range(3)]
    assert len({r.file for r in refs}) == 3
    assert all(read_capture(r)[1] == VOZ_THREAD.read_bytes() for r in refs)


def test_capture_detects_altered_records(tmp_path):
    store = WarcCapture(tmp_path)
    ref = store.capture("https://voz.vn/", 200, {}, b"original", FETCHED)
    forged = CaptureRef(ref.file, ref.offset, ref.length, "0" * 64)
    with pytest.raises(CaptureError, match="SHA-256"):
        read_capture(forged)


def test_prune_deletes_files_older_than_retention(tmp_path):
    store = WarcCapture(tmp_path, max_file_bytes=1)
    old = store.capture("https://a/", 200, {}, b"old", FETCHED)
    new = store.capture("https://b/", 200, {}, b"new", FETCHED)
    ten_days_ago = time.time() - 10 * 86400
    os.utime(old.file, (ten_days_ago, ten_days_ago))
    removed = prune(tmp_path, days=7)
    assert [p.name for p in removed] == [os.path.basename(old.file)]
    assert read_capture(new)[1] == b"new"


def test_connector_documents_link_to_the_response_they_came_from(api, tmp_path):
    serve_video(api)
    store = WarcCapture(tmp_path / "warc")
    conn = YouTubeConnector(YouTubeConfig(videos=["D-lhorsDlUQ"],
                                          base_url=api.base_url + "/www.googleapis.com/youtube/v3"),
                            ConnectorState(tmp_path / "state.sqlite"),
                            env={"YOUTUBE_API_KEY": "secret-key"}, capture=store)
    run = conn.run()
    assert run.documents and set(run.captures) == {d.id for d in run.documents}
    for doc in run.documents:
        ref = run.captures[doc.id]
        headers, body = read_capture(ref)
        ids = {d.id for d in detect_and_parse(body)[1]}
        assert doc.id in ids  # the stored response yields the document again
        assert "secret-key" not in record_info(ref)["WARC-Target-URI"]
    video = next(d for d in run.documents if d.kind == "post")
    assert read_capture(run.captures[video.id])[1] == \
        (YOUTUBE / "videos__videos_info_single.json").read_bytes()
    json.dumps([r.as_dict() for r in run.captures.values()])  # refs serialise for storage
