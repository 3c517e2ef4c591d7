"""Every route states its role (web.deps): a walk over all routes of the real app, anonymous and
viewer requests against each, and the bound on /api/v1/search paging."""

from __future__ import annotations

import re

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.paths import REPO
from web import api, deps

from .conftest import csrf_of

PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/alerts/ack"),
          ("POST", "/alerts/ack"), ("GET", "/healthz"), ("*", "/static")}
PARAMS = {"{doc_id}": "x", "{tid}": "t", "{alert_id}": "a", "{source_id}": "s",
          "{username}": "viewer", "{name}": "g", "{fmt}": "csv", "{token_id}": "1"}


def routes(app: FastAPI) -> list[tuple[str, str, str | None]]:
    """(method, path, role) for every route and method of the app."""
    out = []
    for route in deps.app_routes(app.routes):
        for method in sorted(route.methods or {"*"}):
            if method != "HEAD":
                out.append((method, route.path, deps.role_of(route)))
    return out


def concrete(path: str) -> str:
    for name, value in PARAMS.items():
        path = path.replace(name, value)
    return path


def test_every_route_states_exactly_one_role(app):
    walked = routes(app)
    assert len(walked) >= 50
    allowed = {"viewer", "analyst", "admin"} | {f"public:{n}" for n in deps.PUBLIC}
    unstated = [(m, p) for m, p, role in walked if role not in allowed]
    assert unstated == []
    assert {(m, p) for m, p, role in walked if role.startswith("public:")} == PUBLIC


def test_an_app_with_a_route_that_states_no_role_is_refused():
    app = FastAPI()

    @app.get("/quen-quyen")
    def forgot():
        return {}

    with pytest.raises(RuntimeError, match="quen-quyen"):
        deps.check_roles(app.routes)


def test_signed_out_requests_reach_only_the_public_routes(app):
    anon = TestClient(app)
    for method, path, role in routes(app):
        if role.startswith("public:"):
            continue
        response = anon.request(method, concrete(path), follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
        else:
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/login"), (method, path)
    assert anon.get("/healthz").json() == {"status": "ok", "store": "ok"}
    assert anon.get("/static/app.css").status_code == 200
    assert anon.get("/login").status_code == 200


def test_a_viewer_is_refused_every_route_that_states_a_higher_role(app, clients):
    viewer = clients.viewer
    token = csrf_of(viewer)
    higher = [(m, p) for m, p, role in routes(app) if role in ("analyst", "admin")]
    assert len(higher) >= 20
    for method, path in higher:
        response = viewer.request(method, concrete(path), data={"csrf": token} if
                                  method == "POST" and not path.startswith("/api/") else None,
                                  headers={"X-CSRF-Token": token}, follow_redirects=False)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "Cần quyền" in response.text, (method, path)


def test_the_compose_health_check_asks_a_public_route(app):
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    check = " ".join(compose["services"]["langnghe"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8080(/[^'\"]*)", check).group(1)
    assert TestClient(app).get(path, follow_redirects=False).status_code == 200


def test_api_search_offset_is_bounded_and_the_schema_says_so(client):
    schema = client.get("/api/v1/openapi.json").json()
    offset = next(p for p in schema["paths"]["/api/v1/search"]["get"]["parameters"]
                  if p["name"] == "offset")
    assert offset["schema"]["maximum"] == api.MAX_OFFSET
    assert api.MAX_OFFSET + api.MAX_LIMIT <= 10_000  # Elasticsearch's index.max_result_window
    assert "export" in offset["description"]
    assert client.get("/api/v1/search", params={"offset": api.MAX_OFFSET}).status_code == 200
    assert client.get("/api/v1/search", params={"offset": api.MAX_OFFSET + 1}).status_code == 422
    assert client.get("/api/v1/search", params={"offset": 10**9}).status_code == 422


def test_healthz_needs_no_login_and_says_whether_the_store_answers(store, web_db, tmp_path):
    from web.app import create_app

    app = create_app(store, web_db=web_db, secure_cookies=False)
    anon = TestClient(app)
    assert anon.get("/healthz").json() == {"status": "ok", "store": "ok"}
    store.close()  # a store that no longer answers (a closed SQLite connection)
    response = anon.get("/healthz")
    assert response.status_code == 503 and response.json()["store"] == "unreachable"
    assert "documents" not in response.text  # says nothing about the data
