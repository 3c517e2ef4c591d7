"""The OpenAPI document tells the whole truth: schemathesis, with every check it has, against the
real app served by uvicorn on 127.0.0.1 over a SQLite store of enriched documents, signed in with
an admin's API token.

Schemathesis's engine runs every phase the CLI runs: the coverage phase (boundary values of
every constraint, every unlisted method with its `Allow` header, OPTIONS), fuzzing (valid and
invalid data, at most MAX_EXAMPLES cases per operation) and chains of calls (stateful), with a
fixed seed. Any undocumented status, a schema-valid request refused, a schema-invalid one
accepted, a wrong `Allow`, a response that contradicts its schema, ignored auth or a server error
fails the test, which lists each failure with the curl command that reproduces it.

Four rules of the API cannot be written as JSON Schema; the document says them in words and
answers 400, and the generated *valid* requests here are narrowed by the same code the server
runs (`clipped`): the query language's grammar (search, export, a topic's query), the overview's
custom period (both days, at most 366 apart), the assistant's `now` (years 2000–2099), and the
egress guard's verdict on a webhook address after DNS — the test rewrites the host of a
generated webhook URL to a public IP literal, so no name is ever resolved (a name lookup would
leave the machine: `no_dns` fails the test on one).
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import socket
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import schemathesis

from alerts.config import load_config
from langnghe.document import VN_TZ
from langnghe.query import QueryError, parse
from nlp.watch import _ID_RE
from web import overview
from web.app import create_app
from web.auth import create_api_token, create_user
from web.corrections import SENTIMENTS
from web.pages import build_query

from .conftest import PASSWORD, csrf_of, make_alert, serving

SEED = 20260
MAX_EXAMPLES = 20  # per operation and phase: ~1,100 cases, ~45 s for the whole document
STATEFUL_STEPS = 6  # chains of calls: the document infers few links between operations
PUBLIC_IP = "93.184.215.14"  # a global address: the egress guard passes it without DNS
ALERTS_YAML = """
channels:
  email: {host: 127.0.0.1, port: 9, sender: langnghe@example.vn, security: none}
  telegram: {base_url: "http://127.0.0.1:9"}
groups:
  - name: Ban lãnh đạo
    recipients:
      - {name: Chánh văn phòng, telegram: "-100123456"}
"""
FACETS = ("sentiment", "domain", "topic", "entity", "place")
HOST = re.compile(r"(https?://)[^/:?#|\s]+")


@pytest.fixture(scope="module")
def no_dns():
    """Host names are never looked up while the app runs here (IP literals pass through)."""
    real, asked = socket.getaddrinfo, []

    def literal_only(host, *args, **kwargs):
        try:
            ipaddress.ip_address(str(host).strip("[]"))
        except ValueError:
            asked.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "name lookups are off in this test") from None
        return real(host, *args, **kwargs)

    socket.getaddrinfo = literal_only
    yield asked
    socket.getaddrinfo = real


@pytest.fixture(scope="module")
def served(enriched, no_dns):
    """(base URL, admin token) of the real app on a free 127.0.0.1 port."""
    from store.sqlite import SqliteStore

    tmp = Path(tempfile.mkdtemp(prefix="langnghe-contract-"))
    store = SqliteStore(tmp / "store.sqlite")
    store.upsert(enriched)
    create_user(tmp / "web.sqlite", "quantri", PASSWORD, "admin")
    token = create_api_token(tmp / "web.sqlite", "quantri", "schemathesis", "quantri")
    make_alert(tmp / "alerts.sqlite")
    (tmp / "alerts.yaml").write_text(ALERTS_YAML, encoding="utf-8")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LANGNGHE_SECRET", "khoa-ky-thu-nghiem-0123456789abcdef")  # webhook keys
        app = create_app(store, web_db=tmp / "web.sqlite", alerts_db=tmp / "alerts.sqlite",
                         alerts_config=load_config(tmp / "alerts.yaml"), secure_cookies=False)
        with serving(app) as base:
            yield base, token
    store.close()
    shutil.rmtree(tmp, ignore_errors=True)


def _parses(query: str) -> bool:
    try:
        parse(query)
    except QueryError:
        return False
    return True


def _period_holds(query: dict) -> bool:
    if query.get("range") != "custom":
        return True
    try:
        overview.period("custom", query.get("since"), query.get("until"), datetime.now(VN_TZ))
    except overview.RangeError:
        return False
    return True


def _valid(case) -> bool:
    return case.meta is None or case.meta.generation.mode.is_positive


def clipped(ctx, case) -> bool:
    """Valid requests only where the rules the schema cannot state hold (the server's own code)."""
    if not _valid(case):
        return True
    query, body = case.query or {}, case.body
    if case.path in ("/api/v1/search", "/api/v1/export.{fmt}"):
        facets = {name: query.get(name) or "" for name in FACETS}
        return _parses(build_query(query.get("q") or "", facets))
    if case.path == "/api/v1/overview":
        return _period_holds(query)
    if case.path == "/api/v1/topics" and case.method == "POST" and isinstance(body, dict):
        return _parses(body.get("query", ""))
    if case.path == "/api/v1/ask" and isinstance(body, dict) and body.get("now") is not None:
        return _now_holds(body["now"])
    return True


def _now_holds(value) -> bool:
    """The assistant's `now` must fall in 2000–2099 (assistant.ask.check_now)."""
    from assistant.ask import check_now

    try:
        check_now(datetime.fromisoformat(str(value)))
    except ValueError:
        return False
    return True


def public_webhooks(ctx, case):
    """A valid webhook URL points at a public IP literal instead of a host name (an invalid one
    is left as it is: rewriting it could make it valid)."""
    body = case.body
    if (_valid(case) and case.path == "/api/v1/alert-groups" and isinstance(body, dict)
            and body.get("channel") == "webhook" and isinstance(body.get("addresses"), str)):
        case.body = {**body, "addresses": HOST.sub(rf"\g<1>{PUBLIC_IP}", body["addresses"])}
    return case


def _line(info) -> str:
    failure = info.failure
    return (f"{failure.operation}: {failure.title}: {' '.join(failure.message.split())}\n"
            f"    {info.code_sample}")


def run_contract(base: str, token: str) -> tuple[Counter, set[str], list[str], list[str]]:
    """Schemathesis's engine (what `st run --checks all` runs) over the whole document: the
    cases it sent per operation, the operations the document lists, the failures of its checks
    (one line each, with the curl command that reproduces it) and the errors that stopped a
    phase."""
    from schemathesis.engine import Status, events, from_schema

    config = schemathesis.Config.from_dict({
        "seed": SEED, "headers": {"Authorization": f"Bearer {token}"}, "workers": 1,
        "checks": {"enabled": True},
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
                   "fuzzing": {"enabled": True},
                   "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS}},
    })
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json", config=config)
    schema.hook("filter_case")(clipped)
    schema.hook("map_case")(public_webhooks)
    documented = {f"{method.upper()} {path}" for path, operations
                  in schema.raw_schema["paths"].items() for method in operations}
    cases, failures, errors = Counter(), [], []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases.update(case.value.operation.label for case in event.recorder.cases.values())
            failures += sorted({_line(check.failure_info)
                                for checks in event.recorder.checks.values() for check in checks
                                if check.status == Status.FAILURE and check.failure_info})
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(f"{event.label}: {event.info.format()}")
    return cases, documented, failures, errors


def test_api_keeps_its_openapi_contract(served, no_dns):
    cases, documented, failures, errors = run_contract(*served)
    assert errors == [], "\n".join(errors)
    assert failures == [], "\n".join(failures)
    assert no_dns == []
    assert len(documented) >= 16 and set(cases) == documented  # every operation was called
    assert cases.total() >= 800


def test_a_wrong_method_names_every_method_of_the_path(client):
    """GET and POST /api/v1/topics are two routes: Starlette's 405 named only the first one's."""
    for method in ("DELETE", "OPTIONS", "PUT"):
        answer = client.request(method, "/api/v1/topics")
        assert answer.status_code == 405 and answer.headers["allow"] == "GET, POST"
        assert "không nhận phương thức" in answer.json()["error"]
    page = client.request("DELETE", "/topics")
    assert page.status_code == 405 and page.headers["allow"] == "GET, POST"
    assert "không nhận phương thức DELETE" in page.text


def test_errors_of_the_framework_have_the_api_error_body(client):
    assert client.get("/api/v1/khong-co").json() == {"error": "Không có trang hoặc địa chỉ API này"}
    unreadable = client.post("/api/v1/topics", content=b"\xff", headers={
        "content-type": "application/json", "x-csrf-token": csrf_of(client)})
    assert unreadable.status_code == 400 and "error" in unreadable.json()


def test_the_document_lists_every_status_and_states_the_rules(client):
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert {"401", "403"} <= operation["responses"].keys(), (method, path)
    assert {"400", "422"} <= paths["/api/v1/search"]["get"]["responses"].keys()
    assert "404" in paths["/api/v1/documents/{doc_id}"]["get"]["responses"]
    assert {"400", "409"} <= paths["/api/v1/alert-groups"]["post"]["responses"].keys()
    schemas = document["components"]["schemas"]
    assert schemas["TopicBody"]["properties"]["id"]["pattern"] == _ID_RE.pattern
    assert schemas["SentimentCorrection"]["properties"]["value"]["enum"] == list(SENTIMENTS)
    overview_range = next(p for p in paths["/api/v1/overview"]["get"]["parameters"]
                          if p["name"] == "range")
    assert overview_range["schema"]["enum"] == ["24h", "7d", "30d", "custom"]


@pytest.mark.parametrize("body", [
    {"id": "Lũ lụt", "name": "Lũ lụt", "query": "lũ"},  # the id is a URL slug
    {"id": "lu-lut", "name": "  ", "query": "lũ"},  # a name is not blank
])
def test_a_topic_the_schema_refuses_is_a_422(client, body):
    answer = client.post("/api/v1/topics", json=body, headers={"x-csrf-token": csrf_of(client)})
    assert answer.status_code == 422


def test_a_correction_names_a_label_of_its_field(client, store):
    doc = store.search("thanh hoa").hits[0].doc
    url, token = f"/api/v1/documents/{doc.id}/corrections", {"x-csrf-token": csrf_of(client)}
    assert client.post(url, json={"field": "", "value": ""}, headers=token).status_code == 422
    assert client.post(url, json={"field": "domain", "value": "negative"},
                       headers=token).status_code == 422
    done = client.post(url, json={"field": "sentiment", "value": "negative"}, headers=token)
    assert done.status_code == 200 and done.json()["corrections"][0]["new"] == "negative"
