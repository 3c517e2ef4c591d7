"""The embedded store: one SQLite file (WAL) with an FTS5 index, for one-machine deployments.

Tables:
- `docs`: one row per document id: time (unix seconds), source, kind, for filters and sorts;
- `bodies`: the whole Document as zlib-compressed JSON (same rowid), so `get` round-trips exactly;
- `keys`: (field, folded value, rowid) for the query language's filter fields, also counted;
- `fts`: contentless FTS5 over title/lead/text, exact (canonical tones) and folded (đ→d) forms.

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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from langnghe.document import VN_TZ, Document
from langnghe.query import Node, QueryError, parse
from langnghe.vietnamese import fold, match_key
from store.base import Filters, Hit, Interval, SearchResult, Sort, Store
from store.fields import KEYWORD_FIELDS, doc_time, keyword_key, keyword_values, text_fields
from store.fts_query import Compiled, compile_query
from store.highlight import highlights

SCHEMA_VERSION = "1"
BUSY_TIMEOUT_MS = 10_000  # a writer's batch commits in well under a second; wait generously
CACHE_KIB = 32_768  # page cache per connection (32 MiB): hot FTS pages for typical queries
MMAP_BYTES = 256 * 2**20  # read the file through the OS page cache without copies
ZLIB_LEVEL = 1  # JSON compresses ~3x even at level 1; higher levels cost ingest time for ~10%
VN_OFFSET_S = 7 * 3600  # Asia/Ho_Chi_Minh is UTC+7 with no DST since 1975: fixed-width buckets
# bm25 column weights: exact title/lead/text, then folded title/lead/text. A title match
# outweighs a body match; a word typed with diacritics scores on both forms when exact.
BM25 = "bm25(fts, 8.0, 3.0, 1.0, 8.0, 3.0, 1.0)"
RANK_WINDOW = 20_000  # matches ranked by bm25 per query: ~25 ms of scoring (see _rank_floor)
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
CREATE INDEX IF NOT EXISTS keys_rowid ON keys(rowid, field);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, lead, text, ftitle, flead, ftext,
    content='', tokenize='unicode61 remove_diacritics 0');
"""


def forms_fingerprint() -> str:
    probe = match_key(_FORMS_PROBE) + "|" + fold(_FORMS_PROBE)
    return hashlib.sha256(probe.encode("utf-8")).hexdigest()[:16]


def index_forms(doc: Document) -> tuple[str, str, str, str, str, str]:
    """The six FTS columns of a document: exact title/lead/text, then folded ones."""
    fields = text_fields(doc)
    exact = tuple(match_key(fields[name]) for name in ("title", "lead", "text"))
    return exact + tuple(fold(value) for value in exact)  # type: ignore[return-value]


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)  # a time without a zone is Vietnam time
    return int(moment.timestamp())


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
            con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            [("schema", SCHEMA_VERSION), ("forms", fingerprint)])

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
            for doc, blob, forms in rows:
                self._upsert_one(con, doc, blob, forms)
        return len(rows)

    def _upsert_one(self, con: sqlite3.Connection, doc: Document, blob: bytes,
                    forms: tuple[str, ...]) -> None:
        meta = (_epoch(doc_time(doc)), doc.source_id, doc.kind)
        old = con.execute("SELECT d.rowid, b.json FROM docs d JOIN bodies b USING (rowid) "
                          "WHERE d.id = ?", (doc.id,)).fetchone()
        if old is None:
            rowid = con.execute("INSERT INTO docs(id, ts, source, kind) VALUES (?, ?, ?, ?)",
                                (doc.id, *meta)).lastrowid
            con.execute("INSERT INTO bodies(rowid, json) VALUES (?, ?)", (rowid, blob))
        else:
            rowid = old[0]
            old_forms = index_forms(_load(old[1]))
            con.execute("INSERT INTO fts(fts, rowid, title, lead, text, ftitle, flead, ftext) "
                        "VALUES ('delete', ?, ?, ?, ?, ?, ?, ?)", (rowid, *old_forms))
            con.execute("UPDATE docs SET ts = ?, source = ?, kind = ? WHERE rowid = ?",
                        (*meta, rowid))
            con.execute("UPDATE bodies SET json = ? WHERE rowid = ?", (blob, rowid))
            con.execute("DELETE FROM keys WHERE rowid = ?", (rowid,))
        con.execute("INSERT INTO fts(rowid, title, lead, text, ftitle, flead, ftext) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", (rowid, *forms))
        con.executemany("INSERT INTO keys(field, key, rowid, value) VALUES (?, ?, ?, ?)",
                        [(name, keyword_key(value), rowid, value)
                         for name, value in keyword_values(doc)])

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
        if sort not in ("relevance", "newest", "oldest"):
            raise ValueError(f"sort must be relevance, newest or oldest, not {sort!r}")
        if limit < 0 or offset < 0:
            raise ValueError(f"limit and offset must be ≥ 0, got {limit} and {offset}")
        node, plan = _plan(query, filters)
        with self._read() as con, _as_query_errors():
            total = con.execute(*plan.count_sql()).fetchone()[0]
            ranked = sort == "relevance" and plan.ranked
            floor = self._rank_floor(con, plan, limit + offset) if ranked else None
            rows = con.execute(*plan.page_sql(sort, limit, offset, floor)).fetchall()
            bodies = self._bodies(con, [row[0] for row in rows])
        hits = []
        for rowid, score, _tier in rows:
            doc = bodies[rowid]
            marks = highlights(node, text_fields(doc)) if highlight else {}
            hits.append(Hit(doc=doc, score=-score if score else 0.0, highlights=marks))
        return SearchResult(total=total, hits=hits)

    @staticmethod
    def _rank_floor(con: sqlite3.Connection, plan: _Plan, wanted: int) -> int | None:
        """Lowest rowid of the RANK_WINDOW most recently indexed text matches, if more match.

        bm25 costs ~1 µs per matching row; a common word matches half of a 200,000-document
        store. Relevance therefore ranks the newest RANK_WINDOW matches (rowids grow with
        indexing time), which for news is what a person scrolling by relevance looks at; the
        total still counts every match, and newest/oldest sorts reach all of them.
        """
        window = max(RANK_WINDOW, wanted)
        row = con.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC "
                          "LIMIT 1 OFFSET ?", (plan.fts, window - 1)).fetchone()
        return row[0] if row else None

    def _bodies(self, con: sqlite3.Connection, rowids: list[int]) -> dict[int, Document]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))  # placeholders only: values stay parameters
        sql = f"SELECT rowid, json FROM bodies WHERE rowid IN ({marks})"  # noqa: S608
        rows = con.execute(sql, rowids)
        return {rowid: _load(blob) for rowid, blob in rows}

    def histogram(self, query: str | Node = "", filters: Filters = Filters(),
                  interval: Interval = "day") -> list[tuple[datetime, int]]:
        widths = {"hour": 3600, "day": 86400}
        if interval not in widths:
            raise ValueError(f"interval must be hour or day, not {interval!r}")
        width = widths[interval]
        _, plan = _plan(query, filters)
        sql = (f"SELECT (d.ts + {VN_OFFSET_S}) / {width} AS bucket, count(*) {plan.from_where} "
               "GROUP BY bucket ORDER BY bucket")
        with self._read() as con, _as_query_errors():
            rows = con.execute(sql, plan.params).fetchall()
        return [(_bucket_start(bucket, width), n) for bucket, n in rows]

    def counts_by(self, field_name: str, query: str | Node = "", filters: Filters = Filters(),
                  limit: int = 20) -> list[tuple[str, int]]:
        if field_name not in KEYWORD_FIELDS:
            raise ValueError(f"counts_by field must be one of {', '.join(KEYWORD_FIELDS)}, "
                             f"not {field_name!r}")
        _, plan = _plan(query, filters)
        # With a text query the matches drive the join: look each one's keys up by rowid.
        # Left to itself SQLite scans every `keys` row of the field per match (quadratic:
        # minutes for a common word at 200k documents); without one, its own plan is faster.
        hint = "INDEXED BY keys_rowid " if plan.ranked else ""
        sql = (f"SELECT min(k.value), count(*) AS n {plan.source} "
               f"JOIN keys k {hint}ON k.rowid = d.rowid AND k.field = ? WHERE {plan.where} "
               "GROUP BY k.key ORDER BY n DESC, min(k.value) LIMIT ?")
        with self._read() as con, _as_query_errors():
            rows = con.execute(sql, [field_name, *plan.params, limit]).fetchall()
        return [(value, n) for value, n in rows]

    def iter_documents(self, query: str | Node = "", filters: Filters = Filters(),
                       batch_size: int = 1000) -> Iterator[Document]:
        """Newest first, in batches of separate snapshots (keyset pagination on (ts, rowid))."""
        _, plan = _plan(query, filters)
        after: tuple[int, int] | None = None
        while True:
            page = " AND (d.ts, d.rowid) < (?, ?)" if after else ""
            sql = (f"SELECT d.rowid, d.ts {plan.from_where}{page} "
                   "ORDER BY d.ts DESC, d.rowid DESC LIMIT ?")
            with self._read() as con, _as_query_errors():
                rows = con.execute(sql, [*plan.params, *(after or ()), batch_size]).fetchall()
                bodies = self._bodies(con, [rowid for rowid, _ in rows])
            yield from (bodies[rowid] for rowid, _ in rows)
            if len(rows) < batch_size:
                return
            after = (rows[-1][1], rows[-1][0])


class _Plan:
    """FROM/WHERE of a query with its parameters, and how to score and order its rows."""

    def __init__(self, compiled: Compiled, filters: Filters):
        where, params = list(compiled.where), list(compiled.params)
        where_f, params_f = _filter_sql(filters)
        where += where_f
        params += params_f
        self.fts, self.tier_fts = compiled.fts, compiled.tier
        self.text_only = not where  # nothing to check on docs rows: FTS alone answers
        self.ranked = compiled.fts is not None
        if self.ranked:
            # CROSS JOIN pins fts as the outer loop: with docs outer, FTS5 would re-run the
            # MATCH once per candidate row (seconds on a kind or source filter)
            self.source = "FROM fts CROSS JOIN docs d ON d.rowid = fts.rowid"
            where.insert(0, "fts MATCH ?")
            params.insert(0, compiled.fts)
        else:
            self.source = "FROM docs d"
        self.where = " AND ".join(where) or "1"
        self.from_where = f"{self.source} WHERE {self.where}"
        self.params = params

    def count_sql(self) -> tuple[str, list[object]]:
        if self.ranked and self.text_only:  # skips a docs lookup per match (~2x faster)
            return "SELECT count(*) FROM fts WHERE fts MATCH ?", [self.fts]
        return f"SELECT count(*) {self.from_where}", self.params

    def page_sql(self, sort: Sort, limit: int, offset: int,
                 floor: int | None) -> tuple[str, list[object]]:
        """rowid, score, tier of one page; `floor` bounds the rows ranked (see _rank_floor)."""
        if not (sort == "relevance" and self.ranked):
            order = "d.ts, d.rowid" if sort == "oldest" else "d.ts DESC, d.rowid DESC"
            return (f"SELECT d.rowid, 0.0, 0 {self.from_where} ORDER BY {order} LIMIT ? OFFSET ?",
                    [*self.params, limit, offset])
        bound, floors = ("", []) if floor is None else (" AND fts.rowid >= ?", [floor])
        tier, head = "0", []
        if self.tier_fts:
            # placeholders only: the MATCH text and floor stay parameters
            tier = "d.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?" + bound + ")"  # noqa: S608
            head = [self.tier_fts, *floors]
        return (f"SELECT d.rowid, {BM25} AS score, {tier} AS tier {self.from_where}{bound} "
                "ORDER BY tier DESC, score, d.ts DESC, d.rowid DESC LIMIT ? OFFSET ?",
                [*head, *self.params, *floors, limit, offset])


def _plan(query: str | Node, filters: Filters) -> tuple[Node, _Plan]:
    try:
        node = parse(query) if isinstance(query, str) else query
        return node, _Plan(compile_query(node), filters)
    except RecursionError as exc:
        raise QueryError("truy vấn lồng quá sâu") from exc


def _filter_sql(filters: Filters) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if filters.since is not None:
        where.append("d.ts >= ?")
        params.append(_epoch(filters.since))
    if filters.until is not None:
        where.append("d.ts < ?")
        params.append(_epoch(filters.until))
    for column, values in (("source", filters.sources), ("kind", filters.kinds)):
        if values:
            where.append(f"d.{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    return where, params


@contextmanager
def _as_query_errors() -> Iterator[None]:
    """An FTS5 complaint about a query is the query's fault: report it as a QueryError."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc) and "parser stack" not in str(exc):
            raise
        raise QueryError("truy vấn quá phức tạp hoặc không hợp lệ") from exc


def _bucket_start(bucket: int, width: int) -> datetime:
    return datetime.fromtimestamp(bucket * width - VN_OFFSET_S, VN_TZ)


def _dump(doc: Document) -> bytes:
    return zlib.compress(doc.to_json().encode("utf-8"), ZLIB_LEVEL)


def _load(blob: bytes) -> Document:
    return Document.from_json(zlib.decompress(blob))
