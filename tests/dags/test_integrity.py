"""DAG integrity: the folder parses without errors, cheaply, into the expected DAGs and tasks,
and every DAG follows the house policy (catchup off, retries with backoff, timeouts, tags, docs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.dags.conftest import DAGS

EXPECTED = {
    "langnghe_collect": {"plan_groups": set(), "crawl_group": {"plan_groups"},
                         "discover": set(), "report": {"crawl_group", "discover"}},
    "langnghe_enrich_index": {"ingest": set()},
    "langnghe_detect_alerts": {"detect_and_deliver": set()},
    "langnghe_daily_digest": {"queue_digest": set(), "deliver": {"queue_digest"}},
    "langnghe_maintenance": {"source_health": set(), "prune_captures": set(),
                             "es_retention": set()},
}
PARSE_BUDGET_S = 2.0  # the dag-processor re-parses every file every 30 s; ours take ~0.3 s cold
HEAVY = ("runner", "crawlers", "nlp", "store", "alerts", "langnghe", "scrapy", "underthesea",
         "sklearn", "elasticsearch")  # the package and its heavy deps load inside tasks only
PARSE_PROBE = """
import json, sys, time
from pathlib import Path
start = time.perf_counter()
from airflow.dag_processing.dagbag import BundleDagBag
imported = time.perf_counter()
before = {m.split('.')[0] for m in sys.modules}
bag = BundleDagBag(dag_folder=sys.argv[1], bundle_path=Path(sys.argv[1]))
print(json.dumps({"errors": bag.import_errors, "dags": sorted(bag.dags),
                  "parse_s": time.perf_counter() - imported,
                  "files": {s.file: s.duration.total_seconds() for s in bag.dagbag_stats},
                  "new_modules": sorted({m.split('.')[0] for m in sys.modules} - before)}))
"""


@pytest.fixture(scope="module")
def cold_parse(airflow_db):
    """The DAG folder parsed in a fresh interpreter, as a dag-processor child does."""
    out = subprocess.run([sys.executable, "-c", PARSE_PROBE, str(DAGS)], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_dagbag_has_no_import_errors(dagbag, cold_parse):
    assert dagbag.import_errors == {}
    assert cold_parse["errors"] == {}
    assert cold_parse["dags"] == sorted(EXPECTED)


def test_dagbag_parse_time_is_bounded(cold_parse):
    assert cold_parse["parse_s"] < PARSE_BUDGET_S, cold_parse["files"]
    assert set(cold_parse["files"]) == {f"{dag_id}.py" for dag_id in EXPECTED}


def test_dagbag_parse_imports_nothing_heavy(cold_parse):
    loaded = set(cold_parse["new_modules"]) & set(HEAVY)
    assert not loaded, f"imported at parse time: {sorted(loaded)}"


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_dag_has_expected_tasks_and_dependencies(dagbag, dag_id):
    dag = dagbag.get_dag(dag_id)
    assert {t.task_id: set(t.upstream_task_ids) for t in dag.tasks} == EXPECTED[dag_id]


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_dag_follows_the_scheduling_policy(dagbag, dag_id):
    dag = dagbag.get_dag(dag_id)
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.dagrun_timeout is not None and dag.dagrun_timeout <= timedelta(hours=3)
    assert "langnghe" in dag.tags and len(dag.tags) >= 2
    module = sys.modules[dag.fileloc and _module_name(dag.fileloc)]
    assert dag.doc_md and dag.doc_md == module.__doc__


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_every_task_retries_with_backoff_within_a_timeout(dagbag, dag_id):
    for task in dagbag.get_dag(dag_id).tasks:
        assert task.retries >= 2, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.max_retry_delay is not None, task.task_id
        assert task.execution_timeout is not None, task.task_id
        assert task.execution_timeout <= dagbag.get_dag(dag_id).dagrun_timeout, task.task_id


def test_crawl_task_outlives_the_crawl_it_runs(dagbag):
    """Airflow's hard timeout must leave crawl_once time for its own graceful stop."""
    collect = sys.modules[_module_name(dagbag.get_dag("langnghe_collect").fileloc)]
    for task_id in ("crawl_group", "discover"):
        crawl = dagbag.get_dag("langnghe_collect").get_task(task_id)
        assert crawl.execution_timeout.total_seconds() > collect.CRAWL_TIMEOUT_S, task_id


def test_collect_updates_the_spool_asset_that_schedules_enrich_index(dagbag):
    report = dagbag.get_dag("langnghe_collect").get_task("report")
    assert [a.name for a in report.outlets] == ["langnghe_spool"]
    schedule = dagbag.get_dag("langnghe_enrich_index").timetable
    assert "langnghe_spool" in repr(schedule.asset_condition)


def _module_name(fileloc: str) -> str:
    """The module name the DagBag registered a DAG file under."""
    return next(name for name, mod in sys.modules.items()
                if getattr(mod, "__file__", None) == fileloc)


SCHEDULE_PROBE = """
import json, sys
from pathlib import Path
from airflow.dag_processing.dagbag import BundleDagBag
bag = BundleDagBag(dag_folder=sys.argv[1], bundle_path=Path(sys.argv[1]))
print(json.dumps({d: bag.dags[d].timetable.expression for d in sys.argv[2:]}))
"""


def test_collect_and_detect_run_every_5_minutes_unless_the_environment_says(dagbag, airflow_db):
    """LANGNGHE_COLLECT_CRON / LANGNGHE_DETECT_CRON (set by tests/deploy/test_topology.py to
    every minute; unset in docker-compose.yml) are read when the dag-processor parses."""
    dags = ("langnghe_collect", "langnghe_detect_alerts")
    assert {d: dagbag.get_dag(d).timetable.expression for d in dags} == dict.fromkeys(
        dags, "*/5 * * * *")
    env = {**os.environ, "LANGNGHE_COLLECT_CRON": "* * * * *",
           "LANGNGHE_DETECT_CRON": "*/2 * * * *"}
    out = subprocess.run([sys.executable, "-c", SCHEDULE_PROBE, str(DAGS), *dags], env=env,
                         check=True, capture_output=True, text=True, timeout=120).stdout
    assert json.loads(out.strip().splitlines()[-1]) == {"langnghe_collect": "* * * * *",
                                                        "langnghe_detect_alerts": "*/2 * * * *"}
