"""What leaves the machine through the channels: SMTP credentials never in clear text to another
host; the environment's webhook token only to the addresses of the configuration file, a
dashboard group's own HMAC signature; the egress guard at send time (real receivers on
127.0.0.1, allow-listed by their fixtures unless a test says otherwise)."""

from __future__ import annotations

import json

import pytest

from alerts.channels.webhook import WebhookChannel, signature, signing_key
from alerts.config import AlertConfigError, AlertsConfig
from alerts.engine import build_channels, deliver_pending, persist
from alerts.outbox import Outbox
from alerts.render import build_message
from tests.alerts.helpers import NOW, alert, config


@pytest.fixture(autouse=True)
def _secrets(monkeypatch):
    monkeypatch.setenv("LANGNGHE_SECRET", "test-secret-not-real-0123456789abcdef")
    monkeypatch.setenv("TEST_WEBHOOK_TOKEN", "token-cua-moi-truong")
    monkeypatch.setenv("TEST_TG_TOKEN", "123:ABC")


def _config(file_hook: str, dashboard_hook: str | None = None,
            salt: str = "00112233445566778899aabbccddeeff") -> AlertsConfig:
    cfg = AlertsConfig.model_validate({
        "channels": {"webhook": {"token_env": "TEST_WEBHOOK_TOKEN", "timeout_seconds": 2}},
        "groups": [{"name": "tep", "min_severity": "info",
                    "recipients": [{"name": "tinh", "webhook": file_hook}]}]})
    if dashboard_hook is None:
        return cfg
    web = AlertsConfig.model_validate({"groups": [{"name": "giao-dien", "min_severity": "info",
                                                   "recipients": [{"name": "toi",
                                                                   "webhook": dashboard_hook}]}],
                                       "channels": {"webhook": {}}}).groups[0]
    return cfg.model_copy(update={"groups": (*cfg.groups, web.from_dashboard(salt))})


def test_webhook_token_goes_only_to_the_configuration_files_addresses(webhook_server):
    cfg = _config(webhook_server.url + "/tep", webhook_server.url + "/giao-dien")
    channel = build_channels(cfg)["webhook"]
    message = build_message(alert(), "x", None)
    for path in ("/tep", "/giao-dien", "/khac"):  # /khac: in no group (since removed)
        channel.send(message, webhook_server.url + path)
    by_path = {r["path"]: r["headers"] for r in webhook_server.requests}
    assert by_path["/tep"]["Authorization"] == "Bearer token-cua-moi-truong"
    for path in ("/giao-dien", "/khac"):
        assert "token-cua-moi-truong" not in json.dumps(by_path[path]), path
    assert "X-Langnghe-Signature" in by_path["/giao-dien"]
    assert "X-Langnghe-Signature" not in by_path["/tep"] | by_path["/khac"]


def test_dashboard_webhook_signature_verifies_over_the_exact_body(webhook_server):
    salt = "ffeeddccbbaa99887766554433221100"
    cfg = _config(webhook_server.url + "/tep", webhook_server.url + "/giao-dien", salt)
    channel = build_channels(cfg)["webhook"]
    message = build_message(alert(), "toi", None)
    channel.send(message, webhook_server.url + "/giao-dien")
    [request] = webhook_server.requests
    headers = request["headers"]
    key = signing_key(b"test-secret-not-real-0123456789abcdef", salt)
    body = json.dumps(request["json"], ensure_ascii=False).encode("utf-8")
    assert headers["X-Langnghe-Signature"] == signature(key, headers["X-Langnghe-Timestamp"], body)
    assert headers["X-Langnghe-Signature"] != signature(
        signing_key(b"another-secret", salt), headers["X-Langnghe-Timestamp"], body)


def test_file_address_listed_by_a_dashboard_group_too_keeps_the_files_credential(webhook_server):
    hook = webhook_server.url + "/tep"
    channel = WebhookChannel(_config(hook, hook).channels.webhook, _config(hook, hook).groups)
    channel.send(build_message(alert(), "x", None), hook)
    [request] = webhook_server.requests
    assert request["headers"]["Authorization"] == "Bearer token-cua-moi-truong"


def test_webhook_and_telegram_to_a_refused_address_fail_permanently_without_a_request(
        tmp_path, webhook_server, telegram_server, monkeypatch):
    monkeypatch.setenv("LANGNGHE_EGRESS_ALLOW", "")  # the servers' own entries withdrawn
    cfg = config(webhook=webhook_server.url + "/hook", telegram_url=telegram_server.url)
    box = Outbox(tmp_path / "alerts.sqlite")
    persist(box, cfg, alert(), NOW)
    report = deliver_pending(box, build_channels(cfg), NOW, cfg)
    assert (report.sent, report.failed, report.retried) == (0, 2, 0)
    assert all("Kết nối bị chặn: 127.0.0.1" in e for e in report.errors), report.errors
    assert webhook_server.requests == [] and telegram_server.requests == []


def _email(host: str, port: int = 25, security: str = "none") -> AlertsConfig:
    return AlertsConfig.model_validate({"channels": {"email": {
        "host": host, "port": port, "security": security, "sender": "canhbao@langnghe.test",
        "username_env": "TEST_SMTP_USER", "password_env": "TEST_SMTP_PASSWORD"}}})


@pytest.mark.parametrize("host", ["smtp.tinh.gov.vn", "10.0.0.25", "192.0.2.2", "localhost.vn"])
def test_plain_smtp_with_credentials_to_another_host_is_refused_at_build(host):
    with pytest.raises(AlertConfigError, match="clear text to " + host.replace(".", r"\.")):
        build_channels(_email(host))
    for security in ("starttls", "ssl"):
        assert "email" in build_channels(_email(host, 587, security))


def test_plain_smtp_credentials_refused_stop_the_start(tmp_path):
    from langnghe.paths import Home
    from runner import stages

    path = tmp_path / "alerts.yaml"
    path.write_text("channels:\n  email: {host: smtp.tinh.gov.vn, security: none, sender: "
                    "a@b.vn, username_env: TEST_SMTP_USER}\n", encoding="utf-8")
    with pytest.raises(AlertConfigError, match="starttls or ssl"):
        stages.alerting(Home.resolve(tmp_path / "home"), path, [])


def test_plain_smtp_with_credentials_on_loopback_still_logs_in_and_sends(monkeypatch):
    """A relay on this machine (127.0.0.1, AUTH over plain SMTP allowed) gets the login."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    logins, mails = [], []

    class Relay:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
            mails.append(envelope.rcpt_tos)
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    relay = Controller(Relay(), hostname="127.0.0.1", port=port, authenticator=authenticate,
                       auth_require_tls=False)
    relay.start()
    try:
        monkeypatch.setenv("TEST_SMTP_USER", "canhbao")
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "mat-khau")
        build_channels(_email("127.0.0.1", port))["email"].send(
            build_message(alert(), "vp", None), "lanhdao@tinh.test")
    finally:
        relay.stop()
    assert logins == [(b"canhbao", b"mat-khau")] and mails == [["lanhdao@tinh.test"]]
