"""Telegram Bot API `sendMessage` (HTML parse mode); the base URL is configurable for tests.
Connections pass the egress guard (langnghe.egress), like every webhook.

Contract (https://core.telegram.org/bots/api#sendmessage): POST {base}/bot{token}/sendMessage
with JSON {"chat_id", "text", "parse_mode": "HTML", "disable_web_page_preview"}; the answer is
{"ok": true, "result": {Message}} or {"ok": false, "error_code": int, "description": str,
"parameters": {"retry_after": seconds}} (429 flood control).
"""

from __future__ import annotations

import os

import httpx

from alerts.channels.base import DeliveryError, http_error
from alerts.config import TelegramConfig
from alerts.render import Message
from langnghe import egress


class TelegramChannel:
    name = "telegram"

    def __init__(self, config: TelegramConfig):
        self.config = config

    def send(self, message: Message, address: str) -> None:
        token = os.environ.get(self.config.token_env, "")
        if not token:
            raise DeliveryError(f"environment variable {self.config.token_env} (Telegram bot "
                                "token) is not set")
        url = f"{self.config.base_url.rstrip('/')}/bot{token}/sendMessage"
        body = {"chat_id": address, "text": message.telegram_html, "parse_mode": "HTML",
                "disable_web_page_preview": True}
        try:
            with egress.client(timeout=self.config.timeout_seconds) as client:
                response = client.post(url, json=body)
        except egress.EgressRefused as exc:
            raise DeliveryError(f"Telegram: {exc}", permanent=True) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Telegram: {type(exc).__name__}: {exc}") from exc
        self._check(response)

    @staticmethod
    def _check(response: httpx.Response) -> None:
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code == 200 and data.get("ok") is True:
            return
        retry = (data.get("parameters") or {}).get("retry_after")
        detail = str(data.get("description") or response.text)
        raise http_error(int(data.get("error_code") or response.status_code), detail,
                         float(retry) if retry is not None else None)
