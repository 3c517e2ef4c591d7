"""The ingest stage over a real spool and a real SQLite store, with store failures injected."""

from __future__ import annotations

import pytest

from langnghe.document import Document, document_id
from langnghe.paths import Home
from langnghe.spool import Spool
from runner import stages
from store.sqlite import SqliteStore


class FailingStore:
    """A thin wrapper: the real store, whose upserts fail while `down` is set."""

    def __init__(self, inner):
        self.inner, self.down = inner, True

    def upsert(self, docs):
        if self.down:
            raise ConnectionError("cluster unreachable")
        return self.inner.upsert(docs)


def docs(n):
    return [Document(id=document_id(f"https://a.vn/{i}"), url=f"https://a.vn/{i}",
                     canonical_url=f"https://a.vn/{i}", source_id="a", title=f"Tin số {i}")
            for i in range(n)]


def test_ingest_keeps_documents_in_the_spool_while_the_store_is_down(tmp_path):
    home = Home.resolve(tmp_path)
    Spool(home.spool).put(docs(5))
    store = FailingStore(SqliteStore(home.store))
    with pytest.raises(ConnectionError):
        stages.ingest(home, store)
    assert Spool(home.spool).pending() == 1 and store.inner.count() == 0
    store.down = False
    assert stages.ingest(home, store).documents == 5
    assert store.inner.count() == 5 and Spool(home.spool).pending() == 0


def test_ingest_twice_the_same_documents_never_duplicates(tmp_path):
    home = Home.resolve(tmp_path)
    store = SqliteStore(home.store)
    for _ in range(2):
        Spool(home.spool).put(docs(3))
        stages.ingest(home, store)
    assert store.count() == 3
