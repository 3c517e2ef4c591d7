"""Streamed export of a whole result set as CSV or JSON Lines.

Rows are produced from `store.iter_documents` (batches, newest first) and sent as they come, so
memory stays flat and the first bytes leave at once whether the result has 10 or 500,000 rows.
CSV cells that start with = + - @ are prefixed with ' so spreadsheets do not run them as formulas.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from langnghe.document import Document
from store.base import Filters, Store

COLUMNS = ("id", "published_at", "source_id", "source_name", "kind", "title", "url", "sentiment",
           "domains", "topics", "entities", "lead")
FLUSH_ROWS = 500  # rows per chunk sent: ~100 KB, few syscalls, no buffering of the whole set
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value


def csv_row(doc: Document) -> list[str]:
    nlp = doc.nlp
    return [_cell(v) for v in (
        doc.id, doc.published_at.isoformat() if doc.published_at else "", doc.source_id,
        doc.source_name, doc.kind, doc.title, doc.url,
        nlp.sentiment.label if nlp and nlp.sentiment else "",
        ";".join(d.label for d in nlp.domains) if nlp else "",
        ";".join(nlp.topics) if nlp else "",
        ";".join(sorted({e.text for e in nlp.entities})) if nlp else "", doc.lead)]


def stream_csv(store: Store, query: str, filters: Filters) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")  # BOM: Excel opens UTF-8 Vietnamese correctly only with it
    writer.writerow(COLUMNS)
    for n, doc in enumerate(store.iter_documents(query, filters), start=1):
        writer.writerow(csv_row(doc))
        if n % FLUSH_ROWS == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def stream_jsonl(store: Store, query: str, filters: Filters) -> Iterator[str]:
    chunk: list[str] = []
    for doc in store.iter_documents(query, filters):
        chunk.append(json.dumps(doc.model_dump(mode="json"), ensure_ascii=False))
        if len(chunk) == FLUSH_ROWS:
            yield "\n".join(chunk) + "\n"
            chunk = []
    if chunk:
        yield "\n".join(chunk) + "\n"
