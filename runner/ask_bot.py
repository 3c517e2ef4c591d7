"""`langnghe ask --telegram`: the assistant's Telegram bot (assistant/telegram.py) for a home —
the links and history in its web database (web/ask.py), answers from its store.

The bot long-polls, so it needs no public address; run it as one process per bot token (the
Bot API refuses a second process polling the same token). Token: LANGNGHE_TELEGRAM_BOT_TOKEN
(it may be the alert channel's bot: sending alerts does not poll); LANGNGHE_TELEGRAM_API names
another Bot API server (a local Bot API server, or a replay in tests).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from assistant.answer import Context
from assistant.ask import ask
from assistant.telegram import API, TOKEN_ENV, Bot
from assistant.understand import Catalog
from langnghe.document import VN_TZ
from langnghe.paths import Home
from web.ask import TelegramLinks, record
from web.auth import User

API_ENV = "LANGNGHE_TELEGRAM_API"


def make_respond(ctx: Context, web_db: Path, model=None,
                 catalog: Callable[[], Catalog] | None = None) -> Callable[[User, str], str]:
    """Answer as the linked user, and keep the question in their history (via "telegram").
    `catalog()`, when given, is read before each question: topics saved in the dashboard
    since the bot started are understood too."""
    def respond(user: User, question: str) -> str:
        if catalog is not None:
            ctx.catalog = catalog()
        result = ask(question, ctx, datetime.now(VN_TZ), model)
        record(web_db, user, result, "telegram")
        return result.text
    return respond


def run_bot(ctx: Context, home: Home, model=None,
            catalog: Callable[[], Catalog] | None = None) -> int:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"langnghe ask --telegram: set {TOKEN_ENV} to the bot's token (from @BotFather)",
              file=sys.stderr)
        return 2
    bot = Bot(token, TelegramLinks(home.web_db), make_respond(ctx, home.web_db, model, catalog),
              base_url=os.environ.get(API_ENV, API))
    print("Bot Telegram của trợ lý đang chạy (long polling); Ctrl+C để dừng.", flush=True)
    try:
        bot.run(threading.Event())
    except KeyboardInterrupt:
        return 130
    finally:
        bot.close()
    return 0
