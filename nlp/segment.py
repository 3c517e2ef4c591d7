"""Vietnamese word segmentation: a learned syllable-boundary classifier with dictionary features.

1. A regex splits a line into syllables, numbers, URLs, e-mails, emoji and punctuation.
2. For every gap between two adjacent syllables a linear model decides "same word" or "new
   word" from the syllables around the gap (uni-, bi-, tri-grams, lower-cased), their shapes
   (capitalised, digit, punctuation) and whether the n-grams across the gap are entries of a
   lexicon (underthesea's Viet74K, the UD-VTB train split's multi-syllable words, place names).
3. Syllables joined by "same word" gaps form a word: "Thanh_Hóa", "mưa_lũ".

The model is trained by `python -m nlp.train segment` (nlp/models/segmenter.py) into
nlp/artifacts/segmenter-v1/ and is a plain dict of feature weights, so scoring one gap is a
dozen dict look-ups: several times faster than underthesea's CRF, and more accurate on UD-VTB
(numbers in the artifact's MODEL_CARD.md and `python -m evaluation.nlp`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import joblib

ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "segmenter-v1" / "model.joblib"

_TOKEN_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]]"  # URL, trailing punctuation left out
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|\d+(?:[.,:/-]\d+)*(?![^\W\d_])"  # number: 1.000, 3,5, 30-4-1975, 10:30
    r"|[^\W_]+"  # syllable, or a letter-digit run such as U23 / covid19
    r"|\.{2,}|…"  # ellipsis
    r"|[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+"  # emoji run (with ZWJ sequences)
    r"|\S",  # any other single character: punctuation, symbols
)
# Memoised lines: comments and boilerplate lines repeat a lot; 20k lines ≈ 10 MB at most.
_LINE_CACHE_SIZE = 20_000


def split_syllables(line: str) -> list[str]:
    """The syllables, numbers and punctuation of one line, in order."""
    return _TOKEN_RE.findall(line)


def shape(token: str) -> str:
    """One-letter shape: l lower, U Capitalised, A ALLCAPS, d digits, n alnum mix, p other."""
    if token.isalpha():
        if token.islower():
            return "l"
        if token.isupper():
            return "A" if len(token) > 1 else "U"
        return "U" if token[0].isupper() and token[1:].islower() else "m"
    if token.isdigit():
        return "d"
    return "n" if token.isalnum() else "p"


def gap_features(tokens: list[str], lexicon: dict[str, int]) -> list[list[str]]:
    """Feature strings for each gap between tokens[i] and tokens[i+1] (len(tokens)-1 lists).

    Shared by training and by `Segmenter.words`, which inlines the same templates for speed;
    tests check the two agree.
    """
    low, shp = _padded(tokens)
    return [_gap(low, shp, i, lexicon) for i in range(len(tokens) - 1)]


def _padded(tokens: list[str]) -> tuple[list[str], list[str]]:
    low = ["<s>", *(t.lower() for t in tokens), "</s>", "</s>"]
    shp = ["B", *(shape(t) for t in tokens), "E", "E"]
    return low, shp


def _gap(low: list[str], shp: list[str], i: int, lexicon: dict[str, int]) -> list[str]:
    # low is padded: one "<s>" before, two "</s>" after, so i..i+3 always exist.
    p, a, b, c = low[i], low[i + 1], low[i + 2], low[i + 3]
    ab = a + " " + b
    pab = p + " " + ab
    abc = ab + " " + c
    get = lexicon.get
    four = get(pab + " " + c, 0)  # 4-syllable entries across the gap: p a b c, a b c d, o p a b
    if i + 4 < len(low):
        four |= get(abc + " " + low[i + 4], 0)
    if i > 0:
        four |= get(low[i - 1] + " " + pab, 0)
    lex = f"{get(ab, 0)}.{get(pab, 0)}.{get(abc, 0)}.{four}"
    sh = shp[i] + shp[i + 1] + shp[i + 2] + shp[i + 3]
    return ["a=" + a, "b=" + b, "ab=" + ab, "pa=" + p + " " + a, "bc=" + b + " " + c,
            "pab=" + pab, "abc=" + abc, "s=" + sh, "x=" + lex, "sx=" + sh[1:3] + lex]


class Segmenter:
    """Scores gaps with the trained weights; `words` returns the words of one line."""

    def __init__(self, weights: dict[str, float], bias: float, lexicon: dict[str, int]):
        self.weights, self.bias, self.lexicon = weights, bias, lexicon

    @classmethod
    def load(cls, path: Path = ARTIFACT) -> Segmenter:
        if not path.exists():
            raise FileNotFoundError(f"segmenter artifact missing at {path}: "
                                    "run `python -m nlp.train segment`")
        blob = joblib.load(path)
        return cls(blob["weights"], blob["bias"], blob["lexicon"])

    def joins(self, tokens: list[str]) -> list[bool]:
        """For each gap, True when the two tokens belong to the same word."""
        if len(tokens) < 2:
            return []
        low, shp = _padded(tokens)
        get, bias, lexicon = self.weights.get, self.bias, self.lexicon
        out = []
        for i in range(len(tokens) - 1):
            if shp[i + 1] == "p" or shp[i + 2] == "p":
                out.append(False)  # punctuation, URLs and emoji are words of their own
                continue
            score = bias
            for feature in _gap(low, shp, i, lexicon):
                score += get(feature, 0.0)
            out.append(score > 0.0)
        return out

    def words(self, line: str) -> list[str]:
        """Words of one line; the syllables of a word are separated by single spaces."""
        tokens = split_syllables(line)
        if not tokens:
            return []
        words, current = [], [tokens[0]]
        for token, joined in zip(tokens[1:], self.joins(tokens), strict=True):
            if joined:
                current.append(token)
            else:
                words.append(" ".join(current))
                current = [token]
        words.append(" ".join(current))
        return words


@lru_cache(maxsize=1)
def default() -> Segmenter:
    """The shipped segmenter, loaded once per process."""
    return Segmenter.load()


@lru_cache(maxsize=_LINE_CACHE_SIZE)
def _segment_line(line: str) -> str:
    return " ".join(word.replace(" ", "_") for word in default().words(line))


def segment(text: str) -> str:
    """Words joined by "_" within, spaces between; line breaks kept ("Thanh_Hóa mưa_lũ")."""
    return "\n".join(_segment_line(line) if line.strip() else "" for line in text.split("\n"))


def tokens(text: str) -> list[str]:
    """The words of `text` across all lines; syllables of one word separated by spaces."""
    seg = default()
    return [word for line in text.split("\n") for word in seg.words(line)]
