"""Text classifiers at run time: sentiment, toxicity, emotion, news category, comment flags.

Each model is a scikit-learn pipeline (TF-IDF features on the text as written and on its
diacritic-free form, then a multinomial logistic regression), scored here through `Compiled`
(the same arithmetic without scikit-learn's per-call overhead), trained by
`python -m nlp.train classifiers` into nlp/artifacts/<task>-v1/model.joblib and loaded lazily
once per process. `predict(task, text)` returns a `Label`: the class, its probability, and the
words whose weight × TF-IDF value pushed most towards that class (present in the text).
Probabilities are temperature-scaled (see `probabilities`).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from functools import cache, partial
from itertools import repeat
from pathlib import Path

import joblib
import numpy as np

from langnghe.document import Label
from langnghe.vietnamese import fold

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# The fields the classifiers fill, and the shipped models behind them: sentiment (the tone of
# the media-monitoring convention) has one model for articles and one for social items.
TASKS = ("sentiment", "toxicity", "emotion", "category", "toxic", "constructive")
MODELS = ("tone-news", "tone-comments", "toxicity", "emotion", "category", "toxic",
          "constructive")
EXPLAIN_TOP = 5  # words shown to staff: enough to see why, few enough to read at a glance
MAX_CHARS = 20_000  # news articles: the first 20k chars decide the topic; bounds feature time
_LOCK = threading.Lock()


def prep(text: str) -> str:
    """Lower-cased text as written (the form of the "w" features)."""
    return text.lower()


def prep_folded(text: str) -> str:
    """Lower-cased, diacritic-free text (the form of the "f" and "c" features)."""
    return fold(text)


@cache
def model(name: str):
    """The trained pipeline of the model `name` (one of MODELS), loaded once per process."""
    if name not in MODELS:
        raise ValueError(f"unknown classifier model {name!r}; expected one of {', '.join(MODELS)}")
    path = ARTIFACTS / f"{name}-v1" / "model.joblib"
    if not path.exists():
        command = "tone" if name.startswith("tone-") else "classifiers"
        raise FileNotFoundError(f"classifier artifact missing at {path}: "
                                f"run `python -m nlp.train {command}`")
    with _LOCK:
        return joblib.load(path)


class Compiled:
    """A trained pipeline flattened for one-text-at-a-time scoring without scikit-learn calls.

    Per document, scikit-learn's FeatureUnion/validation overhead (~6 ms per model) dwarfed
    the arithmetic; here each vectorizer's own analyzer yields the n-grams, which are looked
    up, TF-IDF-weighted (sublinear tf, l2 per vectorizer, as trained) and dotted with the
    coefficients of the classes. Tests check the result equals the pipeline's.
    """

    def __init__(self, blob: dict):
        pipe = blob["pipeline"]
        self.parts, offsets, idf = [], [], []
        for _, vec in pipe.named_steps["features"].transformer_list:
            # Vectorizers configured alike (across models) share their n-gram counts.
            key = (vec.analyzer, vec.ngram_range, vec.preprocessor.__name__, vec.token_pattern)
            joint = _JOINTS.setdefault(key, _Joint())
            self.parts.append((key, analyzer(vec), joint, joint.add(vec.vocabulary_)))
            offsets.append(sum(len(v) for v in idf))
            idf.append(vec.idf_)
        self.offsets = np.array(offsets, dtype=np.int64)
        self.part_numbers = np.arange(len(offsets))
        self.idf = np.concatenate(idf).astype(np.float64)
        clf = pipe.named_steps["clf"]
        self.classes = [str(c) for c in clf.classes_]
        coef = clf.coef_.astype(np.float64)
        if coef.shape[0] == 1:  # binary: one row scores the second class; [-s/2, s/2] below
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-clf.intercept_[0] / 2, clf.intercept_[0] / 2])
        else:
            intercept = clf.intercept_.astype(np.float64)
        self.coef_t = np.ascontiguousarray(coef.T)  # features x classes: rows gathered per doc
        self.intercept, self.temperature = intercept, blob["temperature"]
        # Explanations: a class's weight relative to the mean of all classes.
        self.explain_t = np.ascontiguousarray((coef - coef.mean(axis=0)).T)
        self.names = blob["names"]
        # Features an explanation may show: "w__" ones always, folded "f__" ones on unaccented
        # input (see `explain`).
        self.shown = {True: np.array([str(n).startswith("w__") for n in self.names]),
                      False: np.array([str(n).startswith(("w__", "f__")) for n in self.names])}

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Indices and TF-IDF values of the text's features (sublinear tf, l2 per vectorizer).

        Each n-gram is looked up once per text in the joint vocabulary of the vectorizers
        configured alike (`_Joint`), then mapped to this model's columns and weighted in one
        numpy pass, in first-occurrence order per vectorizer.
        """
        ids: list[np.ndarray] = []
        tfs: list[np.ndarray] = []
        sizes: list[int] = []
        for n, (key, analyze, joint, own) in enumerate(self.parts):
            counts = _gram_counts(key, analyze, text)
            rows, tf = joint.rows(key, counts)
            if len(own) <= len(joint.index):  # rows added by models loaded later: not ours
                own = np.concatenate([own[:-1], np.full(len(joint.index) - len(own) + 2, -1)])
                self.parts[n] = (key, analyze, joint, own)
            ids.append(own[rows])  # row -1 (unknown n-gram) → the last element, -1
            tfs.append(tf)
            sizes.append(len(rows))
        found = np.concatenate(ids)
        known = found >= 0
        part = np.repeat(self.part_numbers, sizes)[known]
        idx = found[known] + self.offsets[part]
        vals = (1.0 + np.log(np.concatenate(tfs)[known])) * self.idf[idx]
        norms = np.sqrt(np.bincount(part, weights=vals * vals, minlength=len(sizes)))
        return idx, vals / norms[part]

    def proba(self, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
        scores = (values @ self.coef_t[indices] + self.intercept) / self.temperature
        exp = np.exp(scores - scores.max())
        return exp / exp.sum()

    def predict(self, text: str, explain: bool = True) -> Label:
        text = text[:MAX_CHARS]
        indices, values = self.features(text)
        proba = self.proba(indices, values)
        best = int(np.argmax(proba))
        words = self.explain(indices, values, best, text) if explain else []
        return Label(label=self.classes[best], score=round(float(proba[best]), 4),
                     explanation=words)

    def explain(self, indices: np.ndarray, values: np.ndarray, best: int, text: str) -> list[str]:
        """Top words/phrases of the input pushing towards class `best` (coefficient × value)."""
        contrib = values * self.explain_t[indices, best]
        # "w__" features are written as in the input; folded "f__" ones only when the input
        # is itself unaccented, so every explanation is a phrase of the input.
        folded = _fold_once(text)
        accented = text.lower() != folded  # langnghe.vietnamese.has_diacritics
        # n-grams skip punctuation ("môn học , thầy" gives "học thầy"): keep contiguous ones.
        haystack = text.lower() if accented else folded
        order = np.argsort(-contrib)  # over all features, so that ties keep their order
        order = order[(contrib[order] > 0) & self.shown[accented][indices[order]]]
        out: list[str] = []
        for k in order.tolist():
            if len(out) == EXPLAIN_TOP:
                break
            phrase = self.names[indices[k]].split("__", 1)[1]
            if phrase not in out and phrase in haystack:
                out.append(phrase)
        return out


def analyzer(vec):
    """A function giving the n-grams `vec.build_analyzer()` gives, in the same order, faster.

    Word n-grams are built with one `zip` per order instead of a slice per n-gram; character
    n-grams within word boundaries are cut once per distinct word (words repeat) and cached.
    Other configurations keep scikit-learn's analyzer. Tests compare both on real texts.
    """
    plain = vec.stop_words is None and vec.tokenizer is None and vec.preprocessor is not None
    prep = _fold_once if vec.preprocessor is prep_folded else vec.preprocessor
    if plain and vec.analyzer == "word":
        return partial(_word_grams, prep, re.compile(vec.token_pattern).findall,
                       *vec.ngram_range)
    if plain and vec.analyzer == "char_wb":
        return partial(_char_wb_grams, prep, *vec.ngram_range, {})
    return vec.build_analyzer()


def _word_grams(prep, tokenize, min_n: int, max_n: int, text: str) -> list[str]:
    tokens = tokenize(prep(text))
    out = list(tokens) if min_n == 1 else []
    for n in range(max(min_n, 2), min(max_n, len(tokens)) + 1):
        out.extend(map(" ".join, zip(*(tokens[k:] for k in range(n)), strict=False)))
    return out


_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's whitespace normalisation
_WORD_CACHE_SIZE = 200_000  # distinct words remembered per configuration (a few tens of MB)


def _char_wb_grams(prep, min_n: int, max_n: int, cache: dict, text: str) -> list[str]:
    out: list[str] = []
    for word in _WHITE_SPACES.sub(" ", prep(text)).split():
        grams = cache.get(word)
        if grams is None:
            if len(cache) >= _WORD_CACHE_SIZE:
                cache.clear()
            grams = cache[word] = _wb_word(" " + word + " ", min_n, max_n)
        out.extend(grams)
    return out


def _wb_word(w: str, min_n: int, max_n: int) -> list[str]:
    """scikit-learn's `_char_wb_ngrams` for one padded word: a short word counts once."""
    grams: list[str] = []
    for n in range(min_n, max_n + 1):
        if n >= len(w):
            grams.append(w)
            break
        grams.extend([w[i:i + n] for i in range(len(w) - n + 1)])
    return grams


_LAST = threading.local()  # per thread: the last text and its n-gram counts per configuration


def _fold_once(text: str) -> str:
    """`prep_folded(text)`, computed once per text for all models and vectorizers."""
    if getattr(_LAST, "fold_text", None) is not text:
        _LAST.fold_text, _LAST.folded = text, prep_folded(text)
    return _LAST.folded


class _Joint:
    """The union of the vocabularies of vectorizers configured alike (sentiment, toxicity,
    emotion, toxic, constructive share most), so a comment's n-grams are looked up once for
    all five models instead of once per model. Each model keeps an array joint row → its own
    column (-1: not its n-gram; the last element is -1 too, for the rows of unknown n-grams).
    """

    def __init__(self):
        self.index: dict[str, int] = {}
        self.lock = threading.Lock()

    def add(self, vocabulary: dict[str, int]) -> np.ndarray:
        with self.lock:
            index = self.index
            for gram in vocabulary:
                index.setdefault(gram, len(index))
            rows = np.fromiter(map(index.__getitem__, vocabulary), dtype=np.int64,
                               count=len(vocabulary))
            own = np.full(len(index) + 1, -1, dtype=np.int64)
            own[rows] = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
            return own

    def rows(self, key: tuple, counts: Counter) -> tuple[np.ndarray, np.ndarray]:
        """Joint rows (-1: unknown) and counts of `counts`' n-grams, once per text."""
        cache = _LAST.rows  # reset with _LAST.grams for each new text
        hit = cache.get(key)
        if hit is None or hit[0] != len(self.index):  # a model loaded since: look up again
            rows = np.fromiter(map(self.index.get, counts, repeat(-1)), dtype=np.int64,
                               count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            hit = cache[key] = (len(self.index), rows, tf)
        return hit[1], hit[2]


_JOINTS: dict[tuple, _Joint] = {}  # vectorizer configuration → joint vocabulary


def _gram_counts(key: tuple, analyze, text: str) -> Counter:
    """N-gram counts of `text`, computed once for the sentiment, toxicity, emotion models."""
    if getattr(_LAST, "text", None) is not text:
        _LAST.text, _LAST.grams, _LAST.rows = text, {}, {}
    grams = _LAST.grams
    if key not in grams:
        # Text without diacritics reads the same lower-cased and folded: the "w" and "f"
        # vectorizers then see one string, so they share its n-grams.
        twin = (*key[:2], _TWIN.get(key[2], ""), *key[3:])
        if twin in grams and text.lower() == _fold_once(text):
            grams[key] = grams[twin]
        else:
            grams[key] = Counter(analyze(text))
    return grams[key]


_TWIN = {"prep": "prep_folded", "prep_folded": "prep"}  # the two preprocessors by name


@cache
def compiled(name: str) -> Compiled:
    return Compiled(model(name))


def predict(name: str, text: str, explain: bool = True) -> Label:
    """Most probable class of `text` for the model `name`, with its probability and top words."""
    return compiled(name).predict(text, explain)


def model_for(task: str, doc) -> str:
    """The shipped model that fills `task` for `doc`: the tone of social items and of articles
    are learned apart (nlp/models/tone.py); the other tasks have one model each."""
    if task == "sentiment":
        return "tone-comments" if doc.kind in SOCIAL_KINDS else "tone-news"
    return task


def probabilities(clf, features, temperature: float = 1.0) -> np.ndarray:
    """Class probabilities: softmax of the decision scores divided by the fitted temperature.

    The temperature is fitted at training time on out-of-fold scores of the train split, so
    a 0.8 means right about 80 % of the time (logistic regression with a weak penalty is
    over-confident otherwise). Binary models score one class: [-s/2, s/2] gives the sigmoid.
    """
    scores = clf.decision_function(features)
    if scores.ndim == 1:
        scores = np.stack([-scores / 2, scores / 2], axis=1)
    scores = scores / temperature
    scores -= scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


# -- enrich steps (appended to nlp.pipeline.STEPS) ------------------------------------------

SOCIAL_KINDS = frozenset({"post", "comment", "forum_post"})


def social_text(doc, section) -> str:
    """What a social item says: the normalised text when there is one, else title + text."""
    return section.normalized or "\n".join(p for p in (section.title, section.text) if p)


def step_normalize(doc, section) -> None:
    """Social kinds only: teencode and abbreviations rewritten; the original stays in `text`."""
    if doc.kind in SOCIAL_KINDS:
        from nlp import teencode

        text = "\n".join(p for p in (section.title, section.text) if p)
        section.normalized = teencode.normalize(text)


def news_head(title: str, lead: str) -> str:
    """Title + lead as the tone annotators read a news item ("Title. Lead")."""
    title, lead = title.strip(), lead.strip()
    if title and lead and not title.endswith((".", "?", "!", ":", "…")):
        title += "."
    return " ".join(p for p in (title, lead) if p)


def tone_source(doc) -> str:
    """The raw text behind a document's tone, as the tone corpus stores it: an article's title
    + lead, a post's title and text (teencode normalisation is the model's own step)."""
    if doc.kind in SOCIAL_KINDS:
        return "\n".join(p for p in (doc.title, doc.text) if p)
    return news_head(doc.title, doc.lead or doc.text[:LEAD_FALLBACK_CHARS])


def sentiment_text(doc, section) -> str | None:
    """Articles: title + lead, as the tone corpus was labelled (the event reported is there; an
    article without a lead gives its text's opening); social: the normalised text."""
    if doc.kind in SOCIAL_KINDS:
        text = social_text(doc, section)
    else:
        lead = section.lead or section.text[:LEAD_FALLBACK_CHARS]
        text = news_head(section.title, lead)
    return text if text.strip() else None


LEAD_FALLBACK_CHARS = 400  # about a lead's length, when a page gives no lead


def social_only(doc, section) -> str | None:
    """Toxicity, emotion and the comment flags (ViCTSD is comments) read social items only."""
    if doc.kind in SOCIAL_KINDS and social_text(doc, section).strip():
        return social_text(doc, section)
    return None


def category_text(doc, section) -> str | None:
    if doc.kind in SOCIAL_KINDS:
        return None
    text = "\n".join(p for p in (section.title, section.lead, section.text) if p)
    return text if text.strip() else None


def transformer(task: str):
    """The fine-tuned transformer model configured for `task` (nlp/onnx_backend.py, served by
    ONNX Runtime: it scores batches, `predict_many`), or None when the shipped linear model
    serves the task. A `sentiment` model serves articles and social items alike."""
    from nlp import onnx_backend

    return onnx_backend.backend(task) if task in onnx_backend.LABELS else None


def check_backends() -> list[str]:
    """Load every configured transformers model now (BackendError with the reason if one cannot
    be used), so a misconfiguration stops the start, not each batch; returns the tasks served."""
    return [task for task in TASKS if transformer(task)]


# Per-document steps; the classifiers run after them (nlp.pipeline.classify_batch), each on the
# text its selector gives (None: the task does not apply).
STEPS = [("normalize", step_normalize)]
CLASSIFIERS = [("sentiment", sentiment_text), ("toxicity", social_only), ("emotion", social_only),
               ("toxic", social_only), ("constructive", social_only), ("category", category_text)]
