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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from langnghe import query as _query
from langnghe.document import Document, NlpSection
from langnghe.query import And, Node, Not, Or, QueryError, Term, parse
from langnghe.vietnamese import fold
from langnghe.yamlfile import read_yaml
from nlp.places import unit_names

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
    return _topics(read_yaml(path, TopicError), path)


def _topics(raw: object, path: Path) -> list[WatchTopic]:
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
        "place": unit_names(e.unit for e in section.entities if e.unit),
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
    # Fold and index each text once for all topics (langnghe.query.matches would fold per
    # topic and scan every word per term).
    folded = [{k: _Field(_WORDS_RE.findall(fold(v))) for k, v in variant.items()}
              for variant in variants]
    filters = {k: [fold(v) for v in vs] for k, vs in document_filters(doc, section).items()}
    hits: list[str] = []
    for item in topics:
        current = {**filters, "topic": [fold(h) for h in hits]}  # `topic:` sees earlier matches
        if any(_eval(item.node, f, current) for f in folded):
            hits.append(item.id)
    return hits


class _Field:
    """The folded words of one text field and where each word occurs."""

    __slots__ = ("at", "words")

    def __init__(self, words: list[str]):
        self.words = words
        self.at: dict[str, list[int]] = {}
        for i, word in enumerate(words):
            self.at.setdefault(word, []).append(i)

    def contains(self, needle: list[str], prefix: bool) -> bool:
        """`langnghe.query._contains(self.words, needle, prefix)`, from the positions of the
        needle's first word instead of every position."""
        if not needle:
            return False
        n, last = len(needle), needle[-1]
        if n == 1:
            return last in self.at or (prefix and any(w.startswith(last) for w in self.at))
        words, head = self.words, needle[:-1]
        for i in self.at.get(needle[0], ()):
            if i + n <= len(words) and words[i:i + n - 1] == head:
                word = words[i + n - 1]
                if word == last or (prefix and word.startswith(last)):
                    return True
        return False


_NO_FIELD = _Field([])
Matcher = Callable[[dict[str, _Field], dict[str, list[str]]], bool]
_COMPILED: dict[int, tuple[Node, Matcher]] = {}  # id(node) → (node, its matcher)


def _eval(node: Node, fields: dict[str, _Field], filters: dict[str, list[str]]) -> bool:
    """`langnghe.query._eval` on indexed fields (tests check the two agree)."""
    hit = _COMPILED.get(id(node))
    if hit is None or hit[0] is not node:
        if len(_COMPILED) > 10_000:  # topics are reloaded now and then: forget old trees
            _COMPILED.clear()
        hit = _COMPILED[id(node)] = (node, _compile(node))
    return hit[1](fields, filters)


def _compile(node: Node) -> Matcher:
    """A closure evaluating `node`; the folded words of each term are computed once."""
    if isinstance(node, Term):
        return _term(node)
    if isinstance(node, (And, Or)):
        children = [_compile(c) for c in node.children]
        if isinstance(node, And):
            return lambda fields, filters: all(c(fields, filters) for c in children)
        return lambda fields, filters: any(c(fields, filters) for c in children)
    if isinstance(node, Not):
        child = _compile(node.child)
        return lambda fields, filters: not child(fields, filters)
    return lambda fields, filters: _query._eval(node, {}, filters)  # MatchAll, filters


def _term(node: Term) -> Matcher:
    needle = _WORDS_RE.findall(fold(node.text))  # Term.folded_words
    name = node.field

    def places(fields: dict[str, _Field]):
        return [fields.get(name, _NO_FIELD)] if name else fields.values()

    if node.phrase:
        return lambda fields, filters: any(f.contains(needle, node.prefix)
                                           for f in places(fields))
    # Unquoted words: each anywhere; only the last may be a prefix.
    parts = [([w], node.prefix and w == needle[-1]) for w in needle]
    return lambda fields, filters: all(any(f.contains(w, prefix) for f in places(fields))
                                       for w, prefix in parts)


def load_watch(path: str | Path) -> tuple[str | None, list[WatchTopic]]:
    """A watch file: the deployment's home province (`province:`) and its topics."""
    path = Path(path)
    raw = read_yaml(path, TopicError)
    province = raw.get("province") if isinstance(raw, dict) else None
    if province is not None and (not isinstance(province, str) or not province.strip()):
        raise TopicError(f"{path}: field `province` must be a province name, e.g. Thanh Hóa")
    return province, _topics(raw, path)
