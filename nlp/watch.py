"""Watch topics: user-defined queries evaluated on each document at ingest.

A topics file is YAML — a list of {id, name, query}, or a mapping with a `topics:` list:

    topics:
      - id: lu-lut-thanh-hoa
        name: Lũ lụt Thanh Hóa
        query: (lũ OR "sạt lở") "Thanh Hóa"

`load_topics` validates every entry (errors name the file, the entry and the field; a bad
query carries the QueryError text) and parses each query once. `match_topics` evaluates them on
the cleaned title/lead/text and, for social text, on the normalized text too (teencode and
missing diacritics), with the filters the query language knows (source, kind, domain, …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from langnghe import query as _query
from langnghe.document import Document, NlpSection
from langnghe.query import Node, QueryError, parse
from langnghe.vietnamese import fold

_WORDS_RE = re.compile(r"\w+")  # the same word split as langnghe.query
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # used in URLs and `topic:` filters


class TopicError(ValueError):
    """A malformed watch-topics file; the message says where and what was expected."""


@dataclass(frozen=True)
class WatchTopic:
    id: str
    name: str
    query: str
    node: Node  # the parsed query


def topic(id: str, name: str, query: str) -> WatchTopic:
    """Build one topic (raises QueryError on a malformed query)."""
    return WatchTopic(id=id, name=name, query=query, node=parse(query))


def _entries(raw: object, path: Path) -> list:
    if isinstance(raw, dict) and "topics" in raw:
        raw = raw["topics"]
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise TopicError(f"{path}: expected a list of topics (or `topics:` with a list), "
                         f"found {type(raw).__name__}")
    return raw


def _field(entry: dict, name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise TopicError(f"{where}: field `{name}` is required and must be non-empty text")
    return value.strip()


def _one(entry: object, where: str) -> WatchTopic:
    if not isinstance(entry, dict):
        raise TopicError(f"{where}: expected a mapping with id, name, query")
    unknown = set(entry) - {"id", "name", "query"}
    if unknown:
        raise TopicError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: id, name, query")
    tid = _field(entry, "id", where)
    if not _ID_RE.match(tid):
        raise TopicError(f"{where}: field `id` {tid!r} must be lower-case letters, digits, - or _"
                         " (at most 64, starting with a letter or digit)")
    name = _field(entry, "name", where)
    query = entry.get("query")
    if not isinstance(query, str) or not query.strip():
        raise TopicError(f"{where}: field `query` is required and must be non-empty text")
    try:
        return topic(tid, name, query)
    except QueryError as exc:
        raise TopicError(f"{where}: field `query`: {exc}") from exc


def load_topics(path: str | Path) -> list[WatchTopic]:
    """Read and validate a topics file; ids must be unique."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TopicError(f"{path}: not valid YAML: {exc}") from exc
    topics: list[WatchTopic] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(_entries(raw, path), start=1):
        label = entry.get("id") if isinstance(entry, dict) else None
        item = _one(entry, f"{path}: topic #{i}" + (f" ({label})" if label else ""))
        if item.id in seen:
            raise TopicError(f"{path}: topic #{i}: id {item.id!r} already used by topic "
                             f"#{seen[item.id]}")
        seen[item.id] = i
        topics.append(item)
    return topics


def document_filters(doc: Document, section: NlpSection) -> dict[str, list[str]]:
    """The document's values for the query language's filter fields."""
    return {
        "source": [doc.source_id, doc.source_name] if doc.source_name else [doc.source_id],
        "kind": [doc.kind],
        "lang": [section.lang or doc.language],
        "section": [doc.section] if doc.section else [],
        "sentiment": [section.sentiment.label] if section.sentiment else [],
        "domain": [d.label for d in section.domains],
        "story": [section.story_id] if section.story_id else [],
        "entity": [e.text for e in section.entities] + [e.unit for e in section.entities if e.unit],
        "author": list(doc.authors),
    }


def match_topics(doc: Document, topics: list[WatchTopic], section: NlpSection | None = None
                 ) -> list[str]:
    """Ids of the topics matching the document (its `nlp` section unless one is given)."""
    section = section or doc.nlp or NlpSection(title=doc.title, lead=doc.lead, text=doc.text)
    if not topics:
        return []
    texts = {"title": section.title or doc.title, "lead": section.lead or doc.lead,
             "text": section.text or doc.text}
    variants = [texts]
    if section.normalized and fold(section.normalized) != fold(texts["text"]):
        variants.append({**texts, "text": section.normalized})
    # Fold each text once for all topics (langnghe.query.matches would fold per topic).
    folded = [{k: _WORDS_RE.findall(fold(v)) for k, v in variant.items()} for variant in variants]
    filters = {k: [fold(v) for v in vs] for k, vs in document_filters(doc, section).items()}
    hits: list[str] = []
    for item in topics:
        current = {**filters, "topic": [fold(h) for h in hits]}  # `topic:` sees earlier matches
        if any(_query._eval(item.node, f, current) for f in folded):
            hits.append(item.id)
    return hits


def load_watch(path: str | Path) -> tuple[str | None, list[WatchTopic]]:
    """A watch file: the deployment's home province (`province:`) and its topics."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TopicError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise TopicError(f"{path}: not valid YAML: {exc}") from exc
    province = raw.get("province") if isinstance(raw, dict) else None
    if province is not None and (not isinstance(province, str) or not province.strip()):
        raise TopicError(f"{path}: field `province` must be a province name, e.g. Thanh Hóa")
    return province, load_topics(path)
