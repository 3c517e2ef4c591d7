"""daily_digest: the leaders' morning digest, queued then delivered.

Daily at 07:00 Vietnam time (the default `digest.at` of the alerts configuration; a deployment
with another time sets `LANGNGHE_DIGEST_CRON`, read from the environment at parse time because a
schedule cannot wait for a database). `queue_digest` calls `alerts.digest.queue_digest` with
`now = data_interval_end`: it builds yesterday-to-now's figures from the store and persists one
digest per local day (key `digest:<date>`), so a retried or repeated run queues nothing new.
`deliver` calls `alerts.engine.deliver_pending`, which sends every due delivery once (failures are
rescheduled with backoff by the outbox, not by re-sending). Recipient groups are those of the
effective configuration: the YAML's and those admins manage in the web app (`runner.effective`).
`detect_alerts` also queues the digest once its time has passed; the per-day key makes the two
paths one digest.
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import CronTriggerTimetable, dag, task
from langnghe_common import DEFAULT_ARGS, START

DIGEST_CRON = os.environ.get("LANGNGHE_DIGEST_CRON", "0 7 * * *")  # alerts DigestConfig.at


@dag(
    dag_id="langnghe_daily_digest",
    schedule=CronTriggerTimetable(DIGEST_CRON, timezone="Asia/Ho_Chi_Minh"),
    start_date=START,
    catchup=False,  # a missed morning is not sent at noon for yesterday
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),
    default_args={**DEFAULT_ARGS, "execution_timeout": timedelta(minutes=15)},
    tags=["langnghe", "alerts", "digest"],
    doc_md=__doc__,
)
def langnghe_daily_digest():
    @task
    def queue_digest(data_interval_end=None) -> dict:
        """alerts.digest.queue_digest for the run's local day."""
        from langnghe_common import deployment, run_time

        from alerts import digest
        from alerts.health import from_crawler
        from crawlers.health import source_health
        from runner import stages

        now = run_time(data_interval_end)
        dep = deployment()
        config = dep.effective(now)
        setup = stages.open_alerting(dep.home, config)
        if setup is None:
            return {"queued": None, "reason": f"no alerts configuration at {dep.alerts}"}
        store = dep.open_store()
        try:
            health = [from_crawler(row, now)
                      for row in source_health(dep.home, config.registry)]
            saved = digest.queue_digest(setup.outbox, store, setup.config, now,
                                        source_health=health)
        finally:
            store.close()
            setup.outbox.close()
        return {"queued": saved.key, "alert_id": saved.id}

    @task
    def deliver(queued: dict, data_interval_end=None) -> dict:
        """alerts.engine.deliver_pending: send what is due now."""
        from langnghe_common import deployment, run_time

        from alerts.engine import deliver_pending
        from runner import stages

        now = run_time(data_interval_end)
        dep = deployment()
        setup = stages.open_alerting(dep.home, dep.effective(now))
        if setup is None:
            return {"sent": 0, "failed": 0}
        try:
            sent = deliver_pending(setup.outbox, setup.channels, now, setup.config)
        finally:
            setup.outbox.close()
        return {"sent": sent.sent, "retried": sent.retried, "failed": sent.failed,
                "errors": sent.errors[:20]}  # XCom stays small; the outbox keeps every error

    deliver(queue_digest())


langnghe_daily_digest()
