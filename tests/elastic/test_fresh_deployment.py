"""A fresh deployment: `langnghe es setup` has put the templates and no document is indexed yet,
so the documents alias does not exist. The store is empty, not broken — before, every read
failed with index_not_found (the web app's pages 500, its `/healthz` 503 until the first enrich
run; found by tests/deploy/test_topology.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from langnghe.document import Document, document_id
from store.base import Filters
from store.elastic import ElasticStore, client_from_env
from store.es_admin import es_setup
from tests.elastic.node import es_url
from web.app import create_app

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def fresh(tmp_path):
    prefix = f"lntest-fresh-{uuid.uuid4().hex[:8]}"
    es_setup(es_url(), prefix=prefix, alerts_prefix=f"{prefix}-alerts", progress=lambda _: None)
    client = client_from_env(es_url())
    store = ElasticStore(es_url(), prefix=prefix)
    try:
        assert not client.indices.exists_alias(name=prefix)  # what a new deployment has
        yield store
    finally:
        store.close()
        client.indices.delete(index=f"{prefix}*", ignore_unavailable=True)
        client.indices.delete_index_template(name=f"{prefix}*")
        client.close()


def test_reads_before_the_first_document_find_an_empty_store(fresh):
    assert fresh.count() == 0
    assert fresh.search("").total == 0 and fresh.search("thanh hoa").hits == []
    assert fresh.get(document_id("https://baotest.vn/a")) is None
    assert fresh.histogram() == [] and fresh.counts_by("source") == []
    assert fresh.significant_terms("lũ") == []
    assert list(fresh.iter_documents("", Filters())) == []
    assert all(b.count == 0 for b in fresh.story_counts("", Filters(), timedelta(hours=1)))


def test_the_first_document_after_an_empty_read_is_found(fresh):
    fresh.count()
    url = "https://baotest.vn/bai-1.html"
    doc = Document(id=document_id(url), url=url, canonical_url=url, source_id="baotest",
                   title="Mưa lũ ở Thanh Hóa")
    fresh.upsert([doc])
    assert fresh.count() == 1 and fresh.search("thanh hoa").total == 1


def test_the_web_app_is_healthy_before_the_first_document(fresh, tmp_path):
    app = create_app(fresh, web_db=tmp_path / "web.sqlite", secure_cookies=False)
    assert TestClient(app).get("/healthz").json() == {"status": "ok", "store": "ok"}
