"""The nine monitoring domains (multi-label, scored, explained) and the crisis-term lexicon.

Score of a domain = 1 - (1 - lexicon) * (1 - model):

1. lexicon — hand-written per-domain terms (`lexicons/domains.yaml`), weighted, title hits
   counted three times, saturated by `1 - exp(-hits / LEXICON_SCALE)` over a length-normalised
   hit sum so that a long article does not collect every domain;
2. model — for the five domains that have mapped labels in public data (`DOMAIN_MAP`: VNTC news
   topics and the VnExpress sections of UIT-ViCTSD), a logistic regression over TF-IDF of folded
   words and word pairs, trained by `train()` and shipped as plain JSON weights
   (`artifacts/domains/model.json.gz`, no pickle); without the artifact the lexicon alone scores.

Explanations are the surface forms of the terms and features that added most to a score.
"""

from __future__ import annotations

import gzip
import heapq
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import yaml

from langnghe.document import Label
from langnghe.vietnamese import _canonical_syllable, fold, has_diacritics, match_key, nfc

DOMAINS = ("socio_economic", "government", "citizen_feedback", "health", "education",
           "agriculture", "environment", "public_order", "press_media")
HERE = Path(__file__).resolve().parent
LEXICON_PATH = HERE / "lexicons" / "domains.yaml"
CRISIS_PATH = HERE / "lexicons" / "crisis.yaml"
ARTIFACT = HERE / "artifacts" / "domains" / "model.json.gz"
DATA = HERE.parent / ".." / "shared" / "data"
THRESHOLD = 0.5  # a domain is assigned when its combined score reaches one half
LEXICON_SCALE = 6.0  # hit weight giving 1 - e^-1 = 0.63: two strong terms in a title, or a
#                       strong one with support (chosen on the hand headlines, see evaluation)
TITLE_WEIGHT = 3  # the headline says what the article is about
# Where a trained model scores the domain, the lexicon only tops it up: at the scale above it
# costs precision. 40 chosen with the model's C below by `python -m evaluation.cv --select
# domains` (3-fold CV on the train splits grouped by article, macro-F1 over the five domains'
# yes/no decisions, mean ± sd): C=16 balanced at scale 40 .695 ± .012, at 20 .694, model alone
# .691; the previous C=4 at 20 (chosen on VNTC dev) .688 ± .010; C=1 .670; without class
# weights .55-.61; plain TF-IDF + LinearSVC per domain, no lexicon, .643 ± .015.
LEXICON_SCALE_WITH_MODEL = 40.0
LENGTH_UNIT = 50  # words; hit sums of longer texts are divided by words / LENGTH_UNIT
LENGTH_POWER = 1.0  # hits grow linearly with length (chosen on VNTC dev: 0.5 let long articles
#                     collect every domain)
# The model's regularisation, chosen by cross-validation on the train splits with the lexicon
# scale (see LEXICON_SCALE_WITH_MODEL for the numbers).
MODEL_C = 16.0
MODEL_CLASS_WEIGHT: str | None = "balanced"
MODEL_CHARS = 3_000  # the title, lead and first paragraphs carry the topic; the rest costs time
EXPLAIN_TOP = 5

# Mapped labels: (dataset, topic) → domains; topics not listed for a domain are negatives for
# it unless they are in UNKNOWN (topics that mix the domain in, so they teach nothing either way).
DOMAIN_MAP: dict[str, dict[str, tuple[str, ...]]] = {
    "vntc": {"chinh_tri_xa_hoi": ("government",), "kinh_doanh": ("socio_economic",),
             "phap_luat": ("public_order",), "suc_khoe": ("health",)},
    "victsd": {"KinhDoanh": ("socio_economic",), "SucKhoe": ("health",),
               "GiaoDuc": ("education",), "PhapLuat": ("public_order",)},
}
UNKNOWN: dict[str, dict[str, tuple[str, ...]]] = {
    "vntc": {"chinh_tri_xa_hoi": ("socio_economic", "education", "public_order", "health"),
             "doi_song": ("education", "health", "socio_economic", "government"),
             "khoa_hoc": ("health", "education")},
    "victsd": {"ThoiSu": ("government", "socio_economic", "public_order", "education"),
               "OtoXemay": ("public_order",), "KhoaHoc": ("health", "education")},
}
MODEL_DOMAINS = ("socio_economic", "government", "health", "education", "public_order")
_WORD_RE = re.compile(r"\w+")


class LexiconError(ValueError):
    """A malformed lexicon file; the message names the file, domain and term."""


# ---- lexicons --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lexicon:
    """Multi-word terms → (group, weight, surface), indexed by first word, in two forms.

    Text typed with diacritics is matched with its accents ("chảy" is not "cháy", "no" is not
    "nổ"); text without any is matched folded, since its writer left the accents out.
    """

    exact: dict[str, list[tuple[tuple[str, ...], str, float, str]]]
    folded: dict[str, list[tuple[tuple[str, ...], str, float, str]]]

    def hits(self, text: str) -> list[tuple[int, str, float, str]]:
        """(position, group, weight, surface) of each longest match, left to right."""
        accented = has_diacritics(text)
        words = _WORD_RE.findall(_match_key(text) if accented else fold(text))
        index = self.exact if accented else self.folded
        out, done = [], 0
        for i in [i for i, word in enumerate(words) if word in index]:  # a term starts here
            if i < done:
                continue  # inside the previous match
            for key, group, weight, surface in index[words[i]]:
                if words[i : i + len(key)] == list(key):
                    out.append((i, group, weight, surface))
                    done = i + len(key)
                    break
        return out


_WORD_SPLIT_RE = re.compile(r"(\w+)")  # langnghe.vietnamese's word pattern, captured


def _match_key(text: str) -> str:
    """`match_key(text)` for long texts: the words are re-toned with one `map` over a split
    instead of a Python callback per regex match (the same words, the same function)."""
    parts = _WORD_SPLIT_RE.split(nfc(text))
    parts[1::2] = map(_canonical_syllable, parts[1::2])
    return "".join(parts).lower()


def _lexicon(entries: list[tuple[str, str, float]]) -> Lexicon:
    exact: dict[str, list[tuple[tuple[str, ...], str, float, str]]] = {}
    folded: dict[str, list[tuple[tuple[str, ...], str, float, str]]] = {}
    for term, group, weight in entries:
        for index, form in ((exact, match_key(term)), (folded, fold(term))):
            key = tuple(_WORD_RE.findall(form))
            index.setdefault(key[0], []).append((key, group, weight, term))
    for index in (exact, folded):
        for bucket in index.values():
            bucket.sort(key=lambda item: -len(item[0]))  # longest first: "ngộ độc thực phẩm"
    return Lexicon(exact, folded)


def _load_yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: expected a mapping of groups at the top level")
    return data


@lru_cache(maxsize=4)
def domain_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    entries = []
    for domain, spec in _load_yaml(path).items():
        if domain not in DOMAINS:
            raise LexiconError(f"{path}: unknown domain {domain!r}; expected one of {DOMAINS}")
        terms = (spec or {}).get("terms")
        if not isinstance(terms, dict) or not terms:
            raise LexiconError(f"{path}: domain {domain!r} needs a non-empty 'terms' mapping")
        for term, weight in terms.items():
            if not isinstance(weight, (int, float)) or not 0 < weight <= 3 or not str(term).strip():
                raise LexiconError(f"{path}: {domain}.{term}: weight must be a number in (0, 3]")
            entries.append((str(term), domain, float(weight)))
    return _lexicon(entries)


@lru_cache(maxsize=4)
def crisis_lexicon(path: Path = CRISIS_PATH) -> Lexicon:
    entries = []
    for group, terms in _load_yaml(path).items():
        if not isinstance(terms, list) or not all(isinstance(t, str) and t for t in terms):
            raise LexiconError(f"{path}: group {group!r} must be a list of terms")
        entries += [(term, str(group), 1.0) for term in terms]
    return _lexicon(entries)


def crisis_terms(text: str) -> list[str]:
    """Crisis terms found in `text` (as listed in crisis.yaml, each once, in text order)."""
    return list(dict.fromkeys(surface for _, _, _, surface in crisis_lexicon().hits(text or "")))


def crisis_categories(text: str) -> list[str]:
    """The crisis.yaml groups (fire_explosion, disaster, …) of the terms found."""
    return list(dict.fromkeys(group for _, group, _, _ in crisis_lexicon().hits(text or "")))


def lexicon_scores(title: str, body: str, scales: dict[str, float] | None = None
                   ) -> dict[str, tuple[float, list[str]]]:
    """Per-domain lexicon score in [0, 1) and the terms that produced it."""
    scales = scales or {}
    return {d: (1 - math.exp(-hits / scales.get(d, LEXICON_SCALE)), words)
            for d, (hits, words) in lexicon_hits(title, body).items()}


def lexicon_hits(title: str, body: str) -> dict[str, tuple[float, list[str]]]:
    """Per-domain weighted hit sum, divided by the length norm, and the terms behind it."""
    lex = domain_lexicon()
    sums: Counter[str] = Counter()
    why: dict[str, Counter[str]] = {}
    for text, boost in ((title, TITLE_WEIGHT), (body, 1)):
        for _, domain, weight, surface in lex.hits(text):
            sums[domain] += weight * boost
            why.setdefault(domain, Counter())[surface] += weight * boost
    body_words = len(_WORD_RE.findall(body))
    norm = max(1.0, body_words / LENGTH_UNIT) ** LENGTH_POWER
    return {d: (s / norm, [w for w, _ in why[d].most_common()]) for d, s in sums.items()}


# ---- linear model ------------------------------------------------------------------------------

def features(text: str) -> list[str]:
    """Folded words and adjacent word pairs (the model's vocabulary)."""
    words = _WORD_RE.findall(fold(text[:MODEL_CHARS]))
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


@dataclass(frozen=True)
class LinearModel:
    idf: dict[str, float]
    coef: dict[str, dict[str, float]]  # domain → feature → weight
    intercept: dict[str, float]

    @cached_property
    def _arrays(self) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Feature → row; idf by row; weights (rows x domains, 0 where a domain has none);
        intercepts and domain names in `coef` order. Features without an idf never count."""
        domains = list(self.coef)
        index = {f: row for row, f in enumerate(self.idf)}
        weights = np.zeros((len(index), len(domains)))
        for col, domain in enumerate(domains):
            for feature, weight in self.coef[domain].items():
                row = index.get(feature)
                if row is not None:
                    weights[row, col] = weight
        idf = np.array(list(self.idf.values()), dtype=np.float64)
        intercept = np.array([self.intercept[d] for d in domains], dtype=np.float64)
        return index, idf, weights, intercept, domains

    def scores(self, text: str) -> dict[str, tuple[float, list[str]]]:
        """Probability per domain and its top positive features (folded).

        Vectorised, with the arithmetic of a per-feature loop kept exactly: `math.log`, sums
        accumulated in first-occurrence order (`cumsum`), so the results are the same floats.
        """
        index, idf, weights, intercept, domains = self._arrays
        counts = Counter(features(text))
        rows = np.array(list(map(index.get, counts)), dtype=np.float64)  # unknown → NaN
        known = ~np.isnan(rows)
        idx = rows[known].astype(np.int64)
        names = [f for f, k in zip(counts, known.tolist(), strict=True) if k]
        tf = np.array(list(counts.values()), dtype=np.float64)[known]
        vec = (1 + np.array(list(map(math.log, tf.tolist())))) * idf[idx]  # sublinear tf
        norm = math.sqrt(float(np.cumsum(vec * vec)[-1])) if len(vec) else 0.0
        norm = norm or 1.0
        contrib = (vec / norm)[:, None] * weights[idx]  # features x domains
        z = np.cumsum(np.vstack([intercept, contrib]), axis=0)[-1]
        positive = (contrib > 0).any(axis=0).tolist()
        return {domain: (1 / (1 + math.exp(-float(z[col]))),
                         _top(contrib[:, col], names) if positive[col] else [])
                for col, domain in enumerate(domains)}


def _top(contrib: np.ndarray, names: list[str]) -> list[str]:
    """The EXPLAIN_TOP features of largest positive contribution (ties: larger name first)."""
    positive = np.flatnonzero(contrib > 0)
    if len(positive) > EXPLAIN_TOP:  # keep the top values and every tie of the last one
        cut = np.partition(contrib[positive], -EXPLAIN_TOP)[-EXPLAIN_TOP]
        positive = positive[contrib[positive] >= cut]
    parts = [(float(contrib[k]), names[k]) for k in positive.tolist()]
    return [f for _, f in heapq.nlargest(EXPLAIN_TOP, parts)]


@lru_cache(maxsize=2)
def load_model(path: Path = ARTIFACT) -> LinearModel | None:
    if not path.exists():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    return LinearModel(data["idf"], data["coef"], data["intercept"])


# ---- combining -----------------------------------------------------------------------------------

def _surface(text: str, folded_feature: str) -> str:
    """The feature as written in the text ("benh vien" → "bệnh viện"), else as is."""
    words = folded_feature.split()
    pattern = r"\b" + r"\W+".join(rf"\w{{{len(w)}}}" for w in words) + r"\b"
    for m in re.finditer(pattern, text[:MODEL_CHARS], flags=re.IGNORECASE):
        if fold(m.group(0)).split() == words or _WORD_RE.findall(fold(m.group(0))) == words:
            return m.group(0).lower()
    return folded_feature


def score_all(title: str, body: str, model: LinearModel | None = None
              ) -> dict[str, tuple[float, list[str], list[str]]]:
    """Every domain's combined score, lexicon terms and model features (folded)."""
    model = model if model is not None else load_model()
    scales = {d: LEXICON_SCALE_WITH_MODEL for d in model.coef} if model else {}
    lex = lexicon_scores(title, body, scales)
    mod = model.scores(f"{title}\n{body}") if model else {}
    out = {}
    for domain in DOMAINS:
        p_lex, lex_why = lex.get(domain, (0.0, []))
        p_mod, mod_why = mod.get(domain, (0.0, []))
        out[domain] = (1 - (1 - p_lex) * (1 - p_mod), lex_why, mod_why)
    return out


def classify(title: str, body: str, threshold: float = THRESHOLD) -> list[Label]:
    """Domains scoring at least `threshold`, best first, each with its explanation words."""
    if not (title or "").strip() and not (body or "").strip():
        return []
    title, body = title or "", body or ""
    labels = []
    for domain, (score, lex_why, mod_why) in score_all(title, body).items():
        if score >= threshold:
            why = lex_why + [_surface(f"{title}\n{body}", f) for f in mod_why]
            labels.append(Label(label=domain, score=round(score, 4),
                                explanation=list(dict.fromkeys(why))[:EXPLAIN_TOP]))
    return sorted(labels, key=lambda lab: -lab.score)


# ---- training ------------------------------------------------------

def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def mapped_examples(split: str, parts: tuple[str, ...] = ("vntc", "headlines", "comments")
                    ) -> list[tuple[str, str, str]]:
    """(text, dataset, topic) of VNTC articles, ViCTSD headlines and ViCTSD comments.

    `split` is "train" (VNTC train, ViCTSD train) or "dev" (VNTC dev, ViCTSD valid).
    """
    vntc = DATA / "vntc-10topics" / f"{'train' if split == 'train' else 'dev'}.jsonl"
    victsd = DATA / "uit-victsd" / f"{'train' if split == 'train' else 'valid'}.jsonl"
    out = [(r["text"], "vntc", r["label"]) for r in _jsonl(vntc)] if "vntc" in parts else []
    rows = _jsonl(victsd)
    if "headlines" in parts:
        titles = {r["article_title"]: r["article_topic"] for r in rows}
        out += [(t, "victsd", topic) for t, topic in titles.items()]
    if "comments" in parts:
        out += [(r["text"], "victsd", r["article_topic"]) for r in rows]
    return out


def target(dataset: str, topic: str, domain: str) -> int | None:
    """1/0 for the mapped label of `domain`, None when the topic says nothing about it.

    A staff correction ("correction", "new|old") says the new domain applies and the corrected
    one does not; it says nothing of the others."""
    if dataset == "correction":
        new, _, old = topic.partition("|")
        return 1 if domain == new else 0 if domain == old else None
    if domain in DOMAIN_MAP[dataset].get(topic, ()):
        return 1
    if domain in UNKNOWN[dataset].get(topic, ()):
        return None
    return 0


def vectorizer(min_df: int = 3):
    """TF-IDF over `features` (folded words and pairs), as the shipped model reads text."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    # min_df=3: words seen in fewer than three documents are names and typos, not topic words.
    # max_features=60000: the most frequent words and pairs; keeps the artifact a few MB.
    return TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=min_df,
                           max_features=60_000)


def fit_domain(x, ys, c: float = MODEL_C, class_weight: str | None = MODEL_CLASS_WEIGHT):
    """The logistic regression of one domain on TF-IDF rows `x` with 1/0 targets `ys`."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight=class_weight, max_iter=2000).fit(x, ys)


def train(out: Path = ARTIFACT, min_df: int = 3, keep: float = 1e-3,
          corrections: Path | None = None) -> dict:
    """Fit one logistic regression per mapped domain; write JSON weights; return a summary.

    With `corrections` (a file of `langnghe corrections export`), staff domain corrections are
    added to the training examples (see nlp/corrections.py)."""
    examples = mapped_examples("train")
    if corrections:
        from nlp import corrections as staff

        examples += staff.domain_examples(staff.load(corrections))
    vec = vectorizer(min_df)
    x = vec.fit_transform([t for t, _, _ in examples])
    vocab = vec.get_feature_names_out()
    coef, intercept, summary = {}, {}, {}
    for domain in MODEL_DOMAINS:
        rows = [(i, y) for i, (_, ds, tp) in enumerate(examples)
                if (y := target(ds, tp, domain)) is not None]
        idx, ys = zip(*rows, strict=True)
        clf = fit_domain(x[list(idx)], ys)
        weights = clf.coef_[0]
        coef[domain] = {vocab[j]: round(float(w), 4) for j, w in enumerate(weights)
                        if abs(w) >= keep}  # weights under 1e-3 change no decision
        intercept[domain] = float(clf.intercept_[0])
        summary[domain] = {"examples": len(ys), "positives": int(sum(ys)),
                           "features": len(coef[domain])}
    idf = {f: round(float(vec.idf_[j]), 4) for f, j in vec.vocabulary_.items()}  # for the norm
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        json.dump({"version": "domains-v1", "idf": idf, "coef": coef, "intercept": intercept},
                  fh, ensure_ascii=False)
    load_model.cache_clear()
    return summary


if __name__ == "__main__":
    import argparse

    cli = argparse.ArgumentParser(prog="python -m nlp.domains",
                                  description="retrain the domain model from ../shared/data")
    cli.add_argument("--corrections", type=Path,
                     help="staff corrections (JSON lines of `langnghe corrections export`)")
    print(json.dumps(train(corrections=cli.parse_args().corrections), indent=2))
