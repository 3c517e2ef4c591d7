"""Parity: one scenario through the embedded runner and through the Airflow DAGs gives the same
store contents, the same incidents and the same deliveries.

The scenario (tests/dags/world.py): the real outlets of ../shared/data/web replayed on
127.0.0.1 and the scripted burst of the demo corpus (a market fire in Thanh Hóa, six articles
from three outlets in the 50 minutes before `now`). In the web app's database of each home —
written by the functions the web app's routes call (`web.sources_admin`, `web.topics`,
`web.recipients`; the app itself does not import under Airflow's pinned FastAPI) — an admin
adds the burst's local outlet (absent from sources.yaml; the crisis rule watches local press)
and disables one real outlet, an analyst saves the topic "Cháy chợ" and mutes the file topic
"chay-no" for a day, an admin adds the webhook group "Trực ban". Detection is set sensitive
enough (`min_count: 3`) that the burst also spikes the topics it matches, so the mute shows.

The runner: the engine `langnghe run` builds (`runner.engine.open_engine`), one `cycle(now)`.
The DAGs: `dag.test()` of collect → enrich_index → detect_alerts at logical date `now`. Each
writes its own home and SQLite store; both post to one local webhook receiver, read in turn.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from tests.dags.world import RULE_ID, build_world, run_time

CHAIN = ("langnghe_collect", "langnghe_enrich_index", "langnghe_detect_alerts")
WEB_SOURCE = "demo-songlam"  # the burst's local outlet: only the web app knows it
DISABLED = "outlet0"  # a real outlet of sources.yaml, disabled in the web app
WEB_TOPIC = ("chay-cho", "Cháy chợ", '"cháy chợ"')
MUTED = "chay-no"  # a topic of the watch file (config/watch.yaml)
GROUP_PATH = "/truc-ban"
DETECTION = "detection:\n  buckets: ['15min', '1h']\n  min_count: 3\n"


def _web_settings(world, home: Path) -> None:
    """What people set in the web app, through the web modules' own functions."""
    from alerts.config import load_config
    from web import recipients, sources_admin, topics

    db = home / "web.sqlite"
    for form in world.web_sources:
        sources_admin.add_source(db, form, "admin", resolver=lambda host: ["14.225.0.1"])
    sources_admin.set_disabled(db, DISABLED, True, "admin")
    topics.save_topic(db, *WEB_TOPIC, "analyst")
    topics.mute(db, MUTED, world.now + timedelta(days=1), world.now, "analyst")
    group = recipients.GroupForm("Trực ban", "webhook",
                                 world.receiver.url.replace("/hook", GROUP_PATH), "info",
                                 ("spike", "rule"))
    recipients.save_group(db, group, "admin", load_config(world.env["LANGNGHE_ALERTS"]))


def _snapshot(world, home: Path) -> dict:
    """Store contents (every document, fetch times and capture offsets aside), incidents and
    deliveries (in the outbox and as received), comparable across two homes."""
    from alerts.outbox import Outbox
    from store.base import Filters
    from store.sqlite import SqliteStore

    store = SqliteStore(home / "store.sqlite")
    box = Outbox(home / "alerts.sqlite")
    try:
        docs = {}
        for doc in store.iter_documents("", Filters()):
            row = doc.model_dump(mode="json", exclude={"fetched_at", "capture"})
            row["captured"] = doc.capture is not None
            docs[doc.id] = row
        incidents = sorted(
            (a.key, a.kind, a.severity, a.title, tuple(sorted(a.data.get("also_matches", []))),
             tuple(sorted(d.url for d in a.explanation.documents))) for a in box.open_alerts())
        keys = {a.id: a.key for a in box.open_alerts()}
        deliveries = sorted((keys[d["alert_id"]], d["version"], d["recipient"], d["channel"],
                             d["status"]) for d in box.deliveries())
        received = sorted((path, body.get("subject", ""))
                          for path, body in zip(world.receiver.paths, world.receiver.bodies,
                                                strict=True))
        return {"documents": docs, "incidents": incidents, "deliveries": deliveries,
                "received": received}
    finally:
        box.close()
        store.close()


def _through_runner(world, home: Path) -> dict:
    from langnghe.paths import Home
    from runner.effective import load_files
    from runner.engine import open_engine
    from store.sqlite import SqliteStore

    env = world.env
    files = load_files(env["LANGNGHE_SOURCES"], env["LANGNGHE_WATCH"], env["LANGNGHE_ALERTS"])
    store = SqliteStore(home / "store.sqlite")
    host_map = json.loads(Path(env["LANGNGHE_HOST_MAP"]).read_text(encoding="utf-8"))
    engine = open_engine(Home.resolve(home), store, files, host_map=host_map,
                         echo=lambda line: None)
    try:
        summary = engine.cycle(world.now)
    finally:
        engine.stop()
        engine.alerting.outbox.close()
        store.close()
    assert summary.error is None, summary.error
    return _snapshot(world, home)


def _through_dags(world, home: Path, dagbag) -> dict:
    os.environ.update({**world.env, "LANGNGHE_HOME": str(home),
                       "LANGNGHE_STORE_URL": f"sqlite:///{home / 'store.sqlite'}"})
    for dag_id in CHAIN:
        run = dagbag.get_dag(dag_id).test(logical_date=world.now)
        assert run.state == "success", dag_id
    return _snapshot(world, home)


@pytest.fixture(scope="module")
def parity(dagbag, airflow_db, tmp_path_factory):
    now = run_time()
    world = build_world(tmp_path_factory.mktemp("parity"), now, web_sources=(WEB_SOURCE,),
                        detection=DETECTION)
    saved = dict(os.environ)
    os.environ.update({"LANGNGHE_SECRET": secrets.token_urlsafe(48),  # signs the web group
                       "LANGNGHE_EGRESS_ALLOW": "127.0.0.1"})  # the receiver is local
    homes = {name: world.home.parent / name for name in ("runner", "dags")}
    try:
        for home in homes.values():
            home.mkdir()
            _web_settings(world, home)
        runner = _through_runner(world, homes["runner"])
        world.receiver.bodies.clear()
        world.receiver.paths.clear()
        dags = _through_dags(world, homes["dags"], dagbag)
        yield {"world": world, "runner": runner, "dags": dags}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        world.stop()


def test_scenario_exercises_every_web_setting(parity):
    """The runner's result shows each setting at work, so equal results mean something."""
    runner, world = parity["runner"], parity["world"]
    sources = {d["source_id"] for d in runner["documents"].values()}
    assert WEB_SOURCE in sources and DISABLED not in sources
    tagged = {d["title"] for d in runner["documents"].values()
              if WEB_TOPIC[0] in d["nlp"]["topics"]}
    assert tagged and tagged <= set(world.burst_titles)
    ((key, kind, _, _, also, _),) = runner["incidents"]  # one incident: the fire
    assert (key, kind) == (f"rule:{RULE_ID}", "rule")  # raised by the web-added local outlet
    assert any(WEB_TOPIC[1] in title for title in also)  # the web topic spiked with it
    assert not any("Cháy nổ" in title for title in also)  # the muted file topic did not
    assert {path for path, _ in runner["received"]} == {"/hook", GROUP_PATH}
    assert all(status == "sent" for *_, status in runner["deliveries"])


def test_dags_store_the_same_documents_as_the_runner(parity):
    runner, dags = parity["runner"]["documents"], parity["dags"]["documents"]
    assert sorted(dags) == sorted(runner)
    different = [doc_id for doc_id in runner if dags[doc_id] != runner[doc_id]]
    assert different == [], {d: (runner[d], dags[d]) for d in different[:1]}


def test_dags_raise_the_same_incidents_as_the_runner(parity):
    assert parity["dags"]["incidents"] == parity["runner"]["incidents"]


def test_dags_deliver_the_same_messages_as_the_runner(parity):
    assert parity["dags"]["deliveries"] == parity["runner"]["deliveries"]
    assert parity["dags"]["received"] == parity["runner"]["received"]
