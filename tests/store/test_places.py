"""The `place` field: documents found and counted by the administrative units their places
resolved to (province and commune names, diacritics-insensitive), on real enriched text, on
every backend of the contract suite (`store` fixture)."""

from __future__ import annotations

import json
import re

import pytest

from langnghe.document import NlpSection
from langnghe.query import QueryError
from nlp.entities import extract
from store.base import Store
from store.fields import keyword_values
from tests.paths import DATA
from tests.store.conftest import make_doc

# Real VNTC sentences (dev split), picked by a phrase each contains.
PICKS = ("lên tàu đi Thanh Hóa", "xã Kim Mỹ, huyện Kim Sơn", "phường Long Tuyền, quận Bình Thủy")


def sentences_with(phrases: tuple[str, ...]) -> list[str]:
    found: dict[str, str] = {}
    with (DATA / "vntc-10topics" / "dev.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            for sentence in re.split(r"(?<=[.!?])\s+", json.loads(line)["text"]):
                for phrase in phrases:
                    if phrase in sentence and phrase not in found:
                        found[phrase] = sentence
    return [found[p] for p in phrases]


@pytest.fixture
def places_store(store):
    docs = []
    for n, sentence in enumerate(sentences_with(PICKS)):
        nlp = NlpSection(title=sentence[:60], text=sentence, entities=extract(sentence))
        docs.append(make_doc(n, sentence[:60], sentence, nlp=nlp))
    store.upsert(docs)
    yield store, docs


def found(store: Store, query: str) -> set[int]:
    return {int(h.doc.url.rsplit("-", 1)[1].split(".")[0]) for h in
            store.search(query, limit=10, highlight=False).hits}


@pytest.mark.parametrize("query, expected", [
    ('place:"Thanh Hóa"', {0}), ("place:thanh_hoa", set()), ('place:"thanh hoa"', {0}),
    ('place:"THANH HOÁ"', {0}), ('place:"Ninh Bình"', {1}), ('place:"binh minh"', {1}),
    ('place:"Cần Thơ"', {2}), ('place:"Hà Nội"', {0}), ('place:"Long Tuyền"', {2}),
    ('place:"ninh binh" OR place:"can tho"', {1, 2}), ('-place:"Hà Nội"', {1, 2})])
def test_place_filter_matches_province_or_commune(places_store, query, expected):
    store, _ = places_store
    assert found(store, query) == expected


def test_place_counts_list_provinces_and_communes(places_store):
    store, docs = places_store
    counts = dict(store.counts_by("place"))
    # xã Kim Mỹ was merged into xã Bình Minh in 2025: the current unit is what is counted
    assert {"Thanh Hóa", "Hà Nội", "Ninh Bình", "Bình Minh", "Cần Thơ", "Long Tuyền"} <= set(counts)
    assert "Kim Mỹ" not in counts
    assert all(n == 1 for n in counts.values())
    # a commune's document also counts under its province (one value per unit, no duplicates)
    assert [v for f, v in keyword_values(docs[1]) if f == "place"] == ["Ninh Bình", "Bình Minh"]


def test_place_unknown_field_error_lists_place(places_store):
    store, _ = places_store
    with pytest.raises(QueryError, match="place"):
        store.search("noi:Huế")
