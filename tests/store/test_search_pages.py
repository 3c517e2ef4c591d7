"""Contract, property-style: for random queries × filters × sorts, hits agree with the total.

Every page of a search (any sort, any offset, any limit) must together list exactly the
documents the total counts, each once, in one order. The SQLite store ranks by bm25 only a
window of the matches (`store.sqlite.RANK_WINDOW`, 20,000); here the window is scaled down to a
few documents so that the window, the filters and the paging meet on a small corpus.

The expected matches come from an independent evaluator, `langnghe.query.matches` (the one
watch topics use at ingest), applied to each document with the filters checked in Python.
Cases are drawn from a seeded `random.Random` (hypothesis is not among the project's
dependencies; a fixed seed keeps failures reproducible): a failure names its case.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

import store.sqlite as sqlite_module
from langnghe.document import Document, Label, NlpSection
from langnghe.query import matches, parse
from langnghe.vietnamese import fold
from store.base import Filters
from store.fields import doc_time, keyword_values, text_fields
from tests.store.conftest import T0, make_doc

SEED = 20261204
CASES = 40  # per backend: ~2 s on SQLite, ~10 s on the test node
DOCS = 48
WORDS = ("tỉnh", "Hà Nội", "lũ lụt", "giá vàng", "học sinh", "bệnh viện", "đường", "Thanh Hóa",
         "xuất khẩu", "công an")
FILLER = ("hôm nay", "theo báo cáo", "người dân", "cho biết", "trong tuần")
SOURCES = ("vnexpress", "tuoitre", "baothanhhoa")
KINDS = ("article", "comment", "post")
SENTIMENTS = ("positive", "neutral", "negative")
WINDOWS = (1, 2, 3, 5, 8)


def corpus(rng: random.Random) -> list[Document]:
    """Documents whose times are unique and unrelated to the order they are indexed in."""
    minutes = rng.sample(range(14 * 24 * 60), DOCS)
    docs = []
    for n in range(DOCS):
        chosen = rng.sample(WORDS, rng.randint(1, 4))
        title = " ".join([*chosen[:2], rng.choice(FILLER)])
        text = ". ".join([*chosen[1:], rng.choice(FILLER), rng.choice(WORDS)]) + "."
        nlp = NlpSection(title=title, text=text,
                         sentiment=Label(label=rng.choice(SENTIMENTS), score=0.9))
        docs.append(make_doc(n, title, text, hours=minutes[n] / 60, nlp=nlp,
                             source_id=rng.choice(SOURCES), kind=rng.choice(KINDS)))
    return docs


def random_query(rng: random.Random) -> str:
    def word() -> str:
        chosen = rng.choice(WORDS)
        return chosen if rng.random() < 0.6 else fold(chosen)

    forms = [
        lambda: word(),
        lambda: f"{word()} {word()}",
        lambda: f"{word()} OR {word()}",
        lambda: f"{word()} -{word()}",
        lambda: f'"{word()}"',
        lambda: f"title:{word().split()[0]}",
        lambda: f"{word()[:2]}*",
        lambda: f"source:{rng.choice(SOURCES)} {word()}",
        lambda: f"({word()} OR kind:{rng.choice(KINDS)}) sentiment:{rng.choice(SENTIMENTS)}",
        lambda: f"NOT {word()}",
        lambda: "",
    ]
    return rng.choice(forms)()


def random_filters(rng: random.Random) -> Filters:
    since = until = None
    if rng.random() < 0.5:
        since = T0 + timedelta(days=rng.uniform(0, 10))
    if rng.random() < 0.4:
        until = T0 + timedelta(days=rng.uniform(4, 14))
    sources = tuple(rng.sample(SOURCES, rng.randint(1, 2))) if rng.random() < 0.4 else ()
    kinds = tuple(rng.sample(KINDS, rng.randint(1, 2))) if rng.random() < 0.3 else ()
    return Filters(since=since, until=until, sources=sources, kinds=kinds)


def expected(docs: list[Document], query: str, filters: Filters) -> list[Document]:
    """The matches by the independent evaluator, newest first."""
    node = parse(query)
    out = []
    for doc in docs:
        values: dict[str, list[str]] = {}
        for name, value in keyword_values(doc):
            values.setdefault(name, []).append(value)
        moment = doc_time(doc)
        if ((filters.since is None or moment >= filters.since)
                and (filters.until is None or moment < filters.until)
                and (not filters.sources or doc.source_id in filters.sources)
                and (not filters.kinds or doc.kind in filters.kinds)
                and matches(node, text_fields(doc), values)):
            out.append(doc)
    return sorted(out, key=doc_time, reverse=True)


def test_search_pages_agree_with_total_for_random_queries_filters_sorts(store, monkeypatch):
    rng = random.Random(SEED)
    docs = corpus(rng)
    order = rng.sample(docs, len(docs))  # indexed in an order unrelated to their times
    for start in range(0, DOCS, 7):
        store.upsert(order[start : start + 7])
    for case in range(CASES):
        window = rng.choice(WINDOWS)
        monkeypatch.setattr(sqlite_module, "RANK_WINDOW", window)
        query, filters = random_query(rng), random_filters(rng)
        sort, limit = rng.choice(("relevance", "newest", "oldest")), rng.randint(1, 6)
        where = f"case {case}: {query!r} {filters} sort={sort} window={window} limit={limit}"
        want = expected(docs, query, filters)
        whole = store.search(query, filters, sort=sort, limit=DOCS + 5, highlight=False)
        ids = [hit.doc.id for hit in whole.hits]
        assert whole.total == len(want), where
        assert len(ids) == whole.total and set(ids) == {d.id for d in want}, where
        if sort != "relevance":
            wanted = [d.id for d in (want if sort == "newest" else reversed(want))]
            assert ids == wanted, where
        assert store.search(query, filters, sort=sort, limit=0).total == whole.total, where
        paged = []
        for offset in range(0, whole.total + limit, limit):
            page = store.search(query, filters, sort=sort, limit=limit, offset=offset,
                                highlight=False)
            assert page.total == whole.total, f"{where} offset={offset}"
            assert len(page.hits) == max(0, min(limit, whole.total - offset)), \
                f"{where} offset={offset}"
            paged += [hit.doc.id for hit in page.hits]
        assert paged == ids, where


@pytest.mark.parametrize(("window", "order"), [(1, [5, 0, 1, 2, 3, 4]),
                                               (4, [5, 2, 3, 4, 0, 1]),
                                               (20, [5, 0, 1, 2, 3, 4])])
def test_sqlite_relevance_ranks_the_newest_indexed_matches_of_the_filters(tmp_path, monkeypatch,
                                                                          window, order):
    """Relevance ranks the `window` most recently indexed matches of the query *and* the
    filters, then lists the others newest first. Here every recently indexed match is outside
    the date range, and the best old match (indexed last of the old ones, published first)
    still comes first."""
    monkeypatch.setattr(sqlite_module, "RANK_WINDOW", window)
    db = sqlite_module.SqliteStore(tmp_path / "s.db")
    db.upsert([make_doc(200 + i, f"người dân {i}", "cho biết", hours=-2000) for i in range(40)])
    db.upsert([make_doc(i, "tỉnh tỉnh tỉnh" if i == 5 else f"tỉnh số {i}", "cho biết",
                        hours=-1000 - i) for i in range(6)])
    db.upsert([make_doc(100 + i, f"tỉnh mới {i}", "cho biết", hours=i) for i in range(20)])
    result = db.search("tỉnh", Filters(until=T0 - timedelta(hours=500)), limit=10)
    assert result.total == 6
    assert [hit.doc.id for hit in result.hits] == [make_doc(i).id for i in order]
    db.close()
