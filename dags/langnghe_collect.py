"""collect: poll due feeds and crawl new articles into the spool, one mapped task per source group.

Every 5 minutes (`LANGNGHE_COLLECT_CRON`). `plan_groups` splits the enabled sources of the
effective registry (the sources file plus the sources admins added in the web app, minus those
they disabled: `runner.effective`, as the embedded runner reads it every cycle) into
`collect_groups` groups (a source always lands in the same group); `crawl_group` is mapped over
them, so Airflow workers on several machines crawl in parallel. Each mapped task calls
`runner.stages.collect` — the function the embedded runner calls — which runs Scrapy in a
subprocess (Twisted's reactor cannot restart inside one process; a subprocess behaves the same
under `dag.test()` and on a worker) and returns the crawl's stats (found / new / failed and
errors per source), which go to XCom and the task log. `report` adds the groups up.

Keyword discovery (the watch file's `discovery:` block, as `langnghe run` reads it) is one task of
its own, `discover`, beside the groups: it polls each watch topic's Google News search feed (the
file's and the web app's) when due (every `discovery.minutes`) through the same
`runner.stages.collect`, over the whole registry with every source disabled — so outlets already
covered are known and skipped, and no feed is polled twice — once per cycle rather than once per
group. Discovered articles go to the same spool; their outlets are proposed, never added.

Design: crawled documents are written to the **spool on shared storage** (`LANGNGHE_HOME/spool`,
a maildir: write to tmp/, rename into new/), not straight into the store. The spool is the
durable hand-off: a crawl never waits for Elasticsearch, a dead enrich worker loses nothing, and
enrichment (CPU-bound, one story-index writer) is scaled separately from crawling (I/O-bound).
The run updates the `langnghe_spool` asset, which schedules `enrich_index`.

Idempotent: feed state and seen URLs live in the crawl state under the home; a retried crawl
re-spools at most what it had not recorded, and document ids (URL hashes) make re-delivery
harmless downstream.
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import dag, task
from langnghe_common import DEFAULT_ARGS, DEFAULT_GROUPS, SPOOL, START

# feeds are polled on their own due times; 5 min is the finest step. Read at parse time (a
# schedule cannot wait for a database); the topology test sets every minute (docs/deploy.md)
COLLECT_CRON = os.environ.get("LANGNGHE_COLLECT_CRON") or "*/5 * * * *"
CRAWL_TIMEOUT_S = 600  # crawl_once's own limit: it stops gracefully at 70% and kills at 100%
# Airflow's hard limit sits above crawl_once's, so the graceful stop always comes first.
CRAWL_TASK_TIMEOUT = timedelta(seconds=CRAWL_TIMEOUT_S + 120)


@dag(
    dag_id="langnghe_collect",
    schedule=COLLECT_CRON,
    start_date=START,
    catchup=False,
    max_active_runs=1,  # two overlapping runs would poll the same due feeds twice
    dagrun_timeout=timedelta(minutes=20),
    default_args={**DEFAULT_ARGS, "execution_timeout": timedelta(minutes=2)},
    tags=["langnghe", "collect"],
    doc_md=__doc__,
)
def langnghe_collect():
    @task
    def plan_groups(data_interval_end=None) -> list[list[str]]:
        """Enabled source ids (files + web app) split into at most `collect_groups` groups."""
        from langnghe_common import deployment, run_time, setting, source_groups

        config = deployment().effective(run_time(data_interval_end))
        ids = [s.id for s in config.registry.enabled]
        return source_groups(ids, int(setting("collect_groups") or DEFAULT_GROUPS))

    @task(execution_timeout=CRAWL_TASK_TIMEOUT)
    def crawl_group(source_ids: list[str], data_interval_end=None) -> dict:
        """runner.stages.collect over one group; its CrawlReport goes to XCom."""
        from langnghe_common import crawl_summary, deployment, restrict, run_time

        from runner import stages

        dep = deployment()
        config = dep.effective(run_time(data_interval_end))
        report = stages.collect(restrict(config.registry, source_ids), dep.home,
                                host_map=dep.host_map, timeout=CRAWL_TIMEOUT_S)
        print(report.summary_line())
        return crawl_summary(report)

    @task(execution_timeout=CRAWL_TASK_TIMEOUT)
    def discover(data_interval_end=None) -> dict | None:
        """runner.stages.collect of the watch topics' search feeds only (None: discovery off)."""
        from langnghe_common import crawl_summary, deployment, discovery_registry, run_time

        from runner import stages

        dep = deployment()
        config = dep.effective(run_time(data_interval_end))
        if not config.discovery_topics:
            print("keyword discovery is off (watch file) or there is no watch topic")
            return None
        report = stages.collect(discovery_registry(config.registry), dep.home,
                                host_map=dep.host_map, timeout=CRAWL_TIMEOUT_S,
                                topics=config.discovery_topics,
                                discovery_minutes=config.discovery_minutes)
        print(report.summary_line())
        return crawl_summary(report)

    @task(outlets=[SPOOL])
    def report(groups: list[dict], discovery: dict | None) -> dict:
        """Totals over the groups and discovery; fails when every group failed (nothing
        reachable; discovery alone does not count, Google may rate-limit it)."""
        groups = [groups[i] for i in range(len(groups))]  # iterating past the end logs 404s
        parts = groups + ([discovery] if discovery else [])
        totals = {key: sum(g[key] for g in parts) for key in ("found", "new", "failed")}
        totals["groups"] = len(groups)
        totals["discovery"] = {k: discovery[k] for k in ("found", "new", "failed")} \
            if discovery else None
        totals["unreachable"] = sorted({s for g in groups for s in g["unreachable"]})
        print(f"collect: {totals}")
        if groups and all(g["found"] == 0 and g["failed"] > 0 for g in groups):
            raise RuntimeError(f"every crawl group failed: {totals}")
        return totals

    report(crawl_group.expand(source_ids=plan_groups()), discover())


langnghe_collect()
