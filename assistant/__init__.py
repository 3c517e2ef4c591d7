"""The leader's assistant: questions in everyday Vietnamese → a structured request → an answer
whose every figure the store computed for exactly that request.

    understand.understand(question, now, catalog)  → Request (or not understood + suggestions)
    answer.answer(request, sources)                → Answer (text, figures, citations, /search link)
    ask.ask(question, sources, now)                → both, plus the optional language model

It reads the store (through `store.base.Store`) and the alert stage's records (outbox, digest,
forecasts); nothing below it imports it. Where people ask: `langnghe ask` (assistant.cli), the
web app's "Hỏi đáp" page and `POST /api/v1/ask` (web/ask.py), the Telegram bot
(assistant.telegram). Decisions on what phrases mean are in docs/assistant.md.
"""
