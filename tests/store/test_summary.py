"""Store.summarize (contract, every backend): the same answers as the single calls it replaces."""

from __future__ import annotations

from datetime import timedelta

import pytest

from langnghe.document import Entity, Label, NlpSection
from store.base import Filters
from tests.store.conftest import T0, make_doc, real_sentences

SENTIMENTS = ("negative", "neutral", "positive")


@pytest.fixture
def topical(store):
    """Real sentences over two days; every third mentions "bệnh viện", others carry a topic."""
    sentences = real_sentences(30, avoid=("benh vien",))
    docs = []
    for n, sentence in enumerate(sentences):
        title = f"Bệnh viện tỉnh: {sentence[:60]}" if n % 3 == 0 else sentence[:80]
        nlp = NlpSection(title=title, text=sentence,
                         sentiment=Label(label=SENTIMENTS[n % 3 - (n % 5 == 0)], score=0.8),
                         topics=["y-te"] if n % 4 == 1 else [],
                         entities=[Entity(text=("Hà Nội", "Bộ Y tế")[n % 2], type="LOC",
                                          start=0, end=5)], story_id=f"s{n % 6}")
        docs.append(make_doc(n, title, sentence, hours=1.7 * n, nlp=nlp,
                             source_id=("vnexpress", "tuoitre", "vov")[n % 3]))
    store.upsert(docs)
    return store


# many matches (a third of the store), few (story:s0 with the words), and the rollup's questions
@pytest.mark.parametrize("query", ['topic:"y-te" OR (bệnh viện OR bác sĩ)', "bệnh viện",
                                   "story:s0 bệnh viện", "", "sentiment:negative"])
@pytest.mark.parametrize("interval", ["hour", "day"])
def test_summarize_equals_single_calls(topical, query, interval):
    filters = Filters(since=T0 + timedelta(hours=3, minutes=20), until=T0 + timedelta(hours=40))
    got = topical.summarize(query, filters, interval, counts={"source": 2, "entity": 10},
                            split_by="sentiment", newest=4)
    assert got.total == topical.search(query, filters, limit=0).total > 0
    assert got.histogram == topical.histogram(query, filters, interval)
    assert got.counts == {name: topical.counts_by(name, query, filters, limit=limit)
                          for name, limit in (("source", 2), ("entity", 10))}
    newest = topical.search(query, filters, sort="newest", limit=4, highlight=False).hits
    assert [h.doc for h in got.newest] == [h.doc for h in newest]
    for label in SENTIMENTS:
        narrowed = f"({query}) sentiment:{label}" if query else f"sentiment:{label}"
        assert got.split.get(label, []) == topical.histogram(narrowed, filters, interval)
    assert sum(n for series in got.split.values() for _, n in series) == got.total
