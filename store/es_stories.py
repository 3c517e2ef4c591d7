"""Distinct stories and outlets per time bucket in Elasticsearch (`Store.story_counts`), exact.

One date histogram (fixed interval in Vietnam time, so buckets start at Vietnam midnight) with
two terms sub-aggregations per bucket:
- `outlets`: terms on `source_id`; the number of its buckets is the bucket's distinct outlets
  (every source was returned when `sum_other_doc_count` is 0, which is checked). Only asked
  from `outlets_from` on: over four weeks of quarter hours it is most of the work;
- `copies`: terms on `story` with `min_doc_count` 2, i.e. the stories with several copies in
  the bucket; the bucket's distinct stories are its documents minus the extra copies (a
  document without a story id is a story of its own). Usually few, so the response stays
  small. Complete unless a shard had to cut its candidate list (`doc_count_error_upper_bound`
  > 0) or the list reached its size: both are checked, never silently wrong.
No script (the node of the test suites has no Painless, and a per-document script costs), and
no `cardinality` aggregation: it counts hashes (HyperLogLog++), exact only up to their
collisions, and the detector must count exactly what the SQLite store counts.

A long period is cut into chunks of CHUNK_BUCKETS buckets, sent together in one `_msearch`, so
no response nears `search.max_buckets` (65,536 histogram and terms buckets by default).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from langnghe.document import VN_TZ
from store.base import Filters, StoryBucket

CHUNK_BUCKETS = 672  # one week of quarter hours per search: 65,536 / 672 leaves ~97 outlets and
# copied stories per bucket before search.max_buckets would refuse the response
OUTLET_TERMS = 1000  # sources per bucket a response may list; more is checked, never cut
COPY_TERMS = 1000  # stories with 2+ copies in one bucket; more is checked, never cut
COPY_SHARD_TERMS = 10_000  # candidates per shard: a story's copies may sit on several shards


def chunks(filters: Filters, seconds: int) -> Iterator[Filters]:
    """The filters cut into periods of CHUNK_BUCKETS buckets, at bucket starts (an open-ended
    period is one chunk)."""
    if filters.since is None or filters.until is None:
        yield filters
        return
    span = timedelta(seconds=seconds * CHUNK_BUCKETS)
    since = _aware(filters.since)
    local = since.astimezone(VN_TZ)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight + (local - midnight) // timedelta(seconds=seconds) * timedelta(
        seconds=seconds)
    while start < _aware(filters.until):
        yield Filters(since=max(start, since), until=min(start + span, _aware(filters.until)),
                      sources=filters.sources, kinds=filters.kinds)
        start += span


def periods(filters: Filters, cut: datetime | None) -> list[tuple[Filters, bool]]:
    """(period, count its outlets): the filters' period split at `cut` (a bucket start;
    outlets from it on), or whole with its outlets when there is no cut."""
    if cut is None:
        return [(filters, True)]
    before = replace(filters, until=cut if filters.until is None else min(_aware(filters.until),
                                                                          cut))
    after = replace(filters, since=cut if filters.since is None else max(_aware(filters.since),
                                                                         cut))
    return [(part, counted) for part, counted in ((before, False), (after, True))
            if part.since is None or part.until is None or part.since < part.until]


def search_body(query: dict, seconds: int, outlets: bool) -> dict:
    """The `_msearch` body of one chunk (`query`: the query and filters as DSL)."""
    per_bucket: dict = {
        "copies": {"terms": {"field": "story", "min_doc_count": 2, "size": COPY_TERMS,
                             "shard_size": COPY_SHARD_TERMS}}}
    if outlets:
        per_bucket["outlets"] = {"terms": {"field": "source_id", "size": OUTLET_TERMS}}
    return {"size": 0, "query": query,
            "aggs": {"b": {"date_histogram": {"field": "time", "fixed_interval": f"{seconds}s",
                                              "time_zone": "Asia/Ho_Chi_Minh",
                                              "min_doc_count": 1},
                           "aggs": per_bucket}}}


def buckets(response: dict) -> list[StoryBucket]:
    """The StoryBuckets of one chunk's response; RuntimeError if a count could be short."""
    out = []
    for b in response["aggregations"]["b"]["buckets"]:
        outlets = b.get("outlets", {"sum_other_doc_count": 0, "buckets": []})
        copies = b["copies"]
        if outlets["sum_other_doc_count"] or len(copies["buckets"]) >= COPY_TERMS \
                or copies["doc_count_error_upper_bound"]:
            raise RuntimeError(f"story_counts: bucket {b['key_as_string']} has more outlets or "
                               "copied stories than one response lists; use wider limits")
        extra = sum(c["doc_count"] - 1 for c in copies["buckets"])
        out.append(StoryBucket(datetime.fromtimestamp(b["key"] / 1000, VN_TZ),
                               b["doc_count"] - extra, len(outlets["buckets"])))
    return out


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)  # as the SQLite store
