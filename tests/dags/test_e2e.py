"""End to end with real Airflow: `dag.test()` of collect → enrich_index → detect_alerts against the
real pages of ../shared/data/web replayed on 127.0.0.1 plus a scripted burst, into the SQLite store
(or Elasticsearch when LANGNGHE_ES_URL is set); then the same runs again must change nothing."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import psutil
import pytest

from store.base import Filters
from tests.dags.conftest import xcoms
from tests.dags.world import RULE_ID, build_world

CHAIN = ("langnghe_collect", "langnghe_enrich_index", "langnghe_detect_alerts")


def _snapshot(world, store_url: str) -> dict:
    from alerts.outbox import Outbox
    from store import open_store

    store = open_store(store_url)
    box = Outbox(world.home / "alerts.sqlite")
    try:
        docs = list(store.iter_documents("", Filters()))
        return {"count": store.count(), "ids": sorted(d.id for d in docs),
                "urls": sorted(d.url for d in docs),
                "burst_hits": sorted(h.doc.title for h in store.search("chay cho", limit=50).hits),
                "alerts": sorted((a.id, a.key) for a in box.open_alerts()),
                "deliveries": len(box.deliveries()), "webhook_posts": len(world.receiver.bodies)}
    finally:
        box.close()
        store.close()


def _store_url(world) -> tuple[str, object]:
    """(store URL, cleanup): SQLite under the home, or fresh indices on LANGNGHE_ES_URL's node."""
    es_url = os.environ.get("LANGNGHE_ES_URL", "").strip()
    if not es_url:
        return f"sqlite:///{world.home / 'store.sqlite'}", lambda: None
    from store.elastic import client_from_env
    from store.es_admin import es_setup

    prefix = f"lntest-dags-{uuid.uuid4().hex[:8]}"  # never a deployment's alias
    es_setup(es_url, prefix=prefix, alerts_prefix=f"{prefix}-alerts", progress=lambda _: None)

    def cleanup() -> None:
        client = client_from_env(es_url)
        try:
            client.indices.delete(index=f"{prefix}*", ignore_unavailable=True)
        finally:
            client.close()

    base = es_url if es_url.lower().startswith("elasticsearch+") else f"elasticsearch+{es_url}"
    return f"{base}?prefix={prefix}", cleanup


def _run_chain(dagbag, now: datetime) -> dict:
    """dag_id → (run state, {task_id: return values by map index}), read before a re-run of
    the same logical date clears them."""
    runs = {}
    for dag_id in CHAIN:
        dag = dagbag.get_dag(dag_id)
        run = dag.test(logical_date=now)
        runs[dag_id] = (run.state, {t.task_id: xcoms(run, t.task_id) for t in dag.tasks})
    return runs


@pytest.fixture(scope="module")
def flow(dagbag, airflow_db, tmp_path_factory):
    """Two passes of the same runs; the second after the crawl state is lost, so every page is
    crawled and spooled again (as a retried crawl that never recorded its work would)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    world = build_world(tmp_path_factory.mktemp("world"), now)
    store_url, cleanup = _store_url(world)
    saved = dict(os.environ)
    os.environ.update({**world.env, "LANGNGHE_STORE_URL": store_url})
    try:
        first = _run_chain(dagbag, now)
        after_first = _snapshot(world, store_url)
        listening = [c.laddr for c in psutil.Process().net_connections("inet")
                     if c.status == psutil.CONN_LISTEN]
        (world.home / "crawlstate.sqlite").unlink()
        second = _run_chain(dagbag, now)
        after_second = _snapshot(world, store_url)
        yield {"world": world, "now": now, "first": first, "second": second,
               "after_first": after_first, "after_second": after_second,
               "listening": listening}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        world.stop()
        cleanup()


def test_every_run_of_the_chain_succeeds(flow):
    for runs in (flow["first"], flow["second"]):
        assert {dag_id: state for dag_id, (state, _) in runs.items()} == dict.fromkeys(
            CHAIN, "success")


def test_collect_maps_one_crawl_per_source_group_and_returns_crawl_stats(flow):
    returned = flow["first"]["langnghe_collect"][1]
    (groups,) = returned["plan_groups"]
    reports = returned["crawl_group"]
    assert len(groups) == 3 and len(reports) == len(groups)  # LANGNGHE_COLLECT_GROUPS=3
    for ids, report in zip(groups, reports, strict=True):
        assert set(report["sources"]) <= set(ids)
        assert report["found"] == sum(s["found"] for s in report["sources"].values())
    world = flow["world"]
    (total,) = returned["report"]
    assert total["found"] == total["new"] == len(world.real_urls) + len(world.burst_titles)
    assert total["failed"] == 0 and total["unreachable"] == []


def test_enrich_index_makes_every_crawled_page_searchable(flow):
    world, state = flow["world"], flow["after_first"]
    assert set(world.real_urls) <= set(state["urls"])
    assert state["count"] == len(world.real_urls) + len(world.burst_titles)
    assert set(world.burst_titles) <= set(state["burst_hits"])  # "chay cho": no diacritics
    (ingest,) = flow["first"]["langnghe_enrich_index"][1]["ingest"]
    assert ingest["documents"] == state["count"]


def test_detect_alerts_raises_the_burst_alert_at_data_interval_end(flow):
    (result,) = flow["first"]["langnghe_detect_alerts"][1]["detect_and_deliver"]
    assert result["now"] == flow["now"].isoformat()
    assert result["alerts"] >= 1 and result["sent"] == 1
    assert [key for _, key in flow["after_first"]["alerts"]] == [f"rule:{RULE_ID}"]
    (post,) = flow["world"].receiver.bodies
    assert RULE_ID in str(post) or "cháy" in str(post).lower()


def test_rerunning_the_same_runs_duplicates_no_document_and_no_alert(flow):
    (again,) = flow["second"]["langnghe_collect"][1]["report"]
    assert again["new"] == flow["after_first"]["count"]  # everything crawled and spooled again
    (ingest,) = flow["second"]["langnghe_enrich_index"][1]["ingest"]
    assert ingest["documents"] == flow["after_first"]["count"]  # ... and upserted again
    assert flow["after_second"] == flow["after_first"]


def test_airflow_listens_on_loopback_only(flow):
    assert flow["listening"], "the replay server at least should be listening"
    assert {addr.ip for addr in flow["listening"]} == {"127.0.0.1"}
