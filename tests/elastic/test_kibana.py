"""The Kibana saved objects (dashboards/langnghe.ndjson) and their loader (store/kibana.py).

Kibana cannot run on this machine, so the loader is tested against a local HTTP server that
implements the documented request/response contract of Kibana's saved-objects import endpoint
(`POST [/s/<space>]/api/saved_objects/_import?overwrite=…`: multipart field `file` holding NDJSON,
`kbn-xsrf` header required, JSON answer with success, successCount and per-object errors).
"""

from __future__ import annotations

import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from store import es_index
from store.kibana import NDJSON, KibanaImportError, import_url, kibana_load

AGGREGATABLE = {"keyword", "date", "long", "float", "boolean"}


def saved_objects() -> list[dict]:
    return [json.loads(line) for line in NDJSON.read_text(encoding="utf-8").splitlines()]


def template_fields() -> dict[str, str]:
    props = es_index.load_template("documents")["template"]["mappings"]["properties"]
    return {name: spec.get("type", "object") for name, spec in props.items()}


class FakeKibana(BaseHTTPRequestHandler):
    """The import endpoint's contract; objects persist per space so overwrite=false conflicts."""

    spaces: dict[str, dict[tuple[str, str], dict]] = {}
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        url = urlparse(self.path)
        parts = url.path.split("/")
        space = parts[2] if url.path.startswith("/s/") else "default"
        if not url.path.endswith("/api/saved_objects/_import"):
            return self._answer(404, {"statusCode": 404, "error": "Not Found"})
        if self.headers.get("kbn-xsrf") is None:
            return self._answer(400, {"statusCode": 400, "error": "Bad Request",
                                      "message": "Request must contain a kbn-xsrf header."})
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
        files = [p for p in message.iter_parts()
                 if p.get_param("name", header="content-disposition") == "file"]
        if len(files) != 1 or not files[0].get_filename().endswith(".ndjson"):
            return self._answer(415, {"statusCode": 415, "message": "expected one .ndjson file"})
        objects = [json.loads(line) for line in files[0].get_payload(decode=True).splitlines()
                   if line.strip()]
        overwrite = parse_qs(url.query).get("overwrite") == ["true"]
        self.requests.append({"space": space, "overwrite": overwrite, "count": len(objects)})
        store = self.spaces.setdefault(space, {})
        known = set(store) | {(o["type"], o["id"]) for o in objects}
        errors = []
        for obj in objects:
            missing = [r for r in obj.get("references", []) if (r["type"], r["id"]) not in known]
            if missing:
                errors.append({"id": obj["id"], "type": obj["type"],
                               "title": obj["attributes"].get("title"),
                               "error": {"type": "missing_references", "references": missing}})
            elif (obj["type"], obj["id"]) in store and not overwrite:
                errors.append({"id": obj["id"], "type": obj["type"],
                               "title": obj["attributes"].get("title"),
                               "error": {"type": "conflict"}})
        failed = {(e["type"], e["id"]) for e in errors}
        for obj in objects:
            if (obj["type"], obj["id"]) not in failed:
                store[(obj["type"], obj["id"])] = obj
        self._answer(200, {"success": not errors, "successCount": len(objects) - len(errors),
                           **({"errors": errors} if errors else {})})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def kibana():
    FakeKibana.spaces, FakeKibana.requests = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKibana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_ndjson_every_reference_resolves():
    objects = saved_objects()
    ids = {(o["type"], o["id"]) for o in objects}
    assert len(ids) == len(objects)
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in ids, f"{obj['id']} → {ref}"
    dashboard = next(o for o in objects if o["type"] == "dashboard")
    names = {r["name"] for r in dashboard["references"]}
    assert {p["panelRefName"] for p in json.loads(dashboard["attributes"]["panelsJSON"])} == names


def test_ndjson_fields_exist_in_index_template():
    fields = template_fields()
    objects = saved_objects()
    view = next(o for o in objects if o["type"] == "index-pattern")
    assert view["attributes"]["title"] == es_index.DOCS_PREFIX
    assert fields[view["attributes"]["timeFieldName"]] == "date"
    used = 0
    for obj in objects:
        if obj["type"] == "visualization":
            for agg in json.loads(obj["attributes"]["visState"])["aggs"]:
                if "field" in agg["params"]:
                    assert fields.get(agg["params"]["field"]) in AGGREGATABLE, agg
                    used += 1
        if obj["type"] == "search":
            for column in obj["attributes"]["columns"]:
                assert column in fields, column
            query = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert query["query"]["query"].split(":")[0] in fields
    assert used >= 6


def test_ndjson_has_the_dashboard_parts():
    titles = {o["id"] for o in saved_objects()}
    assert {"langnghe-volume-by-source", "langnghe-sentiment-over-time", "langnghe-top-domains",
            "langnghe-top-topics", "langnghe-top-entities", "langnghe-negative-items",
            "langnghe-overview"} <= titles


def test_kibana_load_imports_every_object(kibana):
    result = kibana_load(kibana)
    assert result.success_count == len(saved_objects())
    assert FakeKibana.requests == [{"space": "default", "overwrite": True,
                                    "count": len(saved_objects())}]
    assert kibana_load(kibana).success_count == len(saved_objects())  # overwrite: rerun is safe


def test_kibana_load_into_space(kibana):
    kibana_load(kibana, space="ops")
    assert FakeKibana.requests[0]["space"] == "ops"
    assert len(FakeKibana.spaces["ops"]) == len(saved_objects())
    with pytest.raises(ValueError, match="space id"):
        import_url(kibana, "Bad Space")


def test_kibana_load_reports_each_failed_object(kibana, tmp_path):
    broken = [o for o in saved_objects() if o["type"] != "index-pattern"]
    path = tmp_path / "broken.ndjson"
    path.write_text("\n".join(json.dumps(o) for o in broken), encoding="utf-8")
    with pytest.raises(KibanaImportError) as raised:
        kibana_load(kibana, path=path)
    message = str(raised.value)
    assert "langnghe-top-entities" in message and "index-pattern/langnghe-docs" in message
    assert "missing references" in message


def test_kibana_load_conflicts_without_overwrite(kibana):
    kibana_load(kibana)
    with pytest.raises(KibanaImportError, match="conflict"):
        kibana_load(kibana, overwrite=False)


def test_kibana_load_unreachable_says_so():
    with pytest.raises(KibanaImportError, match="unreachable"):
        kibana_load("http://127.0.0.1:9", timeout=2)
