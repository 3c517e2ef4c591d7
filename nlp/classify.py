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

import threading
from collections import Counter
from functools import cache
from pathlib import Path

import joblib
import numpy as np

from langnghe.document import Label
from langnghe.vietnamese import fold, has_diacritics

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TASKS = ("sentiment", "toxicity", "emotion", "category", "toxic", "constructive")
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
def model(task: str):
    """The trained pipeline of `task`, loaded once per process."""
    if task not in TASKS:
        raise ValueError(f"unknown classifier task {task!r}; expected one of {', '.join(TASKS)}")
    path = ARTIFACTS / f"{task}-v1" / "model.joblib"
    if not path.exists():
        raise FileNotFoundError(f"classifier artifact missing at {path}: "
                                "run `python -m nlp.train classifiers`")
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
        self.parts, offset = [], 0
        for _, vec in pipe.named_steps["features"].transformer_list:
            # Vectorizers configured alike (across models) share their n-gram counts.
            key = (vec.analyzer, vec.ngram_range, vec.preprocessor.__name__, vec.token_pattern)
            self.parts.append((key, vec.build_analyzer(), vec.vocabulary_, vec.idf_, offset))
            offset += len(vec.vocabulary_)
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

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Indices and TF-IDF values of the text's features."""
        indices: list[int] = []
        values: list[float] = []
        for key, analyze, vocabulary, idf, offset in self.parts:
            counts: dict[int, int] = {}
            for gram, n in _gram_counts(key, analyze, text).items():
                j = vocabulary.get(gram)
                if j is not None:
                    counts[j] = n
            if not counts:
                continue
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            vals = (1.0 + np.log(tf)) * idf[idx]
            vals /= np.sqrt((vals * vals).sum())
            indices.extend((idx + offset).tolist())
            values.extend(vals.tolist())
        return np.array(indices, dtype=np.int64), np.array(values, dtype=np.float64)

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
        accented = has_diacritics(text)
        usable = ("w__",) if accented else ("w__", "f__")
        # n-grams skip punctuation ("môn học , thầy" gives "học thầy"): keep contiguous ones.
        haystack = text.lower() if accented else fold(text)
        out: list[str] = []
        for k in np.argsort(-contrib):
            if contrib[k] <= 0 or len(out) == EXPLAIN_TOP:
                break
            name = self.names[indices[k]]
            if name.startswith(usable):
                phrase = name.split("__", 1)[1]
                if phrase not in out and phrase in haystack:
                    out.append(phrase)
        return out


_LAST = threading.local()  # per thread: the last text and its n-gram counts per configuration


def _gram_counts(key: tuple, analyze, text: str) -> Counter:
    """N-gram counts of `text`, computed once for the sentiment, toxicity, emotion models."""
    if getattr(_LAST, "text", None) is not text:
        _LAST.text, _LAST.grams = text, {}
    grams = _LAST.grams
    if key not in grams:
        grams[key] = Counter(analyze(text))
    return grams[key]


@cache
def compiled(task: str) -> Compiled:
    return Compiled(model(task))


def predict(task: str, text: str, explain: bool = True) -> Label:
    """Most probable class of `text` for `task`, with its probability and top words."""
    return compiled(task).predict(text, explain)


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
SENTIMENT_BODY_CHARS = 2_000  # an article's tone is set in its opening; bounds feature time


def social_text(doc, section) -> str:
    """What a social item says: the normalised text when there is one, else title + text."""
    return section.normalized or "\n".join(p for p in (section.title, section.text) if p)


def step_normalize(doc, section) -> None:
    """Social kinds only: teencode and abbreviations rewritten; the original stays in `text`."""
    if doc.kind in SOCIAL_KINDS:
        from nlp import teencode

        text = "\n".join(p for p in (section.title, section.text) if p)
        section.normalized = teencode.normalize(text)


def step_sentiment(doc, section) -> None:
    """Articles: title and lead count twice, then the body's opening; social: the text."""
    if doc.kind in SOCIAL_KINDS:
        text = social_text(doc, section)
    else:
        head = "\n".join(p for p in (section.title, section.lead) if p)
        text = "\n".join(p for p in (head, head, section.text[:SENTIMENT_BODY_CHARS]) if p)
    if text.strip():
        section.sentiment = predict("sentiment", text)


def step_toxicity(doc, section) -> None:
    if doc.kind in SOCIAL_KINDS and social_text(doc, section).strip():
        section.toxicity = predict("toxicity", social_text(doc, section))


def step_emotion(doc, section) -> None:
    if doc.kind in SOCIAL_KINDS and social_text(doc, section).strip():
        section.emotion = predict("emotion", social_text(doc, section))


def step_comment_flags(doc, section) -> None:
    """Comments under articles: toxic and constructive flags (ViCTSD is such comments)."""
    if doc.kind in SOCIAL_KINDS and social_text(doc, section).strip():
        section.toxic = predict("toxic", social_text(doc, section))
        section.constructive = predict("constructive", social_text(doc, section))


def step_category(doc, section) -> None:
    if doc.kind not in SOCIAL_KINDS:
        text = "\n".join(p for p in (section.title, section.lead, section.text) if p)
        if text.strip():
            section.category = predict("category", text)


STEPS = [("normalize", step_normalize), ("sentiment", step_sentiment),
         ("toxicity", step_toxicity), ("emotion", step_emotion),
         ("comment_flags", step_comment_flags), ("category", step_category)]
