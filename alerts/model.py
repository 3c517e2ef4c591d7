"""The alert record and its explanation: what fired, why, and the evidence, as plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class DocRef:
    """One piece of evidence: a document, first publisher first."""

    title: str
    url: str
    source: str
    published_at: str  # ISO 8601, Vietnam time
    sentiment: str | None = None


@dataclass
class Explanation:
    reason: str  # one Vietnamese sentence: count vs expected, threshold, window
    count: int = 0
    expected: float = 0.0
    threshold: str = ""
    window_start: str = ""
    window_end: str = ""
    documents: list[DocRef] = field(default_factory=list)
    new_terms: list[str] = field(default_factory=list)
    outlets: list[tuple[str, int]] = field(default_factory=list)
    entities: list[tuple[str, int]] = field(default_factory=list)
    sentiment: dict[str, int] = field(default_factory=dict)


@dataclass
class Alert:
    """One incident. `key` identifies the incident across cycles (dedup); `id` is set on save."""

    key: str  # e.g. "spike:topic:lu-lut" or "health:source:baothanhhoa"
    kind: str  # spike | rule | negative_share | source_health
    severity: str  # info | warning | critical
    title: str  # Vietnamese one-liner
    detected_at: datetime
    explanation: Explanation
    score: float = 0.0
    id: str | None = None
    version: int = 1
    status: str = "open"  # open | acked | closed
    acked_by: str | None = None
    acked_at: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # kind-specific payload (digest data)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["detected_at"] = self.detected_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        exp = dict(data["explanation"])
        exp["documents"] = [DocRef(**d) for d in exp.get("documents", [])]
        exp["outlets"] = [tuple(x) for x in exp.get("outlets", [])]
        exp["entities"] = [tuple(x) for x in exp.get("entities", [])]
        fields = {k: v for k, v in data.items() if k != "explanation"}
        fields["detected_at"] = datetime.fromisoformat(fields["detected_at"])
        return cls(explanation=Explanation(**exp), **fields)
