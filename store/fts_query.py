"""Translation of a query tree (`langnghe.query`) into SQLite: FTS5 expressions and SQL conditions.

The FTS5 table holds each text field twice: an exact form (lower-cased, canonical tones) in
columns `title lead text` and a folded form (no diacritics, đ→d) in `ftitle flead ftext`.

1. A word always matches its folded form, so "thanh hoa", "Thanh Hoá" and "Thanh Hóa" find the
   same documents. When the query was typed with diacritics (any of its words), every word also
   matches its exact form, which adds to the bm25 score, and the `tier` expression (exact forms
   only) lets exact matches rank first: for "Thanh Hóa", "Thanh Hóa" above "thành hóa".
   The exact form of a word never matches where its folded form does not (the folded columns
   are the exact ones folded token by token), so finding and counting use the folded-only
   expression (`fts`: half the phrases to read) and only bm25 reads `scored`, with both.
2. Pure-text subtrees (words, phrases, AND/OR of them, AND NOT) become one FTS5 MATCH; filters,
   pure negations and text mixed with filters under OR become SQL conditions on `d` (docs).
3. Every word goes into the FTS5 expression double-quoted, so user text never reaches the FTS5
   parser as syntax.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
from store.fields import keyword_key

EXACT_COLUMNS = {None: "{title lead text}", "title": "{title}", "lead": "{lead}", "text": "{text}"}
FOLDED_COLUMNS = {None: "{ftitle flead ftext}", "title": "{ftitle}", "lead": "{flead}",
                  "text": "{ftext}"}


@dataclass
class Compiled:
    """A query as SQL: an optional FTS5 driver, an optional exact tier, and SQL conditions."""

    fts: str | None = None  # MATCH expression the search is driven by (folded forms)
    scored: str | None = None  # the same matches with exact forms too: what bm25 ranks
    tier: str | None = None  # exact-diacritics version of `fts`; None when none were typed
    where: list[str] = field(default_factory=list)  # conditions on the docs row `d`
    params: list[object] = field(default_factory=list)


def compile_query(node: Node) -> Compiled:
    """Split the top level into one FTS5 driver (all text parts ANDed) and SQL conditions."""
    node = _flatten(node)
    out = Compiled()
    if isinstance(node, MatchAll):
        return out
    children = node.children if isinstance(node, And) else (node,)
    exact = _has_diacritics(node)
    texts = [c for c in children if _fts(c, exact) is not None]
    negs = [c.child for c in children if isinstance(c, Not) and _fts(c.child, exact) is not None]
    if texts:
        # a negation only filters: its folded form excludes the same documents, cheaper
        folded_negs = [_fts(c, False) for c in negs]
        out.fts = _and_not([_fts(c, False) for c in texts], folded_negs)
        out.scored = _and_not([_fts(c, exact) for c in texts], folded_negs)
        if exact:
            out.tier = "(" + " AND ".join(_tier(c) for c in texts) + ")"
    rest = [c for c in children
            if c not in texts and not (texts and isinstance(c, Not) and c.child in negs)]
    for child in rest:
        sql, params = _condition(child)
        out.where.append(sql)
        out.params.extend(params)
    return out


def _flatten(node: Node) -> Node:
    """And(And(a, b), c) → And(a, b, c): shallow expressions (FTS5's parser stack is small)."""
    if isinstance(node, (And, Or)):
        kind = type(node)
        flat: list[Node] = []
        for child in (_flatten(c) for c in node.children):
            flat.extend(child.children if isinstance(child, kind) else (child,))
        return kind(tuple(flat))
    if isinstance(node, Not):
        return Not(_flatten(node.child))
    return node


def _and_not(positives: list[str], negatives: list[str]) -> str:
    expr = positives[0] if len(positives) == 1 else "(" + " AND ".join(positives) + ")"
    for neg in negatives:
        expr = f"({expr} NOT {neg})"
    return expr


def _fts(node: Node, exact: bool) -> str | None:
    """The FTS5 expression of a pure-text subtree, or None when it needs SQL.

    `exact`: the query was typed with diacritics, so exact forms are matched too (for ranking).
    """
    if isinstance(node, Term):
        return _term(node, "both" if exact else "folded")
    if isinstance(node, Or):
        parts = [_fts(c, exact) for c in node.children]
        return None if None in parts else "(" + " OR ".join(parts) + ")"
    if isinstance(node, And):
        pos = [_fts(c, exact) for c in node.children if not isinstance(c, Not)]
        neg = [_fts(c.child, False) for c in node.children if isinstance(c, Not)]
        if not pos or None in pos or None in neg:
            return None
        return _and_not(pos, neg)
    return None


def _tier(node: Node) -> str:
    """Exact-form version of a pure-text subtree's positive part (negations dropped)."""
    if isinstance(node, Term):
        return _term(node, "exact")
    parts = [_tier(c) for c in node.children if not isinstance(c, Not)]
    joiner = " OR " if isinstance(node, Or) else " AND "
    return "(" + joiner.join(parts) + ")"


def _has_diacritics(node: Node) -> bool:
    """Whether any positive word was typed with diacritics (then the person meant them)."""
    return any(e != f for term in terms(node) for e, f in _word_pairs(term))


def _word_pairs(term: Term) -> list[tuple[str, str]]:
    """(exact, folded) per word; when they do not align, the folded form stands for both."""
    exact, folded = term.words, term.folded_words
    if not folded:
        raise QueryError(f"“{term.text}” không chứa chữ hay số nào")
    if len(exact) != len(folded):
        return [(f, f) for f in folded]
    return list(zip(exact, folded, strict=True))


def _quote(words: list[str], prefix: bool) -> str:
    quoted = '"' + " ".join(w.replace('"', '""') for w in words) + '"'
    return quoted + " *" if prefix else quoted


def _forms(exact: list[str], folded: list[str], prefix: bool, column: str | None,
           mode: str) -> str:
    """mode: "folded" (typed without diacritics), "exact" (tier), "both" (either form)."""
    folded_expr = f"{FOLDED_COLUMNS[column]} : {_quote(folded, prefix)}"
    exact_expr = f"{EXACT_COLUMNS[column]} : {_quote(exact, prefix)}"
    if mode == "both":
        return f"({exact_expr} OR {folded_expr})"
    return exact_expr if mode == "exact" else folded_expr


def _term(term: Term, mode: str) -> str:
    pairs = _word_pairs(term)
    if term.phrase:
        return _forms([e for e, _ in pairs], [f for _, f in pairs], term.prefix, term.field,
                      mode)
    parts = [_forms([e], [f], term.prefix and i == len(pairs) - 1, term.field, mode)
             for i, (e, f) in enumerate(pairs)]
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def _condition(node: Node) -> tuple[str, list[object]]:
    """A SQL condition on the docs row `d` for any subtree (folded forms: it only filters)."""
    expr = _fts(node, exact=False)
    if expr is not None:
        return "d.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)", [expr]
    if isinstance(node, Filter):
        if node.field not in FILTER_FIELDS:
            raise QueryError(f"không có trường “{node.field}”")
        # a list subquery, built once, is probed ~2x faster per row than a correlated EXISTS
        return ("d.rowid IN (SELECT rowid FROM keys WHERE field = ? AND key = ?)",
                [node.field, keyword_key(node.value)])
    if isinstance(node, Not):
        sql, params = _condition(node.child)
        return f"NOT ({sql})", params
    if isinstance(node, MatchAll):
        return "1", []
    if isinstance(node, (And, Or)):
        parts = [_condition(c) for c in node.children]
        joiner = " AND " if isinstance(node, And) else " OR "
        return ("(" + joiner.join(sql for sql, _ in parts) + ")",
                [p for _, params in parts for p in params])
    raise QueryError(f"không hiểu nút truy vấn {node!r}")
