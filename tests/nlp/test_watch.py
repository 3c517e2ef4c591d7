"""Watch topics: YAML loading with clear errors and matching at ingest (nlp/watch.py)."""

from pathlib import Path

import pytest

from langnghe.document import Document, Label, NlpSection
from langnghe.query import matches, parse
from nlp import pipeline, watch

TOPICS = """
topics:
  - id: lu-thanh-hoa
    name: Lũ lụt Thanh Hóa
    query: (lũ OR "sạt lở") "Thanh Hóa"
  - id: y-te
    name: Y tế
    query: domain:health
  - id: ngo-doc
    name: Ngộ độc không phải diễn tập
    query: ngộ độc -"diễn tập"
  - id: khong-vnexpress
    name: Mọi nguồn trừ VnExpress
    query: NOT source:vnexpress
"""


def _doc(title: str, text: str = "", **kw) -> Document:
    base = dict(id="d1", url="https://x.vn/1", canonical_url="https://x.vn/1", source_id="bao")
    return Document(**{**base, **kw}, title=title, text=text)


@pytest.fixture()
def topics(tmp_path: Path) -> list[watch.WatchTopic]:
    path = tmp_path / "topics.yaml"
    path.write_text(TOPICS, encoding="utf-8")
    return watch.load_topics(path)


def test_watch_load_topics_parses_each_query_once(topics):
    assert [t.id for t in topics] == ["lu-thanh-hoa", "y-te", "ngo-doc", "khong-vnexpress"]
    assert topics[0].node == parse(topics[0].query)


def test_watch_matches_accented_and_folded_text(topics):
    accented = _doc("Lũ quét ở Thanh Hoá", source_id="vnexpress")
    plain = _doc("lu quet o thanh hoa", source_id="vnexpress")
    assert watch.match_topics(accented, topics) == ["lu-thanh-hoa"]
    assert watch.match_topics(plain, topics) == ["lu-thanh-hoa"]


def test_watch_not_and_phrase_exclusion(topics):
    real = _doc("20 công nhân ngộ độc thực phẩm", source_id="vnexpress")
    drill = _doc("Diễn tập xử lý ngộ độc", "Buổi diễn tập ngộ độc ở bệnh viện",
                 source_id="vnexpress")
    assert "ngo-doc" in watch.match_topics(real, topics)
    assert "ngo-doc" not in watch.match_topics(drill, topics)


def test_watch_filters_see_the_nlp_section(topics):
    section = NlpSection(title="Bệnh viện quá tải", domains=[Label(label="health", score=0.9)])
    doc = _doc("Bệnh viện quá tải", source_id="tuoitre")
    assert watch.match_topics(doc, topics, section) == ["y-te", "khong-vnexpress"]


def test_watch_normalized_social_text_is_matched_too():
    topic = [watch.topic("khong-dien", "Mất điện", '"không có điện"')]
    doc = _doc("", "ko co dien tu sang", kind="comment")
    section = NlpSection(text="ko co dien tu sang", normalized="không có điện từ sáng")
    assert watch.match_topics(doc, topic, section) == ["khong-dien"]
    assert watch.match_topics(doc, topic, section.model_copy(update={"normalized": None})) == []


def test_watch_agrees_with_the_query_module(topics):
    doc = _doc("Sạt lở ở Thanh Hóa", "Mưa lớn gây sạt lở", source_id="vnexpress")
    texts = {"title": doc.title, "lead": doc.lead, "text": doc.text}
    expected = [t.id for t in topics if matches(t.node, texts, {"source": ["vnexpress"],
                                                                "kind": ["article"]})]
    assert watch.match_topics(doc, topics) == expected


def test_watch_pipeline_fills_topics_from_context(topics):
    doc = _doc("Lũ lớn ở Thanh Hóa", source_id="vnexpress")
    out = pipeline.enrich([doc], pipeline.EnrichContext(topics=topics))[0]
    assert out.nlp.topics == ["lu-thanh-hoa"] and out.nlp.errors == []
    assert pipeline.enrich([doc])[0].nlp.topics == []  # no context: no topics, no error


@pytest.mark.parametrize("content,message", [
    ("topics:\n  - id: a\n    name: A\n    query: '(lũ'\n",
     r"topic #1 \(a\): field `query`: Truy vấn không hợp lệ.*ngoặc đóng"),
    ("- id: a\n  name: A\n", r"topic #1 \(a\): field `query` is required"),
    ("- id: a\n  query: lũ\n", r"topic #1 \(a\): field `name` is required"),
    ("- id: A B\n  name: A\n  query: lũ\n", r"field `id` 'A B' must be lower-case"),
    ("- id: a\n  name: A\n  query: lũ\n  color: red\n", r"unknown field\(s\) \['color'\]"),
    ("- id: a\n  name: A\n  query: lũ\n- id: a\n  name: B\n  query: bão\n",
     r"topic #2: id 'a' already used by topic #1"),
    ("topics: 3\n", r"expected a list of topics"),
    ("- just a string\n", r"topic #1: expected a mapping"),
    ("topics: [\n", r"not valid YAML"),
    ("- id: a\n  name: A\n  query: 'title: '\n", r"field `query`: Truy vấn không hợp lệ"),
])
def test_watch_yaml_errors_name_file_entry_and_field(tmp_path: Path, content, message):
    path = tmp_path / "topics.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(watch.TopicError, match=message) as err:
        watch.load_topics(path)
    assert str(path) in str(err.value)


def test_watch_empty_file_means_no_topics(tmp_path: Path):
    path = tmp_path / "topics.yaml"
    path.write_text("", encoding="utf-8")
    assert watch.load_topics(path) == []


def test_watch_place_filter_matches_the_resolved_units_at_ingest():
    """`place:` in a topic sees the 2025 units the document's places resolved to: a former
    district of Thanh Hóa matches the province, whatever the spelling in the query."""
    text = "Mưa lũ ở huyện Mường Lát làm sập 3 nhà, tỉnh Thanh Hóa đã sơ tán dân."
    doc = pipeline.enrich_one(_doc("Lũ quét ở vùng cao", text))
    topics = [watch.topic("th", "Thanh Hóa", 'place:"thanh hoa"'),
              watch.topic("hn", "Hà Nội", 'place:"Hà Nội"')]
    assert watch.match_topics(doc, topics) == ["th"]
