"""Translation of a query tree (`langnghe.query`) into Elasticsearch query DSL, and the word forms.

The index holds each text field in Python-made forms (see index_mappings/README.md): `x_<field>`
exact words (lower-cased, canonical tones) and `f_<field>` folded words (no diacritics, đ→d),
both space-separated and analysed by the core `whitespace` analyzer, so the index and the query
split words identically (as SQLite's FTS5 does) on any Elasticsearch distribution.

1. A word always matches its folded form, so "thanh hoa" and "Thanh Hóa" find the same
   documents. When the query was typed with diacritics, each word also scores on its exact form
   and a constant `TIER_BOOST` is added to documents matching every positive text part exactly,
   so exact matches rank first (the SQLite store's `tier`).
2. Field weights follow the SQLite store's bm25 weights: title 8, lead 3, text 1.
3. Only term-level queries are built (term, prefix, match_phrase on pre-split words): user text
   never reaches a query parser, so hostile input cannot produce an engine error.
"""

from __future__ import annotations

import re

from langnghe.query import (
    FILTER_FIELDS,
    And,
    Filter,
    MatchAll,
    Node,
    Not,
    Or,
    QueryError,
    Term,
    terms,
)
from langnghe.vietnamese import fold, match_key, nfc
from store.fields import TEXT_FIELDS, keyword_key

FIELD_BOOSTS = {"title": 8.0, "lead": 3.0, "text": 1.0}  # same as the SQLite store's bm25
# Far above any bm25 sum: 64 words × 3 fields × 2 forms × ~25 per clause ≈ 10,000; still small
# enough that float32 scores keep bm25 differences below it (resolution ~0.008 at 1e5).
TIER_BOOST = 100_000.0
_WORD_RE = re.compile(r"[^\W_]+")  # like FTS5 unicode61: letters and digits; "_" separates


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def exact_form(text: str) -> str:
    """Exact words as indexed: canonical tones, lower case, one space between words."""
    return " ".join(words(match_key(text)))


def folded_form(text: str) -> str:
    return " ".join(words(fold(text)))


def index_forms(text: str) -> tuple[str, str]:
    r"""`(exact_form(text), folded_form(text))`, computed chunk by chunk with caches.

    Both forms act on each `\w+` token of the NFC text separately (tone placement works within
    a token, lower-casing and folding letter by letter; folding deletes combining marks, which
    may join the letters on each side of one, never across a space), so the form of a text is
    the forms of its space-separated chunks joined. A news corpus repeats a few thousand
    chunks ("Nội," "tỉnh"): indexing looks most of them up instead of running the regular
    expressions over every document (~4x faster, same output: tests/elastic/test_es_forms.py).
    """
    text = nfc(text)
    if "Σ" in text:  # lower-cases by its neighbours, across chunks (final sigma)
        return exact_form(text), folded_form(text)
    chunks = text.split()
    try:
        exact = " ".join(filter(None, map(_EXACT_CHUNKS.__getitem__, chunks)))
    except KeyError:
        if len(_EXACT_CHUNKS) > CHUNK_CACHE:
            _EXACT_CHUNKS.clear()
            _FOLDED_CHUNKS.clear()
        for chunk in chunks:
            if chunk not in _EXACT_CHUNKS:
                _EXACT_CHUNKS[chunk] = exact_form(chunk)
                _FOLDED_CHUNKS[chunk] = folded_form(chunk)
        exact = " ".join(filter(None, map(_EXACT_CHUNKS.__getitem__, chunks)))
    return exact, " ".join(filter(None, map(_FOLDED_CHUNKS.__getitem__, chunks)))


_EXACT_CHUNKS: dict[str, str] = {}  # chunk -> its words in that form, space-separated
_FOLDED_CHUNKS: dict[str, str] = {}  # (filled together with _EXACT_CHUNKS)
CHUNK_CACHE = 2**18  # entries (~260k chunks, ~60 MB): cleared when full


def compile_query(node: Node) -> dict:
    """The query DSL of a tree: a bool whose `must` scores text and whose `filter` only filters."""
    if isinstance(node, MatchAll):
        return {"match_all": {}}
    exact = _has_diacritics(node)
    query = _node(node, exact)
    if not exact:
        return query
    positives = _positive_text(node)
    if not positives:
        return query
    tier = {"bool": {"filter": [_tier(p) for p in positives]}}
    return {"bool": {"must": [query],
                     "should": [{"constant_score": {"filter": tier, "boost": TIER_BOOST}}]}}


def _node(node: Node, exact: bool) -> dict:
    if isinstance(node, Term):
        return _term(node, "both" if exact else "folded")
    if isinstance(node, Filter):
        return {"bool": {"filter": [_filter(node)]}}  # filters never score
    if isinstance(node, MatchAll):
        return {"match_all": {}}
    if isinstance(node, Not):
        return {"bool": {"must_not": [_node(node.child, False)]}}
    if isinstance(node, And):
        must, filters, must_not = [], [], []
        for child in node.children:
            if isinstance(child, Not):
                must_not.append(_node(child.child, False))
            elif isinstance(child, Filter):
                filters.append(_filter(child))
            else:
                must.append(_node(child, exact))
        body: dict = {"must": must or [{"match_all": {}}], "filter": filters}
        if must_not:
            body["must_not"] = must_not
        return {"bool": body}
    if isinstance(node, Or):
        return {"bool": {"should": [_node(c, exact) for c in node.children],
                         "minimum_should_match": 1}}
    raise QueryError(f"không hiểu nút truy vấn {node!r}")


def _filter(node: Filter) -> dict:
    if node.field not in FILTER_FIELDS:
        raise QueryError(f"không có trường “{node.field}”")
    return {"term": {f"k_{node.field}": keyword_key(node.value)}}


def _word_pairs(term: Term) -> list[tuple[str, str]]:
    """(exact, folded) per word; when they do not align, the folded form stands for both."""
    exact = words(" ".join(term.words))
    folded = words(" ".join(term.folded_words))
    if not folded:
        raise QueryError(f"“{term.text}” không chứa chữ hay số nào")
    if len(exact) != len(folded):
        return [(f, f) for f in folded]
    return list(zip(exact, folded, strict=True))


def _term(term: Term, mode: str) -> dict:
    """mode: "folded" (typed without diacritics), "exact" (tier), "both" (either form)."""
    pairs = _word_pairs(term)
    if term.phrase:
        return _forms([e for e, _ in pairs], [f for _, f in pairs], term.prefix, term.field, mode)
    parts = [_forms([e], [f], term.prefix and i == len(pairs) - 1, term.field, mode)
             for i, (e, f) in enumerate(pairs)]
    return parts[0] if len(parts) == 1 else {"bool": {"must": parts}}


def _forms(exact: list[str], folded: list[str], prefix: bool, field: str | None,
           mode: str) -> dict:
    """The words in any (or the one) text field, in the forms `mode` asks for."""
    fields = [field] if field else list(TEXT_FIELDS)
    forms = {"folded": [("f", folded)], "exact": [("x", exact)],
             "both": [("x", exact), ("f", folded)]}[mode]
    clauses = [_match(f"{kind}_{name}", ws, prefix, FIELD_BOOSTS[name])
               for name in fields for kind, ws in forms]
    return clauses[0] if len(clauses) == 1 else {
        "bool": {"should": clauses, "minimum_should_match": 1}}


def _match(field: str, ws: list[str], prefix: bool, boost: float) -> dict:
    if len(ws) == 1:
        kind = "prefix" if prefix else "term"
        return {kind: {field: {"value": ws[0], "boost": boost}}}
    kind = "match_phrase_prefix" if prefix else "match_phrase"
    return {kind: {field: {"query": " ".join(ws), "boost": boost}}}


def _tier(node: Node) -> dict:
    """Exact-form version of a pure-text subtree's positive part (negations dropped)."""
    if isinstance(node, Term):
        return _term(node, "exact")
    parts = [_tier(c) for c in node.children if not isinstance(c, Not)]  # type: ignore[union-attr]
    if isinstance(node, Or):
        return {"bool": {"should": parts, "minimum_should_match": 1}}
    return {"bool": {"filter": parts}}


def _positive_text(node: Node) -> list[Node]:
    """Top-level positive parts made only of text (words, phrases, AND/OR of them)."""
    children = node.children if isinstance(node, And) else (node,)
    return [c for c in children if _pure_text(c)]


def _pure_text(node: Node) -> bool:
    if isinstance(node, Term):
        return True
    if isinstance(node, (And, Or)):
        positives = [c for c in node.children if not isinstance(c, Not)]
        return bool(positives) and all(_pure_text(c) for c in positives) and all(
            _pure_text(c.child) for c in node.children if isinstance(c, Not))
    return False


def _has_diacritics(node: Node) -> bool:
    """Whether any positive word was typed with diacritics (then the person meant them)."""
    return any(e != f for term in terms(node) for e, f in _word_pairs(term))
