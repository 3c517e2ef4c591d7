"""The assistant on Telegram: a bot that long-polls the Bot API (no public address needed) and
answers only private chats linked to a user account, as that user, at a bounded rate.

Bot API contract (https://core.telegram.org/bots/api): POST {base}/bot{token}/getUpdates with
JSON {"offset", "timeout", "allowed_updates": ["message"]} answers {"ok": true, "result":
[Update]} after up to `timeout` seconds; each Update has "update_id" and a "message" with
"chat": {"id", "type"} and "text". The next call's offset is the last update_id + 1, which
confirms the earlier updates. POST {base}/bot{token}/sendMessage with {"chat_id", "text",
"disable_web_page_preview"} sends a reply (plain text, at most 4096 characters); errors are
{"ok": false, "error_code", "description", "parameters": {"retry_after"}} (429 flood control,
409 when another process long-polls the same bot).

Linking: the person asks the web app's "Hỏi đáp" page for a one-time code, then sends
`/start CODE` to the bot in a private chat; `/huy` unlinks the chat. Group chats are never
answered (everyone in a group would read one person's access). `links` holds the links (the
web database, web/ask.py); `respond(user, question)` answers as the linked user.
Connections pass the egress guard (langnghe.egress), like the alert channels.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from langnghe import egress

log = logging.getLogger(__name__)
API = "https://api.telegram.org"
TOKEN_ENV = "LANGNGHE_TELEGRAM_BOT_TOKEN"  # noqa: S105 - a variable name, not a secret
POLL_S = 30  # long-poll wait: Telegram holds the request until an update or this many seconds
MAX_TEXT = 4096  # sendMessage limit (characters)
PER_MINUTE = 6  # questions a chat may ask per minute: a person reading answers asks fewer
BACKOFF_MAX_S = 60.0

HELP = ("Tôi là trợ lý Lắng Nghe. Hỏi tôi bằng tiếng Việt, ví dụ: “Hôm nay có gì?”, "
        "“Có bao nhiêu tin tiêu cực về y tế tuần này?”. Gửi /huy để bỏ liên kết chat này.")
NOT_LINKED = ("Chat này chưa được liên kết với tài khoản Lắng Nghe. Mở trang Hỏi đáp trên web, "
              "bấm “Lấy mã liên kết Telegram”, rồi gửi cho tôi: /start MÃ")
BAD_CODE = "Mã liên kết không đúng hoặc đã hết hạn. Hãy lấy mã mới trên trang Hỏi đáp."
PRIVATE_ONLY = "Tôi chỉ trả lời trong chat riêng với người đã liên kết tài khoản."
UNLINKED = "Đã bỏ liên kết chat này với tài khoản Lắng Nghe."
FAILED = "Xin lỗi, tôi chưa trả lời được lúc này. Hãy thử lại sau."


class Links(Protocol):
    def user_for(self, chat_id: str) -> Any | None:
        """The active account linked to the chat, allowed to ask; None otherwise."""

    def redeem(self, code: str, chat_id: str) -> Any | None:
        """Link the chat with the account the one-time code was made for (the code is spent)."""

    def unlink(self, chat_id: str) -> bool: ...


class RateLimiter:
    """At most `per_minute` events per key in any 60 seconds (sliding window, in memory)."""

    def __init__(self, per_minute: int = PER_MINUTE, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.clock = per_minute, clock
        self.events: dict[str, deque[float]] = defaultdict(deque)

    def wait(self, key: str) -> float:
        """0 and the event is counted, or the seconds until one more is allowed."""
        now, seen = self.clock(), self.events[key]
        while seen and now - seen[0] >= 60:
            seen.popleft()
        if len(seen) >= self.per_minute:
            return 60 - (now - seen[0])
        seen.append(now)
        return 0.0


class BotApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: float | None = None):
        super().__init__(f"Telegram Bot API {code}: {description}")
        self.code, self.retry_after = code, retry_after


def chunks(text: str, size: int = MAX_TEXT) -> list[str]:
    """`text` in pieces of at most `size` characters, cut at line ends where possible."""
    out: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > 0 else size
        out.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return out + ([text] if text else [])


class Bot:
    def __init__(self, token: str, links: Links, respond: Callable[[Any, str], str],
                 base_url: str = API, poll_s: int = POLL_S, limiter: RateLimiter | None = None):
        if not token:
            raise ValueError(f"the bot token is empty: set {TOKEN_ENV}")
        self.url = f"{base_url.rstrip('/')}/bot{token}"
        self.links, self.respond = links, respond
        self.poll_s, self.limiter = poll_s, limiter or RateLimiter()
        self.offset: int | None = None
        self.client = egress.client(timeout=poll_s + 10)

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, body: dict) -> Any:
        response = self.client.post(f"{self.url}/{method}", json=body)
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code == 200 and data.get("ok") is True:
            return data.get("result")
        retry = (data.get("parameters") or {}).get("retry_after")
        raise BotApiError(int(data.get("error_code") or response.status_code),
                          str(data.get("description") or response.text[:200]),
                          float(retry) if retry is not None else None)

    def send(self, chat_id: str, text: str) -> None:
        for part in chunks(text):
            self.call("sendMessage", {"chat_id": chat_id, "text": part,
                                      "disable_web_page_preview": True})

    def poll(self) -> int:
        """One getUpdates round; every update is handled, then confirmed by the next offset."""
        body: dict = {"timeout": self.poll_s, "allowed_updates": ["message"]}
        if self.offset is not None:
            body["offset"] = self.offset
        updates = self.call("getUpdates", body) or []
        for update in updates:
            self.offset = int(update["update_id"]) + 1
            try:
                self.handle(update)
            except (BotApiError, httpx.HTTPError, egress.EgressRefused) as exc:
                log.warning("Telegram: could not reply to update %s: %s", update["update_id"], exc)
        return len(updates)

    def handle(self, update: dict) -> None:
        message = update.get("message") or {}
        chat = message.get("chat") or {}
        text = (message.get("text") or "").strip()
        if not text or "id" not in chat:
            return
        chat_id = str(chat["id"])
        if chat.get("type") != "private":
            self.send(chat_id, PRIVATE_ONLY)
            return
        command, _, rest = text.partition(" ")
        command = command.split("@", 1)[0].lower()  # "/start@LangNgheBot"
        if command == "/start":
            self._start(chat_id, rest.strip())
        elif command in ("/huy", "/stop"):
            self.send(chat_id, UNLINKED if self.links.unlink(chat_id) else NOT_LINKED)
        elif command == "/help":
            self.send(chat_id, HELP)
        else:
            self._question(chat_id, text)

    def _start(self, chat_id: str, code: str) -> None:
        if not code:
            self.send(chat_id, HELP if self.links.user_for(chat_id) else NOT_LINKED)
            return
        user = self.links.redeem(code, chat_id)
        if user is None:
            self.send(chat_id, BAD_CODE)
            return
        self.send(chat_id, f"Đã liên kết chat này với tài khoản {user.username}. {HELP}")

    def _question(self, chat_id: str, text: str) -> None:
        user = self.links.user_for(chat_id)
        if user is None:
            self.send(chat_id, NOT_LINKED)
            return
        wait = self.limiter.wait(chat_id)
        if wait:
            self.send(chat_id, f"Bạn hỏi nhanh quá: hãy chờ {int(wait) + 1} giây rồi hỏi tiếp.")
            return
        try:
            reply = self.respond(user, text)
        except Exception:  # one failing answer must not stop the bot for everyone
            log.exception("the assistant failed on a Telegram question")
            reply = FAILED
        self.send(chat_id, reply)

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set; network and API errors back off, up to a minute."""
        delay = 1.0
        while not stop.is_set():
            try:
                self.poll()
                delay = 1.0
            except (BotApiError, httpx.HTTPError, egress.EgressRefused) as exc:
                wait = getattr(exc, "retry_after", None) or delay
                log.warning("Telegram getUpdates failed (%s); retrying in %.0f s", exc, wait)
                stop.wait(wait)
                delay = min(BACKOFF_MAX_S, delay * 2)
