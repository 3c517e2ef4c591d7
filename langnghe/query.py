"""The query language people type, shared by search and watch topics.

    lũ lụt Thanh Hóa            words (all must match; diacritics optional)
    "sạt lở đất"                exact phrase
    bão OR lũ                   either
    cháy AND NOT "diễn tập"     boolean with NOT (also: -"diễn tập")
    (bão OR lũ) source:vnexpress   parentheses and field filters
    title:ngộ độc               a word that must be in the title
    thanh*                      prefix

Operators are the upper-case words AND, OR, NOT; adjacent terms are joined by AND. Text fields
are `title`, `lead`, `text`; filter fields are listed in FILTER_FIELDS. Parsing yields a small
tree (`Node`); the store translates it to its engine's syntax, and `matches` evaluates it on one
document in memory (watch topics at ingest). A malformed query raises `QueryError` with a message
in Vietnamese that says what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from langnghe.vietnamese import canonical_tones, fold

TEXT_FIELDS = ("title", "lead", "text")
FILTER_FIELDS = ("source", "kind", "lang", "section", "sentiment", "domain", "topic", "story",
                 "entity", "author", "place")
MAX_QUERY_CHARS = 1_000
MAX_TERMS = 64
MAX_DEPTH = 32  # nesting of parentheses / NOT; bounds the recursive parser


class QueryError(ValueError):
    """A query that cannot be parsed; `str()` is a message for the person who typed it."""

    def __init__(self, message: str, position: int | None = None):
        self.position = position
        where = f" (vị trí {position + 1})" if position is not None else ""
        super().__init__(f"Truy vấn không hợp lệ{where}: {message}")


@dataclass(frozen=True)
class Term:
    """A word or phrase, matched diacritics-insensitively; `text` keeps what was typed."""

    text: str
    phrase: bool = False
    prefix: bool = False
    field: str | None = None  # one of TEXT_FIELDS, or None for all text

    @property
    def words(self) -> list[str]:
        return _WORDS_RE.findall(canonical_tones(self.text).lower())

    @property
    def folded_words(self) -> list[str]:
        return _WORDS_RE.findall(fold(self.text))


@dataclass(frozen=True)
class Filter:
    field: str
    value: str


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class MatchAll:
    """The empty query: everything, newest first."""


Node = Term | Filter | And | Or | Not | MatchAll

_WORDS_RE = re.compile(r"\w+")
_TOKEN_RE = re.compile(
    r'(?P<space>\s+)|(?P<lpar>\()|(?P<rpar>\))|(?P<phrase>"[^"]*"?)'
    r'|(?P<field>[A-Za-z_]+:)|(?P<minus>-(?=[\w"(]))|(?P<word>[^\s()"]+)'
)


@dataclass
class _Tok:
    kind: str
    value: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or ""
        if kind == "space":
            continue
        value = m.group(0)
        if kind == "phrase" and (len(value) < 2 or not value.endswith('"')):
            raise QueryError("thiếu dấu ngoặc kép đóng", m.start())
        if kind == "word" and value in ("AND", "OR", "NOT"):
            kind = value
        toks.append(_Tok(kind, value, m.start()))
    return toks


@dataclass
class _Parser:
    toks: list[_Tok]
    i: int = 0
    terms: int = field(default=0)
    depth: int = field(default=0)

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_expr()
        tok = self.peek()
        if tok is not None:
            raise QueryError(f"không mong đợi “{tok.value}”", tok.pos)
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "rpar"):
            if tok.kind == "AND":
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise QueryError("truy vấn kết thúc đột ngột, thiếu một từ")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"lồng ngoặc hoặc NOT quá sâu (tối đa {MAX_DEPTH} cấp)", tok.pos)
        try:
            if tok.kind in ("NOT", "minus"):
                self.take()
                return Not(self.unary())
            return self.atom()
        finally:
            self.depth -= 1

    def atom(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise QueryError("truy vấn kết thúc đột ngột, thiếu một từ")
        if tok.kind == "lpar":
            self.take()
            node = self.or_expr()
            close = self.peek()
            if close is None or close.kind != "rpar":
                raise QueryError("thiếu dấu ngoặc đóng “)”", tok.pos)
            self.take()
            return node
        if tok.kind == "field":
            return self.fielded(self.take())
        if tok.kind in ("phrase", "word"):
            return self.term(self.take(), None)
        raise QueryError(f"không mong đợi “{tok.value}”", tok.pos)

    def fielded(self, tok: _Tok) -> Node:
        name = tok.value[:-1].lower()
        value = self.peek()
        if value is None or value.kind not in ("phrase", "word"):
            raise QueryError(f"thiếu giá trị sau “{tok.value}”", tok.pos)
        if name in TEXT_FIELDS:
            return self.term(self.take(), name)
        if name in FILTER_FIELDS:
            raw = self.take().value
            return Filter(name, raw.strip('"').strip())
        valid = ", ".join(TEXT_FIELDS + FILTER_FIELDS)
        raise QueryError(f"không có trường “{name}”; các trường hợp lệ: {valid}", tok.pos)

    def term(self, tok: _Tok, field_name: str | None) -> Node:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise QueryError(f"quá nhiều từ (tối đa {MAX_TERMS})", tok.pos)
        if tok.kind == "phrase":
            text = tok.value[1:-1].strip()
            if not _WORDS_RE.search(text):
                raise QueryError("cụm từ trong ngoặc kép đang trống", tok.pos)
            return Term(text, phrase=True, field=field_name)
        text = tok.value
        prefix = text.endswith("*")
        text = text.rstrip("*")
        if not _WORDS_RE.search(text):
            raise QueryError(f"“{tok.value}” không chứa chữ hay số nào", tok.pos)
        return Term(text, prefix=prefix, field=field_name)


def parse(text: str) -> Node:
    """Parse a query; the empty query is MatchAll."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"truy vấn dài quá {MAX_QUERY_CHARS} ký tự")
    if not text:
        return MatchAll()
    return _Parser(_tokenize(text)).parse()


def terms(node: Node) -> list[Term]:
    """The positive text terms of a query (for highlighting and ranking)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, (And, Or)):
        return [t for child in node.children for t in terms(child)]
    return []


# ---- evaluation on one document (watch topics at ingest) ----------------------------------

def _contains(haystack: list[str], needle: list[str], prefix: bool) -> bool:
    if not needle:
        return False
    n = len(needle)
    last = needle[-1]
    for i in range(len(haystack) - n + 1):
        if haystack[i : i + n - 1] == needle[:-1]:
            word = haystack[i + n - 1]
            if word == last or (prefix and word.startswith(last)):
                return True
    return False


def matches(node: Node, texts: dict[str, str], filters: dict[str, list[str]]) -> bool:
    """Evaluate a query on one document.

    `texts` maps text fields (title, lead, text) to their text; `filters` maps filter fields to
    the document's values (e.g. {"source": ["vnexpress"], "domain": ["health"]}). Bare words
    match anywhere in the text; a multi-syllable word typed without quotes ("Thanh Hóa" typed as
    two words) matches as two words, a quoted phrase as consecutive words.
    """
    folded = {name: _WORDS_RE.findall(fold(value)) for name, value in texts.items()}
    return _eval(node, folded, {k: [fold(v) for v in vs] for k, vs in filters.items()})


def _eval(node: Node, folded: dict[str, list[str]], filters: dict[str, list[str]]) -> bool:
    if isinstance(node, MatchAll):
        return True
    if isinstance(node, Term):
        needle = node.folded_words
        fields = [node.field] if node.field else list(folded)
        if node.phrase:
            return any(_contains(folded.get(f, []), needle, node.prefix) for f in fields)
        return all(any(_contains(folded.get(f, []), [w], node.prefix and w == needle[-1])
                       for f in fields) for w in needle)
    if isinstance(node, Filter):
        return fold(node.value) in filters.get(node.field, [])
    if isinstance(node, And):
        return all(_eval(c, folded, filters) for c in node.children)
    if isinstance(node, Or):
        return any(_eval(c, folded, filters) for c in node.children)
    if isinstance(node, Not):
        return not _eval(node.child, folded, filters)
    raise TypeError(f"unknown query node {node!r}")
