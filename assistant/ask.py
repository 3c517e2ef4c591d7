"""One question in, one grounded answer out: understand, compute, and optionally let a language
model read what the rules did not and phrase what the store computed (assistant.llm).

Every surface calls `ask`: the CLI (runner/ask_cli.py), the web page and API (web/ask.py), the
Telegram bot (assistant/telegram.py).
"""

from __future__ import annotations

from datetime import datetime

from assistant.answer import Answer, Context, answer
from assistant.understand import understand

MAX_QUESTION_CHARS = 500  # a question, not a document: longer input is cut, not parsed


def ask(question: str, ctx: Context, now: datetime, model=None) -> Answer:
    """The answer to `question` at `now`. `model` (assistant.llm.ChatModel, optional) reads a
    question the rules did not understand into the same structured request, and rephrases the
    template answer — kept only when every number in its text is one the store computed."""
    question = " ".join(question.split())[:MAX_QUESTION_CHARS]
    request = understand(question, now, ctx.catalog)
    if not request.understood and model is not None:
        request = model.read(question, now, ctx.catalog) or request
    result = answer(request, ctx)
    if model is not None and request.understood:
        model.phrase(result)
    return result
