"""The Elasticsearch node the suites run against, and fresh stores on it.

LANGNGHE_ES_URL names a running node (`make test` and CI start one with
scripts/elasticsearch.sh); when it is unset the first test that needs a node starts one with the
same script. A node that cannot be started fails the tests with the script's own error.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

from elasticsearch import Elasticsearch, helpers

from store import es_index
from store.elastic import ElasticStore
from tests.paths import REPO

SCRIPT = REPO / "scripts" / "elasticsearch.sh"
TEST_PREFIX = "lntest-docs"  # indices of the test suites; never a deployment's alias
START_TIMEOUT_S = 600  # first run downloads ~100 MB with Maven, then waits for health


@functools.cache
def es_url() -> str:
    url = os.environ.get("LANGNGHE_ES_URL", "").strip()
    if url:
        return url
    run = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True,
                         timeout=START_TIMEOUT_S, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"{SCRIPT.name} start failed (exit {run.returncode}):\n"
                           f"{run.stderr[-3000:]}")
    return run.stdout.strip().splitlines()[-1]


@functools.cache
def es_client() -> Elasticsearch:
    client = Elasticsearch(es_url(), request_timeout=60)
    es_index.setup(client, TEST_PREFIX, alerts_prefix="lntest-alerts")
    return client


def _empty(client: Elasticsearch, alias: str) -> None:
    """Delete every document behind the alias (cheaper than new indices: ~20 ms, not ~400)."""
    for _ in range(3):  # a delete racing a late refresh may leave a straggler: look again
        found = client.options(ignore_status=404).search(index=alias, size=10_000,
                                                         source=False)
        hits = found.body.get("hits", {}).get("hits", [])
        if not hits:
            return
        helpers.bulk(client, ({"_op_type": "delete", "_index": h["_index"], "_id": h["_id"]}
                              for h in hits), refresh=True, raise_on_error=False)
    raise RuntimeError(f"could not empty {alias} for the next test")


def elastic_store(tmp_path: Path | None = None, **options) -> ElasticStore:
    """A store on the suites' alias, emptied first (the contract suite's `elasticsearch`)."""
    client = es_client()
    _empty(client, TEST_PREFIX)
    return ElasticStore(es_url(), prefix=TEST_PREFIX, **options)
