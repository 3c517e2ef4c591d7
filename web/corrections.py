"""Staff corrections of the machine's labels (sentiment, domain), kept for retraining.

Each correction is a row: document id, field, old and new label, who, when, and the document's
text at that moment (so `make train` needs no store access). `corrections(db_path)` yields them
oldest first; the latest correction of a field is what the document page shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from langnghe.document import Document
from nlp.domains import DOMAINS
from web import db

SENTIMENTS = ("negative", "neutral", "positive")
FIELDS = {"sentiment": SENTIMENTS, "domain": DOMAINS}
TEXT_KEPT = 20_000  # characters of text stored with a correction: more than any classifier reads


class CorrectionError(ValueError):
    """A rejected correction; the message lists the valid values."""


def record(db_path: str | Path, doc: Document, field: str, new: str, by: str) -> None:
    if field not in FIELDS:
        raise CorrectionError(f"Chỉ sửa được: {', '.join(FIELDS)}")
    if new not in FIELDS[field]:
        raise CorrectionError(f"Nhãn {field} phải là một trong: {', '.join(FIELDS[field])}")
    old = current(doc, field)
    text = "\n".join(p for p in (doc.title, doc.lead, doc.text) if p)[:TEXT_KEPT]
    with db.connect(db_path) as con:
        con.execute("INSERT INTO corrections(doc_id, field, old, new, username, at, text) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (doc.id, field, old, new, by, db.now_iso(), text))


def current(doc: Document, field: str) -> str | None:
    nlp = doc.nlp
    if nlp is None:
        return None
    if field == "sentiment":
        return nlp.sentiment.label if nlp.sentiment else None
    return nlp.domains[0].label if nlp.domains else None


def for_document(db_path: str | Path, doc_id: str) -> list[dict]:
    with db.connect(db_path) as con:
        return [dict(r) for r in con.execute(
            "SELECT field, old, new, username, at FROM corrections WHERE doc_id = ? ORDER BY id",
            (doc_id,))]


def corrections(db_path: str | Path) -> Iterator[dict]:
    """Every correction, oldest first: {doc_id, field, old, new, username, at, text}."""
    if not Path(db_path).exists():
        return
    with db.connect(db_path) as con:
        yield from (dict(r) for r in con.execute(
            "SELECT doc_id, field, old, new, username, at, text FROM corrections ORDER BY id"))
