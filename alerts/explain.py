"""Why an alert fired, from the documents behind it: evidence, new terms, outlets, sentiment."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from alerts.model import DocRef, Explanation
from langnghe.document import VN_TZ, Document
from langnghe.vietnamese import canonical_tones

TOP_DOCUMENTS = 5  # what a leader reads on a phone
TOP_TERMS = 8
TOP_OUTLETS = 5
NEW_TERM_RATIO = 3.0  # a term is "new" when 3x more frequent in the window than before
_WORD = re.compile(r"[^\W\d_]+(?:_[^\W\d_]+)*", re.UNICODE)


def when(doc: Document) -> datetime:
    return doc.published_at or doc.fetched_at


def story_key(doc: Document) -> str:
    """Syndicated copies share the NLP story id; otherwise each document is its own story."""
    return (doc.nlp.story_id if doc.nlp and doc.nlp.story_id else None) or doc.id


def local(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")


def _terms(doc: Document) -> set[str]:
    if doc.nlp and doc.nlp.segmented:
        text = doc.nlp.segmented
    else:
        text = f"{doc.title} {doc.lead}"
    words = _WORD.findall(canonical_tones(text).lower())
    return {w for w in words if len(w) > 2 or "_" in w}  # one- and two-letter tokens say nothing


def new_terms(window: Sequence[Document], baseline: Sequence[Document]) -> list[str]:
    """Terms frequent in the window and rare before it (document frequency, smoothed ratio)."""
    if not window:
        return []
    df_w = Counter(t for d in window for t in _terms(d))
    df_b = Counter(t for d in baseline for t in _terms(d))
    n_w, n_b = len(window), max(1, len(baseline))
    scored = []
    for term, k in df_w.items():
        ratio = (k / n_w) / ((df_b[term] + 0.5) / n_b)  # +0.5: unseen terms are not infinite
        if k >= 2 and ratio >= NEW_TERM_RATIO:
            scored.append((k * math.log(ratio), term))
    return [t.replace("_", " ") for _, t in sorted(scored, reverse=True)[:TOP_TERMS]]


def top_documents(docs: Sequence[Document]) -> list[DocRef]:
    """Biggest stories first; each shown by its first publisher."""
    stories: dict[str, list[Document]] = {}
    for doc in sorted(docs, key=when):
        stories.setdefault(story_key(doc), []).append(doc)
    ranked = sorted(stories.values(), key=lambda copies: (-len(copies), when(copies[0])))
    firsts = sorted((copies[0] for copies in ranked[:TOP_DOCUMENTS]), key=when)
    return [DocRef(title=d.title, url=d.url, source=d.source_name or d.source_id,
                   published_at=local(when(d)),
                   sentiment=d.nlp.sentiment.label if d.nlp and d.nlp.sentiment else None)
            for d in firsts]


def sentiment_breakdown(docs: Sequence[Document]) -> dict[str, int]:
    counts = Counter(d.nlp.sentiment.label for d in docs if d.nlp and d.nlp.sentiment)
    return dict(counts.most_common())


def explain(docs: Sequence[Document], baseline: Sequence[Document], reason: str, count: int,
            expected: float, threshold: str, start: datetime, end: datetime) -> Explanation:
    outlets = Counter(d.source_name or d.source_id for d in docs)
    entities = Counter(e.text for d in docs if d.nlp for e in d.nlp.entities)
    return Explanation(reason=reason, count=count, expected=round(expected, 2),
                       threshold=threshold, window_start=local(start), window_end=local(end),
                       documents=top_documents(docs), new_terms=new_terms(docs, baseline),
                       outlets=outlets.most_common(TOP_OUTLETS),
                       entities=entities.most_common(TOP_OUTLETS),
                       sentiment=sentiment_breakdown(docs))
