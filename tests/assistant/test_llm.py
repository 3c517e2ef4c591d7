"""The optional language model, against a local stand-in server speaking the OpenAI
chat-completions protocol (POST /v1/chat/completions → {"choices": [{"message": {"content"}}]}).
The stand-in is not a model: it replies what each test scripts, and records what it was sent."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.ask import ask
from assistant.llm import ChatModel, from_env, numbers
from tests.assistant.conftest import NOW


class StandIn:
    """Replies in order from `replies` (a str is the content; an int an HTTP error status)."""

    def __init__(self):
        self.replies: list[str | int] = []
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stand_in.requests.append({"path": self.path, "body": body,
                                          "auth": self.headers.get("Authorization")})
                reply = stand_in.replies.pop(0) if stand_in.replies else 500
                if isinstance(reply, int):
                    self.send_response(reply)
                    self.end_headers()
                    return
                data = json.dumps({"id": "x", "object": "chat.completion", "choices": [
                    {"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": reply}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def model(stand_in):
    return ChatModel(stand_in.url, "vi-chat", api_key="k-test", timeout=5)


QUESTION = "Có bao nhiêu tin tiêu cực về môi trường tuần này?"


def test_llm_phrasing_kept_when_every_number_is_computed(ctx, model, stand_in):
    stand_in.replies = ["Tuần này có 3 tin tiêu cực về môi trường, đều về vụ sạt lở ở Thanh Hóa."]
    got = ask(QUESTION, ctx, NOW, model)
    assert got.phrased_by == "model"
    assert got.text.startswith("Tuần này có 3 tin tiêu cực")
    assert got.text.endswith(f"Xem trong Tìm kiếm: {got.search}")  # the computed link
    sent = stand_in.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer k-test"
    assert sent["body"]["model"] == "vi-chat" and sent["body"]["temperature"] == 0
    assert [m["role"] for m in sent["body"]["messages"]] == ["system", "user"]
    assert "Có 3 tin" in sent["body"]["messages"][1]["content"]  # given the template answer


def test_llm_phrasing_with_an_invented_number_sends_the_template(ctx, model, stand_in):
    stand_in.replies = ["Tuần này có khoảng 40 tin tiêu cực về môi trường."]
    got = ask(QUESTION, ctx, NOW, model)
    assert got.phrased_by == "template" and got.text.startswith("Có 3 tin — tuần này")


def test_llm_down_or_failing_sends_the_template(ctx, model, stand_in):
    stand_in.replies = [500]
    assert ask(QUESTION, ctx, NOW, model).phrased_by == "template"
    stand_in.server.shutdown()
    stand_in.server.server_close()
    assert ask(QUESTION, ctx, NOW, model).text.startswith("Có 3 tin")


def test_llm_reads_a_question_the_rules_missed_through_the_rules(ctx, model, stand_in):
    missed = "Cho mình cái nhìn tổng thể ngành giáo dục dạo này với"
    assert not ask(missed, ctx, NOW).request.understood
    stand_in.replies = ['{"question": "Tổng quan tin về giáo dục 7 ngày qua"}', "Không đổi"]
    got = ask(missed, ctx, NOW, model)
    request = got.request.to_dict()
    assert (request["intent"], request["filters"]["domain"]) == ("overview", "education")
    assert request["restated"] == "Tổng quan tin về giáo dục 7 ngày qua"
    assert got.request.question == missed
    system, user = stand_in.requests[0]["body"]["messages"]
    assert "Hôm nay có gì?" in system["content"]  # the supported questions, as examples
    assert user["content"] == missed


def test_llm_restatement_the_rules_do_not_understand_stays_not_understood(ctx, model, stand_in):
    stand_in.replies = ['{"question": "KHÔNG"}']
    got = ask("Bạn tên là gì?", ctx, NOW, model)
    assert not got.request.understood and got.text.startswith("Tôi chưa hiểu câu hỏi.")
    assert len(stand_in.requests) == 1  # nothing to phrase


def test_llm_off_unless_configured():
    assert from_env({}) is None
    configured = from_env({"LANGNGHE_LLM_URL": "http://127.0.0.1:8000/v1",
                           "LANGNGHE_LLM_MODEL": "qwen"})
    assert (configured.url, configured.model, configured.api_key) == (
        "http://127.0.0.1:8000/v1", "qwen", "")


def test_llm_numbers_are_compared_as_digits():
    assert numbers("Có 1.234 tin, 09:30 ngày 10/12, 35%") == {"1234", "9", "30", "10", "12", "35"}
