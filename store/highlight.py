"""Highlighted snippets: HTML-escaped text with <mark>…</mark> around the words a query matched.

Matching is diacritics-insensitive (on the folded form, đ→d), like search itself, so "thanh hoa"
marks "Thanh Hóa". Crawled text is hostile: every character outside our own <mark> tags is
escaped. Any backend can use this on the hits it returns.
"""

from __future__ import annotations

import html
import re

from langnghe.query import Node, Term, terms
from langnghe.vietnamese import fold, nfc

SNIPPET_CHARS = 240  # about two lines of a result list
LEAD_IN_CHARS = 60  # context shown before the first match
FULL_FIELDS = ("title",)  # short fields shown whole, not cut into a snippet


def highlights(node: Node, fields: dict[str, str]) -> dict[str, str]:
    """field → snippet for every field in which a positive term of the query matched."""
    query_terms = terms(node)
    out = {}
    for name, text in fields.items():
        pattern = _pattern([t for t in query_terms if t.field in (None, name)])
        if pattern is None or not text:
            continue
        snippet = _snippet(nfc(text), pattern, whole=name in FULL_FIELDS)
        if snippet is not None:
            out[name] = snippet
    return out


def _pattern(query_terms: list[Term]) -> re.Pattern[str] | None:
    alternatives = []
    for term in query_terms:
        words = [re.escape(w) for w in term.folded_words]
        if not words:
            continue
        tail = r"\w*" if term.prefix else ""
        if term.phrase:
            alternatives.append(r"\W+".join(words) + tail)
        else:
            alternatives += [w + (tail if i == len(words) - 1 else "") for i, w in enumerate(words)]
    if not alternatives:
        return None
    # longest first so a phrase wins over its own first word
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _folded_same_length(text: str) -> str:
    folded = fold(text)
    if len(folded) == len(text):
        return folded
    # rare characters whose lower case is longer ("İ"): fold one by one, keep one char each
    return "".join((fold(ch) or ch)[0] for ch in text)


def _snippet(text: str, pattern: re.Pattern[str], whole: bool) -> str | None:
    folded = _folded_same_length(text)
    first = pattern.search(folded)
    if first is None:
        return None
    start, end = 0, len(text)
    if not whole and len(text) > SNIPPET_CHARS:
        start = _word_start(text, max(0, first.start() - LEAD_IN_CHARS))
        end = _word_end(text, min(len(text), start + SNIPPET_CHARS))
    parts, pos = [], start
    for match in pattern.finditer(folded, start, end):
        parts.append(html.escape(text[pos : match.start()]))
        parts.append("<mark>" + html.escape(text[match.start() : match.end()]) + "</mark>")
        pos = match.end()
    parts.append(html.escape(text[pos:end]))
    body = "".join(parts).strip()
    return ("… " if start > 0 else "") + body + (" …" if end < len(text) else "")


def _word_start(text: str, pos: int) -> int:
    """Move a cut forward to the next word boundary so no word is shown halved."""
    space = text.find(" ", pos)
    return pos if pos == 0 or space == -1 or space - pos > LEAD_IN_CHARS else space + 1


def _word_end(text: str, pos: int) -> int:
    space = text.rfind(" ", 0, pos)
    return pos if pos == len(text) or space <= 0 else space
