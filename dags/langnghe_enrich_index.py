"""enrich_index: enrich the spooled documents and upsert them into the store (Elasticsearch).

Runs whenever `langnghe_collect` updates the `langnghe_spool` asset, and at least every 10 minutes
(documents spooled by `langnghe crawl` or a retried collect are not left waiting). Its one task
calls `runner.stages.ingest` — the function the embedded runner calls — which claims spool batches
(an atomic rename, so two consumers never take the same batch), enriches them (segmentation,
sentiment, entities, stories, and the watch topics of the effective configuration — the watch
file's and those analysts saved in the web app, brought to the enrich context by
`runner.stages.configure` as the runner does every cycle), bulk-upserts them into the store named
by `langnghe_store_url`, and deletes a batch only after the store has committed it.

Idempotent: a task killed or retried mid-way leaves its claimed batches to be re-delivered (stale
claims return to the queue), and every store write is an upsert by document id, so a retried or
repeated run never duplicates a document. One run at a time: the story index (near-duplicate
clustering under the home) has one writer.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task
from langnghe_common import DEFAULT_ARGS, SPOOL, START

MAX_ROUNDS = 200  # × 20 batches per round: one run drains a large backlog, then lets go


@dag(
    dag_id="langnghe_enrich_index",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("*/10 * * * *", timezone="UTC"), assets=SPOOL),
    start_date=START,
    catchup=False,
    max_active_runs=1,  # the story index has one writer
    dagrun_timeout=timedelta(minutes=60),
    default_args={**DEFAULT_ARGS, "execution_timeout": timedelta(minutes=45)},
    tags=["langnghe", "enrich", "index"],
    doc_md=__doc__,
)
def langnghe_enrich_index():
    @task
    def ingest(dag_run=None) -> dict:
        """runner.stages.ingest: spool → enrich → store upsert → acknowledge."""
        from langnghe_common import deployment, run_time

        from runner import stages

        dep = deployment()
        context = stages.enrich_context(dep.home, None)  # the models and the story index
        # run_after: a run the asset triggered has no data interval
        stages.configure(dep.effective(run_time(dag_run.run_after)), context)
        store = dep.open_store()
        try:
            report = stages.ingest(dep.home, store, max_rounds=MAX_ROUNDS, context=context)
        finally:
            store.close()
        print(f"ingest: {report.documents} documents in {report.batches} batches "
              f"({report.seconds:.1f} s)")
        return {"batches": report.batches, "documents": report.documents,
                "seconds": round(report.seconds, 2), "errors": report.errors}

    ingest()


langnghe_enrich_index()
