"""Watch topics created in the dashboard, and topic mutes; read by the engine each cycle.

Topics live in the web database (table `topics`), next to the file-defined ones of
config/watch.yaml. The engine calls `load_web_topics(db_path)` when it builds its enrich context
and matches the union at ingest; the alert stage calls `muted_topics(db_path, now)` to skip
alerts on topics someone muted for a period. A web topic whose id is also in the file is ignored
by `merge_topics` (the file wins: it is the deployment's reviewed configuration).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from langnghe.query import QueryError
from langnghe.vietnamese import fold, has_diacritics
from nlp.watch import _ID_RE, WatchTopic, topic
from web import db

MAX_MUTE = timedelta(days=30)  # a longer mute is a decision to delete the topic, not to mute it


class TopicInputError(ValueError):
    """A rejected topic form; the message says what was expected."""


def validate(tid: str, name: str, query: str) -> WatchTopic:
    tid, name, query = tid.strip(), name.strip(), query.strip()
    if not _ID_RE.match(tid):
        raise TopicInputError("Mã chủ đề phải gồm chữ thường không dấu, số, - hoặc _ "
                              "(tối đa 64 ký tự), ví dụ lu-lut-thanh-hoa")
    if not name:
        raise TopicInputError("Tên chủ đề không được để trống")
    try:
        return topic(tid, name, query)
    except QueryError as exc:
        raise TopicInputError(f"Truy vấn không hợp lệ: {exc}") from exc


def save_topic(db_path: str | Path, tid: str, name: str, query: str, by: str) -> WatchTopic:
    """Create or replace a topic (audited)."""
    item = validate(tid, name, query)
    with db.connect(db_path) as con:
        old = con.execute("SELECT query FROM topics WHERE id = ?", (item.id,)).fetchone()
        con.execute("INSERT OR REPLACE INTO topics VALUES (?, ?, ?, ?, ?)",
                    (item.id, item.name, item.query, by, db.now_iso()))
        db.audit(con, by, "topic.update" if old else "topic.create", f"{item.id}: {item.query}")
    return item


def delete_topic(db_path: str | Path, tid: str, by: str) -> None:
    with db.connect(db_path) as con:
        con.execute("DELETE FROM topics WHERE id = ?", (tid,))
        db.audit(con, by, "topic.delete", tid)


def list_topics(db_path: str | Path) -> list[dict]:
    with db.connect(db_path) as con:
        return [dict(r) for r in con.execute("SELECT * FROM topics ORDER BY name")]


def load_web_topics(db_path: str | Path) -> list[WatchTopic]:
    """Topics saved in the dashboard, parsed; rows that no longer parse are skipped."""
    if not Path(db_path).exists():
        return []
    out = []
    try:
        rows = list_topics(db_path)
    except sqlite3.OperationalError:  # an older file without the table: nothing saved yet
        return []
    for row in rows:
        try:
            out.append(topic(row["id"], row["name"], row["query"]))
        except QueryError:
            continue  # saved before a grammar change; shown as invalid on the topics page
    return out


def merge_topics(file_topics: list[WatchTopic], web_topics: list[WatchTopic]
                 ) -> list[WatchTopic]:
    """File topics first, then dashboard topics whose id the file does not use."""
    taken = {t.id for t in file_topics}
    return list(file_topics) + [t for t in web_topics if t.id not in taken]


def mute(db_path: str | Path, tid: str, until: datetime, now: datetime, by: str) -> None:
    if not now < until <= now + MAX_MUTE:
        raise TopicInputError("Thời hạn tắt cảnh báo phải trong tương lai và không quá 30 ngày")
    with db.connect(db_path) as con:
        con.execute("INSERT OR REPLACE INTO mutes VALUES (?, ?, ?)",
                    (tid, until.isoformat(), by))
        db.audit(con, by, "topic.mute", f"{tid} until {until.isoformat()}")


def muted_topics(db_path: str | Path, now: datetime) -> dict[str, datetime]:
    """Topic id -> end of its mute, for mutes still running at `now`."""
    if not Path(db_path).exists():
        return {}
    with db.connect(db_path) as con:
        rows = con.execute("SELECT topic_id, until FROM mutes").fetchall()
    out = {r[0]: datetime.fromisoformat(r[1]) for r in rows}
    return {k: v for k, v in out.items() if v > now}


def expansion_hint(query: str) -> list[str]:
    """What the matcher also accepts: the unaccented form, and teencode spellings of social text.

    Shown beside the query editor so staff do not write the variants by hand.
    """
    hints = []
    if has_diacritics(query):
        hints.append(f"Không dấu cũng khớp: “{fold(query)}”.")
    hints.append("Bình luận mạng xã hội được chuẩn hóa trước khi so khớp (ví dụ “ko” → “không”, "
                 "“dc”/“đc” → “được”), không cần viết các biến thể viết tắt.")
    return hints
