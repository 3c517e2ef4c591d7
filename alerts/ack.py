"""Signed acknowledge links: HMAC-SHA256 over (alert id, who, expiry) with the engine's secret.

The link lets a leader acknowledge from a phone without logging in. Opening it (GET) only shows
the incident and a confirm button: mail scanners and link previewers open links, and one
recipient's scanner must not acknowledge, and so silence, an incident for everyone. The button
POSTs the same signed fields, and that acknowledges (`acknowledge_with_token`).

A link expires `AlertsConfig.ack_link_days` (7 by default) after its message was sent. The expiry
is part of the signed text, so editing the URL cannot extend it; a later change of the setting
does not touch links already sent. The secret comes from the environment (`LANGNGHE_SECRET` by
default), never from a file; alerts.config refuses one that is short or the example's placeholder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from alerts.outbox import Outbox

TOKEN_BYTES = 16  # 128 bits: unguessable, short enough for an SMS-length link


class LinkError(ValueError):
    """A link that does not verify or has expired; the message says which, in Vietnamese."""


@dataclass(frozen=True)
class Link:
    """The signed fields of an acknowledge link (its query string)."""

    alert_id: str
    who: str
    expires: int  # Unix seconds
    token: str

    def query(self) -> dict[str, str]:
        return {"alert": self.alert_id, "by": self.who, "exp": str(self.expires),
                "token": self.token}


def token(secret: bytes, alert_id: str, who: str, expires: int) -> str:
    text = f"ack\x00{alert_id}\x00{who}\x00{expires}".encode()
    mac = hmac.new(secret, text, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:TOKEN_BYTES]).decode().rstrip("=")


def make_link(secret: bytes, alert_id: str, who: str, expires: datetime) -> Link:
    stamp = int(expires.timestamp())
    return Link(alert_id, who, stamp, token(secret, alert_id, who, stamp))


def ack_url(public_url: str, link: Link) -> str:
    return f"{public_url.rstrip('/')}/alerts/ack?{urlencode(link.query())}"


def check(secret: bytes, link: Link, now: datetime) -> None:
    """LinkError when the signature does not match or the link has expired."""
    if not hmac.compare_digest(token(secret, link.alert_id, link.who, link.expires), link.token):
        raise LinkError("Liên kết xác nhận không hợp lệ (bị cắt hoặc sửa): hãy mở lại liên kết "
                        "trong tin nhắn cảnh báo")
    if now.timestamp() >= link.expires:
        raise LinkError("Liên kết xác nhận đã hết hạn: hãy đăng nhập Lắng Nghe để tiếp nhận "
                        "cảnh báo")


def acknowledge_with_token(outbox: Outbox, secret: bytes, link: Link, now: datetime) -> bool:
    """The confirm button: LinkError (and nothing recorded) unless the link checks out; then
    whether the incident was acknowledged now (False when it already was)."""
    check(secret, link, now)
    return outbox.acknowledge(link.alert_id, link.who, now)
