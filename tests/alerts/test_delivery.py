"""Delivery over real loopback transports: email, Telegram, webhook; retries, restart, dedup, ack,
quiet hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from alerts import ack, routing
from alerts.engine import build_channels, deliver_pending, persist
from alerts.outbox import Outbox
from tests.alerts.helpers import HOSTILE, NOW, alert, config

SECRET = "test-secret-not-real-but-32-bytes-long"  # noqa: S105 - tests only


@pytest.fixture(autouse=True)
def _secrets(monkeypatch):
    monkeypatch.setenv("LANGNGHE_SECRET", SECRET)
    monkeypatch.setenv("TEST_TG_TOKEN", "123:ABC")


def test_email_delivery_multipart_escaped_with_ack_link(tmp_path, smtp_server):
    cfg = config(email_port=smtp_server.port)
    box = Outbox(tmp_path / "alerts.sqlite")
    saved = persist(box, cfg, alert(), NOW)
    report = deliver_pending(box, build_channels(cfg), NOW, cfg)
    assert report.sent == 1 and len(smtp_server.messages) == 1
    rcpts, mail = smtp_server.messages[0]
    assert rcpts == ["lanhdao@tinh.test"]
    assert "Cháy chợ" in mail["Subject"]
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "12 tin trong 15 phút" in plain and "Báo Thanh Hóa" in plain
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html  # hostile URL not turned into a link
    link = next(w for w in plain.split() if "/alerts/ack?" in w)
    q = parse_qs(urlsplit(link).query)
    assert q["alert"] == [saved.id]
    link = link_of(q)
    assert link.alert_id == saved.id
    ack.check(SECRET.encode(), link, NOW)  # signed with the engine's secret: no LinkError


def link_of(query: dict[str, list[str]]) -> ack.Link:
    return ack.Link(query["alert"][0], query["by"][0], int(query["exp"][0]), query["token"][0])


def test_email_temporary_smtp_failure_is_retried(tmp_path, smtp_server):
    smtp_server.fail_next = 1
    cfg = config(email_port=smtp_server.port)
    box = Outbox(tmp_path / "alerts.sqlite")
    persist(box, cfg, alert(), NOW)
    first = deliver_pending(box, build_channels(cfg), NOW, cfg)
    assert first.retried == 1 and not smtp_server.messages
    second = deliver_pending(box, build_channels(cfg), NOW + timedelta(minutes=5), cfg)
    assert second.sent == 1 and len(smtp_server.messages) == 1


def test_telegram_follows_send_message_contract(tmp_path, telegram_server):
    cfg = config(telegram_url=telegram_server.url)
    box = Outbox(tmp_path / "alerts.sqlite")
    persist(box, cfg, alert(), NOW)
    assert deliver_pending(box, build_channels(cfg), NOW, cfg).sent == 1
    (req,) = telegram_server.requests
    assert req["path"] == "/bot123:ABC/sendMessage"
    body = req["json"]
    assert body["chat_id"] == "123456" and body["parse_mode"] == "HTML"
    assert "&lt;script&gt;" in body["text"] and "<script>" not in body["text"]
    assert len(body["text"]) <= 4096


def test_telegram_429_waits_retry_after(tmp_path, telegram_server):
    telegram_server.script = [("429", 120)]
    cfg = config(telegram_url=telegram_server.url)
    box = Outbox(tmp_path / "alerts.sqlite")
    persist(box, cfg, alert(), NOW)
    assert deliver_pending(box, build_channels(cfg), NOW, cfg).retried == 1
    early = deliver_pending(box, build_channels(cfg), NOW + timedelta(seconds=60), cfg)
    assert early.sent == 0 and not telegram_server.requests
    late = deliver_pending(box, build_channels(cfg), NOW + timedelta(seconds=121), cfg)
    assert late.sent == 1 and len(telegram_server.requests) == 1


def test_webhook_retries_500_and_timeout_with_backoff(tmp_path, webhook_server):
    webhook_server.script = ["500", "timeout"]
    cfg = config(webhook=webhook_server.url + "/hook")
    box = Outbox(tmp_path / "alerts.sqlite")
    saved = persist(box, cfg, alert(), NOW)
    channels = build_channels(cfg)
    assert deliver_pending(box, channels, NOW, cfg).retried == 1  # 500
    assert deliver_pending(box, channels, NOW + timedelta(seconds=10), cfg).sent == 0  # backoff
    assert deliver_pending(box, channels, NOW + timedelta(seconds=31), cfg).retried == 1  # timeout
    assert deliver_pending(box, channels, NOW + timedelta(seconds=60), cfg).sent == 0  # 60 s wait
    assert deliver_pending(box, channels, NOW + timedelta(seconds=92), cfg).sent == 1
    (req,) = webhook_server.requests
    assert req["json"]["alert"]["id"] == saved.id
    assert req["headers"]["Idempotency-Key"] == f"{saved.id}:1:chanh-van-phong"
    (row,) = box.deliveries(saved.id)
    outcomes = [entry[2] for entry in box.attempt_log(row["id"])]
    assert outcomes == ["retry", "retry", "sent"] and row["attempts"] == 3


def test_webhook_gives_up_after_max_attempts(tmp_path, webhook_server):
    webhook_server.script = ["500"] * 10
    cfg = config(webhook=webhook_server.url, max_attempts=2)
    box = Outbox(tmp_path / "alerts.sqlite")
    saved = persist(box, cfg, alert(), NOW)
    deliver_pending(box, build_channels(cfg), NOW, cfg)
    report = deliver_pending(box, build_channels(cfg), NOW + timedelta(hours=2), cfg)
    assert report.failed == 1
    assert box.deliveries(saved.id)[0]["status"] == "failed"
    assert deliver_pending(box, build_channels(cfg), NOW + timedelta(days=1), cfg).failed == 0


def test_permanent_telegram_error_is_not_retried(tmp_path, telegram_server):
    telegram_server.script = ["403"]
    cfg = config(telegram_url=telegram_server.url)
    box = Outbox(tmp_path / "alerts.sqlite")
    saved = persist(box, cfg, alert(), NOW)
    assert deliver_pending(box, build_channels(cfg), NOW, cfg).failed == 1
    assert "blocked" in box.deliveries(saved.id)[0]["last_error"]


@pytest.mark.parametrize("fmt,key", [("slack", "text"), ("teams", "@type"),
                                     ("zalo_oa", "recipient")])
def test_webhook_payload_formats(tmp_path, webhook_server, fmt, key):
    cfg = config(webhook=webhook_server.url + "#user-42", webhook_format=fmt)
    box = Outbox(tmp_path / "alerts.sqlite")
    persist(box, cfg, alert(), NOW)
    deliver_pending(box, build_channels(cfg), NOW, cfg)
    body = webhook_server.requests[0]["json"]
    assert key in body and "Cháy chợ" in str(body)
    if fmt == "zalo_oa":
        assert body["recipient"]["user_id"] == "user-42"


def test_restart_sends_nothing_twice(tmp_path, webhook_server):
    cfg = config(webhook=webhook_server.url)
    path = tmp_path / "alerts.sqlite"
    box = Outbox(path)
    persist(box, cfg, alert(), NOW)
    box.close()  # "crash" after persisting, before sending
    box = Outbox(path)
    assert deliver_pending(box, build_channels(cfg), NOW, cfg).sent == 1
    box.close()
    box = Outbox(path)  # restart: the same detection again, then a delivery cycle
    persist(box, cfg, alert(when=NOW + timedelta(minutes=5)), NOW + timedelta(minutes=5))
    assert deliver_pending(box, build_channels(cfg), NOW + timedelta(minutes=6), cfg).sent == 0
    assert len(webhook_server.requests) == 1


def test_one_incident_one_alert_with_updates(tmp_path):
    cfg = config(webhook="http://127.0.0.1:9/unused", cooldown_minutes=60)
    box = Outbox(tmp_path / "alerts.sqlite")
    first = persist(box, cfg, alert(count=10), NOW)
    for minutes, count in ((15, 11), (30, 14)):  # within the cooldown: silent updates
        again = persist(box, cfg, alert(count=count), NOW + timedelta(minutes=minutes))
        assert again.id == first.id and again.version == 1
    grown = persist(box, cfg, alert(count=16), NOW + timedelta(minutes=75))
    assert grown.id == first.id and grown.version == 2  # cooldown over and volume +60%
    worse = persist(box, cfg, alert(count=16, severity="critical"), NOW + timedelta(minutes=80))
    assert worse.version == 3  # escalation is news at once
    versions = [d["version"] for d in box.deliveries(first.id)]
    statuses = [d["status"] for d in box.deliveries(first.id)]
    assert versions == [1, 2, 3] and statuses == ["cancelled", "cancelled", "pending"]
    later = persist(box, cfg, alert(count=5), NOW + timedelta(days=3))
    assert later.id != first.id  # quiet for longer than the incident gap: a new incident


def test_ack_link_stops_renotification(tmp_path, webhook_server):
    cfg = config(webhook=webhook_server.url, cooldown_minutes=0)
    box = Outbox(tmp_path / "alerts.sqlite")
    saved = persist(box, cfg, alert(), NOW)
    deliver_pending(box, build_channels(cfg), NOW, cfg)
    secret = SECRET.encode()
    later = NOW + timedelta(minutes=10)
    sent = webhook_server.requests[0]["json"]["ack_url"]
    good = link_of(parse_qs(urlsplit(sent).query))
    with pytest.raises(ack.LinkError):
        ack.acknowledge_with_token(box, secret, replace(good, token="forged"), later)
    assert ack.acknowledge_with_token(box, secret, good, later)
    acked = box.get(saved.id)
    assert acked.status == "acked" and acked.acked_by == "chanh-van-phong"  # the recipient
    assert acked.acked_at.startswith("2026-03-10T03:10")
    persist(box, cfg, alert(count=100, severity="critical"), NOW + timedelta(minutes=20))
    deliver_pending(box, build_channels(cfg), NOW + timedelta(minutes=21), cfg)
    assert len(webhook_server.requests) == 1


def test_quiet_hours_hold_warning_but_not_critical(tmp_path, webhook_server):
    night = NOW.replace(hour=16)  # 23:00 Vietnam time
    cfg = config(webhook=webhook_server.url, quiet=("22:00", "06:30"))
    box = Outbox(tmp_path / "alerts.sqlite")
    persist(box, cfg, alert(key="spike:a", severity="warning", when=night), night)
    persist(box, cfg, alert(key="spike:b", severity="critical", when=night), night)
    deliver_pending(box, build_channels(cfg), night, cfg)
    assert [r["json"]["alert"]["key"] for r in webhook_server.requests] == ["spike:b"]
    morning = night + timedelta(hours=7, minutes=30)  # 06:30 Vietnam time
    deliver_pending(box, build_channels(cfg), morning - timedelta(minutes=1), cfg)
    assert len(webhook_server.requests) == 1
    deliver_pending(box, build_channels(cfg), morning, cfg)
    assert [r["json"]["alert"]["key"] for r in webhook_server.requests] == ["spike:b", "spike:a"]


def test_severity_filter_skips_group(tmp_path):
    cfg = config(webhook="http://127.0.0.1:9/x", min_severity="critical")
    assert routing.targets(cfg, alert(severity="warning"), NOW) == []
    assert len(routing.targets(cfg, alert(severity="critical"), NOW)) == 1


def test_hostile_title_escaped_in_every_html(tmp_path):
    from alerts.render import build_message

    message = build_message(alert(), "x", None)
    for html in (message.html, message.telegram_html):
        assert HOSTILE not in html and "&lt;b&gt;nổ&lt;/b&gt;" in html


@pytest.mark.parametrize("tls_smtp_server", ["starttls", "ssl"], indirect=True)
def test_email_over_starttls_and_ssl(tmp_path, tls_smtp_server):
    from alerts.channels.email import EmailChannel
    from alerts.render import build_message

    cfg = config(email_port=tls_smtp_server.port)
    settings = cfg.channels.email.model_copy(update={"security": tls_smtp_server.security})
    channel = EmailChannel(settings, ssl_context=tls_smtp_server.client_context)
    channel.send(build_message(alert(), "vp", None), "lanhdao@tinh.test")
    (_, mail), = tls_smtp_server.messages
    assert "Cháy chợ" in mail["Subject"] and mail.get_body(("html",)) is not None
