"""What a backend indexes from a document: its text fields, keyword values and time.

Shared by every backend so SQLite and Elasticsearch index the same things: the NLP stage's
cleaned title/lead/text when present (the raw crawled fields otherwise), one time per document
(published_at, or fetched_at when the publication time is unknown), and the values of the query
language's filter fields (`source:`, `kind:`, `domain:`, `place:` ...), compared
diacritics-insensitively. `place` holds the names of the administrative units (province and
commune) the document's places resolved to (nlp.places.unit_names).
"""

from __future__ import annotations

from datetime import datetime

from langnghe.document import Document
from langnghe.query import FILTER_FIELDS
from langnghe.vietnamese import fold
from nlp.places import unit_names

TEXT_FIELDS = ("title", "lead", "text")
KEYWORD_FIELDS = FILTER_FIELDS  # every filter field of the query language is countable


def text_fields(doc: Document) -> dict[str, str]:
    """title/lead/text as indexed: the cleaned NLP forms when the NLP stage filled them."""
    raw = {"title": doc.title, "lead": doc.lead, "text": doc.text}
    if doc.nlp is None:
        return raw
    cleaned = {"title": doc.nlp.title, "lead": doc.nlp.lead, "text": doc.nlp.text}
    # a field the NLP stage left empty (e.g. a failed step) falls back to the raw one
    return {name: cleaned[name] or raw[name] for name in TEXT_FIELDS}


def doc_time(doc: Document) -> datetime:
    """The time a document is filtered, sorted and counted by."""
    return doc.published_at or doc.fetched_at


def keyword_values(doc: Document) -> list[tuple[str, str]]:
    """(field, value) pairs of the filter fields, without duplicates; empty values dropped."""
    nlp = doc.nlp
    pairs = [("source", doc.source_id), ("kind", doc.kind),
             ("lang", nlp.lang if nlp else doc.language), ("section", doc.section)]
    pairs += [("author", name) for name in doc.authors]
    if nlp is not None:
        if nlp.sentiment is not None:
            pairs.append(("sentiment", nlp.sentiment.label))
        pairs += [("domain", label.label) for label in nlp.domains]
        pairs += [("topic", topic) for topic in nlp.topics]
        if nlp.story_id:
            pairs.append(("story", nlp.story_id))
        pairs += [("entity", entity.text) for entity in nlp.entities]
        pairs += [("place", name) for name in unit_names(e.unit for e in nlp.entities if e.unit)]
    seen: set[tuple[str, str]] = set()
    out = []
    for name, value in pairs:
        value = (value or "").strip()
        if value and (name, keyword_key(value)) not in seen:
            seen.add((name, keyword_key(value)))
            out.append((name, value))
    return out


def keyword_key(value: str) -> str:
    """The form a filter value is compared in: `source:VnExpress` = `source:vnexpress`."""
    return fold(value.strip())
