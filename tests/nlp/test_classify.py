"""Classifiers (nlp/classify.py) on real dev-split texts: labels, probabilities, explanations."""

from __future__ import annotations

import json

import pytest

from nlp import classify
from nlp.models import textclf
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
    ("toxicity", "uit-vihsd/dev.jsonl", 300, lambda r: r["label"].lower(), 0.75),
    ("emotion", "uit-vsmec/valid.jsonl", 300, lambda r: r["label"], 0.5),
    ("category", "vntc-10topics/dev.jsonl", 60, lambda r: r["label"], 0.8),
    ("constructive", "uit-victsd/valid.jsonl", 200, lambda r: r["constructiveness"], 0.7),
    ("toxic", "uit-victsd/valid.jsonl", 200, lambda r: r["toxicity"], 0.8),
])
def test_classifier_agrees_with_dev_labels(task, path, n, label, floor):
    # floors well under the measured dev scores (python -m evaluation.nlp): a broken model,
    # a label mix-up or a feature mismatch drops far below them.
    assert _accuracy(task, _rows(path, n), label) > floor


# The sentiment field's models (tone-news, tone-comments) are tested in tests/nlp/test_tone.py.


def test_prediction_score_is_the_winning_probability():
    result = classify.predict("emotion", "hôm nay vui quá 😍")
    assert result.label in {"Enjoyment", "Sadness", "Anger", "Fear", "Disgust", "Surprise", "Other"}
    assert 1 / 7 <= result.score <= 1.0


@pytest.mark.parametrize("task", ["toxicity", "emotion", "constructive"])
def test_explanation_words_come_from_the_input(task, vsfc):
    for row in vsfc[:40]:
        result = classify.predict(task, row["text"])
        for phrase in result.explanation:
            assert phrase in row["text"].lower()


def test_explanation_of_unaccented_input_uses_its_words():
    text = "hom nay vui qua, cam on moi nguoi rat nhieu"
    result = classify.predict("emotion", text)
    assert result.label == "Enjoyment" and result.explanation
    assert all(phrase in text for phrase in result.explanation)


def test_classifier_handles_empty_and_emoji_only_text():
    for text in ("", "😍😍😍", "ok " * 20000):
        assert 0.0 < classify.predict("toxicity", text).score <= 1.0


def test_classifier_unknown_task_names_the_valid_ones():
    with pytest.raises(ValueError, match="toxicity"):
        classify.predict("sarcasm", "x")


def test_classifier_sentiment_of_vsfc_is_no_longer_shipped():
    # the `sentiment` field comes from the tone models; the VSFC recipe is only rebuilt by
    # nlp/models/tone.py as the previous model to compare with
    assert "sentiment" not in textclf.TASKS
    assert not (classify.ARTIFACTS / "sentiment-v1").exists()
    with pytest.raises(ValueError, match="unknown classifier model 'sentiment'"):
        classify.model("sentiment")


@pytest.mark.parametrize("labels", [["tốt", "tệ"], ["tốt", "tệ", "bình thường"]])
def test_probabilities_at_temperature_one_equal_logistic_regression_own(vsfc, labels):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [r["text"] for r in vsfc]
    features = TfidfVectorizer().fit_transform(texts)
    clf = LogisticRegression().fit(features, [labels[i % len(labels)] for i in range(len(texts))])
    ours = classify.probabilities(clf, features, 1.0)
    assert ours == pytest.approx(clf.predict_proba(features), abs=1e-6)
    softer = classify.probabilities(clf, features, 2.0)
    assert (softer.max(axis=1) <= ours.max(axis=1) + 1e-9).all()


@pytest.mark.parametrize("task", list(textclf.TASKS))
def test_shipped_artifact_is_the_configuration_cross_validation_chose(task):
    # evaluation/cv.py gates textclf.TASKS: the artifact must be that configuration, trained
    chosen, pipe = textclf.TASKS[task](), classify.model(task)["pipeline"]
    clf = pipe.named_steps["clf"]
    assert type(clf) is type(textclf.classifier(chosen))
    assert (clf.C, clf.class_weight) == (chosen.c, chosen.class_weight)
    parts = [name for name, _ in pipe.named_steps["features"].transformer_list]
    assert parts == [name for name, _ in textclf.vectorizers(chosen).transformer_list]


@pytest.mark.parametrize("task", list(textclf.TASKS))
def test_compiled_scoring_equals_the_trained_pipeline(task, vsfc):
    blob, fast = classify.model(task), classify.compiled(task)
    texts = [r["text"] for r in vsfc[:20]] + ["Giá xăng tăng mạnh tại Hà Nội", "ko biết nữa 😂"]
    features = blob["pipeline"].named_steps["features"].transform(texts)
    expected = classify.probabilities(blob["pipeline"].named_steps["clf"], features,
                                      blob["temperature"])
    for text, row in zip(texts, expected, strict=True):
        assert fast.proba(*fast.features(text)) == pytest.approx(row, abs=1e-5)
