"""Web benchmark: server time per dashboard page (p50/p95) and export throughput at N documents.

    python -m benchmarks.web [--docs 200000] [--path DIR] [--rounds 5] [--seed 7]

Documents come from benchmarks.store's generator (real VNTC/ViCTSD text resampled), moved so
that the newest is "now" (the overview's 24 h / 7 d / 30 d ranges then hold 1/90, 7/90 and
30/90 of them), with story ids (about three copies per story), a few entities and watch topics
so every panel has work to do. Pages are requested in-process through the ASGI app (Starlette's
TestClient, signed in as an analyst), so the time is the server's: routing, store queries and
template rendering, without network. A store built once under --path is reused by later runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient

from benchmarks.store import END, load_corpus, make_doc
from langnghe.document import VN_TZ, Entity
from store.sqlite import SqliteStore
from web.app import create_app
from web.auth import create_user
from web.topics import save_topic

BATCH = 2_000  # documents per upsert: one transaction, a few MB of JSON
TARGET_MS = 300  # the budget per page at 200,000 documents
ENTITIES = ("Hà Nội", "TP HCM", "Thanh Hóa", "Bộ Y tế", "Chính phủ", "Đà Nẵng", "Quốc hội")
PASSWORD = "bench-password-long"  # noqa: S105 - a throwaway account in a temporary database


def build(store: SqliteStore, total: int, seed: int) -> float:
    corpus, rng = load_corpus(), random.Random(seed)
    shift = datetime.now(VN_TZ) - END
    t0 = time.perf_counter()
    for start in range(0, total, BATCH):
        docs = []
        for i in range(start, min(total, start + BATCH)):
            doc = make_doc(i, rng, corpus)
            doc.published_at += shift
            doc.fetched_at += shift
            doc.nlp.story_id = f"story-{rng.randrange(max(1, total // 3))}"
            name = rng.choice(ENTITIES)
            doc.nlp.entities = [Entity(text=name, type="LOC", start=0, end=len(name))]
            doc.nlp.topics = ["y-te"] if doc.nlp.domains[0].label == "health" else []
            docs.append(doc)
        store.upsert(docs)
        if (start // BATCH) % 10 == 0:
            print(f"  ingested {start + len(docs):>7,}", flush=True)
    return time.perf_counter() - t0


def pages(doc_id: str) -> list[tuple[str, str]]:
    day = datetime.now(VN_TZ).date().isoformat()
    return [
        ("overview 24h", "/?range=24h"), ("overview 7d", "/?range=7d"),
        ("overview 30d", "/?range=30d"), ("search (empty)", "/search"),
        ("search query", "/search?q=b%E1%BB%87nh+vi%E1%BB%87n"),
        ("search no-diacritics", "/search?q=benh+vien&sort=newest"),
        ("search + facets", "/search?q=h%E1%BB%8Dc+sinh&sentiment=negative&kind=article"),
        ("search page 10", "/search?q=vi%E1%BB%87t+nam&page=10"),
        ("search common word", "/search?q=t%E1%BB%89nh"),  # "tỉnh": in ~half the documents
        ("document", f"/doc/{doc_id}"), ("topics", "/topics"), ("topic page", "/topics/y-te"),
        ("topic page 30d", "/topics/y-te?range=30d"),
        ("alerts", "/alerts"), ("reports (digest)", "/reports"),
        ("report print 7d", f"/reports/print?since={day}&until={day}&topic=y-te"),
        ("sources", "/sources"), ("api search", "/api/v1/search?q=gi%C3%A1+v%C3%A0ng"),
        ("api overview 7d", "/api/v1/overview?range=7d"),
    ]


def measure(client: TestClient, path: str, rounds: int) -> tuple[float, list[float]]:
    """(first request's ms, then each round's ms); only the digest page caches (5 minutes)."""
    t0 = time.perf_counter()
    client.get(path)  # also warms the page cache and compiles the template
    cold = (time.perf_counter() - t0) * 1000
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return cold, out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def export_rate(client: TestClient) -> tuple[int, float, float]:
    t0 = time.perf_counter()
    first = None
    rows = 0
    with client.stream("GET", "/search/export.csv") as response:
        for chunk in response.iter_text():
            first = first or time.perf_counter() - t0
            rows += chunk.count("\n")
    return rows - 1, first * 1000, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--path", type=Path, help="directory to keep (and reuse) the store")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-export", action="store_true", help="skip the full CSV export")
    parser.add_argument("--skip", default="", help="comma-separated page names to leave out")
    args = parser.parse_args(argv)
    root = args.path or Path(tempfile.mkdtemp(prefix="langnghe-bench-web-"))
    root.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(root / f"store-{args.docs}.sqlite")
    if store.count() < args.docs:
        print(f"building {args.docs:,} documents in {root} …", flush=True)
        print(f"  {args.docs / build(store, args.docs, args.seed):,.0f} docs/s")
    web_db = root / "web.sqlite"
    if not web_db.exists():
        create_user(web_db, "bench", PASSWORD, "analyst")
        save_topic(web_db, "y-te", "Y tế", "bệnh viện OR bác sĩ", "bench")
    client = TestClient(create_app(store, web_db=web_db, secure_cookies=False))
    login = client.get("/login")
    csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf": csrf})
    doc_id = store.search("bệnh viện", limit=1).hits[0].doc.id
    print(f"\nweb pages at {store.count():,} documents, {args.rounds} rounds (ms, server time)")
    print(f"{'page':<24}{'first':>9}{'p50':>9}{'p95':>9}")
    worst = 0.0
    skipped = {n.strip() for n in args.skip.split(",") if n.strip()}
    for name, path in pages(doc_id):
        if name in skipped:
            print(f"{name:<24}{'skipped':>27}")
            continue
        cold, times = measure(client, path, args.rounds)
        worst = max(worst, p95(times))
        print(f"{name:<24}{cold:>9.1f}{statistics.median(times):>9.1f}{p95(times):>9.1f}",
              flush=True)
    print(f"worst p95: {worst:.0f} ms (target < {TARGET_MS} ms)")
    if not args.no_export:
        rows, first_ms, total_s = export_rate(client)
        print(f"CSV export: {rows:,} rows in {total_s:.1f} s ({rows / total_s:,.0f} rows/s), "
              f"first bytes after {first_ms:.0f} ms")
    store.close()


if __name__ == "__main__":
    main()
