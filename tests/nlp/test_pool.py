"""Enrichment in worker processes gives exactly the documents of the in-process path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from langnghe.document import Document, document_id
from nlp.pipeline import EnrichContext, EnrichPool, enrich
from nlp.stories import StoryIndex
from nlp.watch import load_watch
from tests.paths import DATA, REPO


def real_docs(n: int) -> list[Document]:
    docs = []
    with open(DATA / "vntc-10topics" / "dev.jsonl", encoding="utf-8") as fh:
        for i, line in zip(range(n), fh, strict=False):
            title, _, body = json.loads(line)["text"].partition("\n")
            url = f"https://test.vn/{i}"
            docs.append(Document(id=document_id(url), url=url, canonical_url=url, source_id="t",
                                 title=title[:300], text=body,
                                 published_at=datetime(2026, 1, 1, tzinfo=UTC)
                                 + timedelta(hours=i)))
    docs.append(docs[0].model_copy(update={"id": "copy", "url": "https://other.vn/copy"}))
    return docs


def test_enrich_with_a_worker_pool_equals_enrich_in_process(tmp_path):
    province, topics = load_watch(REPO / "config" / "watch.yaml")
    docs = real_docs(12)
    one = enrich(docs, EnrichContext(topics, StoryIndex(tmp_path / "a.sqlite"), province))
    with EnrichPool(2) as pool:
        two = enrich(docs, EnrichContext(topics, StoryIndex(tmp_path / "b.sqlite"), province),
                     pool)
    assert [d.model_dump() for d in two] == [d.model_dump() for d in one]
    assert two[-1].nlp.story_id == two[0].nlp.story_id  # the copy joined the first story
