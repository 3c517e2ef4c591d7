"""How a query and filters become SQL over the SQLite store's tables (store/sqlite.py).

`plan_query` parses a query and compiles it (store/fts_query.py) into a `Plan`: its FROM and
WHERE over `fts` and `docs d`, with parameters, and the SQL of a page of results ranked by bm25
or sorted by time (which rows are ranked: `SqliteStore._page`). Filters' times become unix
seconds (`Span`); a span may replace them, so the aggregations can count part of a period
(store/sqlite_counts.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from langnghe.document import VN_TZ
from langnghe.query import Node, QueryError, parse
from store.base import Filters, Sort
from store.fts_query import Compiled, compile_query

# bm25 column weights: exact title/lead/text, then folded title/lead/text. A title match
# outweighs a body match; a word typed with diacritics scores on both forms when exact.
BM25 = "bm25(fts, 8.0, 3.0, 1.0, 8.0, 3.0, 1.0)"
Span = tuple[int | None, int | None]  # [since, until) in unix seconds, None: unbounded


def epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)  # a time without a zone is Vietnam time
    return int(moment.timestamp())



class Plan:
    """FROM/WHERE of a query with its parameters, and how to score and order its rows."""

    def __init__(self, compiled: Compiled, filters: Filters, span: Span | None = None):
        where, params = list(compiled.where), list(compiled.params)
        where_f, params_f = _filter_sql(filters, span_of(filters) if span is None else span)
        where += where_f
        params += params_f
        self.fts, self.scored_fts, self.tier_fts = compiled.fts, compiled.scored, compiled.tier
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

    def time_sql(self, sort: Sort, limit: int, offset: int,
                 below: int | None = None) -> tuple[str, list[object]]:
        """rowid, score (0), tier (0) of a page sorted by time; `below` (text queries only):
        only rowids under it, a bound FTS5 applies while reading its doclists."""
        order = "d.ts, d.rowid" if sort == "oldest" else "d.ts DESC, d.rowid DESC"
        bound, bounds = ("", []) if below is None else (" AND fts.rowid < ?", [below])
        return (f"SELECT d.rowid, 0.0, 0 {self.from_where}{bound} ORDER BY {order} "
                "LIMIT ? OFFSET ?", [*self.params, *bounds, limit, offset])

    def floor_sql(self, window: int) -> tuple[str, list[object]]:
        """The lowest rowid of the `window` most recently indexed matches (filters applied).

        FTS5 walks its doclists in rowid order, so this reads matches newest first and stops
        after `window` of them pass the filters."""
        if self.text_only:
            return ("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                    [self.fts, window - 1])
        return (f"SELECT fts.rowid {self.from_where} ORDER BY fts.rowid DESC LIMIT 1 OFFSET ?",
                [*self.params, window - 1])

    def ranked_sql(self, limit: int, offset: int,
                   floor: int | None = None) -> tuple[str, list[object]]:
        """rowid, score, tier of a page by relevance; `floor`: only rowids from it up."""
        bound, floors = ("", []) if floor is None else (" AND fts.rowid >= ?", [floor])
        tier, head = "0", []
        if self.tier_fts:
            # placeholders only: the MATCH text and floor stay parameters
            tier = "d.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?" + bound + ")"  # noqa: S608
            head = [self.tier_fts, *floors]
        # the same rows as from_where, matched by the expression with exact forms for bm25
        return (f"SELECT d.rowid, {BM25} AS score, {tier} AS tier {self.from_where}{bound} "
                "ORDER BY tier DESC, score, d.ts DESC, d.rowid DESC LIMIT ? OFFSET ?",
                [*head, self.scored_fts, *self.params[1:], *floors, limit, offset])


def plan_query(query: str | Node, filters: Filters,
          span: Span | None = None) -> tuple[Node, Plan]:
    """The parsed query and its SQL; `span` replaces the filters' since/until (unix seconds)."""
    try:
        node = parse(query) if isinstance(query, str) else query
        return node, Plan(compile_query(node), filters, span)
    except RecursionError as exc:
        raise QueryError("truy vấn lồng quá sâu") from exc


def span_of(filters: Filters) -> Span:
    return (None if filters.since is None else epoch(filters.since),
            None if filters.until is None else epoch(filters.until))


def _filter_sql(filters: Filters, span: Span) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    since, until = span
    if since is not None:
        where.append("d.ts >= ?")
        params.append(since)
    if until is not None:
        where.append("d.ts < ?")
        params.append(until)
    for column, values in (("source", filters.sources), ("kind", filters.kinds)):
        if values:
            where.append(f"d.{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    return where, params


@contextmanager
def as_query_errors() -> Iterator[None]:
    """An FTS5 complaint about a query is the query's fault: report it as a QueryError."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc) and "parser stack" not in str(exc):
            raise
        raise QueryError("truy vấn quá phức tạp hoặc không hợp lệ") from exc
