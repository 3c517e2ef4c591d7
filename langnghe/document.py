"""The document record: the one type that flows through every stage.

A crawler creates it (the core fields), the NLP stage adds its own section (`nlp`), the store
indexes it, alerts and the web read it. A stage never writes another stage's section, and unknown
fields raise, so a typo in a producer fails loudly instead of vanishing.

The id is a hash of the canonical URL (or of `platform:native_id` for social items), so
re-crawling, re-enriching or re-indexing the same document never duplicates it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
Kind = Literal["article", "post", "comment", "forum_post"]
KINDS: tuple[str, ...] = ("article", "post", "comment", "forum_post")

# Bounds on crawled text: hostile input must not grow without limit.
MAX_TITLE_CHARS = 1_000
MAX_LEAD_CHARS = 5_000
MAX_TEXT_CHARS = 200_000  # the longest real news articles are ~60k chars


def document_id(canonical_url: str | None = None, *, platform: str | None = None,
                native_id: str | None = None) -> str:
    """Stable id: sha1 of the canonical URL, or of `platform:native_id` (40 hex chars)."""
    if platform and native_id:
        key = f"{platform}:{native_id}"
    elif canonical_url:
        key = canonical_url
    else:
        raise ValueError("document_id needs a canonical URL or a platform and native id")
    return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Record(BaseModel):
    """Base of every section: unknown fields raise, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Label(Record):
    """A predicted class with its calibrated confidence and, where available, why."""

    label: str
    score: float
    explanation: list[str] = Field(default_factory=list)


class Entity(Record):
    text: str
    type: str  # PER, ORG, LOC
    start: int
    end: int
    unit: str | None = None  # administrative unit code after the 2025 reorganization


class NlpSection(Record):
    """What the NLP stage adds. Later NLP steps fill the optional fields."""

    lang: str = "vi"
    title: str = ""  # cleaned: NFC, canonical tones, whitespace
    lead: str = ""
    text: str = ""
    segmented: str = ""  # title + lead + text, words joined by "_" within
    normalized: str | None = None  # social text after teencode normalization
    sentiment: Label | None = None
    toxicity: Label | None = None  # clean / offensive / hate (UIT-ViHSD)
    toxic: Label | None = None  # comments: toxic / not_toxic (UIT-ViCTSD)
    constructive: Label | None = None  # comments: constructive / not_constructive (UIT-ViCTSD)
    emotion: Label | None = None
    category: Label | None = None
    domains: list[Label] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)  # ids of matching watch topics
    entities: list[Entity] = Field(default_factory=list)
    story_id: str | None = None
    errors: list[str] = Field(default_factory=list)  # steps that failed on this document
    version: str = ""  # pipeline version that produced this section


class Capture(Record):
    """Where the raw page or API response that produced a document is kept as evidence:
    one gzip'd WARC record (file, byte offset and length) and the SHA-256 of its payload."""

    file: str
    offset: int = Field(ge=0)
    length: int = Field(gt=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    fetched_at: datetime | None = None


class Document(Record):
    """One article, post, comment or forum post."""

    id: str
    url: str
    canonical_url: str
    source_id: str
    source_name: str = ""
    kind: Kind = "article"
    title: str = Field(default="", max_length=MAX_TITLE_CHARS)
    lead: str = Field(default="", max_length=MAX_LEAD_CHARS)
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    authors: list[str] = Field(default_factory=list)
    language: str = "vi"
    published_at: datetime | None = None
    fetched_at: datetime = Field(default_factory=utcnow)
    section: str = ""
    parent_id: str | None = None
    engagement: dict[str, int] = Field(default_factory=dict)  # likes, shares, comments, views
    nlp: NlpSection | None = None
    capture: Capture | None = None  # the raw capture it was parsed from (crawlers.capture)

    @field_validator("published_at", "fetched_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return value

    @classmethod
    def from_json(cls, line: str | bytes) -> Document:
        return cls.model_validate_json(line)

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=False)

    @property
    def published_local(self) -> datetime | None:
        """Publication time in Vietnam time, for display."""
        return self.published_at.astimezone(VN_TZ) if self.published_at else None
