"""Duplicate stories across outlets, persisted in SQLite (nlp/stories.py)."""

import json
import time
from datetime import UTC, datetime, timedelta

from langnghe.document import Document
from nlp import pipeline, stories
from tests.paths import DATA

T0 = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)


def _articles(n: int) -> list[dict]:
    lines = (DATA / "vntc-10topics" / "dev.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines[:n]]


def _syndicated(text: str) -> str:
    """Another outlet's copy: new title, last paragraph cut, boilerplate added."""
    lines = text.split("\n")
    return "\n".join(["Tin nóng: " + lines[0][:40]] + lines[1:-1]
                     + ["Theo báo Người Lao Động", "Mời bạn đọc gửi ý kiến."])


def test_stories_syndicated_copy_joins_the_original_story(tmp_path):
    a, b = _articles(2)
    with stories.StoryIndex(tmp_path / "s.sqlite") as index:
        first = index.assign(stories.Item("a", a["text"], "vnexpress", T0))
        copy = index.assign(stories.Item("a2", _syndicated(a["text"]), "nld", T0))
        other = index.assign(stories.Item("b", b["text"], "tuoitre", T0))
    assert first == copy == "a"
    assert other == "b"


def test_stories_same_topic_unrelated_articles_stay_apart(tmp_path):
    rows = [r for r in _articles(300) if r["label"] == "the_thao"][:20]
    with stories.StoryIndex(tmp_path / "s.sqlite") as index:
        ids = index.assign_many(stories.Item(f"d{i}", r["text"], "x") for i, r in enumerate(rows))
    assert ids == [f"d{i}" for i in range(len(rows))]


def test_stories_ids_are_stable_across_restarts_and_idempotent(tmp_path):
    (a,) = _articles(1)
    path = tmp_path / "s.sqlite"
    with stories.StoryIndex(path) as index:
        index.assign(stories.Item("a", a["text"], "vnexpress", T0))
    with stories.StoryIndex(path) as index:  # a new process, the same file
        assert index.assign(stories.Item("a2", _syndicated(a["text"]), "nld", T0)) == "a"
        assert index.assign(stories.Item("a2", "anything else now", "nld", T0)) == "a"
        assert index.story_info("a")["size"] == 2  # the re-assignment counted once


def test_stories_info_knows_first_publisher_and_outlets(tmp_path):
    (a,) = _articles(1)
    with stories.StoryIndex(tmp_path / "s.sqlite") as index:
        index.assign(stories.Item("late", a["text"], "vnexpress", T0 + timedelta(hours=3)))
        index.assign(stories.Item("early", _syndicated(a["text"]), "nld", T0))
        index.assign(stories.Item("again", _syndicated(a["text"]) + " Cập nhật", "nld", None))
        info = index.story_info("late")
    assert info == {"first_doc_id": "early", "first_source": "nld", "first_published": T0,
                    "outlets": 2, "size": 3}


def test_stories_short_comments_each_stand_alone(tmp_path):
    with stories.StoryIndex(tmp_path / "s.sqlite") as index:
        ids = index.assign_many([stories.Item("c1", "hay quá", "fb"),
                                 stories.Item("c2", "hay quá", "fb"),
                                 stories.Item("c3", "", "fb")])
    assert ids == ["c1", "c2", "c3"]


def test_stories_unknown_story_has_no_info(tmp_path):
    with stories.StoryIndex(tmp_path / "s.sqlite") as index:
        assert index.story_info("nope") is None


def test_stories_diacritics_do_not_split_a_story():
    (a,) = _articles(1)
    from langnghe.vietnamese import fold

    with stories.StoryIndex() as index:
        index.assign(stories.Item("a", a["text"], "vnexpress"))
        assert index.assign(stories.Item("b", fold(a["text"]), "forum")) == "a"


def test_stories_comment_size_text_is_fast(tmp_path):
    rows = [json.loads(line) for line in
            (DATA / "uit-victsd" / "train.jsonl").read_text("utf-8").splitlines()[:2000]]
    items = [stories.Item(f"c{i}", r["text"], "vnexpress") for i, r in enumerate(rows)]
    with stories.StoryIndex(tmp_path / "s.sqlite") as index:
        start = time.perf_counter()
        index.assign_many(items)
        elapsed = time.perf_counter() - start
    assert len(items) / elapsed > 500  # the benchmark measures ≥1,000/s; half for a busy CI


def test_stories_pipeline_batch_without_index_groups_within_the_batch():
    (a,) = _articles(1)
    base = dict(url="https://x.vn/1", canonical_url="https://x.vn/1")
    docs = [Document(id="a", source_id="vnexpress", text=a["text"], **base),
            Document(id="b", source_id="nld", text=_syndicated(a["text"]), **base)]
    out = pipeline.enrich(docs)
    assert [d.nlp.story_id for d in out] == ["a", "a"]


def test_stories_pipeline_uses_the_given_persistent_index(tmp_path):
    (a,) = _articles(1)
    base = dict(url="https://x.vn/1", canonical_url="https://x.vn/1")
    index = stories.StoryIndex.for_home(tmp_path)
    context = pipeline.EnrichContext(stories=index)
    pipeline.enrich([Document(id="a", source_id="vnexpress", text=a["text"], **base)], context)
    later = pipeline.enrich([Document(id="b", source_id="nld", text=_syndicated(a["text"]),
                                      **base)], context)
    index.close()
    assert later[0].nlp.story_id == "a"
    assert (tmp_path / "stories.sqlite").exists()


def test_stories_broken_index_is_recorded_on_the_document_and_the_batch_goes_on(tmp_path):
    base = dict(url="https://x.vn/1", canonical_url="https://x.vn/1", source_id="s")
    index = stories.StoryIndex(tmp_path / "s.sqlite")
    index.close()  # every assignment now fails
    docs = [Document(id="a", text="Lũ lớn ở Thanh Hóa", **base), Document(id="b", **base)]
    out = [pipeline.enrich_one(d, pipeline.EnrichContext(stories=index)) for d in docs]
    assert all(any(e.startswith("story: ") for e in d.nlp.errors) for d in out)
    assert out[0].nlp.entities and out[0].nlp.story_id is None  # the other steps still ran
