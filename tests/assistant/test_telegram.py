"""The Telegram bot against a local HTTP server on 127.0.0.1 that replays the Bot API's documented
getUpdates / sendMessage request and response format (https://core.telegram.org/bots/api):
POST /bot<token>/getUpdates {"offset", "timeout", "allowed_updates"} → {"ok": true, "result":
[Update]}, POST /bot<token>/sendMessage {"chat_id", "text", …} → {"ok": true, "result":
Message}, errors {"ok": false, "error_code", "description", "parameters": {"retry_after"}}.
It is a stand-in for Telegram's servers, not Telegram. Links and history live in a real web
database; answers come from the real stores of tests/assistant/conftest.py."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.ask import ask
from assistant.telegram import (
    BAD_CODE,
    NOT_LINKED,
    PRIVATE_ONLY,
    UNLINKED,
    Bot,
    BotApiError,
    RateLimiter,
    chunks,
)
from runner.ask_bot import make_respond
from tests.assistant.conftest import NOW
from tests.egress import allow
from web import db
from web.ask import TelegramLinks, history, new_code
from web.auth import User, create_user

TOKEN = "123456:TEST-token"  # noqa: S105 - the replay server's own token


class BotApi:
    """Serves queued updates to getUpdates (dropping those below the offset, as Telegram does)
    and records every sendMessage."""

    def __init__(self):
        self.updates: list[dict] = []
        self.sent: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self.fail_next: dict | None = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                token, _, method = self.path.removeprefix("/bot").partition("/")
                api.calls.append((method, body))
                if token != TOKEN:
                    return self.reply(401, {"ok": False, "error_code": 401,
                                            "description": "Unauthorized"})
                if api.fail_next is not None:
                    failure, api.fail_next = api.fail_next, None
                    return self.reply(failure["error_code"], {"ok": False, **failure})
                if method == "getUpdates":
                    offset = body.get("offset", 0)
                    api.updates = [u for u in api.updates if u["update_id"] >= offset]
                    return self.reply(200, {"ok": True, "result": list(api.updates)})
                if method == "sendMessage":
                    api.sent.append(body)
                    return self.reply(200, {"ok": True, "result": {
                        "message_id": len(api.sent), "date": 0, "text": body["text"],
                        "chat": {"id": int(body["chat_id"]), "type": "private"}}})
                return self.reply(404, {"ok": False, "error_code": 404,
                                        "description": "Not Found"})

            def reply(self, status: int, data: dict):
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.next_id = 100

    def message(self, chat_id: int, text: str, chat_type: str = "private") -> None:
        self.next_id += 1
        self.updates.append({"update_id": self.next_id, "message": {
            "message_id": self.next_id, "date": 1_765_000_000, "text": text,
            "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
            "chat": {"id": chat_id, "type": chat_type}}})

    def replies(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.sent if str(m["chat_id"]) == str(chat_id)]


@pytest.fixture
def bot_api(monkeypatch):
    api = BotApi()
    allow(monkeypatch, f"127.0.0.1:{api.port}")  # the bot connects through the egress guard
    yield api
    api.server.shutdown()
    api.server.server_close()


@pytest.fixture(scope="session")
def accounts(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "web.sqlite"
    create_user(path, "lanhdao", "mat-khau-dai-du", "viewer")
    return path


@pytest.fixture
def web_db(accounts, tmp_path):
    path = tmp_path / "web.sqlite"
    path.write_bytes(accounts.read_bytes())
    return path


def leader(web_db) -> User:
    with db.connect(web_db) as con:
        row = con.execute("SELECT id, username, role FROM users").fetchone()
    return User(row["id"], row["username"], row["role"])


@pytest.fixture
def bot(bot_api, ctx, web_db):
    made = Bot(TOKEN, TelegramLinks(web_db), make_respond(ctx, web_db), base_url=bot_api.url,
               poll_s=0)
    yield made
    made.close()


def test_telegram_unlinked_chat_gets_no_answer(bot, bot_api):
    bot_api.message(42, "Hôm nay có gì?")
    assert bot.poll() == 1
    assert bot_api.replies(42) == [NOT_LINKED]


def test_telegram_link_then_answer_as_the_user_and_record_it(bot, bot_api, web_db, ctx,
                                                            monkeypatch):
    code = new_code(web_db, leader(web_db))
    bot_api.message(42, "/start WRONG123")
    bot_api.message(42, f"/start {code}")
    bot.poll()
    assert bot_api.replies(42)[0] == BAD_CODE
    assert bot_api.replies(42)[1].startswith("Đã liên kết chat này với tài khoản lanhdao.")
    # answers are computed at the fixed NOW of the corpus
    monkeypatch.setattr("runner.ask_bot.datetime", type("Fixed", (), {
        "now": staticmethod(lambda tz=None: NOW)}))
    question = "Có bao nhiêu tin tiêu cực về môi trường tuần này?"
    bot_api.message(42, question)
    bot.poll()
    assert bot_api.replies(42)[2] == ask(question, ctx, NOW).text
    assert [h["via"] for h in history(web_db, leader(web_db))] == ["telegram"]
    bot_api.message(42, "/huy")
    bot.poll()
    assert bot_api.replies(42)[3] == UNLINKED
    assert TelegramLinks(web_db).user_for("42") is None


def test_telegram_confirms_updates_with_the_next_offset(bot, bot_api):
    bot_api.message(7, "xin chào")
    bot.poll()
    bot.poll()
    offsets = [body.get("offset") for method, body in bot_api.calls if method == "getUpdates"]
    assert offsets == [None, 102]  # update 101 was handled: asking from 102 confirms it
    assert bot_api.replies(7) == [NOT_LINKED]  # answered once, not again


def test_telegram_group_chats_are_never_answered(bot, bot_api, web_db):
    TelegramLinks(web_db).redeem(new_code(web_db, leader(web_db)), "-1001")
    bot_api.message(-1001, "Hôm nay có gì?", chat_type="group")
    bot.poll()
    assert bot_api.replies(-1001) == [PRIVATE_ONLY]


def test_telegram_rate_limit_per_chat(bot, bot_api, web_db):
    TelegramLinks(web_db).redeem(new_code(web_db, leader(web_db)), "42")
    bot.limiter = RateLimiter(per_minute=2)
    for _ in range(3):
        bot_api.message(42, "tìm bài về giá vàng")
    bot.poll()
    replies = bot_api.replies(42)
    assert len(replies) == 3 and replies[2].startswith("Bạn hỏi nhanh quá")
    assert len(history(web_db, leader(web_db))) == 2


def test_telegram_api_errors_carry_retry_after(bot, bot_api):
    bot_api.fail_next = {"error_code": 429, "description": "Too Many Requests: retry after 7",
                         "parameters": {"retry_after": 7}}
    with pytest.raises(BotApiError) as caught:
        bot.poll()
    assert (caught.value.code, caught.value.retry_after) == (429, 7.0)


def test_telegram_rate_limiter_window():
    clock = [0.0]
    limiter = RateLimiter(per_minute=2, clock=lambda: clock[0])
    assert limiter.wait("a") == 0 and limiter.wait("a") == 0
    assert limiter.wait("a") == 60 and limiter.wait("b") == 0
    clock[0] = 60.0
    assert limiter.wait("a") == 0


def test_telegram_long_answers_split_at_line_ends():
    text = "\n".join(f"dòng {i} " + "x" * 90 for i in range(100))
    parts = chunks(text)
    assert all(len(p) <= 4096 for p in parts) and "\n".join(parts) == text
