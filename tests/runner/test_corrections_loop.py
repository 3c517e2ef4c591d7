"""The learning loop: corrections made in the web app reach `make train`'s training sets."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from langnghe.document import Document, Label, NlpSection
from nlp import corrections as staff
from nlp import domains
from nlp.models import textclf
from runner.cli import main
from tests.paths import DATA
from web import corrections, db


def _rows(name: str, n: int) -> list[dict]:
    with open(DATA / "uit-vsfc" / name, encoding="utf-8") as handle:
        return [json.loads(line) for _, line in zip(range(n), handle, strict=False)]


def _doc(n: int, text: str, sentiment: str) -> Document:
    return Document(id=f"doc-{n}", url=f"https://example.vn/{n}",
                    canonical_url=f"https://example.vn/{n}", source_id="test", kind="comment",
                    text=text, nlp=NlpSection(sentiment=Label(label=sentiment, score=0.9)))


@pytest.fixture
def exported(tmp_path):
    """Three corrections recorded through the web app's code, exported by the CLI."""
    web_db = tmp_path / "home" / "web.sqlite"
    web_db.parent.mkdir()
    db.setup(web_db)
    positive = next(r for r in _rows("dev.jsonl", 400) if r["label"] == "positive")
    doc = _doc(1, positive["text"], "positive")
    corrections.record(web_db, doc, "sentiment", "neutral", "an")
    corrections.record(web_db, doc, "sentiment", "negative", "binh")  # changed their mind
    corrections.record(web_db, _doc(2, "Bệnh viện tỉnh quá tải bệnh nhân", "neutral"),
                       "domain", "health", "an")
    out = tmp_path / "corrections.jsonl"
    assert main(["corrections", "export", "--home", str(web_db.parent), "--out", str(out)]) == 0
    return out, positive["text"]


def test_export_keeps_every_correction_and_load_keeps_the_latest(exported):
    path, text = exported
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3
    items = staff.load(path)
    assert [(c.field, c.new) for c in items] == [("sentiment", "negative"), ("domain", "health")]
    assert staff.sentiment_examples(items) == [(text, "negative", staff.WEIGHT)]


def test_sentiment_training_set_gets_the_corrections(exported):
    path, text = exported
    task = textclf.sentiment_task(corrections=path)
    assert (text, "negative", staff.WEIGHT) in task.train
    assert task.notes["staff_corrections"] == 1


def test_a_correction_moves_the_retrained_model(exported):
    path, text = exported
    base = replace(textclf.sentiment_task(), train=[(r["text"], r["label"], 1.0)
                                                   for r in _rows("train.jsonl", 1500)])
    fixed = replace(base, train=base.train + staff.sentiment_examples(staff.load(path)))

    def p_negative(task) -> float:
        pipe = textclf.fit(task)["pipeline"]
        return float(pipe.predict_proba([text])[0][list(pipe.classes_).index("negative")])

    assert p_negative(fixed) > p_negative(base) + 0.1


def test_domain_correction_targets(exported):
    path, _ = exported
    (example,) = staff.domain_examples(staff.load(path))
    text, dataset, topic = example
    assert domains.target(dataset, topic, "health") == 1
    assert domains.target(dataset, topic, "education") is None  # a correction says nothing of it
    assert text == "Bệnh viện tỉnh quá tải bệnh nhân"


def test_domain_correction_of_a_wrong_label_is_a_negative_example():
    assert domains.target("correction", "health|education", "education") == 0


def test_corrections_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"doc_id": "a", "field": "sentiment", "new": "negative", "text": "x"}\n'
                   '{"doc_id": "b", "field": "emotion", "new": "Joy", "text": "y"}\n')
    with pytest.raises(staff.CorrectionsError, match=r"c.jsonl:2: field 'emotion'"):
        staff.load(bad)
