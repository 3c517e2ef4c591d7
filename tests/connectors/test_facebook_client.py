"""Facebook Graph connector against a local server replaying real Graph API responses.

Facebook cannot be reached from here: `ApiReplay` on 127.0.0.1 stands in for
graph.facebook.com and serves the real recorded feed and comment pages of
../shared/data/web/social/facebook; `paging.next` URLs (which point at graph.facebook.com)
are followed against the local server. Error bodies follow the Graph API's documented format
(code 190/subcode 463 expired token, code 4 application rate limit, code 10 permission).
"""

from __future__ import annotations

import json

import pytest

from crawlers.connectors import facebook
from crawlers.connectors.facebook_client import FacebookConfig, FacebookConnector, FacebookPage
from crawlers.connectors.state import ConnectorState
from tests.connectors.conftest import FACEBOOK, load

GRAPH = "https://graph.facebook.com"
ENV = {"FB_TOKEN_4": "page-token"}
POSTS = [item["id"] for item in load(FACEBOOK / "posts__feed_fields_p1.json")["data"]]


def error(code: int, message: str, subcode: int | None = None) -> str:
    body = {"message": message, "type": "OAuthException", "code": code,
            "fbtrace_id": "AbCdEf123"}
    return json.dumps({"error": {**body, **({"error_subcode": subcode} if subcode else {})}})


def serve_page(api) -> None:
    feed = load(FACEBOOK / "posts__feed_fields_p1.json")
    comments = load(FACEBOOK / "comments__comments_p1.json")
    api.add(f"{GRAPH}/v10.0/4/posts", FACEBOOK / "posts__feed_fields_p1.json")
    api.add(feed["paging"]["next"], FACEBOOK / "posts__feed_fields_p2.json")
    for post in POSTS:
        api.add(f"{GRAPH}/v10.0/{post}/comments", FACEBOOK / "comments__comments_p1.json")
    api.add(comments["paging"]["next"], FACEBOOK / "comments__comments_p2.json")


def connector(api, tmp_path, env=ENV) -> FacebookConnector:
    config = FacebookConfig(pages=[FacebookPage("4", "FB_TOKEN_4")], version="v10.0",
                            base_url=f"{api.base_url}/graph.facebook.com")
    return FacebookConnector(config, ConnectorState(tmp_path / "state.sqlite"), env=env)


def test_facebook_pages_posts_and_comments_through_cursors(api, tmp_path):
    serve_page(api)
    run = connector(api, tmp_path).run()
    assert run.status == "ok", run.message
    posts = [d for d in run.documents if d.kind == "post"]
    comments = [d for d in run.documents if d.kind == "comment"]
    assert [d.id for d in posts] == [facebook.doc_id(p) for p in POSTS]
    assert len(comments) == 10 + 5  # comment page 1, then page 2 through paging.next
    assert any("after=after" in p for p in api.paths())  # the cursor was followed
    assert any("until=1624385168" in p for p in api.paths())  # feed page 2 too


def test_facebook_second_run_fetches_nothing_new(api, tmp_path):
    serve_page(api)
    connector(api, tmp_path).run()
    api.requests.clear()
    again = connector(api, tmp_path).run()
    assert again.status == "ok" and again.documents == []
    assert len(api.paths()) == 1 and "/4/posts" in api.paths()[0]  # one look at the feed


def test_facebook_token_never_reaches_recorded_urls(api, tmp_path):
    serve_page(api)
    run = connector(api, tmp_path).run()
    assert run.requests and not any("page-token" in url for url in run.requests)


@pytest.mark.parametrize("status, body, error_class, words", [
    (400, error(190, "Error validating access token: Session has expired on Friday, "
                "09-Feb-18 12:00:00 PST.", 463), "auth", "code 190/463"),
    (403, error(4, "Application request limit reached"), "rate_limit", "code 4"),
    (400, error(17, "User request limit reached"), "rate_limit", "code 17"),
    (400, error(613, "Calls to this api have exceeded the rate limit."), "rate_limit", "613"),
    (403, error(10, "Application does not have permission for this action"), "auth", "code 10"),
    (400, error(200, "Requires pages_read_engagement permission"), "auth", "code 200"),
])
def test_facebook_errors_are_classed(api, tmp_path, status, body, error_class, words):
    api.add(f"{GRAPH}/v10.0/4/posts", body, status=status)
    conn = connector(api, tmp_path)
    run = conn.run()
    assert run.status == error_class and words in run.message and "page 4" in run.message
    assert conn.state.statuses()[0].status == error_class


def test_facebook_malformed_json_is_a_parse_error(api, tmp_path):
    api.add(f"{GRAPH}/v10.0/4/posts", (FACEBOOK / "posts__feed_fields_p1.json").read_bytes()[:700])
    assert connector(api, tmp_path).run().status == "parse"


def test_facebook_without_token_is_not_configured(api, tmp_path):
    run = connector(api, tmp_path, env={}).run()
    assert run.status == "not_configured" and "FB_TOKEN_4" in run.message
    assert api.paths() == []
