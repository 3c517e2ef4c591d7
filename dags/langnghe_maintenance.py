"""maintenance: retention of WARC evidence and Elasticsearch indices, source-health report.

Daily at 02:30 Vietnam time (the quietest hour of the Vietnamese press). Three independent tasks:
- `source_health` calls `crawlers.health.source_health` and returns every source's status
  (ok / silent / failing / never) to XCom; failing or silent sources are alerted by
  `detect_alerts`, this is the daily record of them.
- `prune_captures` calls `runner.stages.prune_captures` — what every collect calls, in both
  deployments — with `now = data_interval_end`: WARC captures under the home last written more
  than the sources file's `capture_retention_days` ago go, at most once a day (so it usually
  reports that a collect run already pruned today; it matters while collection is paused).
- `es_retention` calls `store.es_admin.es_retention`: monthly document indices older than
  `langnghe_es_keep_months` are deleted (take a snapshot first, see docs/deploy.md). With the
  SQLite store it does nothing and says so.
Model retraining is not scheduled here: `python -m nlp.train` rebuilds the shipped models from
the reference corpora (not from staff corrections) into the package, which ships in the image;
retraining belongs in the image build until a corrections-based trainer exists.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, dag, task
from langnghe_common import DEFAULT_ARGS, ES_KEEP_MONTHS, START


@dag(
    dag_id="langnghe_maintenance",
    schedule=CronTriggerTimetable("30 2 * * *", timezone="Asia/Ho_Chi_Minh"),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=3),
    default_args={**DEFAULT_ARGS, "execution_timeout": timedelta(hours=1)},
    tags=["langnghe", "maintenance"],
    doc_md=__doc__,
)
def langnghe_maintenance():
    @task
    def source_health(data_interval_end=None) -> dict:
        """crawlers.health.source_health: status per source of the effective registry."""
        from langnghe_common import deployment, run_time

        from crawlers.health import source_health as health

        dep = deployment()
        rows = health(dep.home, dep.effective(run_time(data_interval_end)).registry)
        return {row.source_id: {"status": row.status, "items_24h": row.items_24h,
                                "last_error": row.last_error} for row in rows}

    @task
    def prune_captures(data_interval_end=None) -> dict:
        """runner.stages.prune_captures: WARC files past `capture_retention_days`."""
        from langnghe_common import deployment, run_time

        from runner import stages

        dep = deployment()
        registry = dep.effective(run_time(data_interval_end)).registry
        deleted = stages.prune_captures(dep.home, registry, now=data_interval_end.timestamp())
        return {"days": registry.capture_retention_days,
                "deleted": None if deleted is None else [str(p) for p in deleted]}

    @task
    def es_retention(data_interval_end=None) -> dict:
        """store.es_admin.es_retention: monthly indices past `es_keep_months`."""
        from langnghe_common import deployment, run_time, setting

        dep = deployment()
        if not dep.is_elasticsearch:
            return {"deleted": [], "reason": "the store is SQLite; nothing to roll over"}
        from runner.es_cli import es_target
        from store.es_admin import es_retention as retention

        hosts, prefix, _ = es_target(dep.store_url)  # the store's URL, as `langnghe es` reads it
        keep = int(setting("es_keep_months") or ES_KEEP_MONTHS)
        return {"deleted": retention(hosts, keep, prefix, now=run_time(data_interval_end)),
                "keep_months": keep}

    source_health()
    prune_captures()
    es_retention()


langnghe_maintenance()
