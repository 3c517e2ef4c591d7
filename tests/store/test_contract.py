"""The store contract: every backend passes these unchanged (fixture `store` in conftest.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from langnghe.document import VN_TZ, Document, Entity, Label, NlpSection
from langnghe.query import QueryError
from store.base import Filters
from tests.store.conftest import T0, make_doc, real_sentences


def titles(result) -> list[str]:
    return [hit.doc.title for hit in result.hits]


def found(store, query: str, **kwargs) -> set[str]:
    return {hit.doc.title for hit in store.search(query, limit=100, **kwargs).hits}


# ---- writing and reading back --------------------------------------------------------------

def test_get_round_trips_whole_document(store):
    doc = make_doc(1, "Mưa lũ ở Thanh Hóa", "Nước sông Mã dâng cao.", lead="Sapo",
                   authors=["Lê Văn A"], section="thoi-su", engagement={"likes": 3},
                   fetched_at=T0 + timedelta(minutes=3),
                   nlp=NlpSection(title="Mưa lũ ở Thanh Hóa", text="Nước sông Mã dâng cao.",
                                  sentiment=Label(label="negative", score=0.91),
                                  entities=[Entity(text="Thanh Hóa", type="LOC", start=9,
                                                   end=18)]))
    store.upsert([doc])
    back = store.get(doc.id)
    assert back == doc
    assert back.to_json() == doc.to_json()
    assert store.get("no-such-id") is None


def test_upsert_same_documents_twice_keeps_one_copy(store):
    docs = [make_doc(i, f"Bài số {i} về giá vàng") for i in range(3)]
    assert store.upsert(docs) == 3
    store.upsert(docs)
    assert store.count() == 3
    assert store.search("giá vàng").total == 3


def test_upsert_replaces_indexed_text(store):
    store.upsert([make_doc(1, "Cháy chợ Đồng Xuân")])
    store.upsert([make_doc(1, "Lũ quét ở Lào Cai")])
    assert store.search("cháy").total == 0
    assert titles(store.search("lũ quét")) == ["Lũ quét ở Lào Cai"]
    assert store.count() == 1


def test_upsert_duplicate_id_within_batch_keeps_last(store):
    store.upsert([make_doc(1, "bản đầu"), make_doc(1, "bản sau")])
    assert store.count() == 1
    assert store.get(make_doc(1).id).title == "bản sau"


def test_search_uses_nlp_section_when_present(store):
    nlp = NlpSection(title="Tiêu đề đã làm sạch", text="")  # empty: the raw text stands in
    store.upsert([make_doc(1, "Tiêu đề thô", "Nội dung gốc", nlp=nlp)])
    assert store.search("sạch").total == 1
    assert store.search("thô").total == 0
    assert store.search("gốc").total == 1


# ---- Vietnamese matching -------------------------------------------------------------------

@pytest.mark.parametrize("query", ["thanh hoa", "Thanh Hóa", "Thanh Hoá", "THANH HÓA",
                                   '"thanh hoa"', "thanh* hóa"])
def test_search_matches_with_and_without_diacritics(store, filler, query):
    store.upsert([*filler, make_doc(1, "Mưa lớn ở Thanh Hóa")])
    assert titles(store.search(query)) == ["Mưa lớn ở Thanh Hóa"]


def test_search_old_tone_placement_in_document_matches(store, filler):
    store.upsert([*filler, make_doc(1, "Hoà bình và hợp tác", "Hội nghị ở Thanh Hoá")])
    assert store.search("hòa bình").total == 1
    assert store.search('"Thanh Hóa"').total == 1


@pytest.mark.parametrize("query", ["duong", "đường", "ĐƯỜNG", "Duong"])
def test_search_folds_d_stroke(store, filler, query):
    store.upsert([*filler, make_doc(1, "Đường sắt cao tốc"), make_doc(2, "", "sửa duong lang")])
    assert store.search(query).total == 2


def test_search_exact_diacritics_rank_first(store, filler):
    # the exact match sits in a long body; the others have the folded words in short titles
    body = " ".join(real_sentences(8, avoid=("thanh", "hoa", "hóa")))
    store.upsert([*filler,
                  make_doc(1, "thanh hoa thanh hoa", hours=2),
                  make_doc(2, "Thành hóa nhanh", hours=3),
                  make_doc(3, "Tin trong ngày", body + " Ở Thanh Hóa trời mưa.", hours=1)])
    assert titles(store.search("Thanh Hóa"))[0] == "Tin trong ngày"
    assert titles(store.search("Thanh Hoá"))[0] == "Tin trong ngày"
    # typed without diacritics: no exact preference, the title matches win
    assert titles(store.search("thanh hoa"))[-1] == "Tin trong ngày"


def test_search_title_match_outranks_body_match(store, filler):
    store.upsert([*filler,
                  make_doc(1, "Tin trong ngày", "Bão số 3 đổ bộ vào miền Bắc.", hours=5),
                  make_doc(2, "Bão số 3 đổ bộ", "Tin trong ngày ở miền Bắc.", hours=1)])
    assert titles(store.search("bão")) == ["Bão số 3 đổ bộ", "Tin trong ngày"]


# ---- the query language --------------------------------------------------------------------

@pytest.fixture
def corpus(store, filler):
    store.upsert([*filler,
                  make_doc(1, "Cháy lớn ở Hà Nội", "Lửa bùng lên trong đêm.", lead="Sáng nay",
                           source_id="vnexpress", section="thoi-su", authors=["Trần Bình"]),
                  make_doc(2, "Diễn tập chữa cháy", "Lính cứu hỏa diễn tập ở Đà Nẵng.",
                           source_id="tuoitre", kind="post", language="en"),
                  make_doc(3, "Bão số 3 vào Hà Nội", "Mưa lớn kéo dài, cháy rừng ở Nghệ An.",
                           source_id="vnexpress", kind="comment"),
                  make_doc(4, "Lũ lụt miền Trung", "Nước lũ dâng cao ở Quảng Bình.",
                           source_id="dantri",
                           nlp=NlpSection(title="Lũ lụt miền Trung",
                                          text="Nước lũ dâng cao ở Quảng Bình.",
                                          sentiment=Label(label="negative", score=0.9),
                                          domains=[Label(label="environment", score=0.8)],
                                          topics=["thien-tai"], story_id="story-7",
                                          entities=[Entity(text="Quảng Bình", type="LOC",
                                                           start=20, end=30)]))])
    return store


ALL = {"Cháy lớn ở Hà Nội", "Diễn tập chữa cháy", "Bão số 3 vào Hà Nội", "Lũ lụt miền Trung"}


@pytest.mark.parametrize(("query", "expected"), [
    ("cháy hà nội", {"Cháy lớn ở Hà Nội", "Bão số 3 vào Hà Nội"}),
    ("cháy AND diễn", {"Diễn tập chữa cháy"}),
    ('"cháy lớn"', {"Cháy lớn ở Hà Nội"}),
    ('"lớn cháy"', set()),
    ("bão OR lũ", {"Bão số 3 vào Hà Nội", "Lũ lụt miền Trung"}),
    ('cháy NOT "diễn tập"', {"Cháy lớn ở Hà Nội", "Bão số 3 vào Hà Nội"}),
    ("cháy -diễn", {"Cháy lớn ở Hà Nội", "Bão số 3 vào Hà Nội"}),
    ("(bão OR diễn) cháy", {"Diễn tập chữa cháy", "Bão số 3 vào Hà Nội"}),
    ("cháy -(bão OR diễn)", {"Cháy lớn ở Hà Nội"}),
    ("chữ*", {"Diễn tập chữa cháy"}),
    ("chu*", {"Diễn tập chữa cháy"}),
    ("title:cháy", {"Cháy lớn ở Hà Nội", "Diễn tập chữa cháy"}),
    ("text:cháy", {"Bão số 3 vào Hà Nội"}),
    ("lead:sáng", {"Cháy lớn ở Hà Nội"}),
    ('title:"hà nội"', {"Cháy lớn ở Hà Nội", "Bão số 3 vào Hà Nội"}),
])
def test_search_query_language(corpus, query, expected):
    assert found(corpus, query) & ALL == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("NOT cháy", {"Lũ lụt miền Trung"}),
    ("-cháy", {"Lũ lụt miền Trung"}),
    ('-"hà nội" -lũ', {"Diễn tập chữa cháy"}),
    ("NOT source:vnexpress", {"Diễn tập chữa cháy", "Lũ lụt miền Trung"}),
])
def test_search_pure_negative_means_everything_except(corpus, query, expected):
    filler_free = {t for t in found(corpus, query) if t in ALL}
    assert filler_free == expected
    assert corpus.search(query).total == len(expected) + 20  # the 20 filler documents match too


@pytest.mark.parametrize(("query", "expected"), [
    ("source:vnexpress", {"Cháy lớn ở Hà Nội", "Bão số 3 vào Hà Nội"}),
    ("source:VnExpress cháy", {"Cháy lớn ở Hà Nội", "Bão số 3 vào Hà Nội"}),
    ("kind:post", {"Diễn tập chữa cháy"}),
    ("lang:en", {"Diễn tập chữa cháy"}),
    ("section:thoi-su", {"Cháy lớn ở Hà Nội"}),
    ('author:"Trần Bình"', {"Cháy lớn ở Hà Nội"}),
    ('author:"tran binh"', {"Cháy lớn ở Hà Nội"}),
    ("sentiment:negative", {"Lũ lụt miền Trung"}),
    ("domain:environment", {"Lũ lụt miền Trung"}),
    ("topic:thien-tai", {"Lũ lụt miền Trung"}),
    ("story:story-7", {"Lũ lụt miền Trung"}),
    ('entity:"Quảng Bình"', {"Lũ lụt miền Trung"}),
    ("entity:quang", set()),
    ("source:dantri OR kind:post", {"Lũ lụt miền Trung", "Diễn tập chữa cháy"}),
    ("cháy OR source:dantri", {"Cháy lớn ở Hà Nội", "Diễn tập chữa cháy", "Bão số 3 vào Hà Nội",
                               "Lũ lụt miền Trung"}),
    ("source:vnexpress -kind:comment", {"Cháy lớn ở Hà Nội"}),
])
def test_search_filter_fields(corpus, query, expected):
    assert found(corpus, query) == expected


@pytest.mark.parametrize("query", ['"thiếu đóng', "a AND (", "(bão", "cháy OR", "foo:bar",
                                   "NOT", '""', "title:", "***"])
def test_search_malformed_query_raises_query_error(corpus, query):
    with pytest.raises(QueryError):
        corpus.search(query)


@pytest.mark.parametrize("query", ["NEAR(cháy lửa)", "cháy^2", "{title}:cháy", "cháy:",
                                   "'cháy'", "a.b.c", "c++ OR c#", "+cháy", "cháy -", "*cháy",
                                   "x" * 900, "(" * 60 + "cháy" + ")" * 60, "bão " * 60,
                                   "%_\\", "AND AND", "ORE NOTE ANDY"])
def test_search_hostile_text_never_leaks_engine_errors(corpus, query):
    try:
        result = corpus.search(query)
    except QueryError:
        return
    assert result.total >= 0


# ---- filters, sorting, paging --------------------------------------------------------------

@pytest.fixture
def timeline(store):
    store.upsert([make_doc(i, f"Giá xăng ngày {i}", hours=24 * i,
                           source_id="vnexpress" if i % 2 else "tuoitre",
                           kind="article" if i < 4 else "post") for i in range(6)])
    return store


def test_search_filters_time_range(timeline):
    since, until = T0 + timedelta(days=2), T0 + timedelta(days=4)
    result = timeline.search("xăng", Filters(since=since, until=until), sort="oldest")
    assert titles(result) == ["Giá xăng ngày 2", "Giá xăng ngày 3"]


def test_search_time_falls_back_to_fetched_at(store):
    store.upsert([make_doc(1, "không rõ ngày đăng", published_at=None,
                           fetched_at=T0 + timedelta(days=10)),
                  make_doc(2, "đăng sớm", hours=0)])
    result = store.search("", Filters(since=T0 + timedelta(days=5)))
    assert titles(result) == ["không rõ ngày đăng"]


def test_search_filters_sources_and_kinds(timeline):
    result = timeline.search("", Filters(sources=("tuoitre",), kinds=("post",)))
    assert titles(result) == ["Giá xăng ngày 4"]
    assert timeline.search("", Filters(sources=("tuoitre", "vnexpress"))).total == 6


@pytest.mark.parametrize(("sort", "first"), [("newest", 5), ("oldest", 0)])
def test_search_sorts_by_time(timeline, sort, first):
    result = timeline.search("giá xăng", sort=sort)
    days = [int(t.rsplit(" ", 1)[1]) for t in titles(result)]
    assert days[0] == first
    assert days == sorted(days, reverse=sort == "newest")


def test_search_empty_query_lists_everything_newest_first(timeline):
    result = timeline.search("")
    assert result.total == 6
    assert titles(result)[0] == "Giá xăng ngày 5"


def test_search_paginates_with_stable_total(timeline):
    pages = [timeline.search("xăng", sort="newest", limit=2, offset=o) for o in (0, 2, 4, 6)]
    assert [p.total for p in pages] == [6, 6, 6, 6]
    seen = [t for p in pages for t in titles(p)]
    assert len(seen) == 6 and len(set(seen)) == 6
    assert pages[3].hits == []


# ---- highlights ----------------------------------------------------------------------------

def test_search_highlights_matched_words_diacritics_insensitively(store, filler):
    store.upsert([*filler, make_doc(1, "Mưa lớn ở Thanh Hóa", "Đường ở Thanh Hóa ngập sâu.")])
    hit = store.search("thanh hoa duong").hits[0]
    assert hit.highlights["title"] == "Mưa lớn ở <mark>Thanh</mark> <mark>Hóa</mark>"
    assert "<mark>Đường</mark>" in hit.highlights["text"]


def test_search_highlights_only_fields_that_matched(store, filler):
    store.upsert([*filler, make_doc(1, "Tin nhanh", "Bão đổ bộ vào đất liền.")])
    hit = store.search("bão").hits[0]
    assert set(hit.highlights) == {"text"}
    assert store.search("bão", highlight=False).hits[0].highlights == {}


def test_search_highlights_escape_hostile_text(store):
    title = '<script>alert("x")</script> Cháy & nổ <b>lớn</b>'
    store.upsert([make_doc(1, title, "<img src=x onerror=alert(1)> vụ cháy")])
    marks = store.search("cháy").hits[0].highlights
    for snippet in marks.values():
        assert "<script" not in snippet and "<img" not in snippet and "<b>" not in snippet
        assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert "&lt;script&gt;" in marks["title"] and "<mark>Cháy</mark>" in marks["title"]
    assert "&amp;" in marks["title"]


def test_search_highlight_snippet_centres_on_match_in_long_text(store):
    body = " ".join(real_sentences(30, avoid=("bão",))) + " Cơn bão số 5 đi qua. " \
        + " ".join(real_sentences(5, avoid=("bão",)))
    store.upsert([make_doc(1, "Tin", body)])
    snippet = store.search("bão").hits[0].highlights["text"]
    assert "<mark>bão</mark>" in snippet
    assert snippet.startswith("… ") and len(snippet) < 400


# ---- counting ------------------------------------------------------------------------------

def test_histogram_buckets_by_vietnam_day(store):
    # 16:30 UTC is 23:30 in Vietnam, 17:30 UTC is 00:30 of the next Vietnamese day
    day = T0.replace(hour=0, minute=0)
    store.upsert([make_doc(1, "a", published_at=day + timedelta(hours=16, minutes=30)),
                  make_doc(2, "b", published_at=day + timedelta(hours=17, minutes=30)),
                  make_doc(3, "c", published_at=day + timedelta(hours=18))])
    buckets = store.histogram(interval="day")
    assert buckets == [(datetime(2025, 3, 1, tzinfo=VN_TZ), 1),
                       (datetime(2025, 3, 2, tzinfo=VN_TZ), 2)]
    assert all(b.utcoffset() == timedelta(hours=7) for b, _ in buckets)


def test_histogram_by_hour_with_query(store):
    store.upsert([make_doc(1, "bão tới", hours=0), make_doc(2, "bão tan", hours=0.5),
                  make_doc(3, "bão xa", hours=2), make_doc(4, "nắng", hours=2)])
    assert store.histogram("bão", interval="hour") == [
        (datetime(2025, 3, 1, 10, tzinfo=VN_TZ), 2), (datetime(2025, 3, 1, 12, tzinfo=VN_TZ), 1)]
    with pytest.raises(ValueError, match="hour or day"):
        store.histogram(interval="week")


def test_counts_by_source_and_kind(corpus):
    assert dict(corpus.counts_by("source", "cháy")) == {"vnexpress": 2, "tuoitre": 1}
    assert corpus.counts_by("kind", "cháy", limit=1) == [("article", 1)]  # ties: by value
    assert dict(corpus.counts_by("kind", "cháy")) == {"article": 1, "post": 1, "comment": 1}


@pytest.mark.parametrize(("field", "expected"), [
    ("sentiment", [("negative", 1)]), ("domain", [("environment", 1)]),
    ("topic", [("thien-tai", 1)]), ("entity", [("Quảng Bình", 1)]),
    ("story", [("story-7", 1)]), ("section", [("thoi-su", 1)]),
])
def test_counts_by_nlp_and_keyword_fields(corpus, field, expected):
    assert corpus.counts_by(field) == expected


def test_counts_by_orders_by_count_and_honours_filters(timeline):
    assert timeline.counts_by("source") == [("tuoitre", 3), ("vnexpress", 3)]
    assert timeline.counts_by("source", filters=Filters(kinds=("post",))) == \
        [("tuoitre", 1), ("vnexpress", 1)]
    with pytest.raises(ValueError, match="source"):
        timeline.counts_by("colour")


def test_iter_documents_streams_matches_newest_first(timeline):
    docs = list(timeline.iter_documents("xăng", batch_size=4))
    assert [d.title for d in docs] == [f"Giá xăng ngày {i}" for i in range(5, -1, -1)]
    assert all(isinstance(d, Document) for d in docs)
    assert len(list(timeline.iter_documents("source:tuoitre", batch_size=1))) == 3


def test_count_counts_all_documents(timeline):
    assert timeline.count() == 6


# ---- story counts (what the alert stage's spike detector reads) ----------------------------

def _story(n: int, minutes: float, source: str = "vnexpress", story: str | None = None,
           nlp: bool = True, **fields) -> Document:
    section = NlpSection(title=f"Tin {n}", story_id=story, **fields) if nlp else None
    return make_doc(n, f"Tin {n}", hours=minutes / 60, source_id=source, nlp=section)


def test_story_counts_counts_syndicated_copies_and_outlets_once(store):
    # T0 is 10:00 in Vietnam: two quarter hours, 10:00-10:15 and 10:15-10:30
    lead = _story(1, 1, "vnexpress")  # a story's first document: its id is the story id
    lead.nlp.story_id = lead.id
    store.upsert([lead, _story(2, 2, "tuoitre", story=lead.id),
                  _story(3, 3, "vnexpress", story=lead.id), _story(4, 4, "dantri", story="s-9"),
                  _story(5, 5, "dantri", story="s-9"), _story(6, 6, "dantri", nlp=False),
                  _story(7, 16, "tuoitre", story=lead.id)])
    buckets = store.story_counts("", Filters(), timedelta(minutes=15))
    assert buckets == [(T0.astimezone(VN_TZ), 3, 3),
                       (T0.astimezone(VN_TZ) + timedelta(minutes=15), 1, 1)]
    assert buckets[0].stories == 3 and buckets[0].outlets == 3
    assert store.story_counts("source:dantri", Filters(), timedelta(hours=1)) == [
        (T0.astimezone(VN_TZ), 2, 1)]
    # outlets only in the buckets from 10:15 on (10:01 is inside the 10:00 bucket: from 10:15)
    assert store.story_counts("", Filters(), timedelta(minutes=15),
                              outlets_from=T0 + timedelta(minutes=1)) == [
        (T0.astimezone(VN_TZ), 3, 0), (T0.astimezone(VN_TZ) + timedelta(minutes=15), 1, 1)]


def test_story_counts_buckets_start_at_vietnam_midnight(store):
    # 16:30 UTC is 23:30 in Vietnam; 3-hour buckets from Vietnam midnight (17:00 UTC), not UTC's
    day = T0.replace(hour=0, minute=0)
    store.upsert([make_doc(1, "a", published_at=day + timedelta(hours=16, minutes=30)),
                  make_doc(2, "b", published_at=day + timedelta(hours=17, minutes=30)),
                  make_doc(3, "c", published_at=day + timedelta(hours=19, minutes=59))])
    buckets = store.story_counts("", Filters(), timedelta(hours=3))
    assert [(b.start, b.stories) for b in buckets] == [
        (datetime(2025, 3, 1, 21, tzinfo=VN_TZ), 1), (datetime(2025, 3, 2, tzinfo=VN_TZ), 2)]
    assert all(b.start.utcoffset() == timedelta(hours=7) for b in buckets)


@pytest.mark.parametrize("width", [timedelta(minutes=7), timedelta(seconds=1.5), timedelta(0)])
def test_story_counts_refuses_widths_not_dividing_a_day(store, width):
    with pytest.raises(ValueError, match="divide a day"):
        store.story_counts("", Filters(), width)


def test_story_counts_malformed_query_raises_query_error(store):
    with pytest.raises(QueryError):
        store.story_counts("(cháy", Filters(), timedelta(hours=1))


def _counted_from_documents(store, query: str, filters: Filters, width: timedelta,
                            outlets_from: datetime | None = None
                            ) -> list[tuple[datetime, int, int]]:
    """story_counts as the alert stage counted before it existed: from every document (a
    document without a story id is a story of its own; outlets from `outlets_from` on)."""
    stories: dict[datetime, set[str]] = {}
    outlets: dict[datetime, set[str]] = {}
    for doc in store.iter_documents(query, filters):
        local = (doc.published_at or doc.fetched_at).astimezone(VN_TZ)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        start = midnight + (local - midnight) // width * width
        story = doc.nlp.story_id if doc.nlp else None
        stories.setdefault(start, set()).add(("story", story) if story else ("doc", doc.id))
        outlets.setdefault(start, set()).add(doc.source_id)
    return [(start, len(stories[start]),
             len(outlets[start]) if outlets_from is None or start >= outlets_from else 0)
            for start in sorted(stories)]


RANDOM_QUERIES = ["", "cháy", "bão OR lũ", "cháy -lũ", "domain:health", "sentiment:negative",
                  "source:tuoitre", "cháy domain:health", "NOT sentiment:negative",
                  "(bão OR cháy) source:dantri", "story:s-1"]
WIDTHS = [timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=3),
          timedelta(days=1)]


def test_story_counts_equal_counts_from_the_documents(store):
    """Random documents, queries, periods and widths: the counts equal those made from the
    documents. Five days of 5-minute buckets are several Elasticsearch chunks."""
    import random

    rng = random.Random(15)
    sources = ["vnexpress", "tuoitre", "dantri", "baothanhhoa", "vov"]
    words = ["cháy", "bão", "lũ", "giá", "xăng", "học", "sinh"]
    docs: list[Document] = []
    for n in range(160):
        story = rng.choice([None, None, "s-1", "s-2", *(d.id for d in docs[-5:])])
        nlp = NlpSection(title="", story_id=story,
                         sentiment=Label(label=rng.choice(["negative", "neutral"]), score=0.9),
                         domains=[Label(label=rng.choice(["health", "education"]), score=0.8)])
        published = T0 + timedelta(minutes=rng.uniform(0, 5 * 24 * 60))
        docs.append(make_doc(n, " ".join(rng.sample(words, 2)), published_at=published,
                             source_id=rng.choice(sources),
                             nlp=nlp if rng.random() < 0.9 else None))
    store.upsert(docs)
    for _ in range(25):
        query, width = rng.choice(RANDOM_QUERIES), rng.choice(WIDTHS)
        since = T0 + timedelta(minutes=rng.uniform(-60, 3 * 24 * 60))
        filters = rng.choice([
            Filters(), Filters(since=since, until=since + timedelta(hours=rng.uniform(1, 72))),
            Filters(since=since, until=T0 + timedelta(days=6), sources=("vnexpress", "vov"))])
        outlets_from = rng.choice([None, T0 + timedelta(minutes=rng.uniform(0, 5 * 24 * 60))])
        expected = _counted_from_documents(store, query, filters, width, outlets_from)
        assert store.story_counts(query, filters, width, outlets_from) == expected, \
            (query, filters, width, outlets_from)
    week = Filters(since=T0 - timedelta(minutes=7), until=T0 + timedelta(days=6))
    every = store.story_counts("", week, timedelta(minutes=5))  # 1,730 five-minute buckets
    assert every == _counted_from_documents(store, "", week, timedelta(minutes=5))
    assert sum(b.stories for b in every) > 100
    late = T0 + timedelta(days=4, minutes=2)  # outlets from the bucket at 10:05 four days on
    assert store.story_counts("", week, timedelta(minutes=5), late) == \
        _counted_from_documents(store, "", week, timedelta(minutes=5), late)
