"""Operations on an Elasticsearch deployment, called by the CLI: setup, migrate, import, retention.

    langnghe es setup   --url URL          → es_setup(url)
    langnghe es migrate --url URL          → es_migrate(url)
    langnghe es import  --from store.sqlite --url URL  → es_import(sqlite_path, url)

Each prints what it did and returns a summary; each is safe to run twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from elasticsearch import Elasticsearch

from langnghe.document import VN_TZ, Document
from store import es_index
from store.base import Filters
from store.elastic import ElasticStore, client_from_env, rebuild
from store.fields import doc_time
from store.sqlite import SqliteStore

IMPORT_BATCH = 500  # documents per upsert: one bulk chunk
Progress = Callable[[str], None]


@contextmanager
def _client(url: str) -> Iterator[Elasticsearch]:
    """A client for one admin command, closed after it (credentials from the environment)."""
    client = client_from_env(url)
    try:
        yield client
    finally:
        client.close()


def es_setup(url: str, prefix: str = es_index.DOCS_PREFIX,
             alerts_prefix: str = es_index.ALERTS_PREFIX, progress: Progress = print) -> dict:
    """Put the settings component and index templates (idempotent: safe on every deploy)."""
    with _client(url) as client:
        put = es_index.setup(client, prefix, alerts_prefix)
    for name in put:
        progress(f"template {name}: ok")
    return put


def es_migrate(url: str, prefix: str = es_index.DOCS_PREFIX, delete_old: bool = True,
               progress: Progress = print) -> list[str]:
    """Reindex every older-version index into the newest template and switch the alias."""
    with _client(url) as client:
        return es_index.migrate(client, rebuild, prefix, delete_old=delete_old,
                                progress=progress)


def es_retention(url: str, keep_months: int, prefix: str = es_index.DOCS_PREFIX,
                 now: datetime | None = None, progress: Progress = print) -> list[str]:
    """Delete monthly indices older than the current month and `keep_months - 1` before it."""
    if keep_months < 1:
        raise ValueError(f"keep_months must be ≥ 1 (the current month), got {keep_months}")
    now = (now or datetime.now(VN_TZ)).astimezone(VN_TZ)
    months = now.year * 12 + now.month - 1 - (keep_months - 1)
    first_kept = f"{months // 12:04d}.{months % 12 + 1:02d}"
    with _client(url) as client:
        deleted = es_index.delete_older_than(client, first_kept, prefix)
    for name in deleted:
        progress(f"deleted {name}")
    return deleted


def es_import(sqlite_path: str | Path, url: str, prefix: str = es_index.DOCS_PREFIX,
              state_path: str | Path | None = None, batch_size: int = IMPORT_BATCH,
              progress: Progress = print) -> int:
    """Copy an embedded store into Elasticsearch, newest first; resumable, with progress.

    After every batch the time of the oldest document copied is saved in `state_path` (default:
    beside the SQLite file); a rerun resumes from that second (documents of that second are
    copied again: upserts are idempotent by id). The state is removed when the copy completes;
    documents written to SQLite during the import are copied by running it once more.
    Returns the documents written by this run.
    """
    sqlite_path = Path(sqlite_path)
    if not sqlite_path.exists():
        raise FileNotFoundError(f"no SQLite store at {sqlite_path}")
    state = Path(state_path or sqlite_path.with_name(sqlite_path.name + ".es-import.json"))
    filters = Filters()
    if state.exists():
        resume = datetime.fromisoformat(json.loads(state.read_text())["until"])
        filters = Filters(until=resume + timedelta(seconds=1))  # SQLite keeps whole seconds
        progress(f"resuming from {resume.isoformat()}")
    source = SqliteStore(sqlite_path)
    target = ElasticStore(url, prefix=prefix, setup=True)
    total = source.count()
    written, batch = 0, []
    try:
        with target.bulk_load():
            for doc in source.iter_documents(filters=filters, batch_size=batch_size):
                batch.append(doc)
                if len(batch) == batch_size:
                    written += _flush(target, batch, state)
                    progress(f"imported {written:,} of {total:,} documents")
            written += _flush(target, batch, state)
    finally:
        source.close()
        target.close()
    state.unlink(missing_ok=True)
    progress(f"imported {written:,} documents; {len(target.failures)} refused")
    for failure in target.failures[:10]:
        progress(f"  refused {failure.doc_id}: {failure.status} {failure.reason}")
    return written


def _flush(target: ElasticStore, batch: list[Document], state: Path) -> int:
    if not batch:
        return 0
    written = target.upsert(batch)
    state.write_text(json.dumps({"until": doc_time(batch[-1]).isoformat()}))
    batch.clear()
    return written
