"""Staff corrections of the machine's labels (sentiment, domain), kept for retraining.

Each correction is a row: document id, field, old and new label, who, when, the document's kind
and its text at that moment (so `make train` needs no store access): for a sentiment correction
the text the tone model reads (an article's title + lead, a post's own text:
`nlp.classify.tone_source`), for a domain correction title, lead and text.
`corrections(db_path)` yields them oldest first; the latest correction of a field is what the
document page shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from langnghe.document import Document
from nlp.classify import tone_source
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
    if field == "sentiment":
        text = tone_source(doc)[:TEXT_KEPT]
    else:
        text = "\n".join(p for p in (doc.title, doc.lead, doc.text) if p)[:TEXT_KEPT]
    with db.connect(db_path) as con:
        con.execute("INSERT INTO corrections(doc_id, field, old, new, username, at, text, kind) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (doc.id, field, old, new, by, db.now_iso(), text, doc.kind))


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
    """Every correction, oldest first: {doc_id, field, old, new, username, at, text, kind}."""
    if not Path(db_path).exists():
        return
    with db.connect(db_path) as con:
        yield from (dict(r) for r in con.execute(
            "SELECT doc_id, field, old, new, username, at, text, kind FROM corrections "
            "ORDER BY id"))
