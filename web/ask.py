"""The assistant in the web app: the "Hỏi đáp" page (mobile first, with the history of one's own
questions), `POST /api/v1/ask`, and the one-time codes that link a Telegram chat to an account.

Tables (web/db.py): `ask_history` — every question asked on the page, through the API or on
Telegram, with its answer, per user (a person sees only their own); `telegram_links` — a row per
code asked for on the page (only its SHA-256 is kept, it expires after CODE_MINUTES and works
once), which becomes the chat's link when the bot receives `/start CODE`. The bot
(assistant/telegram.py, run by `langnghe ask --telegram`) reads the links through
`TelegramLinks`, answers as the linked account while it is active and has ASK_ROLE, and records
the question here too.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, field_validator

from assistant.answer import Answer, Context
from assistant.ask import MAX_QUESTION_CHARS, ask, check_now
from assistant.llm import from_env
from assistant.understand import Catalog, make_catalog
from langnghe.document import VN_TZ
from web import db
from web.api import api_csrf, errors
from web.auth import User
from web.deps import CSRF, ctx, render, require
from web.topics import load_web_topics

router = APIRouter()
ASK_ROLE = "viewer"  # asking reads what the overview, search and alerts pages show a viewer
HISTORY = 20  # questions listed on the page, newest first
CODE_MINUTES = 10  # a link code is typed into Telegram right away; a stale one is worthless
CODE_BYTES = 6  # 48 bits, shown as 8 base32 letters: typed by hand once, valid 10 minutes


def catalog(request: Request) -> Catalog:
    """The deployment's catalog (`app.state.assistant_catalog`, set by whoever serves the app:
    runner/serve.py) plus the topics saved in the dashboard, read on every question."""
    base: Catalog = getattr(request.app.state, "assistant_catalog", None) or Catalog()
    topics = make_catalog([*base.topics, *load_web_topics(ctx(request).web_db)]).topics
    return Catalog(topics, base.sources, base.home_province)


def context(request: Request) -> Context:
    c = ctx(request)
    return Context(store=c.store, catalog=catalog(request), alerts_db=c.alerts_db,
                   health=c.health, base_url=str(request.base_url).rstrip("/"))


def record(web_db: str | Path, user: User, result: Answer, via: str) -> int:
    """Keep a question and its answer in the user's history; returns its id."""
    with db.connect(web_db) as con:
        cur = con.execute("INSERT INTO ask_history(user_id, at, via, question, intent, answer) "
                          "VALUES (?, ?, ?, ?, ?, ?)",
                          (user.id, db.now_iso(), via, result.request.question,
                           result.request.intent, json.dumps(result.to_dict(),
                                                             ensure_ascii=False, default=str)))
        return int(cur.lastrowid)


def history(web_db: str | Path, user: User, limit: int = HISTORY,
            entry: int | None = None) -> list[dict]:
    """The user's questions, newest first (or only the one numbered `entry`, if theirs)."""
    where, params = ("AND id = ?", [entry]) if entry is not None else ("", [])
    with db.connect(web_db) as con:
        rows = con.execute("SELECT id, at, via, question, intent, answer FROM ask_history "  # noqa: S608
                           f"WHERE user_id = ? {where} ORDER BY id DESC LIMIT ?",
                           [user.id, *params, limit])
        return [{**dict(r), "answer": json.loads(r["answer"])} for r in rows]


def answer_now(request: Request, question: str, now: datetime | None = None) -> Answer:
    return ask(question, context(request), now or datetime.now(VN_TZ), from_env())


# ---- Telegram links ----------------------------------------------------------------------------

def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def new_code(web_db: str | Path, user: User) -> str:
    """A one-time code linking a Telegram chat to `user` (shown once; kept hashed)."""
    import base64

    code = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().rstrip("=")[:8]
    expires = datetime.now(UTC) + timedelta(minutes=CODE_MINUTES)
    with db.connect(web_db) as con:
        con.execute("DELETE FROM telegram_links WHERE chat_id IS NULL AND (user_id = ? OR "
                    "expires_at < ?)", (user.id, db.now_iso()))
        con.execute("INSERT INTO telegram_links(user_id, code_hash, expires_at) VALUES (?, ?, ?)",
                    (user.id, _hash(code), db.now_iso(expires)))
        db.audit(con, user.username, "telegram.code", "mã liên kết Telegram mới")
    return code


def linked_chats(web_db: str | Path, user: User) -> list[dict]:
    with db.connect(web_db) as con:
        return [dict(r) for r in con.execute(
            "SELECT id, chat_id, linked_at FROM telegram_links WHERE user_id = ? AND chat_id IS "
            "NOT NULL ORDER BY linked_at", (user.id,))]


def unlink_own(web_db: str | Path, user: User, link_id: int) -> bool:
    with db.connect(web_db) as con:
        done = con.execute("DELETE FROM telegram_links WHERE id = ? AND user_id = ? AND chat_id "
                           "IS NOT NULL", (link_id, user.id)).rowcount
        if done:
            db.audit(con, user.username, "telegram.unlink", f"liên kết #{link_id}")
    return bool(done)


@dataclass
class TelegramLinks:
    """The links as the bot reads them (assistant.telegram.Links)."""

    web_db: Path

    def _user(self, con, user_id: int) -> User | None:
        row = con.execute("SELECT id, username, role, active FROM users WHERE id = ?",
                          (user_id,)).fetchone()
        if row is None or not row["active"]:
            return None
        user = User(row["id"], row["username"], row["role"])
        return user if user.can(ASK_ROLE) else None

    def user_for(self, chat_id: str) -> User | None:
        with db.connect(self.web_db) as con:
            row = con.execute("SELECT user_id FROM telegram_links WHERE chat_id = ?",
                              (chat_id,)).fetchone()
            return self._user(con, row["user_id"]) if row else None

    def redeem(self, code: str, chat_id: str) -> User | None:
        with db.connect(self.web_db) as con:
            row = con.execute("SELECT id, user_id FROM telegram_links WHERE code_hash = ? AND "
                              "chat_id IS NULL AND expires_at >= ?",
                              (_hash(code), db.now_iso())).fetchone()
            user = self._user(con, row["user_id"]) if row else None
            if user is None:
                return None
            con.execute("DELETE FROM telegram_links WHERE chat_id = ?", (chat_id,))
            con.execute("UPDATE telegram_links SET chat_id = ?, linked_at = ?, code_hash = NULL, "
                        "expires_at = NULL WHERE id = ?", (chat_id, db.now_iso(), row["id"]))
            db.audit(con, user.username, "telegram.link", f"chat {chat_id}")
        return user

    def unlink(self, chat_id: str) -> bool:
        with db.connect(self.web_db) as con:
            row = con.execute("SELECT l.id, u.username FROM telegram_links l JOIN users u ON "
                              "u.id = l.user_id WHERE l.chat_id = ?", (chat_id,)).fetchone()
            if row is None:
                return False
            con.execute("DELETE FROM telegram_links WHERE id = ?", (row["id"],))
            db.audit(con, row["username"], "telegram.unlink", f"chat {chat_id}")
        return True


# ---- page and API ------------------------------------------------------------------------------

def page_text(answer: dict) -> str:
    """The answer as the page shows it: the citations' address lines and the Search line are
    links below it instead."""
    urls = {c["url"] for c in answer.get("citations", [])}
    lines = [line for line in answer["answer"].splitlines()
             if line.strip() not in urls and not line.startswith("Xem trong Tìm kiếm:")]
    return "\n".join(lines).rstrip()


def _page(request: Request, who: User, shown: dict | None = None, code: str | None = None,
          status_code: int = 200, question: str = ""):
    c = ctx(request)
    if shown is not None:
        shown = {**shown, "body": page_text(shown["answer"])}
    return render(request, "ask.html", {
        "shown": shown, "history": history(c.web_db, who), "code": code,
        "code_minutes": CODE_MINUTES, "chats": linked_chats(c.web_db, who),
        "question": question, "max_chars": MAX_QUESTION_CHARS}, status_code=status_code)


@router.get("/ask", include_in_schema=False)
def ask_page(request: Request, id: int | None = None, who: User = Depends(require(ASK_ROLE))):
    found = history(ctx(request).web_db, who, entry=id) if id is not None else []
    shown = found[0] if found else None
    return _page(request, who, shown)


@router.post("/ask", include_in_schema=False)
def ask_form(request: Request, question: str = Form(""), _: None = CSRF,
             who: User = Depends(require(ASK_ROLE))):
    if not question.strip():
        return _page(request, who, status_code=400)
    result = answer_now(request, question)
    entry = record(ctx(request).web_db, who, result, "web")
    return RedirectResponse(f"/ask?id={entry}#tra-loi", status_code=303)


@router.post("/ask/telegram-code", include_in_schema=False)
def telegram_code(request: Request, _: None = CSRF, who: User = Depends(require(ASK_ROLE))):
    return _page(request, who, code=new_code(ctx(request).web_db, who))


@router.post("/ask/telegram/{link_id}/unlink", include_in_schema=False)
def telegram_unlink(request: Request, link_id: int, _: None = CSRF,
                    who: User = Depends(require(ASK_ROLE))):
    if not unlink_own(ctx(request).web_db, who, link_id):
        raise HTTPException(404, "Không có liên kết này")
    return RedirectResponse("/ask#telegram", status_code=303)


class AskBody(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    now: datetime | None = Field(None, description="ISO 8601 time taken as now "
                                 "(reproducible answers), in the years 2000–2099 (400 "
                                 "otherwise); Vietnam time when it has no zone; default: the "
                                 "clock")

    @field_validator("now", mode="before")
    @classmethod
    def _iso_text(cls, value: object) -> object:
        """As the schema says (a date-time string): never a number of seconds."""
        if value is not None and not isinstance(value, str):
            raise ValueError("now phải là chuỗi ISO 8601, ví dụ 2026-11-26T08:00:00+07:00")
        return value


@router.post("/api/v1/ask", tags=["api"], dependencies=[Depends(api_csrf)],
             responses=errors(400, 401, 403))
def ask_api(request: Request, body: AskBody, who: User = Depends(require(ASK_ROLE))):
    """Ask the assistant in Vietnamese. Returns the structured request (intent, since, until,
    filters, query, …), the answer text, its citations, the /search link and the facts."""
    try:
        now = check_now(body.now) if body.now is not None else None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    result = answer_now(request, body.question, now)
    entry = record(ctx(request).web_db, who, result, "api")
    return {**result.to_dict(), "id": entry}
