"""Vietnamese text primitives: NFC, one canonical tone-mark placement, diacritic folding.

Every stage that compares text people typed with text that was crawled goes through these
functions, so "Thanh Hoá", "Thanh Hóa" and "thanh hoa" meet in one place.

Canonical tone placement is the "modern" one used by most of today's press ("hòa", "khỏe",
"thủy"): in an open syllable whose vowel nucleus is exactly oa, oe or uy the tone mark sits on
the first vowel; with a final consonant ("hoàng", "khuyến") both styles agree on the second.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining tone marks (NFD): grave, acute, hook above, tilde, dot below.
TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"
_TONE_SET = frozenset(TONE_MARKS)
_VOWELS = frozenset("aăâeêioôơuưyAĂÂEÊIOÔƠUƯY")
_NUCLEI_FIRST_WHEN_OPEN = frozenset({"oa", "oe", "uy"})
_WORD_RE = re.compile(r"\w+")


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {0x0111: "d", 0x0110: "d"}
    for cp in range(0x00C0, 0x1EFF + 1):
        ch = chr(cp)
        if cp in table:
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii():
            table[cp] = base.lower()
    return table


_FOLD_TABLE = _build_fold_table()


def nfc(text: str) -> str:
    """Unicode NFC (composed) form; the only form stored anywhere."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case, diacritics removed, đ→d: the form used for diacritics-insensitive matching.

    Folding keeps string length for NFC input (each precomposed letter maps to one letter), so
    offsets found in the folded form are valid in the original.
    """
    return nfc(text).translate(_FOLD_TABLE).lower()


def has_diacritics(text: str) -> bool:
    """True when folding would change anything besides case."""
    return text.lower() != fold(text)


@lru_cache(maxsize=65536)
def _canonical_syllable(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONE_SET]
    if len(tones) != 1:
        return word
    bare = [c for c in decomposed if c not in _TONE_SET]
    letters = unicodedata.normalize("NFC", "".join(bare))
    # Locate the vowel nucleus: the first run of vowels (with their own modifiers).
    start = next((i for i, c in enumerate(letters) if c in _VOWELS), None)
    if start is None:
        return word
    end = start
    while end < len(letters) and letters[end] in _VOWELS:
        end += 1
    nucleus = fold(letters[start:end])
    if start > 0 and letters[start - 1] in "qQ" and nucleus.startswith("u"):
        return word  # "qu" is a consonant: "quý" keeps its tone on y
    if nucleus not in _NUCLEI_FIRST_WHEN_OPEN:
        return word
    target = start if end == len(letters) else start + 1
    out = letters[: target + 1] + tones[0] + letters[target + 1 :]
    return unicodedata.normalize("NFC", out)


def canonical_tones(text: str) -> str:
    """NFC text with one tone-mark placement ("hoà" → "hòa", "Thanh Hoá" → "Thanh Hóa")."""
    text = nfc(text)
    return _WORD_RE.sub(lambda m: _canonical_syllable(m.group(0)), text)


_SPACE_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL_RE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufeff]")
_BLANKS_RE = re.compile(r"\n\s*\n+")


def clean_text(text: str) -> str:
    """NFC, canonical tones, control characters dropped, spaces collapsed, paragraphs kept."""
    text = _CONTROL_RE.sub("", canonical_tones(text)).replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACE_RE.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return _BLANKS_RE.sub("\n\n", "\n".join(lines)).strip()


def match_key(text: str) -> str:
    """Canonical, lower-cased form used for exact-diacritic comparisons."""
    return canonical_tones(text).lower()
