"""Elasticsearch store benchmark beside the SQLite store: bulk docs/s and search p50/p95, same data.

    python -m benchmarks.elastic [--docs 200000] [--url URL] [--path DIR] [--seed 7] [--search-only]
                                 [--heap 2g]

Documents come from the generator of benchmarks/store.py (real VNTC/ViCTSD text, enriched),
built before the clock starts. The SQLite store is the one benchmarks.store keeps under --path
(built in this run when missing: then both ingest rates are of this run); Elasticsearch gets
the same documents through the store's upsert in batches of 500 (the enrich stage's batch)
inside `ElasticStore.bulk_load()`, which ends with a refresh. `--search-only` reuses an index
that already holds the documents. Once the node's merges have settled, the query set
(benchmarks.store.QUERIES) runs on both stores, query by query in turn (the same neighbours'
load for both), one warm-up round and ROUNDS timed; the machine's speed (benchmarks/machine.py)
is measured before and after the load and the searches.
Without --url the local node is started with scripts/elasticsearch.sh, with the composed
deployment's heap (--heap); the heap of the node measured is printed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.machine import speed_ratio
from benchmarks.store import (
    BATCH,
    CHUNK,
    END,
    QUERIES,
    ROUNDS,
    cached_store,
    load_corpus,
    make_doc,
)
from store import es_index
from store.base import Filters, Store
from store.elastic import ElasticStore, client_from_env
from store.sqlite import SqliteStore

PREFIX = "langnghe-bench"  # never a deployment's alias
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "elasticsearch.sh"
CACHE = Path(__file__).resolve().parents[1] / "var" / "bench"
MERGE_WAIT_S = 600  # a 200k load leaves a few minutes of merging on 2 cores


def local_node(heap: str) -> str:
    """Start (or find running) the local node; a node already running keeps its heap."""
    run = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True,
                         check=False, env={**os.environ, "LANGNGHE_ES_HEAP": heap})
    if run.returncode != 0:
        raise SystemExit(f"could not start Elasticsearch:\n{run.stderr[-2000:]}")
    return run.stdout.strip().splitlines()[-1]


def ingest_elastic(store: ElasticStore, total: int, seed: int) -> float:
    """docs/s of upserts (and the final refresh); documents are built outside the clock."""
    corpus = load_corpus()
    rng = random.Random(seed)
    seconds = 0.0
    with store.bulk_load():
        for start in range(0, total, CHUNK):
            docs = [make_doc(i, rng, corpus) for i in range(start, min(total, start + CHUNK))]
            t0 = time.perf_counter()
            for b in range(0, len(docs), BATCH):
                store.upsert(docs[b : b + BATCH])
            seconds += time.perf_counter() - t0
            print(f"  indexed {start + len(docs):>7,} docs ({(start + len(docs)) / seconds:,.0f}"
                  " docs/s)", flush=True)
        t0 = time.perf_counter()
    seconds += time.perf_counter() - t0  # restoring the refresh interval, refreshing
    return total / seconds


def settle(store: ElasticStore) -> None:
    """Wait (at most MERGE_WAIT_S) for the node to finish merging what the load wrote: searches
    are measured on the index as a deployment serves it minutes after a load."""
    start = time.perf_counter()
    while time.perf_counter() - start < MERGE_WAIT_S:
        stats = store.client.indices.stats(index=store.prefix, metric="merge,segments")
        total = stats["_all"]["total"]
        if total["merges"]["current"] == 0:
            break
        time.sleep(5)
    print(f"merges settled after {time.perf_counter() - start:.0f} s; "
          f"{total['segments']['count']} segments in {len(stats['indices'])} indices")


def measure_both(stores: dict[str, Store]) -> dict[str, tuple[list[float], list]]:
    """Per store: timings of ROUNDS rounds (after a warm-up) and (query, ms, total) of round 1."""
    last7 = Filters(since=END - timedelta(days=7))
    out: dict[str, tuple[list[float], list]] = {name: ([], []) for name in stores}
    for round_no in range(ROUNDS + 1):
        for query, options in QUERIES:
            kwargs = dict(options)
            if kwargs.get("filters") == "last7":
                kwargs["filters"] = last7
            for name, store in stores.items():
                t0 = time.perf_counter()
                result = store.search(query, limit=20, highlight=True, **kwargs)
                elapsed = (time.perf_counter() - t0) * 1000
                if round_no > 0:  # round 0 warms caches
                    out[name][0].append(elapsed)
                    if round_no == 1:
                        out[name][1].append((query + _describe(options), elapsed, result.total))
    return out


def _describe(options: dict) -> str:
    return "".join(f" [{k}={v if isinstance(v, str) else 'set'}]" for k, v in options.items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--url", default=None, help="Elasticsearch URL (default: local node)")
    parser.add_argument("--path", type=Path, default=CACHE,
                        help=f"where the SQLite store is kept and reused (default {CACHE})")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--search-only", action="store_true",
                        help="reuse the documents already indexed under the bench alias")
    parser.add_argument("--heap", default="2g",
                        help="heap of the local node when this run starts it (default 2g, the "
                             "composed deployment's ES_HEAP)")
    args = parser.parse_args(argv)
    url = args.url or local_node(args.heap)
    db, built = cached_store(args.path, args.docs, args.seed)
    client = client_from_env(url)
    if not args.search_only:
        client.options(ignore_status=404).indices.delete(index=f"{PREFIX}-v*")
    es_index.setup(client, PREFIX, alerts_prefix=PREFIX + "-alerts")
    elastic = ElasticStore(url, prefix=PREFIX)
    stores: dict[str, Store] = {"sqlite": SqliteStore(db), "elasticsearch": elastic}
    heaps = [node["jvm"]["mem"]["heap_max_in_bytes"] / 2**30
             for node in client.nodes.stats(metric="jvm")["nodes"].values()]
    print(f"sqlite: {db}  elasticsearch: {url} alias {PREFIX}, heap "
          + ", ".join(f"{heap:.1f} GiB" for heap in heaps))
    rates = {"sqlite": f"{built['rates']['docs/s (Documents ready)']:,.0f} "
                       f"(built {built['built'][:16]})"}
    if args.search_only:
        rates["elasticsearch"] = "— (--search-only)"
    else:
        ratio = speed_ratio()
        rate = ingest_elastic(elastic, args.docs, args.seed)
        rates["elasticsearch"] = f"{rate:,.0f} (machine speed {(ratio + speed_ratio()) / 2:.2f})"
    counts = {name: store.count() for name, store in stores.items()}
    if counts["elasticsearch"] != counts["sqlite"]:
        raise SystemExit(f"the stores differ: {counts}")
    settle(elastic)
    ratio = speed_ratio()
    measured = measure_both(stores)
    ratio = (ratio + speed_ratio()) / 2
    latencies = {name: statistics.quantiles(timings, n=100)
                 for name, (timings, _) in measured.items()}
    for name, (_, per_query) in measured.items():
        print(f"\n{name}: slowest queries (ms, total)")
        for query, ms, total in sorted(per_query, key=lambda row: -row[1])[:8]:
            print(f"  {ms:7.1f}  {total:>7,}  {query}")
    for store in stores.values():
        store.close()
    rows = [("documents", *(f"{counts[n]:,}" for n in stores)),
            ("ingest (upsert) docs/s", *(rates[n] for n in stores)),
            ("search p50 (ms)", *(f"{latencies[n][49]:.1f}" for n in stores)),
            ("search p95 (ms)", *(f"{latencies[n][94]:.1f}" for n in stores)),
            ("search p95 × machine speed (≈ idle machine, ms)",
             *(f"{latencies[n][94] * ratio:.1f}" for n in stores))]
    print(f"\nmachine speed during the searches: {ratio:.2f} (benchmarks/machine.py)")
    print("\n| measure | sqlite | elasticsearch |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
