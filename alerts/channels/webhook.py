"""Generic JSON webhook, with payload shapes for Slack, Microsoft Teams and Zalo OA receivers.

Payloads (format in config `channels.webhook.format`):
- generic: {"text": "...", "subject": "...", "alert": {...the alert record...}, "ack_url": ...}
- slack (incoming webhook): {"text": "<subject>\n<body>"}
- teams (Office 365 connector MessageCard): {"@type": "MessageCard", "@context":
  "https://schema.org/extensions", "summary": subject, "title": subject, "text": body}
- zalo_oa (OA message API, address = the OA endpoint; the recipient's user_id goes after a '#'):
  {"recipient": {"user_id": "..."}, "message": {"text": "..."}} with header access_token.
Every request carries `Idempotency-Key` (percent-encoded UTF-8) so a receiver can drop a replay
after a crash.
"""

from __future__ import annotations

import os
from urllib.parse import quote

import httpx

from alerts.channels.base import DeliveryError, http_error
from alerts.config import WebhookConfig
from alerts.render import Message

ZALO_TEXT_MAX = 2000  # Zalo OA text messages are limited to 2000 characters


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


class WebhookChannel:
    name = "webhook"

    def __init__(self, config: WebhookConfig):
        self.config = config

    def send(self, message: Message, address: str) -> None:
        url, _, user_id = address.partition("#")
        # HTTP header values are ASCII: a Vietnamese recipient name is percent-encoded (UTF-8)
        headers = {"Idempotency-Key": quote(message.idempotency_key, safe=":@-_.~")}
        secret = os.environ.get(self.config.token_env or "", "")
        if secret:
            key = "access_token" if self.config.format == "zalo_oa" else "Authorization"
            headers[key] = secret if key == "access_token" else f"Bearer {secret}"
        try:
            response = httpx.post(url, json=payload(self.config.format, message, user_id),
                                  headers=headers, timeout=self.config.timeout_seconds)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            retry = response.headers.get("Retry-After")
            raise http_error(response.status_code, response.text,
                             float(retry) if retry and retry.isdigit() else None)
