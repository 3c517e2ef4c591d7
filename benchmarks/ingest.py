"""Ingest throughput: documents per second from the spool to searchable in the store, with the
full enrich step (segmentation, classifiers, domains, entities, stories, watch topics).

    python -m benchmarks.ingest [--docs 2000]

Articles are real news texts from ../shared/data/vntc-10topics (train split), spooled as the
crawler would spool them; the clock covers `runner.stages.ingest` only (claim → enrich → upsert
→ acknowledge), on one process.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from langnghe.document import Document, document_id
from langnghe.paths import Home
from langnghe.spool import Spool
from runner import stages
from store.sqlite import SqliteStore

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BATCH = 20  # the crawler's spool batch size


def articles(n: int) -> list[Document]:
    docs = []
    now = datetime.now(UTC)
    with open(DATA / "vntc-10topics" / "train.jsonl", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= n:
                break
            text = json.loads(line)["text"]
            title, _, body = text.partition("\n")
            url = f"https://bench.example/bai-{i}.html"
            docs.append(Document(id=document_id(url), url=url, canonical_url=url,
                                 source_id=f"s{i % 16}", title=title[:300], text=body[:50_000],
                                 published_at=now - timedelta(minutes=i)))
    return docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="enrichment processes")
    args = parser.parse_args(argv)
    docs = articles(args.docs)
    words = sum(len((d.title + " " + d.text).split()) for d in docs)
    with tempfile.TemporaryDirectory() as tmp:
        home = Home.resolve(tmp)
        spool = Spool(home.spool)
        for i in range(0, len(docs), BATCH):
            spool.put(docs[i:i + BATCH])
        store = SqliteStore(home.store)
        context = stages.enrich_context(home)
        from nlp.pipeline import EnrichPool, enrich

        pool = EnrichPool(args.workers) if args.workers > 1 else None
        # warm-up: load every model (in every worker) outside the clock
        enrich(articles(4 * args.workers), context=None, pool=pool)
        start = time.perf_counter()
        report = stages.ingest(home, store, context=context, pool=pool)
        seconds = time.perf_counter() - start
        assert store.count() == len(docs), (store.count(), len(docs))
        store.close()
        if pool:
            pool.close()
    print(f"workers            {args.workers}")
    print(f"documents          {report.documents}")
    print(f"mean words/doc     {words / len(docs):.0f}")
    print(f"seconds            {seconds:.1f}")
    print(f"spool→searchable   {report.documents / seconds:.1f} docs/s (target ≥ 100)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
