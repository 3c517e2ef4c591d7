"""detect_alerts: detect spikes, crisis rules and source problems, then deliver what is due.

Every 5 minutes (the finest detection bucket; `LANGNGHE_DETECT_CRON`). Its one task calls
`runner.stages.detect_and_deliver` — the function the embedded runner calls — with
`now = data_interval_end` of the run (never the wall clock), so a re-run of a run re-detects
exactly the same moment. Alerts are persisted in the outbox under the home before anything is
sent; the outbox keys alerts by incident (`rule:<id>`, `spike:<topic>`, ...) with a cooldown,
so running the same run twice records the same incident once and sends nothing twice.
Channels, recipient groups and rules come from the alerts configuration (`langnghe_alerts`);
without that file alerting is off and the task says so. As in the runner, the effective
configuration at `now` adds the web app's recipient groups, watch topics and sources, and leaves
out the topics someone muted there (`runner.effective`).
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import dag, task
from langnghe_common import DEFAULT_ARGS, START

# 5 min: the smallest detection bucket (alerts.config.BUCKETS). Read at parse time (a schedule
# cannot wait for a database); the topology test sets every minute (docs/deploy.md)
DETECT_CRON = os.environ.get("LANGNGHE_DETECT_CRON") or "*/5 * * * *"


@dag(
    dag_id="langnghe_detect_alerts",
    schedule=DETECT_CRON,
    start_date=START,
    catchup=False,
    max_active_runs=1,  # detection at t+5 must see the incidents recorded at t
    dagrun_timeout=timedelta(minutes=15),
    default_args={**DEFAULT_ARGS, "execution_timeout": timedelta(minutes=10)},
    tags=["langnghe", "alerts"],
    doc_md=__doc__,
)
def langnghe_detect_alerts():
    @task
    def detect_and_deliver(data_interval_end=None) -> dict:
        """runner.stages.detect_and_deliver at the run's data_interval_end."""
        from langnghe_common import deployment, run_time

        from runner import stages

        now = run_time(data_interval_end)
        dep = deployment()
        config = dep.effective(now)
        setup = stages.open_alerting(dep.home, config)
        if setup is None:
            print(f"alerting is off: no alerts configuration at {dep.alerts}")
            return {"alerts": 0, "sent": 0, "failed": 0, "now": now.isoformat()}
        store = dep.open_store()
        try:
            report = stages.detect_and_deliver(setup, store, config.registry, dep.home, now)
        finally:
            store.close()
            setup.outbox.close()
        return {"alerts": report.alerts, "sent": report.sent, "failed": report.failed,
                "now": now.isoformat()}

    detect_and_deliver()


langnghe_detect_alerts()
