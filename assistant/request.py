"""The structured request a question is understood as, and the engine query it searches.

`Subject` is what is counted (filters and searched keywords); `Request` adds the intent, the
period and, for a comparison, the other side (a second period or a second subject). Both turn
into plain JSON (`to_dict`) — the shape `langnghe ask --json` prints and the evaluation checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from urllib.parse import urlencode

from assistant.periods import Period

INTENTS = ("overview", "count", "trend", "top_stories", "sentiment", "compare", "forecast",
           "alerts", "sources", "search")
UNKNOWN = "unknown"
FILTER_FIELDS = ("place", "domain", "topic", "sentiment", "source", "entity")
MAX_PHRASE_WORDS = 3  # a run of up to three syllables is one Vietnamese word or compound


@dataclass(frozen=True)
class PlaceRef:
    """A current administrative unit: "Thanh Hóa", or "Hạc Thành, Thanh Hóa" for a commune."""

    label: str
    names: tuple[str, ...]  # the `place:` values that must all hold (province, then commune)

    def query(self) -> str:
        return " ".join(f'place:"{name}"' for name in self.names)


def _quoted(value: str) -> str:
    return '"' + value.replace('"', "") + '"'


def _any_of(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


@dataclass(frozen=True)
class Subject:
    """What is counted. Each field holds alternatives (ORed); fields are ANDed."""

    place: tuple[PlaceRef, ...] = ()
    domain: tuple[str, ...] = ()
    topic: tuple[str, ...] = ()
    sentiment: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    entity: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # runs of searched words, as typed

    def query(self) -> str:
        """The engine query (langnghe.query) for exactly this subject."""
        parts = []
        if self.place:
            several = len(self.place) > 1
            parts.append(_any_of([f"({p.query()})" if several and len(p.names) > 1
                                  else p.query() for p in self.place]))
        for name in ("domain", "topic", "sentiment", "source"):
            values = getattr(self, name)
            if values:
                parts.append(_any_of([f"{name}:{v}" for v in values]))
        if self.entity:
            parts.append(_any_of([f"entity:{_quoted(e)}" for e in self.entity]))
        for run in self.keywords:
            words = run.split()
            parts.append(_quoted(run) if 1 < len(words) <= MAX_PHRASE_WORDS else run)
        return " ".join(parts)

    def filters(self) -> dict[str, str | list[str] | None]:
        out: dict[str, str | list[str] | None] = {}
        for name in FILTER_FIELDS:
            values = [p.label for p in self.place] if name == "place" else \
                list(getattr(self, name))
            out[name] = values[0] if len(values) == 1 else (values or None)
        return out

    def differs(self, other: Subject) -> dict[str, str | list[str] | None]:
        """The filters of `other` that differ from this subject's (a comparison's other side)."""
        mine, theirs = self.filters(), other.filters()
        out = {k: v for k, v in theirs.items() if v != mine[k]}
        if other.keywords != self.keywords:
            out["keywords"] = " ".join(other.keywords)
        return out

    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def with_(self, **changes) -> Subject:
        return replace(self, **changes)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


@dataclass
class Request:
    question: str
    intent: str  # one of INTENTS, or UNKNOWN
    now: datetime
    subject: Subject = field(default_factory=Subject)
    period: Period | None = None  # None: no period applies (open alerts now)
    other: Subject | Period | None = None  # compare: the other side
    limit: int | None = None  # "5 tin nổi bật"
    briefing: bool = False  # the morning question: answered with the daily digest
    restated: str | None = None  # the language model's restatement the rules read (assistant.llm)
    suggestions: tuple[str, ...] = ()  # when not understood: two supported questions

    @property
    def understood(self) -> bool:
        return self.intent != UNKNOWN

    @property
    def query(self) -> str:
        return self.subject.query()

    def search_link(self, subject: Subject | None = None, period: Period | None = None) -> str:
        """The /search page for the subject over the period (what a person can open)."""
        subject, period = subject or self.subject, period or self.period
        params = {"q": subject.query()}
        if period is not None and not period.future:
            params["since"] = iso(period.since)
            params["until"] = iso(period.until)
        return "/search?" + urlencode(params)

    def to_dict(self) -> dict:
        out: dict = {"intent": self.intent, "understood": self.understood,
                     "since": iso(self.period.since) if self.period else None,
                     "until": iso(self.period.until) if self.period else None,
                     "period": self.period.describe() if self.period else None,
                     "filters": self.subject.filters(),
                     "keywords": " ".join(self.subject.keywords), "query": self.query,
                     "compare": None, "briefing": self.briefing}
        if isinstance(self.other, Period):
            out["compare"] = {"since": iso(self.other.since), "until": iso(self.other.until),
                              "period": self.other.describe()}
        elif isinstance(self.other, Subject):
            out["compare"] = {**self.subject.differs(self.other), "query": self.other.query()}
        if self.restated:
            out["restated"] = self.restated
        if not self.understood:
            out["suggestions"] = list(self.suggestions)
        return out
