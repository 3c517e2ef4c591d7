"""The acknowledge link of alert messages, opened signed out: GET shows the incident and a confirm
button and changes nothing (mail scanners open links); the button's POST acknowledges; expired or
edited links are refused. Real app, real outbox."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from fastapi.testclient import TestClient

from alerts import ack
from alerts.outbox import Outbox

from .conftest import NOW, make_alert

SECRET = b"k" * 32  # the app fixture's alerts_secret
FIELD_RE = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def link_for(alert_id: str, who: str = "Chủ tịch", expires=None) -> ack.Link:
    return ack.make_link(SECRET, alert_id, who, expires or NOW + timedelta(days=7))


def status(tmp_path, alert_id: str) -> str:
    outbox = Outbox(tmp_path / "alerts.sqlite")
    try:
        return outbox.get(alert_id).status
    finally:
        outbox.close()


def test_opening_the_link_shows_the_incident_and_a_button_but_acknowledges_nothing(app, tmp_path):
    alert = make_alert(tmp_path / "alerts.sqlite")
    anon = TestClient(app)
    for _ in range(3):  # a scanner, a link preview, the person: none of them acknowledges
        page = anon.get("/alerts/ack", params=link_for(alert.id).query())
        assert page.status_code == 200
        assert "12 tin trong 15 phút" in page.text and "&lt;script&gt;" in page.text
        assert 'id="ack"' in page.text and "Xác nhận đã tiếp nhận" in page.text
    assert status(tmp_path, alert.id) == "open"


def test_the_confirm_button_acknowledges_with_the_links_name(app, tmp_path):
    alert = make_alert(tmp_path / "alerts.sqlite")
    anon = TestClient(app)
    page = anon.get("/alerts/ack", params=link_for(alert.id).query())
    form = dict(FIELD_RE.findall(page.text))
    assert set(form) == {"alert", "by", "exp", "token"}
    done = anon.post("/alerts/ack", data=form)
    assert done.status_code == 200 and "Chủ tịch</strong> đã tiếp nhận" in done.text
    assert status(tmp_path, alert.id) == "acked"
    again = anon.get("/alerts/ack", params=link_for(alert.id).query())
    assert "Đã tiếp nhận bởi <strong>Chủ tịch</strong>" in again.text
    assert 'id="ack"' not in again.text


def test_an_expired_link_is_refused_and_records_nothing(app, tmp_path):
    alert = make_alert(tmp_path / "alerts.sqlite")
    old = link_for(alert.id, expires=NOW - timedelta(minutes=1))
    anon = TestClient(app)
    for response in (anon.get("/alerts/ack", params=old.query()),
                     anon.post("/alerts/ack", data=old.query())):
        assert response.status_code == 403 and "hết hạn" in response.text
    assert status(tmp_path, alert.id) == "open"


def test_an_edited_or_old_style_link_is_refused(app, tmp_path):
    alert = make_alert(tmp_path / "alerts.sqlite")
    good = link_for(alert.id)
    anon = TestClient(app)
    for bad in (replace(good, who="Người khác"), replace(good, expires=good.expires + 86400),
                replace(good, token="x")):
        assert anon.post("/alerts/ack", data=bad.query()).status_code == 403
    no_expiry = {k: v for k, v in good.query().items() if k != "exp"}  # links sent before
    assert anon.get("/alerts/ack", params=no_expiry).status_code == 403
    assert status(tmp_path, alert.id) == "open"
