"""The SQLite store's hourly rollup: document counts per hour, field value and sentiment.

Dashboards ask the same few questions over long periods (documents per hour of each kind, of a
set of sources, of each sentiment; counts per domain, topic or story). Answering them from the
`docs`/`keys` tables reads every document of the period; the rollup answers them from one row
per (field, hour, value, sentiment) instead, kept exact at every write:

- table `rollup(field, hour, key, value, sent, n)`: `n` documents of hour `hour` (unix hours,
  UTC: Vietnam time is a whole number of hours ahead, so hours are Vietnam hours too) whose field
  `field` has the folded key `key` (displayed `value`) and whose sentiment key is `sent`; field
  "" counts every document once (key and value "");
- `deltas(doc, sign)` is what one document adds (+1) or removes (-1); the store applies the
  deltas of a write in the same transaction as the write, and drops rows that reach 0, so the
  table always equals a GROUP BY over the documents (tests/store/test_rollup.py checks it);
- `plan(node, filters, ...)` says whether a question can be answered from it, and how. Only
  whole hours come from the rollup: the partial hours at the ends of a period are counted from
  the documents, so answers are identical to the direct queries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from langnghe.document import Document
from langnghe.query import And, Filter, MatchAll, Node
from store.base import Filters
from store.fields import keyword_key, keyword_values

VERSION = "1"  # bump when FIELDS or the row layout change: the table is rebuilt on open
# fields the dashboards count over time; "" counts every document. Entities, authors and the
# like are left out: many values per document, rarely asked over a period without a query.
FIELDS = ("", "kind", "source", "sentiment", "domain", "topic", "story")
SINGLE = ("kind", "source", "sentiment")  # one value per document: Filters on them combine
HOUR_S = 3600

SCHEMA = """
CREATE TABLE IF NOT EXISTS rollup(
    field TEXT NOT NULL, hour INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    sent TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY(field, hour, key, value, sent)) WITHOUT ROWID;
"""

Row = tuple[str, int, str, str, str]  # field, hour, key, value, sent


def doc_rows(doc: Document, epoch: int,
             pairs: list[tuple[str, str]] | None = None) -> list[Row]:
    """The rollup rows one document counts in (`epoch`: its time in unix seconds; `pairs`:
    its keyword_values when the caller has them already)."""
    hour = epoch // HOUR_S
    pairs = keyword_values(doc) if pairs is None else pairs
    values = [(name, value) for name, value in pairs if name in FIELDS]
    sent = next((keyword_key(v) for name, v in values if name == "sentiment"), "")
    rows = [("", hour, "", "", sent)]
    rows += [(name, hour, keyword_key(value), value, sent) for name, value in values]
    return rows


def deltas(doc: Document, epoch: int, sign: int, into: Counter,
           pairs: list[tuple[str, str]] | None = None) -> None:
    for row in doc_rows(doc, epoch, pairs):
        into[row] += sign


# the hour of docs row `d` (floored like Python's //), and its sentiment key looked up through
# keys_lookup (a join on a CTE of sentiments would scan it once per row)
HOUR_SQL = f"(CASE WHEN d.ts >= 0 THEN d.ts / {HOUR_S} ELSE (d.ts - {HOUR_S - 1}) / {HOUR_S} END)"
SENT_SQL = ("coalesce((SELECT s.key FROM keys s INDEXED BY keys_lookup "
            "WHERE s.rowid = d.rowid AND s.field = 'sentiment'), '')")


def live_rows(field: str) -> str:
    """SELECT of the rollup rows (hour, key, value, sent, n=1 each) of the documents in
    [?, ?) seconds, made from docs and keys: for the partial hours at the ends of a period.
    Parameters: the field (unless ""), since, until."""
    if not field:
        return _LIVE_ALL
    return _LIVE_FIELD


# constants only: every value is a parameter
_LIVE_ALL = (f"SELECT {HOUR_SQL} AS hour, '' AS key, '' AS value, {SENT_SQL} AS sent, "  # noqa: S608
             "1 AS n FROM docs d WHERE d.ts >= ? AND d.ts < ?")
_LIVE_FIELD = (f"SELECT {HOUR_SQL} AS hour, k.key, k.value, {SENT_SQL} AS sent, 1 AS n "  # noqa: S608
               "FROM docs d JOIN keys k INDEXED BY keys_lookup ON k.rowid = d.rowid "
               "AND k.field = ? WHERE d.ts >= ? AND d.ts < ?")


def backfill_sql() -> tuple[str, list[str]]:
    """INSERT … SELECT building the table from docs and keys (stores written before it)."""
    hour, sent = HOUR_SQL, SENT_SQL
    fields = [f for f in FIELDS if f]
    marks = ",".join("?" * len(fields))
    # placeholders only: field names stay parameters
    sql = f"""
        INSERT INTO rollup(field, hour, key, value, sent, n)
        SELECT '', {hour} AS h, '', '', {sent} AS st, count(*) FROM docs d GROUP BY h, st
        UNION ALL
        SELECT k.field, {hour} AS h, k.key, k.value, {sent} AS st, count(*)
          FROM keys k JOIN docs d ON d.rowid = k.rowid
         WHERE k.field IN ({marks}) GROUP BY k.field, h, k.key, k.value, st"""  # noqa: S608
    return sql, fields


@dataclass(frozen=True)
class Plan:
    """How a question reads the rollup: rows of `field`, narrowed by key/value/sentiment."""

    field: str
    keys: tuple[str, ...] = ()  # folded keys of `field` (a query filter), ANDed: at most one
    values: tuple[str, ...] = ()  # stored values of `field` (Filters.sources / kinds), any of
    sent: str | None = None  # the sentiment key, when the query asks for one
    by_sent: bool = False  # counts_by("sentiment") of documents narrowed on `field`: its rows
    #                        grouped by their sentiment column

    def where(self) -> tuple[str, list[object]]:
        """Conditions on rollup rows (besides field and hours), with their parameters."""
        where, params = [], []
        if self.keys:
            where.append("key = ?")
            params.append(self.keys[0])
        if self.values:
            where.append(f"value IN ({','.join('?' * len(self.values))})")
            params.extend(self.values)
        if self.sent is not None:
            where.append("sent = ?")
            params.append(self.sent)
        return where, params


def plan(node: Node, filters: Filters, count_field: str | None = None) -> Plan | None:
    """The rollup plan of a histogram (count_field None) or counts_by, or None if it has none.

    Answerable: an empty query or an AND of filters on FIELDS, with Filters.sources/kinds, as
    long as everything but sentiment constrains one field and, for counts_by, that field is the
    counted one (and single-valued, so narrowing it does not change what else is counted) — or
    the counted field is sentiment, which every row carries: the tone of one topic, domain,
    source or story (a document has one row per value of the field, so it counts once).
    """
    parts = node.children if isinstance(node, And) else (node,)
    if not all(isinstance(p, (Filter, MatchAll)) for p in parts):
        return None
    filters_ = [p for p in parts if isinstance(p, Filter)]
    if any(f.field not in FIELDS for f in filters_):
        return None
    sents = {keyword_key(f.value) for f in filters_ if f.field == "sentiment"}
    if len(sents) > 1:
        return None  # contradictory sentiments: rare, the direct query answers it
    others = [f for f in filters_ if f.field != "sentiment"]
    if count_field == "sentiment" and sents:
        others = [f for f in filters_ if f.field == "sentiment"][:1] + others
        sents = set()
    constraints: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
        (f.field, (keyword_key(f.value),), ()) for f in others]
    if filters.sources:
        constraints.append(("source", (), tuple(filters.sources)))
    if filters.kinds:
        constraints.append(("kind", (), tuple(filters.kinds)))
    if len(constraints) > 1:
        return None
    sent = next(iter(sents)) if sents else None
    if count_field == "sentiment" and not sents and len(constraints) == 1:
        field, keys, values = constraints[0]
        return Plan(field, keys, values, by_sent=True)
    if count_field is None:
        field, keys, values = constraints[0] if constraints else ("", (), ())
        return Plan(field, keys, values, sent)
    if count_field not in FIELDS or not count_field:
        return None
    if constraints and (constraints[0][0] != count_field or count_field not in SINGLE):
        return None
    keys, values = (constraints[0][1], constraints[0][2]) if constraints else ((), ())
    return Plan(count_field, keys, values, sent)


def whole_hours(since: int | None, until: int | None) -> tuple[int | None, int | None] | None:
    """[first, end) unix hours wholly inside [since, until) (None: unbounded), or None if none."""
    first = None if since is None else -(-since // HOUR_S)
    end = None if until is None else until // HOUR_S
    if first is not None and end is not None and first >= end:
        return None
    return first, end
