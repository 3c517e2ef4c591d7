"""The learned enrich steps inside nlp.pipeline: which kinds get which labels, and resilience."""

from __future__ import annotations

import json

from langnghe.document import Document
from nlp import pipeline
from tests.paths import DATA


def _doc(kind: str, text: str, title: str = "") -> Document:
    return Document(id=f"{kind}-1", url="https://x.vn/1", canonical_url="https://x.vn/1",
                    source_id="test", kind=kind, title=title, text=text)


def _first(path: str) -> dict:
    return json.loads((DATA / path).read_text("utf-8").splitlines()[0])


def test_enrich_comment_gets_normalized_text_and_social_labels():
    doc = pipeline.enrich_one(_doc("comment", "ko hiểu sao mấy bạn vk ck cãi nhau hoài 😂"))
    nlp = doc.nlp
    assert nlp.normalized.startswith("không hiểu sao") and "vợ chồng" in nlp.normalized
    assert nlp.text.startswith("ko hiểu")  # the original is kept for display
    assert nlp.sentiment and nlp.toxicity and nlp.emotion
    assert nlp.category is None
    assert nlp.toxicity.label in {"clean", "offensive", "hate"}


def test_enrich_article_gets_category_and_sentiment():
    row = _first("vntc-10topics/dev.jsonl")
    title, _, body = row["text"].partition("\n")
    nlp = pipeline.enrich_one(_doc("article", body, title=title)).nlp
    assert nlp.category.label == row["label"]
    assert nlp.sentiment.label in {"negative", "neutral", "positive"}
    assert nlp.toxicity is None and nlp.emotion is None and nlp.normalized is None
    assert "_" in nlp.segmented


def test_enrich_survives_a_failing_step(monkeypatch):
    def broken(doc, section):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "STEPS", [("broken", broken), *pipeline.STEPS])
    nlp = pipeline.enrich_one(_doc("comment", "dở tệ, ko bao giờ mua lại")).nlp
    assert any(error.startswith("broken: RuntimeError") for error in nlp.errors)
    assert nlp.sentiment is not None and nlp.normalized is not None


def test_enrich_odd_documents_do_not_crash():
    for text in ("", "😍😍😍", "\x00\x01 \u200b", "ok " * 60000):
        doc = pipeline.enrich_one(_doc("comment", text))
        ours = {"normalize", "sentiment", "toxicity", "emotion"}
        assert doc.nlp is not None
        assert not [e for e in doc.nlp.errors if e.split(":")[0] in ours]
