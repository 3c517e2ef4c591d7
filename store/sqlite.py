"""The embedded store: one SQLite file (WAL) with an FTS5 index, for one-machine deployments.

Tables:
- `docs`: one row per document id: time (unix seconds), source, kind, for filters and sorts;
- `bodies`: the whole Document as zlib-compressed JSON (same rowid), so `get` round-trips exactly;
- `keys`: (field, folded value, rowid) for the query language's filter fields, also counted;
- `fts`: contentless FTS5 over title/lead/text, exact (canonical tones) and folded (đ→d) forms;
- `rollup`: documents per hour × field value × sentiment, kept exact at every write, which
  answers the dashboards' counts over long periods (see store/rollup.py).

Queries become SQL in store/sqlite_plan.py; histograms and counts are in store/sqlite_counts.py.
`summarize` writes a query's matches once to a temporary table and counts everything from it.

A contentless index stores no text (half the disk of an external-content one); re-indexing a
document deletes its old FTS row by re-deriving the old forms from its stored JSON. Those forms
must be derived the same way as when indexed: `meta.forms` fingerprints the text functions, and a
changed fingerprint rebuilds the index on open.

Concurrency: one connection per thread (and per process after a fork); writes take an
in-process lock and `BEGIN IMMEDIATE`; other processes wait up to the busy timeout. Readers see
one consistent snapshot per call (WAL lets them run while a writer commits).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from langnghe.document import Document
from langnghe.query import MatchAll, Node
from langnghe.vietnamese import fold, match_key
from store import rollup
from store.base import (
    Filters,
    Hit,
    Interval,
    SearchResult,
    Sort,
    Store,
    StoryBucket,
    Summary,
    check_page,
    first_bucket,
    width_seconds,
)
from store.fields import doc_time, keyword_key, keyword_values, text_fields
from store.highlight import highlights
from store.sqlite_counts import (
    MATCHES_HISTOGRAM,
    bucket_start,
    check_field,
    counts_matches_many,
    counts_rolled,
    counts_rows,
    dated,
    histogram_rolled,
    histogram_rows,
    split_matches,
    story_rows,
    width_of,
)
from store.sqlite_plan import Plan, as_query_errors, epoch, plan_query, span_of

SCHEMA_VERSION = "1"
BUSY_TIMEOUT_MS = 10_000  # a writer's batch commits in well under a second; wait generously
CACHE_KIB = 32_768  # page cache per connection (32 MiB): hot FTS pages for typical queries
MMAP_BYTES = 256 * 2**20  # read the file through the OS page cache without copies
ZLIB_LEVEL = 1  # JSON compresses ~3x even at level 1; higher levels cost ingest time for ~10%
RANK_WINDOW = 10_000  # matches ranked by bm25 per query (see _page): every hit the API and
# the search page can reach (offset + limit <= 10,000, Elasticsearch's max_result_window);
# 20,000 cost 65 ms median CPU per query at 200k documents, 10,000 48 (docs/benchmarks.md)
# every letter with every tone and both placements: changes whenever the forms would
_FORMS_PROBE = "Thanh Hoá Hóa ĐƯỜNG đường khỏe khoẻ thuỷ thủy QUÝ àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệ" \
               "ìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ İ ß"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    ts INTEGER NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS docs_ts ON docs(ts);
CREATE INDEX IF NOT EXISTS docs_source_ts ON docs(source, ts);
CREATE INDEX IF NOT EXISTS docs_kind_ts ON docs(kind, ts);
CREATE TABLE IF NOT EXISTS bodies(rowid INTEGER PRIMARY KEY, json BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS keys(
    field TEXT NOT NULL, key TEXT NOT NULL, rowid INTEGER NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY(field, key, rowid)) WITHOUT ROWID;
-- a document's keys with their values: counting the matches of a query reads only this index
-- (replaces keys_rowid(rowid, field), which needed a table lookup per key for the value)
CREATE INDEX IF NOT EXISTS keys_lookup ON keys(rowid, field, value);
DROP INDEX IF EXISTS keys_rowid;
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, lead, text, ftitle, flead, ftext,
    content='', tokenize='unicode61 remove_diacritics 0');
""" + rollup.SCHEMA


def forms_fingerprint() -> str:
    probe = match_key(_FORMS_PROBE) + "|" + fold(_FORMS_PROBE)
    return hashlib.sha256(probe.encode("utf-8")).hexdigest()[:16]


def index_forms(doc: Document) -> tuple[str, str, str, str, str, str]:
    """The six FTS columns of a document: exact title/lead/text, then folded ones."""
    fields = text_fields(doc)
    exact = tuple(match_key(fields[name]) for name in ("title", "lead", "text"))
    return exact + tuple(fold(value) for value in exact)  # type: ignore[return-value]


class SqliteStore(Store):
    """`Store` on one SQLite file; safe to share between threads (a connection per thread)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        self._setup()

    # ---- connections ---------------------------------------------------------------------

    def _con(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError(f"store {self.path} is closed")
        con = getattr(self._local, "con", None)
        if con is None or self._local.pid != os.getpid():
            con = self._open()
            self._local.con, self._local.pid = con, os.getpid()
        return con

    def _open(self) -> sqlite3.Connection:
        # check_same_thread=False only so close() may close every thread's connection; each
        # connection is used by the one thread that opened it (see _con)
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                              check_same_thread=False)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
        con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        con.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        con.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        con.execute("PRAGMA secure_delete=OFF")  # replaced rows need not be zeroed on disk
        self._connections.append(con)
        return con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        con = self._con()
        with self._write_lock:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One snapshot for all statements of a call (count and page agree)."""
        con = self._con()
        con.execute("BEGIN")
        try:
            yield con
        finally:
            con.execute("COMMIT")

    def _setup(self) -> None:
        with self._write_lock:  # executescript commits first, so it carries its own transaction
            self._con().executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")
        with self._write() as con:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
                raise RuntimeError(f"{self.path}: schema {meta['schema']}, expected "
                                   f"{SCHEMA_VERSION}; re-index into a new store")
            fingerprint = forms_fingerprint()
            if meta.get("forms", fingerprint) != fingerprint:
                self._rebuild_fts(con)
            if meta.get("rollup") != rollup.VERSION:  # a store from before it, or another layout
                con.execute("DELETE FROM rollup")
                con.execute(*rollup.backfill_sql())
            con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            [("schema", SCHEMA_VERSION), ("forms", fingerprint),
                             ("rollup", rollup.VERSION)])

    def _rebuild_fts(self, con: sqlite3.Connection) -> None:
        """Re-derive every FTS row (the text functions changed since the index was built)."""
        con.execute("INSERT INTO fts(fts) VALUES ('delete-all')")
        for rowid, blob in con.execute("SELECT rowid, json FROM bodies").fetchall():
            forms = index_forms(_load(blob))
            con.execute("INSERT INTO fts(rowid, title, lead, text, ftitle, flead, ftext) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", (rowid, *forms))

    def close(self) -> None:
        self._closed = True
        for con in self._connections:
            con.close()
        self._connections.clear()

    # ---- writing -------------------------------------------------------------------------

    def upsert(self, docs: Iterable[Document]) -> int:
        """Insert or replace by id, all in one transaction (text work done before locking)."""
        rows = [(doc, _dump(doc), index_forms(doc)) for doc in docs]
        with self._write() as con:
            counts: Counter = Counter()
            for doc, blob, forms in rows:
                self._upsert_one(con, doc, blob, forms, counts)
            _apply_rollup(con, counts)
        return len(rows)

    def _upsert_one(self, con: sqlite3.Connection, doc: Document, blob: bytes,
                    forms: tuple[str, ...], counts: Counter) -> None:
        meta = (epoch(doc_time(doc)), doc.source_id, doc.kind)
        pairs = keyword_values(doc)
        rollup.deltas(doc, meta[0], +1, counts, pairs)
        old = con.execute("SELECT d.rowid, b.json, d.ts FROM docs d JOIN bodies b USING (rowid) "
                          "WHERE d.id = ?", (doc.id,)).fetchone()
        if old is None:
            rowid = con.execute("INSERT INTO docs(id, ts, source, kind) VALUES (?, ?, ?, ?)",
                                (doc.id, *meta)).lastrowid
            con.execute("INSERT INTO bodies(rowid, json) VALUES (?, ?)", (rowid, blob))
        else:
            rowid = old[0]
            old_doc = _load(old[1])
            rollup.deltas(old_doc, old[2], -1, counts)
            con.execute("INSERT INTO fts(fts, rowid, title, lead, text, ftitle, flead, ftext) "
                        "VALUES ('delete', ?, ?, ?, ?, ?, ?, ?)", (rowid, *index_forms(old_doc)))
            con.execute("UPDATE docs SET ts = ?, source = ?, kind = ? WHERE rowid = ?",
                        (*meta, rowid))
            con.execute("UPDATE bodies SET json = ? WHERE rowid = ?", (blob, rowid))
            con.execute("DELETE FROM keys WHERE rowid = ?", (rowid,))
        con.execute("INSERT INTO fts(rowid, title, lead, text, ftitle, flead, ftext) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", (rowid, *forms))
        con.executemany("INSERT INTO keys(field, key, rowid, value) VALUES (?, ?, ?, ?)",
                        [(name, keyword_key(value), rowid, value) for name, value in pairs])

    def delete(self, doc_ids: Iterable[str]) -> int:
        """Remove documents by id (a takedown, a correction); returns how many existed."""
        ids = list(doc_ids)
        with self._write() as con:
            rowids = [row[0] for i in ids for row in
                      con.execute("SELECT rowid FROM docs WHERE id = ?", (i,)).fetchall()]
            return self._delete_rows(con, rowids)

    def delete_before(self, moment: datetime) -> int:
        """Retention: remove every document whose time is before `moment`; returns how many."""
        with self._write() as con:
            rowids = [row[0] for row in
                      con.execute("SELECT rowid FROM docs WHERE ts < ?", (epoch(moment),))]
            return self._delete_rows(con, rowids)

    def _delete_rows(self, con: sqlite3.Connection, rowids: list[int]) -> int:
        counts: Counter = Counter()
        for rowid in rowids:
            blob, ts = con.execute("SELECT b.json, d.ts FROM docs d JOIN bodies b USING (rowid) "
                                   "WHERE d.rowid = ?", (rowid,)).fetchone()
            doc = _load(blob)
            rollup.deltas(doc, ts, -1, counts)
            con.execute("INSERT INTO fts(fts, rowid, title, lead, text, ftitle, flead, ftext) "
                        "VALUES ('delete', ?, ?, ?, ?, ?, ?, ?)", (rowid, *index_forms(doc)))
            for table in ("docs", "bodies", "keys"):
                con.execute(f"DELETE FROM {table} WHERE rowid = ?", (rowid,))  # noqa: S608
        _apply_rollup(con, counts)
        return len(rowids)

    # ---- reading -------------------------------------------------------------------------

    def get(self, doc_id: str) -> Document | None:
        row = self._con().execute("SELECT b.json FROM docs d JOIN bodies b USING (rowid) "
                                  "WHERE d.id = ?", (doc_id,)).fetchone()
        return _load(row[0]) if row else None

    def count(self) -> int:
        return self._con().execute("SELECT count(*) FROM docs").fetchone()[0]

    def search(self, query: str | Node = "", filters: Filters = Filters(),
               sort: Sort = "relevance", limit: int = 20, offset: int = 0,
               highlight: bool = True) -> SearchResult:
        check_page(sort, limit, offset)
        node, plan = plan_query(query, filters)
        with self._read() as con, as_query_errors():
            total = con.execute(*plan.count_sql()).fetchone()[0]
            rows = self._page(con, plan, sort, limit, offset, total) if limit else []
            bodies = self._bodies(con, [row[0] for row in rows])
        hits = []
        for rowid, score, _tier in rows:
            doc = bodies[rowid]
            marks = highlights(node, text_fields(doc)) if highlight else {}
            hits.append(Hit(doc=doc, score=-score if score else 0.0, highlights=marks))
        return SearchResult(total=total, hits=hits)

    @staticmethod
    def _page(con: sqlite3.Connection, plan: Plan, sort: Sort, limit: int, offset: int,
              total: int) -> list[tuple[int, float, int]]:
        """(rowid, bm25, tier) of the page's rows, in one order that covers all `total` matches.

        bm25 costs 1-7 µs per matching row (more for more words) and a common word matches half
        of a 200,000-document store, so relevance ranks at most RANK_WINDOW matches: those most
        recently indexed (rowids grow with indexing time) among the matches of the query *and*
        the filters — for news, what a person scrolling by relevance looks at, and as many as
        the API and the search page let anyone page through. The other matches follow them,
        newest first, so every page agrees with the total whatever the filters and the offset.
        """
        if sort != "relevance" or not plan.ranked:
            return con.execute(*plan.time_sql(sort, limit, offset)).fetchall()
        if total <= RANK_WINDOW:
            return con.execute(*plan.ranked_sql(limit, offset)).fetchall()
        floor = con.execute(*plan.floor_sql(RANK_WINDOW)).fetchone()[0]
        rows = []
        if offset < RANK_WINDOW:
            rows = con.execute(*plan.ranked_sql(min(limit, RANK_WINDOW - offset), offset,
                                                floor)).fetchall()
        if offset + limit > RANK_WINDOW:
            skip = max(0, offset - RANK_WINDOW)
            rows += con.execute(*plan.time_sql("newest", offset + limit - RANK_WINDOW - skip,
                                               skip, below=floor)).fetchall()
        return rows

    def _bodies(self, con: sqlite3.Connection, rowids: list[int]) -> dict[int, Document]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))  # placeholders only: values stay parameters
        sql = f"SELECT rowid, json FROM bodies WHERE rowid IN ({marks})"  # noqa: S608
        rows = con.execute(sql, rowids)
        return {rowid: _load(blob) for rowid, blob in rows}

    def histogram(self, query: str | Node = "", filters: Filters = Filters(),
                  interval: Interval = "day") -> list[tuple[datetime, int]]:
        width = width_of(interval)
        node, plan = plan_query(query, filters)
        with self._read() as con, as_query_errors():
            rolled = rollup.plan(node, filters)
            hours = rollup.whole_hours(*span_of(filters)) if rolled else None
            if rolled is None or hours is None:
                rows = histogram_rows(con, plan, width)
            else:
                rows = histogram_rolled(con, filters, rolled, hours, width)
        return [(bucket_start(bucket, width), n) for bucket, n in rows]

    def counts_by(self, field_name: str, query: str | Node = "", filters: Filters = Filters(),
                  limit: int = 20) -> list[tuple[str, int]]:
        check_field(field_name)
        node, plan = plan_query(query, filters)
        with self._read() as con, as_query_errors():
            rolled = rollup.plan(node, filters, field_name)
            hours = rollup.whole_hours(*span_of(filters)) if rolled else None
            if isinstance(node, MatchAll) and filters == Filters():
                rows = con.execute("SELECT key, min(value) AS v, count(*) AS n FROM keys "
                                   "WHERE field = ? GROUP BY key ORDER BY n DESC, v LIMIT ?",
                                   (field_name, limit)).fetchall()
            elif rolled is None or hours is None:
                rows = counts_rows(con, plan, field_name, limit)
            else:
                rows = counts_rolled(con, filters, rolled, hours, limit)
        return [(value, n) for _, value, n in rows]

    def story_counts(self, query: str | Node = "", filters: Filters = Filters(),
                     width: timedelta = timedelta(minutes=15),
                     outlets_from: datetime | None = None) -> list[StoryBucket]:
        seconds = width_seconds(width)
        first = None if outlets_from is None else first_bucket(outlets_from, seconds)
        _, plan = plan_query(query, filters)
        with self._read() as con, as_query_errors():
            rows = story_rows(con, plan, seconds, first)
        return [StoryBucket(bucket_start(b, seconds), stories, outlets)
                for b, stories, outlets in rows]

    def summarize(self, query: str | Node = "", filters: Filters = Filters(),
                  interval: Interval = "day", counts: Mapping[str, int] | None = None,
                  split_by: str | None = None, newest: int = 0) -> Summary:
        """The matches are found once (into a temporary table) and every aggregation reads
        them from there; questions the rollup answers are asked one by one instead."""
        width, counts = width_of(interval), dict(counts or {})
        for name in [*counts, *([split_by] if split_by else [])]:
            check_field(name)
        node, plan = plan_query(query, filters)
        if rollup.plan(node, filters) is not None:
            return super().summarize(node, filters, interval, counts, split_by, newest)
        with self._read() as con, as_query_errors():
            con.execute("CREATE TEMP TABLE IF NOT EXISTS matches("
                        "rowid INTEGER PRIMARY KEY, ts INTEGER NOT NULL)")
            con.execute("DELETE FROM temp.matches")
            con.execute(f"INSERT INTO temp.matches SELECT d.rowid, d.ts {plan.from_where}",
                        plan.params)
            total = con.execute("SELECT count(*) FROM temp.matches").fetchone()[0]
            out = Summary(
                total=total,
                histogram=dated(con.execute(MATCHES_HISTOGRAM.format(width=width)).fetchall(),
                                 width),
                split=split_matches(con, split_by, width) if split_by else {},
                counts=counts_matches_many(con, counts, total))
            rowids = [row[0] for row in con.execute(
                "SELECT rowid FROM temp.matches ORDER BY ts DESC, rowid DESC LIMIT ?",
                (newest,))]
            bodies = self._bodies(con, rowids)
        out.newest = [Hit(doc=bodies[rowid]) for rowid in rowids]
        return out

    def iter_documents(self, query: str | Node = "", filters: Filters = Filters(),
                       batch_size: int = 1000) -> Iterator[Document]:
        """Newest first, in batches of separate snapshots (keyset pagination on (ts, rowid))."""
        _, plan = plan_query(query, filters)
        after: tuple[int, int] | None = None
        while True:
            page = " AND (d.ts, d.rowid) < (?, ?)" if after else ""
            sql = (f"SELECT d.rowid, d.ts {plan.from_where}{page} "
                   "ORDER BY d.ts DESC, d.rowid DESC LIMIT ?")
            with self._read() as con, as_query_errors():
                rows = con.execute(sql, [*plan.params, *(after or ()), batch_size]).fetchall()
                bodies = self._bodies(con, [rowid for rowid, _ in rows])
            yield from (bodies[rowid] for rowid, _ in rows)
            if len(rows) < batch_size:
                return
            after = (rows[-1][1], rows[-1][0])


def _apply_rollup(con: sqlite3.Connection, counts: Counter) -> None:
    """Add a write's rollup deltas; rows that reach zero go (the table equals a GROUP BY)."""
    con.executemany("INSERT INTO rollup(field, hour, key, value, sent, n) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
                    [row + (n,) for row, n in counts.items() if n])
    con.executemany("DELETE FROM rollup WHERE field = ? AND hour = ? AND key = ? AND value = ? "
                    "AND sent = ? AND n <= 0", [row for row, n in counts.items() if n < 0])


def _dump(doc: Document) -> bytes:
    return zlib.compress(doc.to_json().encode("utf-8"), ZLIB_LEVEL)


def _load(blob: bytes) -> Document:
    return Document.from_json(zlib.decompress(blob))
