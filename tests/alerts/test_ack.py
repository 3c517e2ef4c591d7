"""Acknowledge links: signed with the expiry, refused once expired or edited; the signing secret
must be long and not the example's placeholder. Delivered through a real loopback webhook."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from alerts import ack
from alerts.config import MIN_SECRET_BYTES, AlertConfigError, AlertsConfig
from alerts.engine import build_channels, deliver_pending, persist
from alerts.outbox import Outbox
from tests.alerts.helpers import NOW, alert, config
from tests.paths import REPO

SECRET = "s" * MIN_SECRET_BYTES  # noqa: S105 - tests only


def sent_link(tmp_path, webhook_server, monkeypatch, **settings) -> tuple[ack.Link, Outbox]:
    monkeypatch.setenv("LANGNGHE_SECRET", SECRET)
    cfg = config(webhook=webhook_server.url).model_copy(update=settings)
    box = Outbox(tmp_path / "alerts.sqlite")
    persist(box, cfg, alert(), NOW)
    assert deliver_pending(box, build_channels(cfg), NOW, cfg).sent == 1
    q = parse_qs(urlsplit(webhook_server.requests[0]["json"]["ack_url"]).query)
    return ack.Link(q["alert"][0], q["by"][0], int(q["exp"][0]), q["token"][0]), box


def test_ack_link_expires_seven_days_after_it_was_sent(tmp_path, webhook_server, monkeypatch):
    link, box = sent_link(tmp_path, webhook_server, monkeypatch)
    assert link.expires == int((NOW + timedelta(days=7)).timestamp())
    ack.check(SECRET.encode(), link, NOW + timedelta(days=7) - timedelta(seconds=1))
    with pytest.raises(ack.LinkError, match="hết hạn"):
        ack.acknowledge_with_token(box, SECRET.encode(), link, NOW + timedelta(days=7))
    assert box.get(link.alert_id).status == "open"  # nothing recorded


def test_ack_link_lifetime_is_a_setting(tmp_path, webhook_server, monkeypatch):
    link, _ = sent_link(tmp_path, webhook_server, monkeypatch, ack_link_days=2)
    assert link.expires == int((NOW + timedelta(days=2)).timestamp())


def test_ack_link_with_an_extended_expiry_is_refused(tmp_path, webhook_server, monkeypatch):
    link, box = sent_link(tmp_path, webhook_server, monkeypatch)
    later = NOW + timedelta(days=30)
    stretched = replace(link, expires=int(later.timestamp()) + 3600)
    with pytest.raises(ack.LinkError, match="không hợp lệ"):
        ack.acknowledge_with_token(box, SECRET.encode(), stretched, later)
    assert box.get(link.alert_id).status == "open"


def _example_secret() -> str:
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    return re.search(r"^LANGNGHE_SECRET=(.*)$", text, re.M).group(1)


@pytest.mark.parametrize("value,message", [
    ("ngan-qua", f"at least {MIN_SECRET_BYTES}"),
    ("x" * (MIN_SECRET_BYTES - 1), "31 bytes"),
    (_example_secret(), "placeholder"),
    ("CHANGE_ME_" + "x" * 40, "placeholder"),
])
def test_a_weak_signing_secret_is_refused(value, message, monkeypatch):
    monkeypatch.setenv("LANGNGHE_SECRET", value)
    with pytest.raises(AlertConfigError, match=message):
        AlertsConfig().check_secret()
    with pytest.raises(AlertConfigError, match=message):
        AlertsConfig().secret()


def test_a_long_random_secret_is_accepted_and_an_unset_one_only_switches_links_off(monkeypatch):
    monkeypatch.setenv("LANGNGHE_SECRET", "9f" * MIN_SECRET_BYTES)
    AlertsConfig().check_secret()
    assert AlertsConfig().secret() == b"9f" * MIN_SECRET_BYTES
    monkeypatch.delenv("LANGNGHE_SECRET")
    AlertsConfig().check_secret()  # no error: the start says links are off
    with pytest.raises(AlertConfigError, match="not set"):
        AlertsConfig().secret()
