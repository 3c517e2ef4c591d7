"""Signed acknowledge links: HMAC-SHA256 over (alert id, who) with the engine's secret.

The link lets a leader acknowledge from a phone without logging in; the web app verifies the
token with `verify` and calls `Outbox.acknowledge`. The secret comes from the environment
(`LANGNGHE_SECRET` by default), never from a file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from urllib.parse import urlencode

from alerts.outbox import Outbox

TOKEN_BYTES = 16  # 128 bits: unguessable, short enough for an SMS-length link


def token(secret: bytes, alert_id: str, who: str) -> str:
    mac = hmac.new(secret, f"ack\x00{alert_id}\x00{who}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:TOKEN_BYTES]).decode().rstrip("=")


def verify(secret: bytes, alert_id: str, who: str, candidate: str) -> bool:
    return hmac.compare_digest(token(secret, alert_id, who), candidate)


def ack_url(public_url: str, secret: bytes, alert_id: str, who: str) -> str:
    query = urlencode({"alert": alert_id, "by": who, "token": token(secret, alert_id, who)})
    return f"{public_url.rstrip('/')}/alerts/ack?{query}"


def acknowledge_with_token(outbox: Outbox, secret: bytes, alert_id: str, who: str,
                           candidate: str, now: datetime) -> bool:
    """The link handler: False (and nothing recorded) when the token does not match."""
    if not verify(secret, alert_id, who, candidate):
        return False
    return outbox.acknowledge(alert_id, who, now)
