"""Streamed CSV/JSONL export of whole result sets."""

from __future__ import annotations

import csv
import io
import json

from langnghe.document import Label, NlpSection
from web import export

from .conftest import doc

ROWS = 2_600  # more than five flushes of export.FLUSH_ROWS: proves the body is chunked


def _fill(store):
    docs = []
    for n in range(ROWS):
        d = doc(100 + n, f"Tin số {n}" if n else "=HYPERLINK(\"http://x\")", "Nội dung.",
                source="dantri" if n % 2 else "vnexpress", hours_ago=2 + n % 50)
        d.nlp = NlpSection(title=d.title, text=d.text,
                           sentiment=Label(label="negative" if n % 3 == 0 else "neutral",
                                           score=0.8))
        docs.append(d)
    store.upsert(docs)


def test_csv_export_streams_every_row_in_chunks(client, store):
    _fill(store)
    with client.stream("GET", "/search/export.csv") as response:
        assert response.status_code == 200
        assert "attachment" in response.headers["content-disposition"]
        chunks = list(response.iter_text())
    assert len(chunks) > ROWS // export.FLUSH_ROWS
    rows = list(csv.reader(io.StringIO("".join(chunks).lstrip("\ufeff"))))
    assert rows[0] == list(export.COLUMNS)
    assert len(rows) - 1 == ROWS + 3  # plus the three fixture documents
    assert len({r[0] for r in rows[1:]}) == ROWS + 3  # no row twice
    titles = {r[5] for r in rows[1:]}
    assert "'=HYPERLINK(\"http://x\")" in titles  # formula cells defused


def test_jsonl_export_honours_query_and_facets(client, store):
    _fill(store)
    response = client.get("/search/export.jsonl", params={"source": "dantri",
                                                          "sentiment": "negative"})
    lines = [json.loads(line) for line in response.text.splitlines()]
    fixture = store.search("giá vàng").hits[0].doc  # the fixture's one dantri document
    expected = sum(1 for n in range(ROWS) if n % 2 and n % 3 == 0) + (
        fixture.nlp.sentiment.label == "negative")
    assert len(lines) == expected
    assert {d["source_id"] for d in lines} == {"dantri"}
    assert {d["nlp"]["sentiment"]["label"] for d in lines} == {"negative"}


def test_export_of_a_malformed_query_is_a_400_before_streaming(client):
    response = client.get("/api/v1/export.csv", params={"q": "(bão"})
    assert response.status_code == 400 and "ngoặc" in response.json()["error"]
