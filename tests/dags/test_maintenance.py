"""The maintenance DAG under real Airflow (`dag.test()`): evidence retention is the sources file's
`capture_retention_days` (as in the runner's collect), source health covers the sources added in
the web app, and Elasticsearch retention works on the store URL the deployment gives
(`elasticsearch+http://…?prefix=…`), on the real node of tests/elastic."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.dags.conftest import xcoms

RETENTION_DAYS = 10  # below the default 90 the maintenance DAG once used


@pytest.fixture(scope="module")
def maintenance(dagbag, airflow_db, tmp_path_factory):
    """One run at `now`: a home with two WARC files (20 and 5 days old), a web-added source, and
    a fresh alias holding a month three years old and the current month."""
    from langnghe.document import Document, document_id
    from store.elastic import ElasticStore, client_from_env
    from store.es_admin import es_setup
    from tests.elastic.node import es_url
    from web import sources_admin

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    tmp_path = tmp_path_factory.mktemp("maintenance")
    home = tmp_path / "home"
    captures = home / "captures"
    captures.mkdir(parents=True)
    for name, days in (("old.warc.gz", 20), ("recent.warc.gz", 5)):
        (captures / name).write_bytes(b"")
        moment = (now - timedelta(days=days)).timestamp()
        os.utime(captures / name, (moment, moment))
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"capture_retention_days: {RETENTION_DAYS}\nsources:\n  - id: a\n"
                       "    name: A\n    homepage: https://a.vn\n", encoding="utf-8")
    sources_admin.add_source(home / "web.sqlite", {
        "id": "them-tu-web", "name": "Thêm từ web", "homepage": "https://web.example.vn",
        "feeds": ["https://web.example.vn/rss"]}, "admin", resolver=lambda host: ["14.225.0.1"])
    prefix = f"lntest-maint-{uuid.uuid4().hex[:8]}"
    es_setup(es_url(), prefix=prefix, alerts_prefix=f"{prefix}-alerts", progress=lambda _: None)
    store = ElasticStore(es_url(), prefix=prefix)
    store.upsert([Document(id=document_id(url), url=url, canonical_url=url, source_id="a",
                           title="tin", published_at=when)
                  for url, when in (("https://a.vn/cu", now - timedelta(days=3 * 365)),
                                    ("https://a.vn/moi", now))])
    store.close()
    base = es_url() if es_url().startswith("elasticsearch+") else f"elasticsearch+{es_url()}"
    saved = dict(os.environ)
    os.environ.update({"LANGNGHE_HOME": str(home), "LANGNGHE_SOURCES": str(sources),
                       "LANGNGHE_STORE_URL": f"{base}?prefix={prefix}"})
    try:
        run = dagbag.get_dag("langnghe_maintenance").test(logical_date=now)
        yield run, {t: xcoms(run, t) for t in ("source_health", "prune_captures",
                                               "es_retention")}, captures
    finally:
        os.environ.clear()
        os.environ.update(saved)
        client = client_from_env(es_url())
        client.indices.delete(index=f"{prefix}*", ignore_unavailable=True)
        client.indices.delete_index_template(name=f"{prefix}*")
        client.close()


def test_maintenance_keeps_evidence_for_the_sources_files_retention(maintenance):
    run, returned, captures = maintenance
    assert run.state == "success"
    (pruned,) = returned["prune_captures"]
    assert pruned["days"] == RETENTION_DAYS
    assert [p.rsplit("/", 1)[1] for p in pruned["deleted"]] == ["old.warc.gz"]
    assert sorted(p.name for p in captures.glob("*.warc.gz")) == ["recent.warc.gz"]


def test_maintenance_reports_the_health_of_web_added_sources(maintenance):
    _, returned, _ = maintenance
    (health,) = returned["source_health"]
    assert set(health) == {"a", "them-tu-web"}


def test_maintenance_applies_es_retention_through_the_store_url(maintenance):
    _, returned, _ = maintenance
    (retention,) = returned["es_retention"]
    assert len(retention["deleted"]) == 1 and retention["keep_months"] == 24
