"""Small helpers every parser shares: HTML fragments to plain text, counts, times, bounds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import lxml.html
from lxml.html import HtmlElement

from langnghe.document import MAX_TEXT_CHARS, MAX_TITLE_CHARS, VN_TZ
from langnghe.vietnamese import nfc

MAX_AUTHOR_CHARS = 200  # display names; a longer "name" is spam or a parsing error
BLOCK_TAGS = {"p", "div", "li", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
              "table", "ul", "ol", "pre"}
DROP_TAGS = ("script", "style", "noscript", "template", "svg")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_COUNT = re.compile(r"^\s*([\d.,]+)\s*([KMB]?)\s*$", re.I)
_SCALE = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}


def fragment(html: str) -> HtmlElement | None:
    """An lxml tree of an HTML fragment (a comment body), None when empty."""
    if not html or not html.strip():
        return None
    return lxml.html.fragment_fromstring(html, create_parent="div")


def node_text(node: HtmlElement) -> str:
    """Plain text of `node`: <br> and block elements become line breaks; scripts dropped."""
    for bad in node.xpath(" | ".join(f".//{t}" for t in DROP_TAGS)):
        bad.drop_tree()
    parts: list[str] = []
    _walk(node, parts)
    return tidy("".join(parts))


def _walk(node: HtmlElement, parts: list[str]) -> None:
    tag = node.tag if isinstance(node.tag, str) else ""
    if tag == "br":
        parts.append("\n")
    elif tag in BLOCK_TAGS:
        parts.append("\n")
    if node.text and tag:
        parts.append(_inline(node.text))
    for child in node:
        _walk(child, parts)
    if tag in BLOCK_TAGS:
        parts.append("\n")
    if node.tail:
        parts.append(_inline(node.tail))


def _inline(text: str) -> str:
    """Source line breaks are spaces in HTML; real breaks come from <br> and blocks."""
    return text.replace("\r", " ").replace("\n", " ")


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (comment bodies are HTML; documents never keep HTML)."""
    root = fragment(html)
    return node_text(root) if root is not None else ""


def tidy(text: str) -> str:
    """NFC, spaces collapsed per line, at most one blank line in a row, trimmed."""
    lines = [_SPACES.sub(" ", line).strip() for line in nfc(text).replace("\r", "").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def bound_text(text: str) -> str:
    return text[:MAX_TEXT_CHARS]


def bound_title(text: str) -> str:
    return tidy(text).replace("\n", " ")[:MAX_TITLE_CHARS]


def author(name: str | None) -> list[str]:
    """The authors list for one display name (empty when none)."""
    name = tidy(name or "").replace("\n", " ")
    return [name[:MAX_AUTHOR_CHARS]] if name else []


def parse_count(text: str | int | None) -> int | None:
    """'33.4K' → 33400, '1.2M' → 1200000, '987' → 987, '1,234' → 1234; None if unreadable."""
    if isinstance(text, int):
        return text
    match = _COUNT.match(text or "")
    if not match:
        return None
    digits, suffix = match.groups()
    if suffix:
        number = float(digits.replace(",", "."))  # '1,2K' in some locales
    else:
        number = float(digits.replace(",", "").replace(".", ""))  # thousands separators
    return int(round(number * _SCALE[suffix.upper()]))


def parse_time(value: str | None) -> datetime | None:
    """ISO 8601 with or without zone ('Z', '+0000', '+07:00'); zoneless means Vietnam time."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)


def from_unix(value: int | float | str | None) -> datetime | None:
    """A Unix timestamp as an aware datetime shown in Vietnam time."""
    try:
        return datetime.fromtimestamp(float(value), UTC).astimezone(VN_TZ)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def engagement(**counts: object) -> dict[str, int]:
    """The engagement dict with only the counts that are known non-negative integers."""
    out = {}
    for key, value in counts.items():
        number = parse_count(value) if isinstance(value, str) else value
        if isinstance(number, int) and not isinstance(number, bool) and number >= 0:
            out[key] = number
    return out
