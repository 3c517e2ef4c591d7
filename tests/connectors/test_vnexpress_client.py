"""VnExpress comment connector against a local server replaying the real widget response.

vnexpress.net cannot be reached from here: `ApiReplay` on 127.0.0.1 stands in for the comment
endpoint and serves the real recorded response of ../shared/data/web/vnexpress/comments.
"""

from __future__ import annotations

from datetime import UTC, datetime

from crawlers.connectors.state import ConnectorState
from crawlers.connectors.vnexpress_client import VnExpressComments, VnExpressCommentsConfig
from langnghe.document import document_id
from tests.connectors.conftest import VNE_COMMENTS

ENDPOINT = "https://usi-saas.vnexpress.net/index/get"
ARTICLE = "https://vnexpress.net/de-xuat-mo-khoa-hoc-tien-hon-nhan-5101768.html"
NOW = 1785060000.0  # a few hours after the recorded comments were written


def connector(api, tmp_path, **config) -> VnExpressComments:
    config = {"page_size": 100, **config}  # one page covers the article's 83 comments
    return VnExpressComments(
        VnExpressCommentsConfig(base_url=api.base_url + "/usi-saas.vnexpress.net/index/get",
                                **config), ConnectorState(tmp_path / "state.sqlite"))


def published(hours_before: float) -> datetime:
    return datetime.fromtimestamp(NOW - hours_before * 3600, UTC)


def test_vnexpress_fresh_article_comments_are_fetched_and_attached(api, tmp_path):
    api.add(ENDPOINT + "?offset=0", VNE_COMMENTS)
    run = connector(api, tmp_path).run([(ARTICLE, published(5))], now=NOW)
    assert run.status == "ok" and len(run.documents) == 5
    assert {d.parent_id for d in run.documents} == {document_id(ARTICLE)}
    assert "objectid=5101768" in api.paths()[0]


def test_vnexpress_repoll_waits_for_the_interval_and_finds_nothing_new(api, tmp_path):
    api.add(ENDPOINT + "?offset=0", VNE_COMMENTS)
    connector(api, tmp_path).run([(ARTICLE, published(5))], now=NOW)
    api.requests.clear()
    soon = connector(api, tmp_path).run([(ARTICLE, published(5))], now=NOW + 60)
    assert soon.documents == [] and api.paths() == []
    later = connector(api, tmp_path).run([(ARTICLE, published(5))], now=NOW + 31 * 60)
    assert later.documents == [] and len(api.paths()) == 1


def test_vnexpress_articles_older_than_48_hours_are_not_polled(api, tmp_path):
    api.add(ENDPOINT + "?offset=0", VNE_COMMENTS)
    run = connector(api, tmp_path).run([(ARTICLE, published(49)), (ARTICLE, None)], now=NOW)
    assert run.documents == [] and api.paths() == []


def test_vnexpress_pages_with_offset_until_the_total(api, tmp_path):
    api.add(ENDPOINT + "?offset=0", VNE_COMMENTS)
    api.add(ENDPOINT + "?offset=25", VNE_COMMENTS)
    api.add(ENDPOINT + "?offset=50", VNE_COMMENTS)
    api.add(ENDPOINT + "?offset=75", VNE_COMMENTS)
    run = connector(api, tmp_path, page_size=25).run([(ARTICLE, published(1))], now=NOW)
    offsets = [p.split("offset=")[1].split("&")[0] for p in api.paths()]
    assert offsets == ["0", "25", "50", "75"]  # total 83 → 4 pages of 25
    assert len(run.documents) == 5  # the replayed pages repeat: no duplicates kept


def test_vnexpress_malformed_answer_is_a_parse_error(api, tmp_path):
    api.add(ENDPOINT + "?offset=0", VNE_COMMENTS.read_bytes()[:300])
    run = connector(api, tmp_path).run([(ARTICLE, published(1))], now=NOW)
    assert run.status == "parse" and ARTICLE in run.message
