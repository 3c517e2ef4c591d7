"""Elasticsearch-only behaviour on a real node: lifecycle, bulk failures, outages, import."""

from __future__ import annotations

import json
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from elasticsearch import Elasticsearch

from langnghe.document import NlpSection
from store import es_index, open_store
from store.base import Filters
from store.elastic import (
    BULK_REFRESH,
    BULK_THREADS,
    CHUNK_DOCS,
    ElasticStore,
    ElasticUnavailable,
    index_body,
    rebuild,
)
from store.es_admin import es_import, es_retention, es_setup
from store.es_index import TemplateMissing
from store.sqlite import SqliteStore
from tests.elastic.node import es_client, es_url
from tests.store.conftest import make_doc, real_sentences

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def client() -> Elasticsearch:
    return es_client()


@pytest.fixture
def prefix(client, request):
    """An alias of this test's own, removed with its indices and templates afterwards."""
    name = "lnt-" + request.node.name.lower().replace("_", "-")[:40].strip("-")
    yield name
    client.options(ignore_status=404).indices.delete(index=f"{name}-*", expand_wildcards="all")
    client.options(ignore_status=404).indices.delete_index_template(name=f"{name}-v*")


def months(store: ElasticStore) -> list[str]:
    return [info.month for info in es_index.aliased_indices(store.client, store.prefix)]


def test_setup_is_idempotent(client, prefix):
    first = es_index.setup(client, prefix, alerts_prefix=prefix + "-alerts")
    second = es_index.setup(client, prefix, alerts_prefix=prefix + "-alerts")
    assert first == second and f"{prefix}-v1" in first
    assert client.indices.exists_index_template(name=f"{prefix}-v1")
    assert list(client.indices.get_alias(name=prefix + "-alerts").body) == \
        [f"{prefix}-alerts-v1-000001"]


def test_setup_adds_new_template_fields_to_existing_indices(client, prefix):
    """An index made before a field joined its template version (here: one without `place`)
    gets the field on the next setup, so `place:` queries work on it once re-indexed."""
    old = f"{prefix}-v1-2025.01"
    client.indices.create(index=old, aliases={prefix: {}},
                          mappings={"dynamic": "false", "properties": {"id": {"type": "keyword"}}})
    assert "place" not in client.indices.get_mapping(index=old)[old]["mappings"]["properties"]
    es_index.setup(client, prefix, alerts_prefix=prefix + "-alerts")
    fields = client.indices.get_mapping(index=old)[old]["mappings"]["properties"]
    assert fields["place"] == {"type": "keyword"} and fields["k_place"] == {"type": "keyword"}


def test_store_without_template_says_run_setup(prefix):
    with pytest.raises(TemplateMissing, match="langnghe es setup"):
        ElasticStore(es_url(), prefix=prefix)


def test_unreachable_cluster_is_a_clear_startup_error():
    with pytest.raises(ElasticUnavailable, match="unreachable"):
        ElasticStore(Elasticsearch("http://127.0.0.1:9", max_retries=0, request_timeout=2))


def test_upsert_on_dead_cluster_raises_so_the_spool_keeps_documents(prefix):
    store = ElasticStore(es_url(), prefix=prefix, setup=True)
    store.client = Elasticsearch("http://127.0.0.1:9", max_retries=1, request_timeout=2)
    with pytest.raises(ElasticUnavailable, match="did not take the batch"):
        store.upsert([make_doc(1, "mất kết nối")])


def test_writes_go_to_monthly_indices_behind_the_alias(prefix):
    store = ElasticStore(es_url(), prefix=prefix, setup=True)
    store.upsert([make_doc(1, "tháng ba"), make_doc(2, "tháng tư", hours=24 * 31),
                  make_doc(3, "cuối tháng ba theo giờ Việt Nam",
                           published_at=datetime(2025, 3, 31, 18, tzinfo=UTC))])
    assert months(store) == ["2025.03", "2025.04"]
    assert store.counts_by("source") == [("vnexpress", 3)]
    assert store.search("tháng").total == 3


def test_upsert_moving_to_another_month_keeps_one_copy(prefix):
    store = ElasticStore(es_url(), prefix=prefix, setup=True)
    store.upsert([make_doc(1, "bài sửa giờ đăng")])
    store.upsert([make_doc(1, "bài sửa giờ đăng", hours=24 * 40)])
    assert store.count() == 1
    assert store.get(make_doc(1).id).published_at.month == 4


class PoisonedStore(ElasticStore):
    """Injects a value Elasticsearch rejects for one document (a thin wrapper, not a mock)."""

    poisoned = make_doc(2).id

    def _body(self, doc):
        body = super()._body(doc)
        if doc.id == self.poisoned:
            body["time"] = "not a date"
        return body


def test_bulk_failures_are_recorded_with_reason(prefix, caplog):
    store = PoisonedStore(es_url(), prefix=prefix, setup=True)
    written = store.upsert([make_doc(i, f"bài {i}") for i in range(4)])
    assert written == 3 and store.count() == 3
    assert [(f.doc_id, f.status) for f in store.failures] == [(PoisonedStore.poisoned, 400)]
    assert "time" in store.failures[0].reason
    assert PoisonedStore.poisoned in caplog.text


class OverlapStore(ElasticStore):
    """Records how many bulk requests are in flight at once and poisons a few documents (a thin
    wrapper around the real requests, not a mock)."""

    poisoned = {make_doc(i).id for i in (3, CHUNK_DOCS + 1, 3 * CHUNK_DOCS + 5)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lock, self.flying, self.most = threading.Lock(), 0, 0

    def _send(self, chunk):
        with self.lock:
            self.flying += 1
            self.most = max(self.most, self.flying)
        try:
            time.sleep(0.2)  # long enough for the next chunk to be built and sent meanwhile
            return super()._send(chunk)
        finally:
            with self.lock:
                self.flying -= 1

    def _body(self, doc):
        body = super()._body(doc)
        if doc.id in self.poisoned:
            body["time"] = "not a date"
        return body


def test_bulk_sends_chunks_in_parallel_with_honest_counts(prefix):
    store = OverlapStore(es_url(), prefix=prefix, setup=True, refresh=False)
    docs = [make_doc(i, f"tin số {i}", hours=i) for i in range(3 * CHUNK_DOCS + 10)]
    assert store.upsert(docs) == len(docs) - 3
    assert store.most == BULK_THREADS
    assert [f.doc_id for f in store.failures] == [d.id for d in docs if d.id in store.poisoned]
    assert {f.status for f in store.failures} == {400}
    store.client.indices.refresh(index=prefix)
    assert store.count() == len(docs) - 3


def refresh_intervals(client, prefix) -> dict[str, str]:
    found = client.indices.get_settings(index=f"{prefix}-v*", name="index.refresh_interval")
    return {name: body["settings"]["index"]["refresh_interval"] for name, body in found.items()}


def test_bulk_load_slows_refresh_of_written_indices_then_restores_the_template_s(client,
                                                                                prefix):
    store = ElasticStore(es_url(), prefix=prefix, setup=True)
    store.upsert([make_doc(0, "trước khi bắt đầu")])
    march = f"{prefix}-v1-2025.03"
    # as a load that died midway leaves it
    client.indices.put_settings(index=march, settings={"index.refresh_interval": BULK_REFRESH})
    with store.bulk_load():
        store.upsert([make_doc(1, "nạp tháng ba"), make_doc(2, "nạp tháng tư", hours=24 * 31)])
        assert refresh_intervals(client, prefix) == {march: BULK_REFRESH,
                                                     f"{prefix}-v1-2025.04": BULK_REFRESH}
        for n in range(3, 6):  # a segment each
            store.upsert([make_doc(n, f"nạp thêm {n}")])
            client.indices.refresh(index=march)
    assert set(refresh_intervals(client, prefix).values()) == {"1s"}  # the template's
    assert store.search("nạp").total == 5  # refreshed at the end of the load
    stats = client.indices.stats(index=f"{prefix}-v1-*", metric="segments")["indices"]
    # months that are over are merged to one segment
    assert {name: s["primaries"]["segments"]["count"] for name, s in stats.items()} == {
        march: 1, f"{prefix}-v1-2025.04": 1}


def test_migrate_switches_alias_atomically_and_keeps_documents(client, prefix, tmp_path,
                                                               monkeypatch):
    store = ElasticStore(es_url(), prefix=prefix, setup=True)
    docs = [make_doc(i, f"Mưa lũ {i}", hours=24 * 20 * i) for i in range(4)]
    store.upsert(docs)
    before = months(store)
    # version 2 of the mapping: same fields plus one; the code reads index_mappings/ from here
    mappings = tmp_path / "index_mappings"
    shutil.copytree(es_index.MAPPINGS, mappings)
    v2 = json.loads((mappings / "documents.v1.json").read_text())
    v2["version"] = 2
    v2["template"]["mappings"]["properties"]["extra"] = {"type": "keyword"}
    (mappings / "documents.v2.json").write_text(json.dumps(v2))
    monkeypatch.setattr(es_index, "MAPPINGS", mappings)
    with pytest.raises(TemplateMissing, match="migrate"):
        es_index.setup(client, prefix)
        ElasticStore(es_url(), prefix=prefix)
    switched = []
    real_update = client.indices.update_aliases

    def record(**kwargs):
        switched.append(kwargs["actions"])
        return real_update(**kwargs)

    monkeypatch.setattr(client.indices, "update_aliases", record)
    created = es_index.migrate(client, rebuild, prefix, progress=lambda _: None)
    assert len(switched) == 1  # one _aliases call: removes and adds together
    assert {i.version for i in es_index.aliased_indices(client, prefix)} == {2}
    assert months(store) == before and len(created) == len(before)
    migrated = ElasticStore(es_url(), prefix=prefix)
    assert migrated.count() == 4 and migrated.get(docs[2].id) == docs[2]
    assert migrated.search("mua lu").total == 4
    assert not client.indices.exists(index=f"{prefix}-v1-{before[0]}")
    assert es_index.migrate(client, rebuild, prefix, progress=lambda _: None) == []


def test_retention_deletes_whole_old_months(prefix):
    store = ElasticStore(es_url(), prefix=prefix, setup=True)
    store.upsert([make_doc(i, f"tin {i}", hours=24 * 31 * i) for i in range(3)])
    assert months(store) == ["2025.03", "2025.04", "2025.05"]
    deleted = es_retention(es_url(), keep_months=2, prefix=prefix,
                           now=datetime(2025, 5, 20, tzinfo=UTC), progress=lambda _: None)
    assert deleted == [f"{prefix}-v1-2025.03"]
    assert months(store) == ["2025.04", "2025.05"] and store.count() == 2


def test_es_import_copies_sqlite_store_and_resumes(prefix, tmp_path):
    sqlite = SqliteStore(tmp_path / "store.db")
    docs = [make_doc(i, f"Giá vàng {i}", hours=i) for i in range(25)]
    sqlite.upsert(docs)
    sqlite.close()
    state = tmp_path / "store.db.es-import.json"
    # a previous run stopped after copying the documents newer than hour 10
    state.write_text(json.dumps({"until": docs[10].published_at.isoformat()}))
    lines: list[str] = []
    written = es_import(tmp_path / "store.db", es_url(), prefix=prefix, batch_size=4,
                        progress=lines.append)
    assert written == 11 and not state.exists()
    assert any("resuming" in line for line in lines)
    written = es_import(tmp_path / "store.db", es_url(), prefix=prefix, batch_size=4,
                        progress=lines.append)
    store = ElasticStore(es_url(), prefix=prefix)
    assert written == 25 and store.count() == 25
    assert store.get(docs[7].id) == docs[7]


def test_significant_terms_finds_what_is_new_in_a_spike(prefix):
    store = ElasticStore(es_url(), prefix=prefix, setup=True)
    background = [make_doc(i, "Thời tiết hôm nay", "Trời nắng nhẹ ở Hà Nội", hours=-i - 48)
                  for i in range(30)]
    # syndicated copies count once (filter_duplicate_text): every spike story is worded anew
    other = real_sentences(20, avoid=("đê", "hồng", "nắng"))
    spike = [make_doc(100 + i, "Vỡ đê", hours=i * 0.1,
                      nlp=NlpSection(segmented=f"{other[2 * i]} đê sông_Hồng {other[2 * i + 1]}"))
             for i in range(10)]
    store.upsert(background + spike)
    terms = store.significant_terms(filters=Filters(since=spike[0].published_at),
                                    background_filters=Filters())
    words = [term for term, _ in terms]
    assert "đê" in words[:3] and "sông_hồng" in words
    assert "hà_nội" not in words[:2] and "nắng" not in words


def test_open_store_accepts_elasticsearch_url(client, prefix):
    es_setup(es_url(), prefix=prefix, alerts_prefix=prefix + "-alerts", progress=lambda _: None)
    url = es_url().replace("http://", "elasticsearch+http://") + f"?prefix={prefix}"
    store = open_store(url)
    assert isinstance(store, ElasticStore) and store.prefix == prefix
    store.upsert([make_doc(1, "kết nối qua URL")])
    assert store.count() == 1


def test_index_body_holds_forms_and_keywords():
    body = index_body(make_doc(1, "Mưa lũ ở Thanh Hoá", source_id="VnExpress",
                               published_at=datetime(2025, 3, 1, tzinfo=UTC) + timedelta(hours=1)))
    assert body["x_title"] == "mưa lũ ở thanh hóa" and body["f_title"] == "mua lu o thanh hoa"
    assert body["k_source"] == ["vnexpress"] and body["source_id"] == ["VnExpress"]
