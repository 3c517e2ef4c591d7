"""The SQLite store's hourly rollup answers exactly as direct counts over the documents, through
inserts, re-ingest of changed documents, deletes and retention (store/rollup.py)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from langnghe.document import Label, NlpSection
from store import rollup
from store.base import Filters
from store.sqlite import SqliteStore
from tests.store.conftest import T0, make_doc

SENTIMENTS = ("negative", "neutral", "positive")
DOMAINS = ("health", "education", "traffic")


def enriched(n: int, minutes: int, **fields):
    """Document n at T0 + minutes, with sentiment, one or two domains, a story and a topic."""
    section = NlpSection(sentiment=Label(label=SENTIMENTS[n % 3], score=0.9),
                         domains=[Label(label=d, score=0.8) for d in DOMAINS[: 1 + n % 2]],
                         story_id=f"story-{n % 5}", topics=["y-te"] if n % 4 == 0 else [])
    fields.setdefault("kind", ("article", "comment", "post")[n % 3])
    fields.setdefault("source_id", ("vnexpress", "tuoitre")[n % 2])
    return make_doc(n, f"Bài {n}", published_at=T0 + timedelta(minutes=minutes), nlp=section,
                    **fields)


@pytest.fixture
def filled(tmp_path):
    store = SqliteStore(tmp_path / "store.db")
    # 60 documents every 37 minutes: ~37 hours, hours holding zero, one or two documents
    store.upsert([enriched(n, 37 * n) for n in range(60)])
    yield store
    store.close()


# Periods whose ends fall inside hours (the partial hours come from the documents), on hour
# boundaries, open-ended, and shorter than an hour.
PERIODS = [Filters(since=T0 + timedelta(minutes=95), until=T0 + timedelta(hours=30, minutes=7)),
           Filters(since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=20)),
           Filters(since=T0 + timedelta(minutes=301)), Filters(until=T0 + timedelta(hours=9.5)),
           Filters(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=50)),
           Filters()]
HISTOGRAMS = [("", {}), ("sentiment:negative", {}), ("", {"kinds": ("comment", "post")}),
              ("", {"sources": ("tuoitre",)}), ("domain:health", {}),
              ("topic:y-te sentiment:positive", {}), ("kind:Article", {})]
COUNTS = [("domain", ""), ("domain", "sentiment:negative"), ("story", ""),
          ("sentiment", ""), ("topic", ""), ("source", ""), ("sentiment", "sentiment:neutral"),
          # the tone of one domain (two per document here), topic, story or kind
          ("sentiment", "domain:health"), ("sentiment", "topic:y-te"),
          ("sentiment", "story:story-1"), ("sentiment", "kind:comment")]


def direct_histogram(store: SqliteStore, where: str, params: list, filters: Filters,
                     width: int) -> list[tuple[int, int]]:
    """Documents per bucket by a plain COUNT over docs, written here independently."""
    sql = (f"SELECT (ts + 25200) / {width} AS b, count(*) FROM docs d WHERE {where} "  # noqa: S608
           "AND ts >= ? AND ts < ? GROUP BY b ORDER BY b")
    lo = int(filters.since.timestamp()) if filters.since else -2**62
    hi = int(filters.until.timestamp()) if filters.until else 2**62
    with sqlite3.connect(store.path) as con:
        return con.execute(sql, [*params, lo, hi]).fetchall()


def answers(store: SqliteStore) -> list:
    """Every question the rollup answers, over every period, as the store answers them."""
    out = []
    for filters in PERIODS:
        for query, extra in HISTOGRAMS:
            narrowed = Filters(since=filters.since, until=filters.until, **extra)
            out += [store.histogram(query, narrowed, interval) for interval in ("hour", "day")]
        out += [store.counts_by(name, query, filters, limit=50) for name, query in COUNTS]
    return out


def without_rollup(store: SqliteStore, monkeypatch) -> list:
    with monkeypatch.context() as patch:
        patch.setattr(rollup, "plan", lambda *args, **kwargs: None)
        return answers(store)


def test_rollup_answers_equal_direct_queries(filled, monkeypatch):
    assert answers(filled) == without_rollup(filled, monkeypatch)


def test_rollup_histogram_equals_plain_count_over_documents(filled):
    period = PERIODS[0]
    got = filled.histogram("sentiment:negative", period, "hour")
    expected = direct_histogram(filled, "rowid IN (SELECT rowid FROM keys WHERE field = "
                                "'sentiment' AND key = 'negative')", [], period, 3600)
    assert [n for _, n in got] == [n for _, n in expected]
    # negatives are the documents n % 3 == 0, published 37 n minutes after T0
    assert sum(n for _, n in got) == sum(1 for n in range(60) if n % 3 == 0 and 95 <= 37 * n
                                         < 30 * 60 + 7)


def test_rollup_is_used_for_whole_hours(filled):
    """A rollup row altered behind the store's back shows: the answer did come from it."""
    period = PERIODS[1]
    before = dict(filled.counts_by("domain", "", period))
    with sqlite3.connect(filled.path) as con:
        con.execute("UPDATE rollup SET n = n + 100 WHERE field = 'domain' AND key = 'health' "
                    "AND hour = (SELECT min(hour) FROM rollup WHERE field = 'domain' AND "
                    "key = 'health' AND hour >= ?)", (int(period.since.timestamp()) // 3600,))
    assert dict(filled.counts_by("domain", "", period))["health"] == before["health"] + 100


def test_rollup_answers_the_tone_of_one_domain(filled):
    """counts_by("sentiment") narrowed on another field reads that field's rows by tone."""
    period = PERIODS[1]
    before = dict(filled.counts_by("sentiment", "domain:health", period))
    with sqlite3.connect(filled.path) as con:
        con.execute("UPDATE rollup SET n = n + 100 WHERE field = 'domain' AND key = 'health' "
                    "AND sent = 'negative' AND hour = (SELECT min(hour) FROM rollup WHERE "
                    "field = 'domain' AND key = 'health' AND sent = 'negative' AND hour >= ?)",
                    (int(period.since.timestamp()) // 3600,))
    after = dict(filled.counts_by("sentiment", "domain:health", period))
    assert after["negative"] == before["negative"] + 100 and after["neutral"] == before["neutral"]


def test_rollup_follows_reingest_of_changed_documents(filled, monkeypatch):
    changed = [enriched(n + 1, 37 * n + 500, source_id="vov") for n in range(0, 60, 7)]
    for doc, n in zip(changed, range(0, 60, 7), strict=True):  # same ids, new time and labels
        doc.id = enriched(n, 0).id
    filled.upsert(changed)
    filled.upsert(changed[:3])  # unchanged re-ingest: nothing moves
    assert filled.count() == 60
    assert answers(filled) == without_rollup(filled, monkeypatch)
    assert dict(filled.counts_by("source", "", PERIODS[5]))["vov"] == len(changed)


def test_rollup_follows_delete_and_retention(filled, monkeypatch):
    assert filled.delete([enriched(n, 0).id for n in (3, 4, 5)] + ["no-such-id"]) == 3
    removed = filled.delete_before(T0 + timedelta(hours=10, minutes=30))
    assert removed == sum(1 for n in range(60) if 37 * n < 630 and n not in (3, 4, 5))
    assert filled.count() == 60 - 3 - removed
    assert filled.histogram("", Filters(until=T0 + timedelta(hours=10, minutes=30))) == []
    assert answers(filled) == without_rollup(filled, monkeypatch)
    assert filled.search("bài").total == filled.count()  # text index followed the deletes


def test_rollup_built_for_a_store_without_one(filled, monkeypatch):
    """A store written before the rollup existed (or by another layout) gets it on open."""
    expected = answers(filled)
    with sqlite3.connect(filled.path) as con:
        kept = con.execute("SELECT * FROM rollup ORDER BY 1, 2, 3, 4, 5").fetchall()
        con.execute("DELETE FROM rollup")
        con.execute("DELETE FROM meta WHERE key = 'rollup'")
    filled.close()
    reopened = SqliteStore(filled.path)
    with sqlite3.connect(filled.path) as con:
        assert con.execute("SELECT * FROM rollup ORDER BY 1, 2, 3, 4, 5").fetchall() == kept
    assert answers(reopened) == expected
    reopened.close()
