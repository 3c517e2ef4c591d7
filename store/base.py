"""The store interface every backend implements, and the shapes it returns.

One contract test suite (tests/store/test_contract.py) runs unchanged against every backend.
Queries arrive as text in the engine's query language (`langnghe.query`) or as a parsed tree.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from langnghe.document import Document
from langnghe.query import Node

Sort = Literal["relevance", "newest", "oldest"]
Interval = Literal["hour", "day"]


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
    def iter_documents(self, query: str | Node = "", filters: Filters = Filters(),
                       batch_size: int = 1000) -> Iterator[Document]:
        """Every matching document, newest first, streamed (for export and migration)."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release connections."""
