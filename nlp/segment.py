"""Vietnamese word segmentation: a learned syllable-boundary classifier with dictionary features.

1. A regex splits a line into syllables, numbers, URLs, e-mails, emoji and punctuation.
2. For every gap between two adjacent syllables a linear model decides "same word" or "new
   word" from the syllables around the gap (uni-, bi-, tri-grams, lower-cased), their shapes
   (capitalised, digit, punctuation) and whether the n-grams across the gap are entries of a
   lexicon (underthesea's Viet74K, the UD-VTB train split's multi-syllable words, place names,
   underthesea's join rates on news text), paired with the codes of the two neighbouring
   bigrams: "a b" joins less when "b c" is a stronger word; and whether forward and backward
   longest-match over that lexicon (`max_match`) put the two syllables in one word.
3. Syllables joined by "same word" gaps form a word: "Thanh_Hóa", "mưa_lũ".

The model is trained by `python -m nlp.train segment` (nlp/models/segmenter.py) into
nlp/artifacts/segmenter-v1/ and is a plain dict of feature weights, so scoring one gap is a
dozen dict look-ups: several times faster than underthesea's CRF, and more accurate on UD-VTB
(numbers in the artifact's MODEL_CARD.md and `python -m evaluation.nlp`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import repeat
from pathlib import Path

import joblib
import numpy as np

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


_shape_cached = lru_cache(maxsize=65_536)(shape)  # tokens repeat: the shape of each once


def gap_features(tokens: list[str], lexicon: dict[str, int]) -> list[list[str]]:
    """Feature strings for each gap between tokens[i] and tokens[i+1] (len(tokens)-1 lists).

    Shared by training and by `Segmenter.words`, which inlines the same templates for speed;
    tests check the two agree.
    """
    low, shp = _padded(tokens)
    matched = lexicon_max_match(low, lexicon)
    return [_gap(low, shp, i, lexicon, matched) for i in range(len(tokens) - 1)]


def is_word(code: int) -> bool:
    """A lexicon code that counts as a word for longest-match: listed in a source (bits 0-2:
    word list, treebank, place) or joined by underthesea in >= 70 % of >= 2 sightings (silver
    codes 7-10, see nlp/models/segmenter.py's `silver_code`)."""
    return bool(code & SOURCE_BITS) or code >> SILVER_SHIFT >= _SILVER_JOINED


def max_match(starting: list[int], ending: list[int]) -> tuple[list[bool], list[bool]]:
    """Joins (per gap) of greedy longest-match segmentation, run forward and backward.

    starting[j] / ending[j]: syllables in the longest word starting / ending at syllable j
    (1 when none does).
    """
    n = len(starting)
    forward, backward = [False] * (n - 1), [False] * (n - 1)
    j = 0
    while j < n:
        size = starting[j]
        if size > 1:
            forward[j:j + size - 1] = [True] * (size - 1)
        j += size
    j = n - 1
    while j >= 0:
        size = ending[j]
        if size > 1:
            backward[j - size + 1:j] = [True] * (size - 1)
        j -= size
    return forward, backward


def lexicon_max_match(low: list[str], lexicon: dict[str, int]) -> tuple[list[bool], list[bool]]:
    """`max_match` over the syllables of a padded line (see `_padded`), by string look-ups."""
    syllables = low[1:-2]
    n = len(syllables)

    def word(j: int, size: int) -> bool:
        return 0 <= j and j + size <= n and is_word(lexicon.get(" ".join(syllables[j:j + size]), 0))

    sizes = range(_MAX_WORD, 1, -1)
    starting = [next((m for m in sizes if word(j, m)), 1) for j in range(n)]
    ending = [next((m for m in sizes if word(j - m + 1, m)), 1) for j in range(n)]
    return max_match(starting, ending)


def _padded(tokens: list[str]) -> tuple[list[str], list[str]]:
    low = ["<s>", *map(str.lower, tokens), "</s>", "</s>"]
    shp = ["B", *map(_shape_cached, tokens), "E", "E"]
    return low, shp


def _gap(low: list[str], shp: list[str], i: int, lexicon: dict[str, int],
         matched: tuple[list[bool], list[bool]] | None = None) -> list[str]:
    # low is padded: one "<s>" before, two "</s>" after, so i..i+3 always exist.
    # matched: `lexicon_max_match` of the line, computed here when the caller has not.
    forward, backward = matched or lexicon_max_match(low, lexicon)
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
    lex_ab, pa, bc = get(ab, 0), p + " " + a, b + " " + c
    lex = f"{lex_ab}.{get(pab, 0)}.{get(abc, 0)}.{four}"
    sh = shp[i] + shp[i + 1] + shp[i + 2] + shp[i + 3]
    return ["a=" + a, "b=" + b, "ab=" + ab, "pa=" + pa, "bc=" + bc,
            "pab=" + pab, "abc=" + abc, "s=" + sh, "x=" + lex, "sx=" + sh[1:3] + lex,
            f"xl={get(pa, 0)}.{lex_ab}", f"xr={lex_ab}.{get(bc, 0)}",
            f"mm={2 * forward[i] + backward[i]}", f"mmx={2 * forward[i] + backward[i]}.{lex_ab}"]


_TEMPLATES = ("a", "b", "ab", "pa", "bc", "pab", "abc", "s", "x", "sx", "xl", "xr", "mm", "mmx")
_SHAPES = {shape: i for i, shape in enumerate("lUAmdnpBE")}  # `shape` letters and the padding
_LEX_BITS = 8  # lexicon values are flag sets below 2**8 (checked at load): 4 of them + 4 shapes
#               of 4 bits fit one int64 key per gap
SOURCE_BITS = 7  # lexicon bits 0-2: word list, treebank, place name (nlp/models/segmenter.py)
SILVER_SHIFT = 3  # bits 3-6: silver join-rate code, 1 + 2 * rate bin + (seen >= 5)
_SILVER_JOINED = 7  # codes 7-10: rate bins ">= 70 %" and "always"
_MAX_WORD = 4  # the lexicon holds words of 2 to 4 syllables


class Segmenter:
    """Scores gaps with the trained weights; `words` returns the words of one line.

    At load time the weights are regrouped by the string they key on: each distinct syllable,
    bigram, trigram and 4-gram gets a row number and one array per template holds its weight
    ("ab=mưa lũ" → ab[row of "mưa lũ"]), beside its lexicon value. `joins` then builds each
    n-gram string of a line once, finds its row with one dict look-up (in C, via `map`) and
    gathers every gap's weights with numpy. Features keyed on small lexicon codes (xl, xr, mm,
    mmx) index plain weight arrays; longest-match reads each n-gram row's "is a word" flag.
    The weights are added in the order of `_gap`'s features, as a per-gap loop would: the
    scores are the same floats.
    """

    def __init__(self, weights: dict[str, float], bias: float, lexicon: dict[str, int]):
        self.weights, self.bias, self.lexicon = weights, bias, lexicon
        if any(not 0 <= v < 2 ** _LEX_BITS for v in lexicon.values()):
            raise ValueError(f"segmenter lexicon values must be flag sets in [0, {2 ** _LEX_BITS})")
        tables: dict[str, dict[str, float]] = {name: {} for name in _TEMPLATES}
        for feature, weight in weights.items():
            name, _, key = feature.partition("=")
            if name in tables:
                tables[name][key] = weight
        self.tables = tables
        by_order: list[list[str]] = [[], [], [], []]  # lexicon entries by number of syllables
        for key in lexicon:
            by_order[min(key.count(" "), 3)].append(key)
        self._uni = _Rows(tables["a"], tables["b"])
        self._bi = _Rows(tables["ab"], tables["pa"], tables["bc"], extra=by_order[1],
                         lexicon=lexicon)
        self._tri = _Rows(tables["pab"], tables["abc"], extra=by_order[2], lexicon=lexicon)
        self._quad = _Rows(extra=by_order[3], lexicon=lexicon)
        self._shape_lex: dict[int, tuple[float, float, float]] = {}  # gap key → s, x, sx
        # Neighbouring lexicon codes pair up into a 16-bit index: a plain weight array.
        self._xl, self._xr = _pair_table(tables["xl"]), _pair_table(tables["xr"])
        # "mm=2": forward longest-match joins, backward does not (2 * forward + backward).
        self._mm = np.array([tables["mm"].get(str(k), 0.0) for k in range(4)])
        self._mmx = _pair_table(tables["mmx"])

    @classmethod
    def load(cls, path: Path = ARTIFACT) -> Segmenter:
        if not path.exists():
            raise FileNotFoundError(f"segmenter artifact missing at {path}: "
                                    "run `python -m nlp.train segment`")
        blob = joblib.load(path)
        return cls(blob["weights"], blob["bias"], blob["lexicon"])

    def joins(self, tokens: list[str]) -> list[bool]:
        """For each gap, True when the two tokens belong to the same word."""
        n = len(tokens)
        if n < 2:
            return []
        low, shp = _padded(tokens)
        g = n - 1  # gaps; gap i lies between low[i + 1] and low[i + 2], p a b c = low[i : i + 4]
        # Position k of bi, tri and quad: the n-gram starting at low[k].
        bi = [a + " " + b for a, b in zip(low, low[1:], strict=False)]
        tri = [ab + " " + c for ab, c in zip(bi, low[2:], strict=False)]
        quad = [abc + " " + d for abc, d in zip(tri, low[3:], strict=False)]
        u, b, t = self._uni.rows(low), self._bi.rows(bi), self._tri.rows(tri)
        q = self._quad.rows(quad)
        quad_lex = self._quad.lex[q]
        forward, backward = max_match(*self._longest(n, b, t, q))
        mm = np.array(forward, dtype=np.int64) * 2 + np.array(backward, dtype=np.int64)
        # 4-syllable entries across the gap: p a b c, a b c d (always inside the padding for a
        # gap), o p a b (from the second gap on).
        four = quad_lex[:g] | quad_lex[1:]
        four[1:] |= quad_lex[:g - 1]
        sid = np.fromiter(map(_SHAPES.__getitem__, shp), dtype=np.int64, count=n + 3)
        lex_pa, lex_ab, lex_bc = (self._bi.lex[b[k:g + k]] for k in range(3))
        keys = ((sid[:g] << 12 | sid[1:g + 1] << 8 | sid[2:g + 2] << 4 | sid[3:g + 3]) << 32
                | lex_ab << 24 | self._tri.lex[t[:g]] << 16
                | self._tri.lex[t[1:g + 1]] << 8 | four)
        # A line has few distinct (shapes, lexicon) keys: look each up once.
        distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        shape_lex = self._shape_lex
        sx = np.array([shape_lex.get(k) or self._remember(k, shp, i)
                       for k, i in zip(distinct.tolist(), first.tolist(), strict=False)],
                      dtype=np.float64).reshape(len(distinct), 3)[inverse.reshape(-1)]
        uw, bw, tw = self._uni.weights, self._bi.weights, self._tri.weights
        score = (self.bias + uw[0][u[1:g + 1]] + uw[1][u[2:g + 2]]
                 + bw[0][b[1:g + 1]] + bw[1][b[:g]] + bw[2][b[2:g + 2]]
                 + tw[0][t[:g]] + tw[1][t[1:g + 1]] + sx[:, 0] + sx[:, 1] + sx[:, 2]
                 + self._xl[lex_pa << _LEX_BITS | lex_ab] + self._xr[lex_ab << _LEX_BITS | lex_bc]
                 + self._mm[mm] + self._mmx[mm << _LEX_BITS | lex_ab])
        punct = sid == _SHAPES["p"]  # punctuation, URLs and emoji are words of their own
        return ((score > 0.0) & ~(punct[1:n] | punct[2:n + 1])).tolist()

    def _longest(self, n: int, b: np.ndarray, t: np.ndarray, q: np.ndarray) -> tuple[list, list]:
        """`max_match`'s starting and ending sizes from the bi-, tri- and 4-gram rows."""
        # Words of 2, 3, 4 syllables starting at syllable j (the n-gram at low[j + 1]); the
        # padding "</s>" is in no word, so n-grams running past the line are never words.
        starts = [rows.word[r[1:n + 1]] for rows, r in ((self._bi, b), (self._tri, t))]
        starts.append(np.append(self._quad.word[q[1:]], False))  # quad: n rows, one short
        starting, ending = np.ones(n, dtype=np.int64), np.ones(n, dtype=np.int64)
        for size, start in zip((2, 3, 4), starts, strict=True):
            starting[start[:n]] = size  # longer sizes come later and win
            ending[size - 1:][start[:max(n - size + 1, 0)]] = size
        return starting.tolist(), ending.tolist()

    def _remember(self, key: int, shp: list[str], i: int) -> tuple[float, float, float]:
        """Weights of the s=, x= and sx= features of gap i, remembered under its int key."""
        sh = shp[i] + shp[i + 1] + shp[i + 2] + shp[i + 3]
        mask = 2 ** _LEX_BITS - 1
        lex = ".".join(str(key >> shift & mask) for shift in (24, 16, 8, 0))
        t = self.tables
        weights = t["s"].get(sh, 0.0), t["x"].get(lex, 0.0), t["sx"].get(sh[1:3] + lex, 0.0)
        self._shape_lex[key] = weights
        return weights

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


def _pair_table(table: dict[str, float]) -> np.ndarray:
    """Weights of "xl=" / "xr=" / "mmx=" features ("3.9" → w) at index 3 << 8 | 9; 0 where
    unseen."""
    weights = np.zeros(2 ** (2 * _LEX_BITS))
    for key, weight in table.items():
        first, _, second = key.partition(".")
        weights[int(first) << _LEX_BITS | int(second)] = weight
    return weights


class _Rows:
    """Strings (n-grams of one order) → row number; per-template weight arrays and lexicon
    values by row. Row 0 stands for every string not listed (weight 0, lexicon value 0)."""

    def __init__(self, *tables: dict[str, float], extra: list[str] = (),
                 lexicon: dict[str, int] | None = None):
        keys = dict.fromkeys(k for table in tables for k in table)
        keys.update(dict.fromkeys(extra))
        self.index = {key: row for row, key in enumerate(keys, start=1)}
        self.weights = [np.array([0.0, *map(table.get, keys, repeat(0.0))]) for table in tables]
        lexicon = lexicon or {}
        self.lex = np.array([0, *map(lexicon.get, keys, repeat(0))], dtype=np.int64)
        # `is_word` of each row's lexicon value, read by longest-match; row 0 never is one.
        self.word = np.vectorize(is_word, otypes=[bool])(self.lex)

    def rows(self, grams: list[str]) -> np.ndarray:
        return np.fromiter(map(self.index.get, grams, repeat(0)), dtype=np.int64,
                           count=len(grams))


@lru_cache(maxsize=1)
def default() -> Segmenter:
    """The shipped segmenter, loaded once per process."""
    return Segmenter.load()


@lru_cache(maxsize=_LINE_CACHE_SIZE)
def _segment_line(line: str) -> str:
    # Tokens hold no spaces, so this is " ".join of the words with "_" inside, without
    # building the words: each token followed by "_" (same word) or " " (next word).
    tokens = split_syllables(line)
    if not tokens:
        return ""
    seps = ["_" if joined else " " for joined in default().joins(tokens)]
    seps.append("")
    return "".join([part for pair in zip(tokens, seps, strict=True) for part in pair])


def segment(text: str) -> str:
    """Words joined by "_" within, spaces between; line breaks kept ("Thanh_Hóa mưa_lũ")."""
    return "\n".join(_segment_line(line) if line.strip() else "" for line in text.split("\n"))


def tokens(text: str) -> list[str]:
    """The words of `text` across all lines; syllables of one word separated by spaces."""
    seg = default()
    return [word for line in text.split("\n") for word in seg.words(line)]
