"""Cross-validation of the public-data classifiers (evaluation/cv.py) on real ViCTSD comments."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from evaluation import cv
from nlp import domains
from nlp.models import textclf
from tests.paths import DATA


@pytest.fixture(scope="module")
def comments() -> list[dict]:
    lines = (DATA / "uit-victsd/train.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines[:600]]


def _task(rows: list[dict], **changes) -> textclf.Task:
    train = [(r["text"], r["constructiveness"], 1.0) for r in rows]
    return replace(textclf.Task("constructive", train, [], class_weight="balanced"), **changes)


@pytest.mark.parametrize("use_chars", [True, False])
def test_cv_indexed_vectorizers_equal_the_vectorizers_fed_the_texts(comments, use_chars):
    texts = [r["text"] for r in comments]
    analyses = cv.Analyses(texts)
    for union in (textclf.vectorizers(_task(comments, use_chars=use_chars, accented_chars=True)),
                  textclf.plain_svm().named_steps["tfidf"], domains.vectorizer(min_df=2)):
        expected = union.fit_transform(texts[:400]).toarray()
        ours = cv.indexed(union, analyses)
        assert (ours.fit_transform(np.arange(400)).toarray() == expected).all()
        assert (ours.transform(np.arange(400, 600)).toarray() ==
                union.transform(texts[400:]).toarray()).all()


def test_cv_scores_equal_fitting_each_fold_by_hand(comments):
    task = _task(comments)
    folds = cv.splits([r["constructiveness"] for r in comments], 3, 1)
    results = cv.run_task(task, {"shipped": task, "svm": None}, 3, 1, log=lambda _: None)
    texts = np.array([r["text"] for r in comments], dtype=object)
    gold = np.array([r["constructiveness"] for r in comments])
    by_hand = {"shipped": [], "svm": []}
    for train, test in folds:
        for name, pipe in (("shipped", textclf.pipeline(task)), ("svm", textclf.plain_svm())):
            pipe.fit(list(texts[train]), gold[train])
            by_hand[name].append(cv.label_metrics(gold[test], pipe.predict(list(texts[test]))))
    for name, per_fold in by_hand.items():
        for metric in cv.METRICS:
            values = [f[metric] for f in per_fold]
            assert results[name][metric][0] == pytest.approx(np.mean(values), abs=1e-9)
            assert results[name][metric][1] == pytest.approx(np.std(values, ddof=1), abs=1e-9)


def test_cv_repeats_are_stratified_and_keep_their_folds(comments):
    labels = [r["constructiveness"] for r in comments]
    one, two = cv.splits(labels, 5, 1), cv.splits(labels, 5, 2)
    assert len(two) == 10
    assert all((a[1] == b[1]).all() for a, b in zip(one, two[:5], strict=True))
    assert any(set(a[1]) != set(b[1]) for a, b in zip(two[:5], two[5:], strict=True))
    share = np.mean(np.array(labels) == "constructive")
    for _, test in two:
        assert np.mean(np.array(labels)[test] == "constructive") == pytest.approx(share, abs=0.02)


def test_cv_grouped_folds_keep_an_article_and_its_comments_on_one_side(comments):
    groups = [r["article_title"] for r in comments]
    labels = [r["article_topic"] for r in comments]
    for train, test in cv.splits(labels, 3, 2, groups):
        assert not {groups[i] for i in train} & {groups[i] for i in test}


def test_cv_gate_fails_a_shipped_model_that_does_not_beat_the_plain_svm():
    def result(ours, svm):
        return {"shipped": {"macro_f1": (ours, 0.01)}, "svm": {"macro_f1": (svm, 0.01)}}

    assert cv.beats_plain_svm({"toxic": result(0.70, 0.66)}) == []
    for ours in (0.66, 0.65):
        problems = cv.beats_plain_svm({"toxic": result(ours, 0.66)})
        assert len(problems) == 1 and "does not beat the plain SVM" in problems[0]


def test_cv_candidate_spec_sets_features_model_c_and_class_weight(comments):
    base = _task(comments)
    svm = cv.candidate(base, "wfcd svm C=0.3")
    assert (svm.model, svm.c, svm.class_weight, svm.use_chars, svm.accented_chars) == \
        ("svm", 0.3, None, True, True)
    lr = cv.candidate(base, "wf lr C=16 balanced")
    assert (lr.model, lr.c, lr.class_weight, lr.use_chars) == ("lr", 16.0, "balanced", False)
    assert lr.train is base.train


def test_cv_domain_metrics_ignore_rows_whose_gold_is_unknown():
    gold = {"health": np.array([1, 0, -1, 1]), "education": np.array([0, 0, 1, -1])}
    decided = {"health": np.array([True, True, True, False]),
               "education": np.array([False, False, True, True])}
    got = cv.domain_metrics(decided, gold)
    # health: tp 1, fp 1, fn 1 -> F1 0.5; education: tp 1 -> F1 1.0; pooled tp 2 fp 1 fn 1
    assert got == {"macro_f1": pytest.approx(0.75), "micro_f1": pytest.approx(2 / 3)}


def test_domain_lexicon_scores_are_the_saturated_hits():
    title, body = "Ngộ độc thực phẩm ở trường học", "Bệnh viện tiếp nhận 30 học sinh."
    hits = domains.lexicon_hits(title, body)
    assert {"health", "education"} <= hits.keys()
    for domain, (score, words) in domains.lexicon_scores(title, body, {"health": 20.0}).items():
        scale = 20.0 if domain == "health" else domains.LEXICON_SCALE
        assert score == pytest.approx(1 - np.exp(-hits[domain][0] / scale))
        assert words == hits[domain][1]
