"""The store interface every backend implements, and the shapes it returns.

One contract test suite (tests/store/test_contract.py) runs unchanged against every backend.
Queries arrive as text in the engine's query language (`langnghe.query`) or as a parsed tree.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from langnghe.document import VN_TZ, Document
from langnghe.query import And, Filter, MatchAll, Node, parse
from store.fields import keyword_key

Sort = Literal["relevance", "newest", "oldest"]


def check_page(sort: str, limit: int, offset: int) -> None:
    """ValueError unless `search`'s sort and paging arguments are valid (every backend)."""
    if sort not in ("relevance", "newest", "oldest"):
        raise ValueError(f"sort must be relevance, newest or oldest, not {sort!r}")
    if limit < 0 or offset < 0:
        raise ValueError(f"limit and offset must be ≥ 0, got {limit} and {offset}")
SPLIT_VALUES = 50  # values of a split field drawn as lines; a chart of more is unreadable
Interval = Literal["hour", "day"]
DAY_S = 86400
VN_OFFSET_S = 7 * 3600  # Asia/Ho_Chi_Minh is UTC+7 with no DST since 1975


def first_bucket(moment: datetime, seconds: int) -> int:
    """Index (from the epoch, Vietnam time) of the first bucket of `seconds` that starts at or
    after `moment` (a time without a zone is Vietnam time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)
    return -(-(math.floor(moment.timestamp()) + VN_OFFSET_S) // seconds)


def width_seconds(width: timedelta) -> int:
    """`story_counts`' bucket width in whole seconds; ValueError unless it divides a day, so
    buckets counted from the epoch in Vietnam time start at every Vietnam midnight too."""
    seconds = width.total_seconds()
    if seconds <= 0 or seconds != int(seconds) or DAY_S % int(seconds):
        raise ValueError(f"bucket width must divide a day in whole seconds, not {width}")
    return int(seconds)


@dataclass(frozen=True)
class Filters:
    """Structured filters applied on top of the query (all optional, ANDed)."""

    since: datetime | None = None  # published_at >= since (fetched_at when unknown)
    until: datetime | None = None  # published_at < until
    sources: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()


@dataclass
class Hit:
    doc: Document
    score: float = 0.0
    # field -> HTML-escaped snippet with <mark>…</mark> around matched words
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]


class StoryBucket(NamedTuple):
    """One bucket of `story_counts`: what the spike detector counts in it."""

    start: datetime  # Vietnam time
    stories: int  # distinct NLP story ids; a document without one is a story of its own
    outlets: int  # distinct sources


@dataclass
class Summary:
    """Several aggregations of one query and filters (a topic page, a printable report)."""

    total: int
    histogram: list[tuple[datetime, int]]
    # folded key (as `field:value` compares) -> histogram of the matches with that value
    split: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)
    counts: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # as counts_by
    newest: list[Hit] = field(default_factory=list)  # as search(sort="newest"), no highlights


class Store(ABC):
    """Upsert by id, search with the query language, count for dashboards and alerts."""

    @abstractmethod
    def upsert(self, docs: Iterable[Document]) -> int:
        """Insert or replace documents by id; returns how many were written."""

    @abstractmethod
    def get(self, doc_id: str) -> Document | None: ...

    @abstractmethod
    def count(self) -> int:
        """All documents in the store."""

    @abstractmethod
    def search(self, query: str | Node = "", filters: Filters = Filters(),
               sort: Sort = "relevance", limit: int = 20, offset: int = 0,
               highlight: bool = True) -> SearchResult:
        """Documents matching the query and filters; empty query = everything, newest first."""

    @abstractmethod
    def histogram(self, query: str | Node = "", filters: Filters = Filters(),
                  interval: Interval = "day") -> list[tuple[datetime, int]]:
        """Matching documents per hour or day (Vietnam time buckets), oldest first."""

    @abstractmethod
    def counts_by(self, field_name: str, query: str | Node = "", filters: Filters = Filters(),
                  limit: int = 20) -> list[tuple[str, int]]:
        """Matching documents per value of a keyword field (source, kind, sentiment, ...)."""

    @abstractmethod
    def story_counts(self, query: str | Node = "", filters: Filters = Filters(),
                     width: timedelta = timedelta(minutes=15),
                     outlets_from: datetime | None = None) -> list[StoryBucket]:
        """Distinct stories and outlets of the matching documents per bucket of `width`.

        Buckets start at Vietnam midnight and every `width` after it (`width_seconds`); only
        buckets with matches are returned, oldest first. Syndicated copies share the NLP story
        id and count once; a document without a story id (not enriched) is a story of its own.
        Outlets are counted in the buckets that start at or after `outlets_from` (every bucket
        when None) and are 0 before: the spike detector needs them only in the buckets it
        judges, and per bucket of four weeks they are most of Elasticsearch's work.
        The alert stage's spike detection reads these instead of weeks of documents.
        """

    @abstractmethod
    def iter_documents(self, query: str | Node = "", filters: Filters = Filters(),
                       batch_size: int = 1000) -> Iterator[Document]:
        """Every matching document, newest first, streamed (for export and migration)."""

    def summarize(self, query: str | Node = "", filters: Filters = Filters(),
                  interval: Interval = "day", counts: Mapping[str, int] | None = None,
                  split_by: str | None = None, newest: int = 0) -> Summary:
        """Total, histogram, a histogram per value of `split_by`, counts_by per field of
        `counts` (field -> limit) and the `newest` matches, each exactly as the single calls
        answer them. Backends may compute them together (one pass over the matches)."""
        node = parse(query) if isinstance(query, str) else query
        split = {}
        if split_by is not None:
            for value, _ in self.counts_by(split_by, node, filters, limit=SPLIT_VALUES):
                narrowed = Filter(split_by, value)
                both = narrowed if isinstance(node, MatchAll) else And((node, narrowed))
                split[keyword_key(value)] = self.histogram(both, filters, interval)
        return Summary(
            total=self.search(node, filters, limit=0, highlight=False).total,
            histogram=self.histogram(node, filters, interval), split=split,
            counts={name: self.counts_by(name, node, filters, limit=limit)
                    for name, limit in (counts or {}).items()},
            newest=self.search(node, filters, sort="newest", limit=newest,
                               highlight=False).hits if newest else [])

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release connections."""
