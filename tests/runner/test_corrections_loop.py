"""The learning loop: corrections made in the web app reach `make train`'s training sets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from langnghe.document import Document, Label, NlpSection
from nlp import corrections as staff
from nlp import domains
from nlp.models import tone, tone_corpus
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
    assert [(c.field, c.new, c.kind) for c in items] == [("sentiment", "negative", "comment"),
                                                         ("domain", "health", "comment")]
    assert staff.tone_examples(items, "comments") == [(text, "negative", staff.WEIGHT)]
    assert staff.tone_examples(items, "news") == []  # a comment does not teach the news model


def test_an_article_correction_keeps_the_title_and_lead_the_news_model_reads(tmp_path):
    web_db = tmp_path / "web.sqlite"
    doc = Document(id="a-1", url="https://example.vn/a", canonical_url="https://example.vn/a",
                   source_id="test", kind="article", title="Khánh thành bệnh viện tỉnh",
                   lead="Bệnh viện 500 giường đi vào hoạt động.", text="Thân bài. " * 500,
                   nlp=NlpSection(sentiment=Label(label="neutral", score=0.7)))
    corrections.record(web_db, doc, "sentiment", "positive", "an")
    (row,) = corrections.corrections(web_db)
    assert row["kind"] == "article"
    assert row["text"] == "Khánh thành bệnh viện tỉnh. Bệnh viện 500 giường đi vào hoạt động."


def test_old_exports_without_a_kind_are_left_out_of_the_tone_sets(tmp_path):
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps({"doc_id": "d", "field": "sentiment", "new": "negative",
                                "text": "Tin cũ"}) + "\n", "utf-8")
    items = staff.load(path)
    assert staff.tone_examples(items, "news") == staff.tone_examples(items, "comments") == []


def test_a_correction_moves_the_retrained_tone_model(exported):
    path, text = exported
    rows = tone_corpus.load("comments", "train")[:1200]
    texts = [tone.tone_input("comments", r["text"]) for r in rows]
    labels = [r["label"] for r in rows]
    candidate = tone.CANDIDATES["comments"][tone.CHOSEN["comments"]]
    extra = staff.tone_examples(staff.load(path), "comments")

    def negative_margin(more) -> float:
        """The negative class's decision score less the best other's (> 0: called negative)."""
        model = tone.Linear(candidate, "comments").fit(
            texts + [tone.tone_input("comments", t) for t, _, _ in more],
            labels + [label for _, label, _ in more], [1.0] * len(texts) + [w for *_, w in more])
        scores = model.scores([tone.tone_input("comments", text)])[0]
        negative = list(model.pipe.classes_).index("negative")
        return float(scores[negative] - np.delete(scores, negative).max())

    before, after = negative_margin([]), negative_margin(extra)
    print(f"negative margin {before:.3f} -> {after:.3f}")
    assert after > before + 0.1


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
