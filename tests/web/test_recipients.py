"""Alert recipient groups managed in the dashboard: admin pages, API, audit, and delivery.

Real app, real web database, real alerts YAML; a real HTTP receiver on 127.0.0.1 stands in for
a webhook endpoint, and alerts reach it through the runner's refresh and the alert stage's own
outbox and channel code."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from alerts.config import load_config
from alerts.engine import deliver_pending, persist
from alerts.model import Alert, Explanation
from langnghe.paths import Home
from langnghe.sources import Registry
from runner import stages
from runner.engine import Engine
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
        length = int(self.headers["Content-Length"])
        self.server.got.append((self.path, dict(self.headers), json.loads(self.rfile.read(length))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.got = []
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


@pytest.fixture
def allow_private(monkeypatch):
    monkeypatch.setenv(recipients.ALLOW_PRIVATE_ENV, "1")


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


def test_webhook_group_added_by_admin_receives_alerts_through_the_engine(
        admin, receiver, allow_private, tmp_path, web_db, store, alerts_yaml):
    url = _url(receiver)
    assert _add(admin, addresses=f"Tổ trực | {url}").status_code == 303
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
    # disabled in the dashboard: the next cycle no longer routes to it
    recipients.set_active(web_db, "Trực ban", False, "admin")
    engine.refresh_from_web(NOW)
    assert [g.name for g in alerting.config.groups] == ["Ban lãnh đạo"]
    assert "webhook" not in alerting.channels


def test_private_webhook_is_refused_without_the_allowance(admin, receiver, web_db, monkeypatch):
    monkeypatch.delenv(recipients.ALLOW_PRIVATE_ENV, raising=False)
    for url, why in ((_url(receiver), "nội bộ/riêng: 127.0.0.1"),
                     ("http://10.0.0.5/hook", "nội bộ/riêng: 10.0.0.5"),
                     ("http://169.254.169.254/latest", "nội bộ/riêng: 169.254.169.254"),
                     ("http://localhost:8080/x", "nội bộ: localhost"),
                     ("ftp://example.com/x", "phải bắt đầu bằng http://")):
        response = _add(admin, addresses=url)
        assert response.status_code == 400, url
        error = response.text.split('<p class="error" role="alert">', 1)[1].split("</p>")[0]
        assert why in error, (url, error)
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
