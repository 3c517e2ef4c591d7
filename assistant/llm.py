"""An optional language model behind an OpenAI-compatible chat endpoint (e.g. a self-hosted
Vietnamese-capable model), used for two things only:

1. **reading** a question the rules did not understand: the model restates it as a question of
   the supported kinds, and the rules (assistant.understand) read that restatement — so the
   structured request is still built, resolved and validated by the same code, and a
   restatement the rules do not understand either stays "not understood";
2. **phrasing** an answer from the computed facts, the template answer and the cited documents.
   The model's text is kept only when every number in it is a number of the template answer,
   of a cited title or of the question; otherwise — or on any error or timeout — the template
   answer is sent. The Search link is always the computed one.

Never required, and nothing leaves the machine unless configured: the endpoint is named by the
operator in the environment (LANGNGHE_LLM_URL, e.g. http://127.0.0.1:8000/v1; LANGNGHE_LLM_MODEL;
LANGNGHE_LLM_API_KEY if it needs one; LANGNGHE_LLM_TIMEOUT seconds, default 20). Being the
operator's own choice like LANGNGHE_EGRESS_ALLOW, it is not passed through the egress guard
(a self-hosted model usually listens on loopback or a private address).
Numbers written out in words cannot be checked; the prompt asks for digits.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime

import httpx

from assistant.answer import Answer
from assistant.request import Request
from assistant.understand import SUPPORTED, Catalog, understand

log = logging.getLogger(__name__)
URL_ENV, MODEL_ENV, KEY_ENV, TIMEOUT_ENV = ("LANGNGHE_LLM_URL", "LANGNGHE_LLM_MODEL",
                                            "LANGNGHE_LLM_API_KEY", "LANGNGHE_LLM_TIMEOUT")
DEFAULT_TIMEOUT_S = 20.0  # a small model on a CPU needs seconds; a person waits no longer
MAX_ANSWER_CHARS = 3_000
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_LINK_LINE = "Xem trong Tìm kiếm:"

READ_PROMPT = """Bạn giúp một hệ thống theo dõi báo chí hiểu câu hỏi. Hãy viết lại câu hỏi của \
người dùng thành MỘT câu hỏi theo một trong các mẫu sau (giữ nguyên địa danh, lĩnh vực, chủ đề, \
nguồn, sắc thái và khoảng thời gian người dùng nói; không thêm gì họ không nói):
{examples}
Nếu câu hỏi không phải về tin tức, báo chí, cảnh báo hay nguồn tin, trả lời: KHÔNG
Chỉ trả lời bằng JSON: {{"question": "..."}}"""

PHRASE_PROMPT = """Bạn là trợ lý cho lãnh đạo. Viết lại câu trả lời dưới đây bằng tiếng Việt \
ngắn gọn, dễ đọc trên điện thoại. Chỉ dùng các con số có trong câu trả lời gốc, viết bằng chữ số; \
không thêm con số, sự kiện hay nhận định nào khác. Giữ tên thời gian và bộ lọc."""


@dataclass
class ChatModel:
    url: str  # base URL of the OpenAI-compatible API, ending before /chat/completions
    model: str
    api_key: str = ""
    timeout: float = DEFAULT_TIMEOUT_S

    def chat(self, system: str, user: str) -> str:
        """One chat completion (temperature 0); raises httpx.HTTPError or ValueError."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        response = httpx.post(self.url.rstrip("/") + "/chat/completions", headers=headers,
                              timeout=self.timeout, json={
                                  "model": self.model, "temperature": 0,
                                  "messages": [{"role": "system", "content": system},
                                               {"role": "user", "content": user}]})
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise ValueError("chat completion without text content")
        return content.strip()

    def read(self, question: str, now: datetime, catalog: Catalog) -> Request | None:
        """The request of the model's restatement, when the rules understand it."""
        examples = "\n".join(f"- {s.format(place=catalog.home_province or 'Hà Nội')}"
                             for s in SUPPORTED)
        try:
            reply = self.chat(READ_PROMPT.format(examples=examples), question)
            restated = json.loads(_json_part(reply))["question"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("language model could not read the question: %s", exc)
            return None
        if not isinstance(restated, str) or not restated.strip():
            return None
        request = understand(restated, now, catalog)
        if not request.understood:
            return None
        request.question = question
        request.restated = restated
        return request

    def phrase(self, result: Answer) -> None:
        """Replace the template text with the model's, when every number in it is computed."""
        facts = json.dumps(result.facts, ensure_ascii=False, default=str)[:4_000]
        body = result.text.split(f"\n\n{_LINK_LINE}")[0]
        try:
            text = self.chat(PHRASE_PROMPT, f"Câu hỏi: {result.request.question}\n\n"
                             f"Câu trả lời gốc:\n{body}\n\nSố liệu (JSON): {facts}")
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("language model could not phrase the answer: %s", exc)
            return
        allowed = numbers(result.text) | numbers(result.request.question)
        allowed |= {n for c in result.citations for n in numbers(c.title)}
        if not text or len(text) > MAX_ANSWER_CHARS or not numbers(text) <= allowed:
            log.info("language model answer refused (numbers not computed): %s",
                     sorted(numbers(text) - allowed))
            return
        result.text = text.rstrip() + (f"\n\n{_LINK_LINE} {result.search}" if result.search
                                       else "")
        result.phrased_by = "model"


def numbers(text: str) -> set[str]:
    """The numbers written in `text`, as digit strings ("1.234" → "1234", "09" → "9")."""
    return {re.sub(r"[.,]", "", n).lstrip("0") or "0" for n in _NUMBER_RE.findall(text)}


def _json_part(reply: str) -> str:
    start, end = reply.find("{"), reply.rfind("}")
    if start < 0 or end < start:
        raise ValueError(f"no JSON object in the model's reply: {reply[:200]!r}")
    return reply[start : end + 1]


def from_env(environ=os.environ) -> ChatModel | None:
    """The configured model, or None (the default: no model, nothing sent anywhere)."""
    url = environ.get(URL_ENV, "").strip()
    if not url:
        return None
    timeout = float(environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_S)
    return ChatModel(url, environ.get(MODEL_ENV, "").strip() or "default",
                     environ.get(KEY_ENV, ""), timeout)
