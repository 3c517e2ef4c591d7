"""Severity (info / warning / critical) from magnitude, negative share, outlet weight and reach."""

from __future__ import annotations

from collections.abc import Sequence

from langnghe.document import Document
from langnghe.sources import Registry

# national state press > national > local > anonymous pages and forums
OUTLET_TYPE_WEIGHT = {"state": 3.0, "national": 2.0, "local": 1.0, "business": 1.0,
                      "forum": 0.5, "social": 0.5, "other": 0.5}
UNKNOWN_OUTLET = 0.5  # an outlet not in the registry counts as an anonymous page
HIGH_REACH = 10_000  # likes + shares + comments + views across the window


def outlet_weight(doc: Document, registry: Registry | None) -> float:
    source = registry.get(doc.source_id) if registry else None
    if source is None:
        return UNKNOWN_OUTLET
    return OUTLET_TYPE_WEIGHT.get(source.type, UNKNOWN_OUTLET)


def negative_share(docs: Sequence[Document]) -> float:
    labelled = [d.nlp.sentiment.label for d in docs if d.nlp and d.nlp.sentiment]
    return sum(1 for lab in labelled if lab == "negative") / len(labelled) if labelled else 0.0


def reach(docs: Sequence[Document]) -> int:
    return sum(sum(d.engagement.values()) for d in docs)


def grade(ratio: float, neg_share: float, weight: float, total_reach: int) -> str:
    """Points: magnitude (0-2) + negativity (0-2) + outlet (0-2) + reach (0-1)."""
    points = (2 if ratio >= 10 else 1 if ratio >= 4 else 0)  # 4x / 10x the expected volume
    points += 2 if neg_share >= 0.6 else 1 if neg_share >= 0.4 else 0  # mostly / often negative
    points += 2 if weight >= 3 else 1 if weight >= 2 else 0  # state / national press involved
    points += 1 if total_reach >= HIGH_REACH else 0
    return "critical" if points >= 5 else "warning" if points >= 3 else "info"


def grade_documents(docs: Sequence[Document], ratio: float, registry: Registry | None) -> str:
    weight = max((outlet_weight(d, registry) for d in docs), default=UNKNOWN_OUTLET)
    return grade(ratio, negative_share(docs), weight, reach(docs))
