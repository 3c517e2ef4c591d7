"""Classifiers (nlp/classify.py) on real dev-split texts: labels, probabilities, explanations."""

from __future__ import annotations

import json

import pytest

from langnghe.vietnamese import fold
from nlp import classify
from tests.paths import DATA


def _rows(path: str, n: int) -> list[dict]:
    lines = (DATA / path).read_text("utf-8").splitlines()
    step = max(len(lines) // n, 1)  # spread over the file: some splits are grouped by label
    return [json.loads(line) for line in lines[::step][:n]]


def _accuracy(task: str, rows: list[dict], label=lambda r: r["label"], prep=lambda t: t) -> float:
    hits = sum(classify.predict(task, prep(r["text"]), explain=False).label == label(r)
               for r in rows)
    return hits / len(rows)


@pytest.fixture(scope="module")
def vsfc() -> list[dict]:
    return _rows("uit-vsfc/dev.jsonl", 300)


@pytest.mark.parametrize(("task", "path", "n", "label", "floor"), [
    ("sentiment", "uit-vsfc/dev.jsonl", 300, lambda r: r["label"], 0.85),
    ("toxicity", "uit-vihsd/dev.jsonl", 300, lambda r: r["label"].lower(), 0.75),
    ("emotion", "uit-vsmec/valid.jsonl", 300, lambda r: r["label"], 0.5),
    ("category", "vntc-10topics/dev.jsonl", 60, lambda r: r["label"], 0.8),
    ("constructive", "uit-victsd/valid.jsonl", 200, lambda r: r["constructiveness"], 0.7),
])
def test_classifier_agrees_with_dev_labels(task, path, n, label, floor):
    # floors well under the measured dev scores (python -m evaluation.nlp): a broken model,
    # a label mix-up or a feature mismatch drops far below them.
    assert _accuracy(task, _rows(path, n), label) > floor


@pytest.mark.parametrize(("text", "label"), [
    ("giảng buồn ngủ .", "negative"),  # VSFC dev-1
    ("thầy dạy rất nhiệt tình và dễ hiểu .", "positive"),
])
def test_sentiment_clear_examples(text, label):
    assert classify.predict("sentiment", text).label == label


def test_sentiment_works_without_diacritics(vsfc):
    assert _accuracy("sentiment", vsfc, prep=fold) > 0.8


def test_prediction_score_is_the_winning_probability():
    result = classify.predict("emotion", "hôm nay vui quá 😍")
    assert result.label in {"Enjoyment", "Sadness", "Anger", "Fear", "Disgust", "Surprise", "Other"}
    assert 1 / 7 <= result.score <= 1.0


@pytest.mark.parametrize("task", ["sentiment", "toxicity", "emotion"])
def test_explanation_words_come_from_the_input(task, vsfc):
    for row in vsfc[:40]:
        result = classify.predict(task, row["text"])
        for phrase in result.explanation:
            assert phrase in row["text"].lower()


def test_explanation_of_unaccented_input_uses_its_words():
    text = "giang vien day rat hay va nhiet tinh"
    result = classify.predict("sentiment", text)
    assert result.label == "positive" and result.explanation
    assert all(phrase in text for phrase in result.explanation)


def test_classifier_handles_empty_and_emoji_only_text():
    for text in ("", "😍😍😍", "ok " * 20000):
        assert 0.0 < classify.predict("toxicity", text).score <= 1.0


def test_classifier_unknown_task_names_the_valid_ones():
    with pytest.raises(ValueError, match="sentiment"):
        classify.predict("sarcasm", "x")


@pytest.mark.parametrize("task", ["toxic", "sentiment"])
def test_probabilities_at_temperature_one_equal_the_model_own(task):
    blob = classify.model(task)
    features = blob["pipeline"].named_steps["features"].transform(["ko hay lắm", "rất tốt"])
    clf = blob["pipeline"].named_steps["clf"]
    ours = classify.probabilities(clf, features, 1.0)
    assert ours == pytest.approx(clf.predict_proba(features), abs=1e-6)
    softer = classify.probabilities(clf, features, 2.0)
    assert (softer.max(axis=1) <= ours.max(axis=1) + 1e-9).all()


@pytest.mark.parametrize("task", ["emotion", "toxic", "category"])
def test_compiled_scoring_equals_the_trained_pipeline(task, vsfc):
    blob, fast = classify.model(task), classify.compiled(task)
    texts = [r["text"] for r in vsfc[:20]] + ["Giá xăng tăng mạnh tại Hà Nội", "ko biết nữa 😂"]
    features = blob["pipeline"].named_steps["features"].transform(texts)
    expected = classify.probabilities(blob["pipeline"].named_steps["clf"], features,
                                      blob["temperature"])
    for text, row in zip(texts, expected, strict=True):
        assert fast.proba(*fast.features(text)) == pytest.approx(row, abs=1e-5)
