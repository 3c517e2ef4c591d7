"""Generic JSON webhook, with payload shapes for Slack, Microsoft Teams and Zalo OA receivers.

Payloads (format in config `channels.webhook.format`):
- generic: {"text": "...", "subject": "...", "alert": {...the alert record...}, "ack_url": ...}
- slack (incoming webhook): {"text": "<subject>\n<body>"}
- teams (Office 365 connector MessageCard): {"@type": "MessageCard", "@context":
  "https://schema.org/extensions", "summary": subject, "title": subject, "text": body}
- zalo_oa (OA message API, address = the OA endpoint; the recipient's user_id goes after a '#'):
  {"recipient": {"user_id": "..."}, "message": {"text": "..."}} with header access_token.
Every request carries `Idempotency-Key` (percent-encoded UTF-8) so a receiver can drop a replay
after a crash, and connects through the egress guard (langnghe.egress) at send time: a name
that pointed at the internet when the group was saved and at this machine now is refused.

Who gets which credential:
- the webhook addresses of config/alerts.yaml (reviewed configuration) get the token of
  `channels.webhook.token_env`: `Authorization: Bearer <token>` (Zalo OA: `access_token`);
- a group added in the dashboard (web.recipients) never gets that token: its requests are
  signed with the group's own key, generated when the group is saved and shown once:
      X-Langnghe-Timestamp: <unix seconds>
      X-Langnghe-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>." + the raw body)>
  where the key is the text shown to the admin (UTF-8). The receiver recomputes the HMAC over
  the exact bytes received, compares in constant time, and refuses a timestamp more than five
  minutes old. The key itself is stored nowhere: the web database keeps a random salt and the
  key is HMAC-SHA256(the signing secret of `secret_env`, salt) (`signing_key`), so a copy of the
  database alone reveals nothing; changing that secret changes every dashboard group's key;
- any other address (say, of a group removed since the alert was queued) gets no credential.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Sequence
from urllib.parse import quote

import httpx

from alerts.channels.base import DeliveryError, http_error
from alerts.config import Group, WebhookConfig
from alerts.render import Message
from langnghe import egress

ZALO_TEXT_MAX = 2000  # Zalo OA text messages are limited to 2000 characters
KEY_LABEL = b"langnghe webhook signing key v1:"  # separates these keys from other uses


def payload(fmt: str, message: Message, user_id: str = "") -> dict:
    if fmt == "slack":
        return {"text": f"*{message.subject}*\n{message.text}"}
    if fmt == "teams":
        return {"@type": "MessageCard", "@context": "https://schema.org/extensions",
                "summary": message.subject, "title": message.subject, "text": message.text}
    if fmt == "zalo_oa":
        return {"recipient": {"user_id": user_id},
                "message": {"text": message.text[:ZALO_TEXT_MAX]}}
    return {"subject": message.subject, "text": message.text, **message.payload}


def signing_key(secret: bytes, salt: str) -> str:
    """A dashboard group's key (43 URL-safe characters) from the signing secret and its salt."""
    digest = hmac.new(secret, KEY_LABEL + salt.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def signature(key: str, timestamp: str, body: bytes) -> str:
    """The X-Langnghe-Signature value a receiver must recompute."""
    mac = hmac.new(key.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(self, config: WebhookConfig, groups: Sequence[Group] = (),
                 secret_env: str = "LANGNGHE_SECRET"):  # noqa: S107 - a variable name
        self.config = config
        self.secret_env = secret_env
        addresses = [(g.web_key_salt, r.webhook) for g in groups for r in g.recipients
                     if r.webhook]
        self.trusted = {a for salt, a in addresses if salt is None}
        # an address listed by both the file and the dashboard keeps the file's credential
        self.salts = {a: salt for salt, a in addresses if salt and a not in self.trusted}

    def send(self, message: Message, address: str) -> None:
        url, _, user_id = address.partition("#")
        body = json.dumps(payload(self.config.format, message, user_id),
                          ensure_ascii=False).encode("utf-8")
        # HTTP header values are ASCII: a Vietnamese recipient name is percent-encoded (UTF-8)
        headers = {"Content-Type": "application/json",
                   "Idempotency-Key": quote(message.idempotency_key, safe=":@-_.~"),
                   **self._credentials(address, body)}
        try:
            with egress.client(timeout=self.config.timeout_seconds) as client:
                response = client.post(url, content=body, headers=headers)
        except egress.EgressRefused as exc:
            raise DeliveryError(f"webhook: {exc}", permanent=True) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            retry = response.headers.get("Retry-After")
            raise http_error(response.status_code, response.text,
                             float(retry) if retry and retry.isdigit() else None)

    def _credentials(self, address: str, body: bytes) -> dict[str, str]:
        if address in self.trusted:
            token = os.environ.get(self.config.token_env or "", "")
            if not token:
                return {}
            if self.config.format == "zalo_oa":
                return {"access_token": token}
            return {"Authorization": f"Bearer {token}"}
        salt = self.salts.get(address)
        if salt is None:
            return {}
        secret = os.environ.get(self.secret_env, "")
        if not secret:
            raise DeliveryError(f"environment variable {self.secret_env} is not set: the "
                                "webhook of a dashboard group cannot be signed")
        timestamp = str(int(time.time()))
        return {"X-Langnghe-Timestamp": timestamp,
                "X-Langnghe-Signature": signature(signing_key(secret.encode("utf-8"), salt),
                                                  timestamp, body)}
