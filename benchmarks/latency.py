"""Feed-to-search latency: how long after an item appears in a feed it is searchable.

    python -m benchmarks.latency [--interval 10] [--items 3]

Runs the embedded engine (real Scrapy crawl in its subprocess, enrich, SQLite) against the demo
replay server. Each measured item is published in its feed at a random moment; the clock stops
when the store returns it. Target: within one poll interval (the demo outlets poll every 60 s)
plus 30 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time

from langnghe.paths import Home
from runner import stages
from runner.demo import DemoReplay
from runner.engine import Engine
from store.sqlite import SqliteStore

POLL_SECONDS = 60  # the demo registry's poll_minutes = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=10, help="engine cycle, seconds")
    parser.add_argument("--items", type=int, default=3)
    args = parser.parse_args(argv)
    rng = random.Random(7)
    latencies = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Home.resolve(tmp)
        replay = DemoReplay(home, release_every=10**9).start()
        store = SqliteStore(home.store)
        engine = Engine(home, replay.registry, store, interval=args.interval,
                        host_map=replay.host_map, context=stages.enrich_context(home),
                        echo=lambda line: None).start()
        try:
            while store.count() == 0:
                time.sleep(0.5)
            for _ in range(args.items):
                time.sleep(rng.uniform(0, POLL_SECONDS))
                article = replay.release_next()
                if article is None:
                    break
                start = time.monotonic()
                while not any(h.doc.title == article.title
                              for h in store.search(f'"{article.title}"', limit=5).hits):
                    time.sleep(0.5)
                latencies.append(time.monotonic() - start)
                print(f"item searchable after {latencies[-1]:.1f} s", flush=True)
        finally:
            engine.stop()
            replay.stop()
            store.close()
    target = POLL_SECONDS + 30
    print(f"latency max {max(latencies):.1f} s, median {statistics.median(latencies):.1f} s "
          f"(target ≤ {target} s: poll interval {POLL_SECONDS} s + 30 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
