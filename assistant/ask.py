"""One question in, one grounded answer out: understand, compute, and optionally let a language
model read what the rules did not and phrase what the store computed (assistant.llm).

Every surface calls `ask`: the CLI (runner/ask_cli.py), the web page and API (web/ask.py), the
Telegram bot (assistant/telegram.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.answer import Answer, Context, answer
from assistant.understand import understand
from langnghe.document import VN_TZ

MAX_QUESTION_CHARS = 500  # a question, not a document: longer input is cut, not parsed
# "now" given by a caller (--now, the API) must leave room for every period around it
EARLIEST_NOW, LATEST_NOW = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def check_now(now: datetime) -> datetime:
    """`now` with a zone (Vietnam time when it has none); ValueError outside 2000–2099."""
    now = now if now.tzinfo else now.replace(tzinfo=VN_TZ)
    if not EARLIEST_NOW <= now < LATEST_NOW:
        raise ValueError(f"“now” phải trong khoảng năm 2000–2099, không phải {now.isoformat()}")
    return now


def ask(question: str, ctx: Context, now: datetime, model=None) -> Answer:
    """The answer to `question` at `now`. `model` (assistant.llm.ChatModel, optional) reads a
    question the rules did not understand into the same structured request, and rephrases the
    template answer — kept only when every number in its text is one the store computed."""
    question = " ".join(question.split())[:MAX_QUESTION_CHARS]
    request = understand(question, check_now(now), ctx.catalog)
    if not request.understood and model is not None:
        request = model.read(question, now, ctx.catalog) or request
    result = answer(request, ctx)
    if model is not None and request.understood:
        model.phrase(result)
    return result
