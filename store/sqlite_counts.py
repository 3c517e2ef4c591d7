"""The SQLite store's aggregations: histograms and counts per keyword value, three ways.

1. Direct: a GROUP BY over the matching `docs` rows (and their `keys`).
2. From the hourly rollup (store/rollup.py) for the dashboards' questions: rollup rows for the
   whole hours of the period, and the same rows made from the documents of its partial hours.
3. From `temp.matches`, the matches of one query written once (Store.summarize), for every
   count a topic page or a search page's facets ask.
All three give identical answers (tests/store/test_rollup.py, tests/store/test_summary.py).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from langnghe.document import VN_TZ
from store import rollup
from store.base import SPLIT_VALUES, Filters
from store.fields import KEYWORD_FIELDS
from store.sqlite_plan import Plan, Span, span_of

VN_OFFSET_S = 7 * 3600  # Asia/Ho_Chi_Minh is UTC+7 with no DST since 1975: fixed-width buckets
WIDTHS = {"hour": 3600, "day": 86400}
NO_LIMIT = -1  # SQLite's LIMIT -1: every row
MANY_MATCHES = 8  # matches above 1/8 of the store: count them field by field in key order
# constants only: the bucket width is formatted in, never a value from a request
MATCHES_HISTOGRAM = f"SELECT (ts + {VN_OFFSET_S}) / {{width}} AS b, count(*) FROM temp.matches" \
                    " GROUP BY b ORDER BY b"  # noqa: S608


def width_of(interval: str) -> int:
    if interval not in WIDTHS:
        raise ValueError(f"interval must be hour or day, not {interval!r}")
    return WIDTHS[interval]


def check_field(name: str) -> None:
    if name not in KEYWORD_FIELDS:
        raise ValueError(f"counts_by field must be one of {', '.join(KEYWORD_FIELDS)}, "
                         f"not {name!r}")


def histogram_rows(con: sqlite3.Connection, plan: Plan, width: int) -> list[tuple[int, int]]:
    sql = (f"SELECT (d.ts + {VN_OFFSET_S}) / {width} AS bucket, count(*) {plan.from_where} "
           "GROUP BY bucket ORDER BY bucket")
    return con.execute(sql, plan.params).fetchall()


def story_rows(con: sqlite3.Connection, plan: Plan, width: int,
               outlets_from: int | None) -> list[tuple[int, int, int]]:
    """(bucket, distinct stories, distinct sources) per bucket of `width` seconds with matches;
    sources only from bucket `outlets_from` on (every bucket when None), else 0.

    From the `docs` rows and the story keys (index `keys_lookup` by rowid): no document is read.
    A document without a story key is a story of its own.
    """
    bucket = f"(d.ts + {VN_OFFSET_S}) / {width}"
    source = "d.source" if outlets_from is None else f"CASE WHEN {bucket} >= ? THEN d.source END"
    sql = (f"SELECT {bucket} AS bucket, "  # noqa: S608 - constants and placeholders only
           f"count(DISTINCT s.value) + sum(s.value IS NULL), count(DISTINCT {source}) "
           f"{plan.source} LEFT JOIN keys s INDEXED BY keys_lookup "
           f"ON s.rowid = d.rowid AND s.field = 'story' WHERE {plan.where} "
           "GROUP BY bucket ORDER BY bucket")
    return con.execute(sql, [*([] if outlets_from is None else [outlets_from]),
                             *plan.params]).fetchall()


def counts_rows(con: sqlite3.Connection, plan: Plan, field_name: str,
                 limit: int) -> list[tuple[str, str, int]]:
    """(key, displayed value, count) per key of the field, most frequent first."""
    # With a text query the matches drive the join: look each one's keys up by rowid.
    # Left to itself SQLite scans every `keys` row of the field per match (quadratic:
    # minutes for a common word at 200k documents); without one, its own plan is faster.
    hint = "INDEXED BY keys_lookup " if plan.ranked else ""
    sql = (f"SELECT k.key, min(k.value) AS v, count(*) AS n {plan.source} "
           f"JOIN keys k {hint}ON k.rowid = d.rowid AND k.field = ? WHERE {plan.where} "
           "GROUP BY k.key ORDER BY n DESC, v LIMIT ?")
    return con.execute(sql, [field_name, *plan.params, limit]).fetchall()


def _edges(filters: Filters, hours: tuple[int | None, int | None]) -> list[Span]:
    """The partial hours at the ends of the filters' period: counted from the documents."""
    since, until = span_of(filters)
    first, end = hours
    out = []
    if first is not None and since is not None and since < first * rollup.HOUR_S:
        out.append((since, first * rollup.HOUR_S))
    if end is not None and until is not None and end * rollup.HOUR_S < until:
        out.append((end * rollup.HOUR_S, until))
    return out


def _rolled_rows(rolled: rollup.Plan, filters: Filters,
                 hours: tuple[int | None, int | None]) -> tuple[str, list[object]]:
    """SELECT of (hour, key, value, sent, n) rows answering the plan: rollup rows for the whole
    hours, and the same rows made on the fly from the documents of the partial hours."""
    where, where_params = rolled.where()
    narrow = "".join(f" AND {w}" for w in where)
    bounds = [(f" AND hour {op} ?", bound)
              for bound, op in zip(hours, (">=", "<"), strict=True) if bound is not None]
    # placeholders only: every value below stays a parameter
    parts = ["SELECT hour, key, value, sent, n FROM rollup WHERE field = ?"  # noqa: S608
             + "".join(sql for sql, _ in bounds) + narrow]
    params: list[object] = [rolled.field, *(b for _, b in bounds), *where_params]
    for since, until in _edges(filters, hours):
        live = rollup.live_rows(rolled.field)
        parts.append(f"SELECT hour, key, value, sent, n FROM ({live}) WHERE 1{narrow}")  # noqa: S608
        params += [*([rolled.field] if rolled.field else []), since, until, *where_params]
    return " UNION ALL ".join(parts), params


def histogram_rolled(con: sqlite3.Connection, filters: Filters, rolled: rollup.Plan,
                      hours: tuple[int | None, int | None], width: int) -> list[tuple[int, int]]:
    rows, params = _rolled_rows(rolled, filters, hours)
    bucket = f"(hour * {rollup.HOUR_S} + {VN_OFFSET_S}) / {width}"
    sql = f"SELECT {bucket} AS b, sum(n) FROM ({rows}) GROUP BY b ORDER BY b"  # noqa: S608
    return con.execute(sql, params).fetchall()


def counts_rolled(con: sqlite3.Connection, filters: Filters, rolled: rollup.Plan,
                   hours: tuple[int | None, int | None], limit: int) -> list[tuple[str, str, int]]:
    rows, params = _rolled_rows(rolled, filters, hours)
    if rolled.by_sent:  # the tone of the narrowed documents: sentiment keys are its values
        sql = (f"SELECT sent, sent AS v, sum(n) AS c FROM ({rows}) WHERE sent != '' "  # noqa: S608
               "GROUP BY sent ORDER BY c DESC, v LIMIT ?")
    else:
        sql = (f"SELECT key, min(value) AS v, sum(n) AS c FROM ({rows}) "  # noqa: S608
               "GROUP BY key ORDER BY c DESC, v LIMIT ?")
    return con.execute(sql, [*params, limit]).fetchall()


def _counts_matches(con: sqlite3.Connection, field_name: str,
                    limit: int) -> list[tuple[str, str, int]]:
    # CROSS JOIN keeps the matches outside: the temporary table has no statistics, and with
    # keys outside SQLite would scan every key of the store once
    sql = ("SELECT k.key, min(k.value) AS v, count(*) AS n FROM temp.matches m "
           "CROSS JOIN keys k INDEXED BY keys_lookup ON k.rowid = m.rowid AND k.field = ? "
           "GROUP BY k.key ORDER BY n DESC, v LIMIT ?")
    return con.execute(sql, (field_name, limit)).fetchall()


def counts_matches_many(con: sqlite3.Connection, limits: dict[str, int],
                         matches: int) -> dict[str, list[tuple[str, int]]]:
    """counts_by of the matches for several fields.

    Few matches: one pass over their keys (index lookups by rowid, then a sort into groups).
    Many: each field's keys in key order (already grouped), keeping those of the matches; past
    an eighth of the store this is faster (measured at 200k documents, seven facets: equal at
    24,500 matches, 183 against 331 ms at 48,700, 227 against 681 ms at 107,000).
    """
    if not limits:
        return {}
    stored = con.execute("SELECT max(rowid) FROM docs").fetchone()[0] or 0  # ~ the store size
    rows: dict[str, list[tuple[str, int]]] = {name: [] for name in limits}
    if matches * MANY_MATCHES > stored:
        for name in limits:
            rows[name] = [(v, n) for _, v, n in con.execute(
                "SELECT key, min(value), count(*) FROM keys WHERE field = ? "
                "AND rowid IN (SELECT rowid FROM temp.matches) GROUP BY key", (name,))]
    else:
        marks = ",".join("?" * len(limits))
        sql = ("SELECT k.field, k.key, min(k.value), count(*) FROM temp.matches m "  # noqa: S608
               "CROSS JOIN keys k INDEXED BY keys_lookup ON k.rowid = m.rowid "
               f"WHERE k.field IN ({marks}) GROUP BY k.field, k.key")
        for name, _key, value, n in con.execute(sql, list(limits)):
            rows[name].append((value, n))
    # the order of counts_by: most frequent first, then by displayed value
    return {name: sorted(found, key=lambda row: (-row[1], row[0]))[:max(0, limits[name])]
            for name, found in rows.items()}


def split_matches(con: sqlite3.Connection, field_name: str,
                   width: int) -> dict[str, list[tuple[datetime, int]]]:
    """Histogram of the matches per key of the field, for its SPLIT_VALUES commonest keys."""
    bucket = f"(m.ts + {VN_OFFSET_S}) / {width}"
    sql = (f"SELECT k.key, {bucket} AS b, count(*) FROM temp.matches m "  # noqa: S608
           "CROSS JOIN keys k INDEXED BY keys_lookup ON k.rowid = m.rowid AND k.field = ? "
           "GROUP BY k.key, b ORDER BY k.key, b")
    out: dict[str, list[tuple[int, int]]] = {}
    for key, b, n in con.execute(sql, (field_name,)):
        out.setdefault(key, []).append((b, n))
    if len(out) > SPLIT_VALUES:  # the commonest, ordered as counts_by orders them
        keep = {key for key, _, _ in _counts_matches(con, field_name, SPLIT_VALUES)}
        out = {key: rows for key, rows in out.items() if key in keep}
    return {key: dated(rows, width) for key, rows in out.items()}


def dated(rows: list[tuple[int, int]], width: int) -> list[tuple[datetime, int]]:
    return [(bucket_start(bucket, width), n) for bucket, n in rows]


def bucket_start(bucket: int, width: int) -> datetime:
    return datetime.fromtimestamp(bucket * width - VN_OFFSET_S, VN_TZ)
