"""Teencode and abbreviation normalisation of social text ("ko" -> "không", "đc" -> "được").

1. The text is cut into word tokens (letters and digits) and everything between them, which is
   kept verbatim: spaces, punctuation and emoji survive untouched.
2. A token found in the learned table (nlp/artifacts/teencode-v1, built from ViLexNorm by
   `python -m nlp.train teencode`) is replaced, keeping an initial capital.
3. An unknown token with elongated letters ("quáaaa", "điii") is shortened to the standard
   syllable it stretches, when that syllable is in the vocabulary.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import joblib

from langnghe.vietnamese import fold

ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "teencode-v1" / "model.joblib"
_WORD_RE = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """Word tokens (letter/digit runs) of `text`."""
    return _WORD_RE.findall(text)


def shorten(token: str) -> str:
    """Runs of letters that fold to the same base letter collapsed to one ("quáaaa" -> "quá")."""
    out: list[str] = []
    for ch in token:
        if out and ch.isalpha() and fold(ch) == fold(out[-1]):
            if fold(out[-1]) == out[-1].lower() and fold(ch) != ch.lower():
                out[-1] = ch  # keep the accented one: "aá" -> "á"
            continue
        out.append(ch)
    return "".join(out)


def _recase(source: str, target: str) -> str:
    if source[:1].isupper() and not source.isupper():
        return target[:1].upper() + target[1:]
    return target


class Normalizer:
    def __init__(self, table: dict[str, str], vocabulary: set[str]):
        self.table, self.vocabulary = table, vocabulary

    @classmethod
    def load(cls, path: Path = ARTIFACT) -> Normalizer:
        if not path.exists():
            raise FileNotFoundError(f"teencode artifact missing at {path}: "
                                    "run `python -m nlp.train teencode`")
        blob = joblib.load(path)
        return cls(blob["table"], set(blob["vocabulary"]))

    def token(self, token: str) -> str:
        low = token.lower()
        if low in self.table:  # 2. learned table
            return _recase(token, self.table[low])
        if low in self.vocabulary:
            return token
        short = shorten(low)  # 3. elongated letters
        if short != low:
            if short in self.table:
                return _recase(token, self.table[short])
            if short in self.vocabulary:
                return _recase(token, short)
        return token

    def normalize(self, text: str) -> str:
        return _WORD_RE.sub(lambda m: self.token(m.group(0)), text)


@lru_cache(maxsize=1)
def default() -> Normalizer:
    """The shipped normaliser, loaded once per process."""
    return Normalizer.load()


def normalize(text: str) -> str:
    """Social text with teencode replaced by standard Vietnamese; emoji and punctuation kept."""
    return default().normalize(text) if text else text
