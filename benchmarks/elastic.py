"""Elasticsearch store benchmark beside the SQLite store: bulk docs/s and search p50/p95, same data.

    python -m benchmarks.elastic [--docs 200000] [--url http://127.0.0.1:9200] [--seed 7]

Documents come from the generator of benchmarks/store.py (real VNTC/ViCTSD text, enriched), built
before the clock starts, and are written to both stores in the same run: SQLite in upserts of
500, Elasticsearch through the store's streaming bulk (chunks of 500, refresh at the end). Then
the same query set (benchmarks.store.QUERIES) runs on both, one warm-up round and ROUNDS timed.
Without --url the local node is started with scripts/elasticsearch.sh.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.store import BATCH, CHUNK, load_corpus, make_doc, measure_queries
from store import es_index
from store.base import Store
from store.elastic import ElasticStore, client_from_env
from store.sqlite import SqliteStore

PREFIX = "langnghe-bench"  # never a deployment's alias
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "elasticsearch.sh"


def local_node() -> str:
    run = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True,
                         check=False)
    if run.returncode != 0:
        raise SystemExit(f"could not start Elasticsearch:\n{run.stderr[-2000:]}")
    return run.stdout.strip().splitlines()[-1]


def ingest_both(stores: dict[str, Store], total: int, seed: int) -> dict[str, float]:
    corpus = load_corpus()
    rng = random.Random(seed)
    seconds = dict.fromkeys(stores, 0.0)
    for start in range(0, total, CHUNK):
        docs = [make_doc(i, rng, corpus) for i in range(start, min(total, start + CHUNK))]
        for name, store in stores.items():
            t0 = time.perf_counter()
            for b in range(0, len(docs), BATCH):
                store.upsert(docs[b : b + BATCH])
            seconds[name] += time.perf_counter() - t0
        print(f"  ingested {start + len(docs):>7,} docs", flush=True)
    es = stores["elasticsearch"]
    t0 = time.perf_counter()
    es.client.indices.refresh(index=es.prefix)  # type: ignore[attr-defined]
    seconds["elasticsearch"] += time.perf_counter() - t0
    return {name: total / s for name, s in seconds.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--url", default=None, help="Elasticsearch URL (default: local node)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    url = args.url or local_node()
    client = client_from_env(url)
    client.options(ignore_status=404).indices.delete(index=f"{PREFIX}-v*")
    es_index.setup(client, PREFIX, alerts_prefix=PREFIX + "-alerts")
    folder = Path(tempfile.mkdtemp(prefix="langnghe-bench-"))
    stores: dict[str, Store] = {"sqlite": SqliteStore(folder / "store.db"),
                                "elasticsearch": ElasticStore(url, prefix=PREFIX, refresh=False)}
    print(f"sqlite: {folder / 'store.db'}  elasticsearch: {url} alias {PREFIX}")
    rates = ingest_both(stores, args.docs, args.seed)
    rows = [("documents", *(f"{s.count():,}" for s in stores.values()))]
    rows.append(("docs/s (Documents ready)", *(f"{rates[n]:,.0f}" for n in stores)))
    latencies = {}
    for name, store in stores.items():
        timings, per_query = measure_queries(store)  # type: ignore[arg-type]
        latencies[name] = statistics.quantiles(timings, n=100)
        slowest = sorted(per_query, key=lambda row: -row[1])[:5]
        print(f"\n{name}: slowest queries (ms, total)")
        for query, ms, total in slowest:
            print(f"  {ms:7.1f}  {total:>7,}  {query}")
    rows.append(("search p50 (ms)", *(f"{latencies[n][49]:.1f}" for n in stores)))
    rows.append(("search p95 (ms)", *(f"{latencies[n][94]:.1f}" for n in stores)))
    for store in stores.values():
        store.close()
    print("\n| measure | sqlite | elasticsearch |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
