"""Alert cycle benchmark: one `run_detection` at 50k, 100k and 200k documents, SQLite and
Elasticsearch side by side.

    python -m benchmarks.alerts [--docs 50000,100000,200000] [--path DIR] [--url URL]
                                [--seed 7] [--rounds 3] [--no-elastic]

Data: the stores benchmarks.store builds and keeps under --path (store-<n>-seed7-g<N>.sqlite,
90 days of generated enriched documents, six domain labels, no story ids, no topic tags; built
here when missing, reused when there). Each is copied once (SQLite's backup API) to
alerts-<n>-….sqlite with one burst added: BURST items about a fire at a provincial hospital
(domain health, negative; STORIES stories, the rest syndicated copies) from six outlets in
the twelve minutes before the cycle, so the cycle finds, grades and explains an incident.
Elasticsearch gets the same documents, read back from the copy, under its own alias
(langnghe-bench-cycle-<n>-b<burst version>, kept and reused while its count matches).

The cycle is run_detection at the stores' newest time (benchmarks.store.END) with a fresh
outbox; its configuration:
- nine domain watches: the generator's six labels (every document is in one of them) and three
  of config/alerts.yaml's that it never gives;
- five topics: config/watch.yaml's, as text queries (the documents carry no topic tags, and a
  text query is the dearer case);
- the crisis rules of config/alerts.rules.yaml and the sources of config/sources.yaml;
- the rising-issue warnings (alerts.rising) that run_detection includes.
One warm-up cycle, then --rounds timed; the median is reported, with the rules and the rising
warnings timed alone beside it (the rest is the watches' spike and negative-share detection).
The machine's speed (benchmarks/machine.py) is measured before and after.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from alerts import rising, rules
from alerts.config import AlertsConfig
from alerts.engine import run_detection, watches
from alerts.outbox import Outbox
from benchmarks.store import DOMAINS, END, GENERATOR, SOURCES, cached_store
from langnghe.document import Document, Label, NlpSection, document_id
from langnghe.sources import load_registry
from langnghe.yamlfile import read_yaml
from store import es_index
from store.base import Store
from store.elastic import ElasticStore, client_from_env
from store.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "var" / "bench"
PREFIX = "langnghe-bench-cycle"  # + "-<n>": never a deployment's alias, nor benchmarks.elastic's
BURST = 36  # items in the burst ...
STORIES = 24  # ... telling 24 stories (the others are syndicated copies, one NLP story id):
# ~6x a quarter hour of the health watch at 200k documents, a spike at every size
BURST_VERSION = 3  # the burst's make-up: copies made with another are rebuilt
OTHER_DOMAINS = ("socio_economic", "government", "public_order")  # watched, never generated
LOAD_BATCH = 500  # documents per Elasticsearch upsert (the enrich stage's batch)


def burst_docs() -> list[Document]:
    outlets = SOURCES[:6]
    docs: list[Document] = []
    for i in range(BURST):
        url = f"https://bench.example/burst/{i}"
        story = docs[i % STORIES].id if i >= STORIES else document_id(url)
        when = END - timedelta(minutes=12) + i * timedelta(seconds=23)
        title = f"Cháy lớn tại bệnh viện đa khoa tỉnh, sơ tán bệnh nhân (cập nhật {i + 1})"
        lead = "Đám cháy bùng phát tại khu điều trị nội trú, hàng trăm bệnh nhân được sơ tán."
        nlp = NlpSection(title=title, lead=lead, text=lead, segmented=lead, story_id=story,
                         sentiment=Label(label="negative", score=0.9),
                         domains=[Label(label="health", score=0.9)])
        docs.append(Document(id=document_id(url), url=url, canonical_url=url,
                             source_id=outlets[i % len(outlets)], kind="article", title=title,
                             lead=lead, text=lead, published_at=when,
                             fetched_at=when + timedelta(minutes=1), nlp=nlp))
    return docs


def sqlite_copy(folder: Path, total: int, seed: int) -> Path:
    """benchmarks.store's cached store of `total` documents plus the burst, as its own file."""
    source, _ = cached_store(folder, total, seed)
    copy = folder / f"alerts-{total}-seed{seed}-g{GENERATOR}-b{BURST_VERSION}.sqlite"
    done = copy.with_suffix(".done")
    if done.exists():
        return copy
    for stale in folder.glob(copy.name + "*"):
        stale.unlink()
    print(f"copying {source.name} to {copy.name} and adding the burst", flush=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    store = SqliteStore(copy)
    store.upsert(burst_docs())
    store.close()
    done.write_text("complete\n")  # last: an interrupted copy is not reused
    return copy


def elastic_copy(url: str, db: Path, total: int) -> ElasticStore:
    """The documents of the SQLite copy in Elasticsearch, loaded unless already there."""
    prefix = f"{PREFIX}-{total}-b{BURST_VERSION}"
    client = client_from_env(url)
    sqlite = SqliteStore(db)
    expected = sqlite.count()
    held = client.options(ignore_status=404).count(index=prefix).body.get("count", 0)
    if held != expected:
        print(f"loading {expected:,} documents into {prefix}", flush=True)
        client.options(ignore_status=404).indices.delete(index=f"{prefix}-v*")
    es_index.setup(client, prefix, alerts_prefix=f"{prefix}-alerts")
    elastic = ElasticStore(url, prefix=prefix)
    if held != expected:
        batch: list[Document] = []
        with elastic.bulk_load():
            for doc in sqlite.iter_documents(batch_size=LOAD_BATCH):
                batch.append(doc)
                if len(batch) == LOAD_BATCH:
                    elastic.upsert(batch)
                    batch = []
            elastic.upsert(batch)
    sqlite.close()
    if elastic.count() != expected:
        raise SystemExit(f"{prefix} holds {elastic.count():,} documents, expected {expected:,}")
    return elastic


def cycle_config() -> tuple[AlertsConfig, list, object]:
    """(alerts config, crisis rules, registry) of the benchmark's cycle."""
    topics = read_yaml(REPO / "config" / "watch.yaml", ValueError)["topics"]
    config = AlertsConfig.model_validate({"watch": {
        "topics": [{"id": t["id"], "name": t["name"], "query": t["query"]} for t in topics],
        "domains": [*DOMAINS, *OTHER_DOMAINS]}})
    crisis = rules.load_rules(REPO / "config" / "alerts.rules.yaml")
    return config, crisis, load_registry(REPO / "config" / "sources.yaml")


def time_cycle(store: Store, rounds: int) -> dict[str, float]:
    """Seconds: the whole cycle (median of `rounds` after a warm-up), rules and rising alone."""
    config, crisis, registry = cycle_config()
    seconds, found = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(rounds + 1):
            outbox = Outbox(Path(tmp) / f"outbox-{round_no}.sqlite")
            t0 = time.perf_counter()
            found = run_detection(store, config, END, outbox, registry, crisis_rules=crisis)
            if round_no:  # round 0 warms caches
                seconds.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    rules.evaluate_all(crisis, store, END, registry)
    rules_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rising.rising_alerts(store, watches(config), END, registry)
    rising_s = time.perf_counter() - t0
    print(f"  {statistics.median(seconds):.2f} s; found: "
          f"{', '.join(sorted(a.key for a in found)) or 'nothing'}", flush=True)
    return {"cycle": statistics.median(seconds), "rules": rules_s, "rising": rising_s}


def main(argv: list[str] | None = None) -> None:
    from benchmarks.machine import speed_ratio

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default="50000,100000,200000",
                        help="comma-separated store sizes")
    parser.add_argument("--path", type=Path, default=CACHE,
                        help=f"where the stores are kept and reused (default {CACHE})")
    parser.add_argument("--url", default=None, help="Elasticsearch URL (default: local node)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-elastic", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.docs.split(",")]
    copies = {n: sqlite_copy(args.path, n, args.seed) for n in sizes}
    url = None
    if not args.no_elastic:
        from benchmarks.elastic import local_node

        url = args.url or local_node()
    results: dict[tuple[str, int], dict[str, float]] = {}
    ratio = speed_ratio()
    for n in sizes:
        stores: dict[str, Store] = {"sqlite": SqliteStore(copies[n])}
        if url:
            stores["elasticsearch"] = elastic_copy(url, copies[n], n)
        for name, store in stores.items():
            print(f"{name}, {n:,} documents:", flush=True)
            results[(name, n)] = time_cycle(store, args.rounds)
            store.close()
    ratio = (ratio + speed_ratio()) / 2
    names = ["sqlite", *(["elasticsearch"] if url else [])]
    print(f"\nmachine speed during the cycles: {ratio:.2f} (benchmarks/machine.py)")
    print("\n| documents | " + " | ".join(f"{n}: cycle s (rules, rising)" for n in names)
          + " |\n|---|" + "---|" * len(names))
    for n in sizes:
        cells = [f"{r['cycle']:.2f} ({r['rules']:.2f}, {r['rising']:.2f})"
                 for r in (results[(name, n)] for name in names)]
        print(f"| {n:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
