"""A question cut into words, and phrase matching on them that forgives what people type.

Every word keeps its place in the question (`start`, `end`) and its folded key (lower case, no
diacritics, đ → d, shorthand expanded: "bn" → "bao nhieu"), so "Thanh Hoá", "thanh hoa" and
"THANH HÓA" meet. Phrase matching forgives one typo per word (`close`: "nhiu", "bóa",
"sánh"/"sáng", "nya", "bậc"/"bật"); a changed vowel in a short word makes another word
("đang"/"đông") and is not forgiven. One folded word is ambiguous enough to need its accents
when they are typed: "bao" is báo (newspaper), bão (storm) or bao (how much).
Dates ("1/12", "1/12/2026") are one word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.lexicon import ABBREVIATIONS
from langnghe.vietnamese import canonical_tones, fold, has_diacritics, match_key

_TOKEN_RE = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|\w+(?:[&.]\w+)*")
# folded word → the accented spellings that must agree when the question is typed with accents
STRICT = {"bao"}


@dataclass(frozen=True)
class Tok:
    text: str  # as typed (NFC, one tone placement); several words share it for a shorthand
    key: str  # folded word this token stands for
    start: int
    end: int
    accented: bool


def tokenize(question: str) -> tuple[str, list[Tok]]:
    """(the question in canonical form, its words)."""
    text = canonical_tones(question).strip()
    out: list[Tok] = []
    for m in _TOKEN_RE.finditer(text):
        word = m.group(0)
        key = fold(word)
        accented = has_diacritics(word)
        short = not accented or word.lower().replace("đ", "d") == key  # "đc", "đag"
        for part in ABBREVIATIONS.get(key, (key,)) if short else (key,):
            out.append(Tok(word, part, m.start(), m.end(), accented))
    return text, out


def phrase_words(phrase: str) -> tuple[tuple[str, str], ...]:
    """(folded, accented lower-case) per word of a lexicon phrase."""
    return tuple((fold(w), match_key(w)) for w in _TOKEN_RE.findall(phrase))


# Final consonants people confuse (regional pronunciation): "nổi bậc", "so sáng".
CODAS = {frozenset(p) for p in (("c", "t"), ("n", "ng"), ("nh", "ng"), ("nh", "n"), ("ch", "t"),
                                ("ch", "c"), ("ch", "nh"))}
_CODA_RE = re.compile(r"(ch|ng|nh|[cmnpt])$")


def _coda_swap(a: str, b: str) -> bool:
    ca, cb = _CODA_RE.search(a), _CODA_RE.search(b)
    return bool(ca and cb and a[: ca.start()] == b[: cb.start()]
                and frozenset((ca.group(0), cb.group(0))) in CODAS)


def close(a: str, b: str, coda: bool = True) -> bool:
    """Same folded word but for one typo: two letters swapped (≥ 3 letters), a letter added or
    dropped (the longer ≥ 5 letters), a letter changed (≥ 6 letters), or a confused final
    consonant. Changing a vowel of a short word makes another word ("dang"/"dong"): refused."""
    if a == b:
        return True
    if min(len(a), len(b)) < 3 or abs(len(a) - len(b)) > 1 or a[0] != b[0]:
        return False
    if coda and _coda_swap(a, b):
        return True
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            return a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        return len(diff) == 1 and len(a) >= 6
    short, long_ = sorted((a, b), key=len)
    return len(long_) >= 5 and any(long_[:i] + long_[i + 1:] == short
                                   for i in range(len(long_)))


def word_matches(tok: Tok, word: tuple[str, str], fuzzy: bool = True, coda: bool = True) -> bool:
    folded, accented = word
    if tok.key in STRICT and tok.accented and has_diacritics(accented):
        return match_key(tok.text) == accented
    return tok.key == folded or (fuzzy and close(tok.key, folded, coda))


class Phrases:
    """Phrases → values; `scan` finds the longest match at each free position, left to right."""

    def __init__(self, entries: Iterable[tuple[str, object]], fuzzy: bool = True):
        self.fuzzy = fuzzy
        self.entries = sorted(((phrase_words(p), v) for p, v in entries),
                              key=lambda e: -len(e[0]))

    def match_at(self, toks: list[Tok], i: int, used: set[int]) -> tuple[int, object] | None:
        for words, value in self.entries:
            n = len(words)
            if i + n > len(toks) or any(j in used for j in range(i, i + n)):
                continue
            # a confused final consonant is forgiven inside a phrase only: alone, "hot" would
            # be "học"
            if all(word_matches(toks[i + k], words[k], self.fuzzy, n > 1) for k in range(n)):
                return n, value
        return None

    def scan(self, toks: list[Tok], used: set[int]) -> list[tuple[int, int, object]]:
        """(start, length, value) of non-overlapping matches; their words are added to `used`."""
        found = []
        i = 0
        while i < len(toks):
            hit = self.match_at(toks, i, used)
            if hit is None:
                i += 1
                continue
            n, value = hit
            found.append((i, n, value))
            used.update(range(i, i + n))
            i += n
        return found
