"""Alert recipient groups managed in the dashboard: admin pages, API, audit, and delivery.

Real app, real web database, real alerts YAML; a real HTTP receiver on 127.0.0.1 stands in for
a webhook endpoint (on the egress allow-list only where a test puts it there), and alerts reach
it through the runner's refresh and the alert stage's own outbox and channel code. DNS answers
are scripted by patching `socket.getaddrinfo`, the resolver the egress guard calls."""

from __future__ import annotations

import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from alerts.channels.webhook import signature
from alerts.config import load_config
from alerts.engine import deliver_pending, persist
from alerts.model import Alert, Explanation
from langnghe.paths import Home
from langnghe.sources import Registry
from runner import stages
from runner.engine import Engine
from tests.egress import allow, script_dns
from web import db, recipients
from web.app import create_app

from .conftest import NOW, csrf_of, login

YAML = """
channels:
  telegram: {base_url: "http://127.0.0.1:9"}
groups:
  - name: Ban lãnh đạo
    min_severity: critical
    recipients:
      - {name: Chánh văn phòng, telegram: "-100123456"}
"""


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server hook name
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.raw.append(raw)
        self.server.got.append((self.path, dict(self.headers), json.loads(raw)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.got, server.raw = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def alerts_yaml(tmp_path):
    path = tmp_path / "alerts.yaml"
    path.write_text(YAML, encoding="utf-8")
    return path


@pytest.fixture
def rapp(store, web_db, tmp_path, alerts_yaml):
    return create_app(store, web_db=web_db, secure_cookies=False,
                      alerts_db=tmp_path / "alerts.sqlite", alerts_config=load_config(alerts_yaml))


@pytest.fixture
def admin(rapp):
    c = TestClient(rapp)
    assert login(c, "admin").status_code == 303
    return c


@pytest.fixture(autouse=True)
def _signing_secret(monkeypatch):
    """The secret webhook keys of dashboard groups derive from (and acknowledge links use)."""
    monkeypatch.setenv("LANGNGHE_SECRET", "khoa-ky-thu-nghiem-0123456789abcdef")


@pytest.fixture
def allow_private(monkeypatch):
    """127.0.0.1 on the egress allow-list: the receivers of these tests live there."""
    allow(monkeypatch, "127.0.0.1")


def _url(server, path="/hook") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def _form(name="Trực ban", addresses="", **extra) -> dict:
    return {"name": name, "channel": "webhook", "addresses": addresses,
            "min_severity": "warning", "kinds": ["spike", "rule"], **extra}


def _add(client, **fields):
    return client.post("/admin/recipients", data={**_form(**fields), "csrf": csrf_of(client)},
                       follow_redirects=False)


def _audit(web_db) -> list[tuple[str, str, str]]:
    with db.connect(web_db) as con:
        return [(r["username"], r["action"], r["detail"])
                for r in con.execute("SELECT * FROM audit WHERE action LIKE 'recipients.%' "
                                     "ORDER BY id")]


def _shown_key(client) -> str | None:
    page = client.get("/admin/recipients").text
    if 'id="khoa-ky"' not in page:
        return None
    return page.split('id="khoa-ky"', 1)[1].split('<code class="wrap">', 1)[1].split("</code>")[0]


def _verified(key: str, headers: dict, raw: bytes) -> bool:
    sent = headers["X-Langnghe-Signature"]
    return hmac.compare_digest(sent, signature(key, headers["X-Langnghe-Timestamp"], raw))


def test_webhook_group_added_by_admin_receives_alerts_through_the_engine(
        admin, receiver, allow_private, tmp_path, web_db, store, alerts_yaml, monkeypatch):
    url = _url(receiver)
    assert _add(admin, addresses=f"Tổ trực | {url}").status_code == 303
    key = _shown_key(admin)
    home = Home(tmp_path / "home")
    home.root.mkdir()
    alerting = stages.alerting(home, alerts_yaml, [])
    engine = Engine(home, Registry(sources=()), store, alerting=alerting, web_db=web_db)
    engine.refresh_from_web(NOW)
    assert [g.name for g in alerting.config.groups] == ["Ban lãnh đạo", "Trực ban"]
    alert = Alert(key="spike:topic:lu-lut", kind="spike", severity="warning",
                  title="Tin về “Lũ lụt” tăng đột biến", detected_at=NOW,
                  explanation=Explanation(reason="12 tin trong 15 phút, kỳ vọng 1.2"))
    persist(alerting.outbox, alerting.config, alert, NOW)
    report = deliver_pending(alerting.outbox, alerting.channels, NOW, alerting.config)
    assert (report.sent, report.failed, report.retried) == (1, 0, 0)
    [(path, headers, body)] = receiver.got
    assert path == "/hook" and body["subject"] == "[Cảnh báo] Tin về “Lũ lụt” tăng đột biến"
    assert headers["Idempotency-Key"].endswith(":1:T%E1%BB%95%20tr%E1%BB%B1c")  # "Tổ trực"
    assert _verified(key, headers, receiver.raw[0])
    # disabled in the dashboard: the next cycle no longer routes to it
    recipients.set_active(web_db, "Trực ban", False, "admin")
    engine.refresh_from_web(NOW)
    assert [g.name for g in alerting.config.groups] == ["Ban lãnh đạo"]
    assert "webhook" not in alerting.channels


def test_private_webhook_is_refused_without_the_allow_list(admin, receiver, web_db, monkeypatch):
    monkeypatch.delenv("LANGNGHE_EGRESS_ALLOW", raising=False)
    for url, why in ((_url(receiver), "127.0.0.1 (cổng"),
                     ("http://10.0.0.5/hook", "10.0.0.5 (cổng 80) là địa chỉ mạng riêng"),
                     ("http://169.254.169.254/latest", "169.254.169.254 (cổng 80) là địa chỉ link"),
                     ("http://localhost:8080/x", "localhost → 127.0.0.1 (cổng 8080) là địa chỉ "
                                                 "máy này (loopback)"),
                     ("http://[::ffff:127.0.0.1]/x", "loopback"),
                     ("ftp://example.com/x", "http:// hoặc https://")):
        response = _add(admin, addresses=url)
        assert response.status_code == 400, url
        error = response.text.split('<p class="error" role="alert">', 1)[1].split("</p>")[0]
        assert why in error.replace("&#39;", "'").replace("&gt;", ">"), (url, error)
    assert recipients.list_groups(web_db) == []


def test_viewer_and_analyst_get_403_on_pages_and_api(rapp, web_db, allow_private):
    for role in ("viewer", "analyst"):
        c = TestClient(rapp)
        assert login(c, role).status_code == 303
        token = csrf_of(c)
        assert c.get("/admin/recipients").status_code == 403
        assert c.post("/admin/recipients", data={**_form(addresses="https://example.com/h"),
                                                 "csrf": token}).status_code == 403
        assert c.post("/admin/recipients/x/toggle", data={"csrf": token}).status_code == 403
        assert c.post("/admin/recipients/x/test", data={"csrf": token}).status_code == 403
        assert c.get("/api/v1/alert-groups").status_code == 403
        api = c.post("/api/v1/alert-groups", headers={"X-CSRF-Token": token},
                     json={"name": "x", "channel": "webhook", "addresses": "https://e.com/h"})
        assert api.status_code == 403
    assert recipients.list_groups(web_db) == []


def test_forms_and_api_without_csrf_are_refused(admin, web_db, allow_private):
    form = _form(addresses="https://example.com/hook")
    assert admin.post("/admin/recipients", data=form).status_code == 403
    assert admin.post("/admin/recipients", data={**form, "csrf": "sai"}).status_code == 403
    api = admin.post("/api/v1/alert-groups", json={"name": "API", "channel": "webhook",
                                                   "addresses": "https://example.com/h"})
    assert api.status_code == 403
    assert recipients.list_groups(web_db) == []
    ok = admin.post("/api/v1/alert-groups", headers={"X-CSRF-Token": csrf_of(admin)},
                    json={"name": "API", "channel": "webhook",
                          "addresses": "https://example.com/h", "quiet_start": "22:00",
                          "quiet_end": "06:30"})
    assert ok.status_code == 200 and ok.json()["quiet_hours"] == {"start": "22:00:00",
                                                                  "end": "06:30:00"}


def test_every_change_is_in_the_audit_log(admin, web_db, allow_private, receiver):
    url = _url(receiver)
    assert _add(admin, addresses=url).status_code == 303
    edited = _add(admin, addresses=f"A | {url}\nB | {url}/b", original="Trực ban",
                  min_severity="critical")
    assert edited.status_code == 303
    token = csrf_of(admin)
    assert admin.post("/admin/recipients/Trực ban/toggle", data={"csrf": token, "active": "0"},
                      follow_redirects=False).status_code == 303
    assert admin.post("/admin/recipients/Trực ban/toggle", data={"csrf": token, "active": "1"},
                      follow_redirects=False).status_code == 303
    actions = [(who, action) for who, action, _ in _audit(web_db)]
    assert actions == [("admin", "recipients.add"), ("admin", "recipients.edit"),
                       ("admin", "recipients.disable"), ("admin", "recipients.enable")]
    assert f"{url}/b" in _audit(web_db)[1][2]  # the new address is on record
    page = admin.get("/admin/audit").text
    assert "recipients.edit" in page and "recipients.disable" in page
    [group] = recipients.list_groups(web_db)
    assert group.group.min_severity == "critical" and len(group.group.recipients) == 2


def test_send_test_goes_through_the_real_webhook_channel(admin, web_db, allow_private, receiver):
    assert _add(admin, addresses=f"Tổ trực | {_url(receiver, '/test')}").status_code == 303
    page = admin.post("/admin/recipients/Trực ban/test", data={"csrf": csrf_of(admin)})
    assert page.status_code == 200 and "Tổ trực (webhook): đã gửi" in page.text
    [(path, headers, body)] = receiver.got
    assert path == "/test" and "Trực ban" in body["subject"] and headers["Idempotency-Key"]
    assert _audit(web_db)[-1][1] == "recipients.test"


def test_send_test_reports_a_failing_receiver(admin, allow_private):
    assert _add(admin, addresses="http://127.0.0.1:9/closed").status_code == 303
    page = admin.post("/admin/recipients/Trực ban/test", data={"csrf": csrf_of(admin)})
    assert page.status_code == 200 and "lỗi — webhook: ConnectError" in page.text


def test_page_shows_yaml_groups_read_only_and_secret_status_only(admin, monkeypatch):
    monkeypatch.setenv("LANGNGHE_TELEGRAM_TOKEN", "123:bi-mat-khong-duoc-lo")
    monkeypatch.delenv("LANGNGHE_SECRET", raising=False)
    page = admin.get("/admin/recipients").text
    yaml = page.split('id="yaml-groups"', 1)[1].split("</table>", 1)[0]
    assert "Ban lãnh đạo" in yaml and "nguồn: config/alerts.yaml" in yaml and "-100123456" in yaml
    assert "/toggle" not in yaml and "?edit=" not in yaml  # read-only: no edit, no disable
    secrets = page.split('id="secrets"', 1)[1].split("</ul>", 1)[0]
    assert "LANGNGHE_TELEGRAM_TOKEN</code>): đã đặt" in secrets
    assert "LANGNGHE_SECRET</code>): <strong class=\"status-failing\">chưa đặt" in secrets
    assert "bi-mat-khong-duoc-lo" not in page


@pytest.mark.parametrize("fields, expected", [
    ({"name": "Ban lãnh đạo"}, "đã có trong config/alerts.yaml"),
    ({"channel": "email", "addresses": "a@b.vn"}, "channels.email"),
    ({"channel": "telegram", "addresses": "not a chat"}, "telegram"),
    ({"addresses": ""}, "Cần ít nhất một địa chỉ"),
    ({"quiet_start": "22:00"}, "Giờ yên lặng cần cả"),
    ({"kinds": []}, "Loại cảnh báo"),
    ({"addresses": "http://example.com:99999/h"}, "Cổng không hợp lệ"),  # was a server error
])
def test_invalid_groups_are_refused_with_a_reason(admin, web_db, allow_private, fields,
                                                  expected):
    data = {**_form(addresses="https://example.com/h"), **fields}
    response = admin.post("/admin/recipients", data={**data, "csrf": csrf_of(admin)})
    assert response.status_code == 400 and expected in response.text
    assert recipients.list_groups(web_db) == []


def test_quiet_hours_of_a_web_group_hold_non_critical_alerts(web_db, alerts_yaml, allow_private):
    from alerts.routing import targets

    form = recipients.GroupForm("Đêm", "webhook", "https://example.com/h", "info",
                                ("spike",), "00:00", "23:59")
    recipients.save_group(web_db, form, "admin", load_config(alerts_yaml))
    merged = recipients.merge_config(load_config(alerts_yaml), web_db)
    alert = Alert(key="spike:x", kind="spike", severity="warning", title="x", detected_at=NOW,
                  explanation=Explanation(reason="r"))
    [target] = targets(merged, alert, NOW.replace(hour=12))
    assert target.address == "https://example.com/h" and target.not_before > NOW.replace(hour=12)
    assert target.not_before - NOW.replace(hour=12) < timedelta(hours=12)


SIGNED_YAML = """
channels:
  webhook: {token_env: TEST_WEBHOOK_TOKEN}
groups:
  - name: Văn phòng
    min_severity: info
    recipients:
      - {name: Hệ thống chat tỉnh, webhook: "%s"}
"""


def test_a_dashboard_webhook_never_gets_the_environment_token_but_its_own_signature(
        store, web_db, tmp_path, receiver, allow_private, monkeypatch):
    """Finding: an admin could point a group at an own host, press "Gửi thử" and read the
    environment's webhook token. Now only the file's address gets it; the dashboard group gets
    a key of its own, shown once, and an HMAC signature made with it."""
    monkeypatch.setenv("TEST_WEBHOOK_TOKEN", "token-moi-truong-khong-duoc-lo")
    path = tmp_path / "signed.yaml"
    path.write_text(SIGNED_YAML % _url(receiver, "/tinh"), encoding="utf-8")
    app = create_app(store, web_db=web_db, secure_cookies=False,
                     alerts_db=tmp_path / "alerts.sqlite", alerts_config=load_config(path))
    client = TestClient(app)
    assert login(client, "admin").status_code == 303
    assert _add(client, addresses=f"Máy của tôi | {_url(receiver, '/cua-toi')}",
                name="Của tôi").status_code == 303
    key = _shown_key(client)
    assert key and len(key) == 43
    assert _shown_key(client) is None  # shown once
    token = csrf_of(client)
    for group in ("Của tôi", "Văn phòng"):
        page = client.post(f"/admin/recipients/{group}/test", data={"csrf": token})
        assert page.status_code == 200 and "đã gửi" in page.text
    (mine, headers, _), (office, office_headers, _) = receiver.got
    assert mine == "/cua-toi" and "Authorization" not in headers
    assert "token-moi-truong-khong-duoc-lo" not in json.dumps(headers)
    assert _verified(key, headers, receiver.raw[0])
    assert office == "/tinh"
    assert office_headers["Authorization"] == "Bearer token-moi-truong-khong-duoc-lo"
    assert "X-Langnghe-Signature" not in office_headers
    # the database keeps a salt, never the key
    with db.connect(web_db) as con:
        dump = "\n".join(con.iterdump())
    assert key not in dump and "token-moi-truong" not in dump


def test_a_webhook_key_survives_edits_and_renames_and_another_group_gets_another(
        admin, web_db, allow_private, monkeypatch):
    assert _add(admin, addresses="https://example.com/a").status_code == 303
    first = _shown_key(admin)
    assert _add(admin, addresses="https://example.com/b", name="Trực đêm",
                original="Trực ban").status_code == 303
    assert _shown_key(admin) is None  # the same key, already shown
    [group] = recipients.list_groups(web_db)
    assert group.name == "Trực đêm" and group.group.web_key_salt
    assert _add(admin, addresses="https://example.com/c", name="Nhóm khác").status_code == 303
    second = _shown_key(admin)
    assert first and second and first != second


def test_a_webhook_that_resolves_to_this_machine_at_send_time_is_refused(
        admin, receiver, web_db, monkeypatch):
    """DNS that changes between save and send: `socket.getaddrinfo` (the resolver function the
    egress guard calls, and the one httpx would call) is patched to answer a public address
    when the group is saved and the receiver's loopback address when the test is sent."""
    monkeypatch.delenv("LANGNGHE_EGRESS_ALLOW", raising=False)
    answer = ["93.184.216.34"]
    script_dns(monkeypatch, {"hooks.example.vn": lambda: answer})
    port = receiver.server_address[1]
    assert _add(admin, addresses=f"http://hooks.example.vn:{port}/hook").status_code == 303
    answer[:] = ["127.0.0.1"]
    page = admin.post("/admin/recipients/Trực ban/test", data={"csrf": csrf_of(admin)})
    assert page.status_code == 200 and "Kết nối bị chặn: hooks.example.vn → 127.0.0.1" in page.text
    assert receiver.got == []
