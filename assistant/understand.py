"""A question in everyday Vietnamese → a `Request`, by rules, diacritics-insensitively.

The words of the question are taken in this order, each word by one reader only:

1. periods (assistant.periods): "hôm nay", "tuần trước", "từ 1/12 đến 3/12", "3 ngày tới" …
2. sources: an outlet's name or id; a name made of ordinary words ("Tuổi Trẻ", "Lao Động")
   needs a word that makes it an outlet ("báo", "trên", "tờ", "nguồn" …) or its capitals and
   accents typed;
3. intent cues (assistant.lexicon.INTENT_CUES);
4. people and organisations (nlp.entities, the extractor used at ingest: the stored `entity:`
   values are its output);
5. places (nlp.places, resolved to the 2025 units as the place facet is); a former district or
   commune that became part of a larger unit keeps its name as searched words too;
6. phrases kept as searched words ("tai nạn giao thông" is not the domain "giao thông");
7. watch topics by name (or a comma-separated part of it: "Thiên tai, mưa lũ");
8. the nine domains, 9. sentiment, 10. what remains, minus function words, is searched as typed.

The intent is the strongest cue (INTENT_ORDER) with these rules: a forecast cue or a future
period about coverage is a forecast; two periods, or "so sánh", make a comparison; "bao nhiêu"
counts only when the question is about news. A question with no cue is a search only when it is
a bare subject ("giá vàng"); anything else is not understood, answered with the two closest
supported questions — never a guess presented as an answer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from assistant import lexicon
from assistant.periods import DAY, Period, find_periods
from assistant.request import UNKNOWN, PlaceRef, Request, Subject
from assistant.tokens import Phrases, Tok, tokenize
from langnghe.document import VN_TZ
from langnghe.vietnamese import fold, has_diacritics, match_key

INTENT_ORDER = ("forecast", "compare", "sources", "alerts", "sentiment", "trend", "count",
                "top_stories", "search", "overview")
# Period when the question names none, per intent (decision: docs/assistant.md).
DEFAULT_SPAN = {"overview": timedelta(hours=24), "top_stories": timedelta(hours=24),
                "sources": timedelta(hours=24), "count": 7 * DAY, "trend": 7 * DAY,
                "sentiment": 7 * DAY, "compare": 7 * DAY, "search": 7 * DAY}
DEFAULT_AHEAD = 7 * DAY  # a forecast without a period: the next seven days, by day
DEFAULT_LABEL = {timedelta(hours=24): "24 giờ qua", 7 * DAY: "7 ngày qua"}
# An overview of these periods with no filter is the morning question ("Hôm nay có gì?"): it is
# answered with the daily digest's briefing, whose window is the 24 hours before now.
BRIEFING_LABELS = {"hom nay", "sang nay", "24 gio qua", "24h qua", "bay gio", "hien nay"}
BRIEFING_SPAN = timedelta(hours=24)
OUTLET_WORDS = ("báo", "trên", "tờ", "nguồn", "kênh", "đài", "của", "tạp chí", "trang")
_SYLLABLE_RE = re.compile(r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
                          r"[aeiouy]{1,3}(ch|ng|nh|[cmnpt])?$")
_PLACE_TYPES = ("Thành phố ", "Thị trấn ", "Thị xã ", "Đặc khu ", "Tỉnh ", "Huyện ", "Quận ",
                "Xã ", "Phường ")
# the words of a bare subject besides its filters and keywords: "(các) tin (tức) của … về … ở …"
NOUN_PHRASE_WORDS = frozenset({"tin", "bai", "ve", "cac", "nhung", "tuc", "viet", "bao", "cua",
                               "tren", "o", "tai", "trong"})
SUPPORTED = (
    "Hôm nay có gì?",
    "Hôm nay báo chí nói gì về {place}?",
    "Có bao nhiêu tin tiêu cực về y tế tuần này?",
    "So sánh số tin về môi trường tuần này với tuần trước",
    "Xu hướng tin về giáo dục 7 ngày qua",
    "Tin nổi bật hôm nay là gì?",
    "Sắc thái tin về {place} tuần này thế nào?",
    "Dự báo số tin về thiên tai 3 ngày tới",
    "Có cảnh báo nào đang mở không?",
    "Những nguồn nào đang lỗi?",
    "Tìm các bài về sạt lở ở {place} tuần này",
)


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    query: str


@dataclass(frozen=True)
class Catalog:
    """What the deployment knows that questions name: watch topics, outlets, home province."""

    topics: tuple[Topic, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()  # (id, name)
    home_province: str | None = None


def is_syllable(word: str) -> bool:
    """A folded word that could be Vietnamese ("gia", "vang" yes; "hello", "qwerty" no)."""
    return bool(_SYLLABLE_RE.match(word))


# ---- readers ----------------------------------------------------------------------------------

def _cue_phrases() -> Phrases:
    return Phrases((cue, intent) for intent, cues in lexicon.INTENT_CUES.items() for cue in cues)


_CUES = _cue_phrases()
_DOMAINS = Phrases((p, d) for d, ps in lexicon.DOMAIN_PHRASES.items() for p in ps)
_SENTIMENTS = Phrases((p, s) for s, ps in lexicon.SENTIMENT_PHRASES.items() for p in ps)
_KEEP = Phrases((p, p) for p in lexicon.NOT_DOMAINS)
_STOP_PHRASES = Phrases(((p, p) for p in lexicon.STOP_PHRASES), fuzzy=False)
_NEWS = Phrases(((p, p) for p in lexicon.NEWS_WORDS), fuzzy=False)
_FORECAST_NOUNS = Phrases(((p, p) for p in lexicon.FORECAST_NOUNS), fuzzy=False)
_QUESTION = Phrases(((p, p) for p in lexicon.QUESTION_WORDS), fuzzy=False)
_OUTLET = Phrases(((p, p) for p in OUTLET_WORDS), fuzzy=False)
_STOP_ACCENTED = {match_key(w) for w in lexicon.STOPWORDS}
_STOP_KEYS = {fold(w) for w in lexicon.STOPWORDS}


def _present(phrases: Phrases, toks: list[Tok], used: set[int] = frozenset()) -> bool:
    """A phrase among the words not taken by another reader."""
    return any(phrases.match_at(toks, i, set(used)) for i in range(len(toks)))


def _ordinary(name: str) -> bool:
    words = fold(name).split()
    return len(words) > 1 and all(is_syllable(w) for w in words) and words[0] != "bao"


def _sources(toks: list[Tok], text: str, catalog: Catalog, used: set[int]) -> list[str]:
    entries = []
    for sid, name in catalog.sources:
        entries += [(name, (sid, name)), (sid.replace("-", " "), (sid, name))]
    found = []
    for i, n, (sid, name) in Phrases(entries, fuzzy=False).scan(toks, set(used)):
        typed = text[toks[i].start : toks[i + n - 1].end]
        if _ordinary(name) and not (typed == name and has_diacritics(typed)) and not \
                (i > 0 and _OUTLET.match_at(toks, i - 1, set())):
            continue
        used.update(range(i, i + n))
        found.append(sid)
    return list(dict.fromkeys(found))


def _span_tokens(toks: list[Tok], start: int, end: int) -> list[int]:
    return [i for i, t in enumerate(toks) if t.start >= start and t.end <= end]


def _entities(text: str, toks: list[Tok], used: set[int], home: str | None) -> list[str]:
    from nlp.entities import extract

    found = []
    for ent in extract(text, home):
        idx = _span_tokens(toks, ent.start, ent.end)
        if ent.type == "LOC" or not idx or any(i in used for i in idx):
            continue
        used.update(idx)
        found.append(ent.text)
    return found


def _short(name: str) -> str:
    for word in _PLACE_TYPES:
        if name.startswith(word):
            return name[len(word):]
    return name


def _places(text: str, toks: list[Tok], used: set[int], home: str | None
            ) -> tuple[list[PlaceRef], list[str]]:
    """Places (2025 units) and the names of former units that are narrower than the unit."""
    from nlp.places import PROVINCE, places, unit_names

    refs, narrower = [], []
    for m in places(text, home):
        idx = _span_tokens(toks, m.start, m.end)
        if not idx or any(i in used for i in idx) or m.unit is None:
            continue
        used.update(idx)
        names = tuple(unit_names([m.unit]))
        label = ", ".join(reversed(names))
        refs.append(PlaceRef(label, names))
        if m.place is not None and m.place.level != PROVINCE and "/" not in m.unit:
            narrower.append(_short(m.place.name))  # a former district: its name is searched
    return list(dict.fromkeys(refs)), narrower


def _topics(toks: list[Tok], catalog: Catalog, used: set[int]) -> list[Topic]:
    entries = []
    for topic in catalog.topics:
        entries.append((topic.name, topic))
        parts = [p.strip() for p in topic.name.split(",") if p.strip()]
        entries += [(p, topic) for p in parts if len(parts) > 1 and len(p.split()) > 1]
        entries.append((topic.id.replace("-", " ").replace("_", " "), topic))
    found = [t for _, _, t in Phrases(entries).scan(toks, used)]
    return list(dict.fromkeys(found))


ACCENTED_SHARE = 0.4  # Vietnamese typed with accents has them on most words (~3 in 4)


def typed_with_accents(toks: list[Tok]) -> bool:
    """Whether the accents of the question can be trusted (words without them mean so)."""
    return bool(toks) and sum(t.accented for t in toks) / len(toks) >= ACCENTED_SHARE


def _stopword(tok: Tok, accents: bool) -> bool:
    """A function word. In a question typed with accents they decide ("báo" is one, "bão" is
    not; "chung cư" is not "chúng"); typed without, the folded word does — but a bare "bao" may
    be bão (storm) and is kept."""
    if accents and fold(tok.text) == tok.key:
        return match_key(tok.text) in _STOP_ACCENTED
    return tok.key in _STOP_KEYS and tok.key != "bao"


def _keywords(toks: list[Tok], used: set[int], absorbed: set[str], kept: set[int]) -> list[str]:
    runs: list[list[Tok]] = [[]]
    accents = typed_with_accents(toks)
    for i, tok in enumerate(toks):
        if i in used or (i not in kept and (_stopword(tok, accents) or tok.key in absorbed)):
            runs.append([])
        elif not runs[-1] or runs[-1][-1].start != tok.start:  # one word per typed word
            runs[-1].append(tok)
    return [" ".join(t.text for t in run) for run in runs if run]


# ---- intent ----------------------------------------------------------------------------------

def _intent(cues: set[str], periods: list[Period], toks: list[Tok], subject: Subject,
            several: bool) -> str | None:
    future = any(p.future for p in periods)
    if "forecast" in cues or (future and _present(_FORECAST_NOUNS, toks)):
        return "forecast"
    if future:
        return None  # the future of something else than coverage ("thời tiết ngày mai")
    if "compare" in cues or len(periods) >= 2 or (several and any(t.key == "hon" for t in toks)):
        return "compare"
    if "count" in cues and not _present(_NEWS, toks):
        cues = cues - {"count"}  # "giá vàng bao nhiêu?" asks a price, not a count
    for intent in INTENT_ORDER:
        if intent in cues:
            return intent
    return None


def _bare(toks: list[Tok], used: set[int], keywords: list[str], subject: Subject) -> bool:
    """A bare subject ("giá vàng", "tin tiêu cực về môi trường hôm nay"): searched."""
    free = [t for i, t in enumerate(toks) if i not in used]
    words = [w for run in keywords for w in fold(run).split()]
    return (not subject.empty() and all(is_syllable(w) for w in words)
            and all(t.key in NOUN_PHRASE_WORDS or t.key in words for t in free)
            and not _present(_QUESTION, toks, used))


# ---- the whole question ----------------------------------------------------------------------

def understand(question: str, now: datetime, catalog: Catalog = Catalog()) -> Request:
    """The structured request for one question, resolved against `now` (Vietnam time)."""
    now = now.astimezone(VN_TZ)
    text, toks = tokenize(question)
    used: set[int] = set()
    periods = find_periods(toks, now, used)
    sources = _sources(toks, text, catalog, used)
    cue_hits = _CUES.scan(toks, used)
    entities = _entities(text, toks, used, catalog.home_province)
    places, narrower = _places(text, toks, used, catalog.home_province)
    protected = _protect(toks, used)  # "tai nạn giao thông": searched, not a topic or domain
    used |= protected
    topics = _topics(toks, catalog, used)
    domains = list(dict.fromkeys(d for _, _, d in _DOMAINS.scan(toks, used)))
    sentiments = list(dict.fromkeys(s for _, _, s in _SENTIMENTS.scan(toks, used)))
    used -= protected
    _STOP_PHRASES.scan(toks, used)
    limit = _limit(toks, used)
    absorbed = {w for t in topics for w in fold(t.query).replace('"', " ").split()}
    keywords = _keywords(toks, used, absorbed, protected) + narrower
    cues = {intent for _, _, intent in cue_hits}
    subject = Subject(place=tuple(places), domain=tuple(domains),
                      topic=tuple(t.id for t in topics), sentiment=tuple(sentiments),
                      source=tuple(sources), entity=tuple(entities), keywords=tuple(keywords))
    several = any(len(v) == 2 for v in (places, domains, topics, sources, entities))
    intent = _intent(cues, periods, toks, subject, several)
    if intent is None and not cues and _bare(toks, used, keywords, subject):
        intent = "search"
    if intent is None:
        return Request(question, UNKNOWN, now, subject,
                       suggestions=suggest(question, catalog, places))
    return _build(question, intent, now, subject, periods, limit)


def _protect(toks: list[Tok], used: set[int]) -> set[int]:
    taken = set(used)
    _KEEP.scan(toks, taken)
    return taken - used


def _limit(toks: list[Tok], used: set[int]) -> int | None:
    """"5 tin nổi bật": a number before a news noun is how many to show."""
    for i, tok in enumerate(toks[:-1]):
        if i not in used and tok.key.isdigit() and toks[i + 1].key in ("tin", "bai", "su",
                                                                       "cau", "vu"):
            used.add(i)
            return max(1, min(int(tok.key), 20))
    return None


def _default_period(intent: str, now: datetime) -> Period | None:
    if intent == "forecast":
        return Period(now, now + DEFAULT_AHEAD, "7 ngày tới", future=True)
    span = DEFAULT_SPAN.get(intent)
    return Period(now - span, now, DEFAULT_LABEL[span]) if span else None


PREVIOUS = {"hom nay": "hôm qua", "tuan nay": "tuần trước", "thang nay": "tháng trước",
            "nam nay": "năm ngoái", "hom qua": "hôm kia"}


def _previous(period: Period, now: datetime) -> Period:
    """The other side of a comparison that names one period: the calendar unit before a named
    one ("tuần này" → "tuần trước", the whole week), else the same length just before."""
    before = PREVIOUS.get(fold(period.label))
    if before:
        return find_periods(tokenize(before)[1], now, set())[0]
    length = period.until - period.since
    return Period(period.since - length, period.since, "kỳ trước")


def _build(question: str, intent: str, now: datetime, subject: Subject,
           periods: list[Period], limit: int | None) -> Request:
    past = [p for p in periods if not p.future]
    period = (periods[0] if periods else None) or _default_period(intent, now)
    if intent == "forecast":
        period = next((p for p in periods if p.future), None) or _default_period(intent, now)
    briefing = (intent == "overview" and subject.empty()
                and fold(period.label) in BRIEFING_LABELS)
    if briefing:
        period = Period(now - BRIEFING_SPAN, now, "24 giờ qua")
    if intent == "sentiment":  # the breakdown is the answer: "tỷ lệ tiêu cực" is not a filter
        subject = subject.with_(sentiment=())
    other: Subject | Period | None = None
    if intent == "compare":
        other = past[1] if len(past) >= 2 else None
        for name in ("place", "domain", "topic", "source", "entity", "sentiment"):
            values = getattr(subject, name)
            if other is None and len(values) == 2:  # "Hà Nội và Đà Nẵng": one each side
                subject = subject.with_(**{name: values[:1]})
                other = subject.with_(**{name: values[1:]})
        other = other or _previous(period, now)
    return Request(question, intent, now, subject, period, other, limit, briefing=briefing)


def suggest(question: str, catalog: Catalog, places: Iterable[PlaceRef] = ()) -> tuple[str, ...]:
    """The two supported questions closest to `question` (character trigrams, folded), about
    the place it named (else the home province)."""
    place = next(iter(places), None)
    name = place.label if place else (catalog.home_province or "Hà Nội")
    examples = [s.format(place=name) for s in SUPPORTED]
    grams = _trigrams(question)
    scored = sorted(examples, key=lambda e: -_cosine(grams, _trigrams(e)))
    return tuple(scored[:2])


def _trigrams(text: str) -> Counter:
    folded = " " + " ".join(fold(text).split()) + " "
    return Counter(folded[i : i + 3] for i in range(len(folded) - 2))


def _cosine(a: Counter, b: Counter) -> float:
    dot = sum(v * b[k] for k, v in a.items())
    norm = (sum(v * v for v in a.values()) * sum(v * v for v in b.values())) ** 0.5
    return dot / norm if norm else 0.0


def make_catalog(topics: Iterable = (), sources: Iterable = (),
                 home_province: str | None = None) -> Catalog:
    """A catalog from watch topics (anything with id, name, query: the file's first, a later
    one with the same id is dropped) and sources (anything with id and name)."""
    unique = {}
    for t in topics:
        unique.setdefault(t.id, Topic(t.id, t.name, t.query))
    return Catalog(tuple(unique.values()), tuple((s.id, s.name) for s in sources),
                   home_province)


def load_catalog(watch_path=None, sources_path=None, extra_topics: Iterable = ()) -> Catalog:
    """The catalog of a deployment's files: the watch file (home province and topics, then
    `extra_topics`, e.g. those saved in the web app) and the sources registry."""
    from langnghe.sources import DEFAULT_SOURCES, load_registry
    from nlp.watch import load_watch

    province, topics = load_watch(watch_path) if watch_path else (None, [])
    registry = load_registry(sources_path or DEFAULT_SOURCES)
    return make_catalog([*topics, *extra_topics], registry.sources, province)
