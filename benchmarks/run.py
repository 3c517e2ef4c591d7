"""`make bench`: every speed benchmark in one run, each in its own process; numbers are printed
and the latest are kept by hand in docs/benchmarks.md.

`BENCH_QUICK=1` runs smaller sizes (for a smoke run); the numbers reported use the defaults.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

QUICK = os.environ.get("BENCH_QUICK") == "1"
STORE_DOCS = "20000" if QUICK else "200000"
CACHE = "var/bench"  # stores the benchmarks build once and reuse
BENCHMARKS: list[tuple[str, list[str]]] = [
    ("crawl", []),
    ("ingest", ["--docs", "300" if QUICK else "2000"]),
    ("latency", []),
    ("nlp", []),
    ("nlp_domains", []),
    # one 200k store, built once under var/bench and reused (building takes minutes)
    ("store", ["--docs", STORE_DOCS, "--path", CACHE]),
    # the same documents in Elasticsearch (LANGNGHE_ES_URL, else scripts/elasticsearch.sh starts
    # the local node), searched beside SQLite in one run
    ("elastic", ["--docs", STORE_DOCS, "--path", CACHE,
                 *(["--url", os.environ["LANGNGHE_ES_URL"]]
                   if os.environ.get("LANGNGHE_ES_URL") else [])]),
    # one alert cycle (nine domain watches, five topics, rules, rising warnings) at 50k, 100k
    # and 200k documents on both stores: benchmarks.store's stores plus a burst
    ("alerts", ["--docs", "20000" if QUICK else "50000,100000,200000", "--path", CACHE,
                *(["--url", os.environ["LANGNGHE_ES_URL"]] if os.environ.get("LANGNGHE_ES_URL")
                  else [])]),
    # the assistant's template answers on both stores (documents of its own: places, stories)
    ("ask", ["--docs", STORE_DOCS, "--path", CACHE,
             *(["--url", os.environ["LANGNGHE_ES_URL"]] if os.environ.get("LANGNGHE_ES_URL")
               else [])]),
]


def main() -> int:
    failed = []
    for name, args in BENCHMARKS:
        print(f"\n=== benchmarks.{name} {' '.join(args)} ===", flush=True)
        start = time.perf_counter()
        if subprocess.call([sys.executable, "-m", f"benchmarks.{name}", *args]) != 0:
            failed.append(name)
        print(f"({time.perf_counter() - start:.0f} s)", flush=True)
    if failed:
        print(f"benchmarks that failed to run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
