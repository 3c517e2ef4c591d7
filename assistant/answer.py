"""Grounded answers: every figure computed by the store for exactly the understood request.

One function per intent reads the store through its interface (`search`, `counts_by`,
`histogram`, `summarize` — the same calls on SQLite and Elasticsearch), the alert stage's
incidents (alerts.outbox), its daily digest (alerts.digest) and forecasts (alerts.forecast), and
writes a short Vietnamese answer that names the period and the filters, lists the documents it
mentions (they become `citations`, with links) and ends with the query to open in Search.
A question not understood gets "Tôi chưa hiểu câu hỏi" and two supported questions instead.

The morning question — an overview of the last day with no filter ("Hôm nay có gì?", marked
`briefing` by assistant.understand) — is answered with the daily digest's briefing, the same one
sent at the digest hour, for its own window: the 24 hours before now.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from assistant import wording as w
from assistant.periods import Period
from assistant.request import Request, Subject
from assistant.understand import Catalog
from langnghe.document import VN_TZ, Document
from langnghe.query import And, Filter, MatchAll, Node, Or, parse
from langnghe.vietnamese import fold
from store.base import Filters, Store

NOT_UNDERSTOOD = "Tôi chưa hiểu câu hỏi."
CITED = 3  # documents cited under a figure: what a phone screen shows without scrolling
TOP_STORIES = 5  # as the daily digest lists: what a leader reads on a phone
STORY_CANDIDATES = 10  # stories with most copies, then ranked by outlets
MAX_COPIES = 500  # copies of the candidate stories read: a national story has a few dozen
LISTED = 10  # documents of a search answer
SHOWN_SOURCES = 5  # most active outlets named by a sources answer
HOURLY_UP_TO = timedelta(hours=48)  # trends of up to two days by hour, longer ones by day


@dataclass
class Context:
    """What answers read: the store, the deployment's catalog, the alert stage's files."""

    store: Store
    catalog: Catalog = field(default_factory=Catalog)
    alerts_db: Path | None = None  # the alert stage's outbox (alerts.sqlite)
    health: Callable[[], Sequence] = tuple  # crawler health rows (crawlers.health.SourceHealth)
    base_url: str = ""  # the web app's address, so links work outside it (Telegram, CLI)

    def link(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


@dataclass
class Citation:
    title: str
    url: str
    source: str
    published_at: str
    doc_id: str = ""

    @classmethod
    def of(cls, doc: Document) -> Citation:
        return cls(doc.title or "(không tiêu đề)", doc.url, doc.source_name or doc.source_id,
                   w.local(w.doc_time(doc)), doc.id)


@dataclass
class Answer:
    request: Request
    text: str  # the template answer: plain text, ends with the Search link
    citations: list[Citation] = field(default_factory=list)
    search: str | None = None  # the /search link of exactly the request
    facts: dict = field(default_factory=dict)  # the computed figures, as data
    phrased_by: str = "template"  # or "model" when a language model phrased `text`

    def to_dict(self) -> dict:
        return {**self.request.to_dict(), "answer": self.text,
                "citations": [vars(c) for c in self.citations], "search": self.search,
                "facts": self.facts, "phrased_by": self.phrased_by}


def answer(request: Request, ctx: Context) -> Answer:
    """The grounded answer to an understood request (or the not-understood reply)."""
    if not request.understood:
        text = (f"{NOT_UNDERSTOOD} Tôi trả lời được những câu như:\n"
                + "\n".join(f"- {s}" for s in request.suggestions))
        return Answer(request, text)
    if request.briefing:
        return _briefing(request, ctx)
    out = INTENTS[request.intent](request, ctx)
    out.search = ctx.link(request.search_link())
    out.text = out.text.rstrip() + f"\n\nXem trong Tìm kiếm: {out.search}"
    return out


# ---- helpers ----------------------------------------------------------------------------------

def node_of(subject: Subject, extra: Node | None = None) -> Node:
    node = parse(subject.query())
    if extra is None:
        return node
    return extra if isinstance(node, MatchAll) else And((node, extra))


def filters_of(period: Period | None) -> Filters:
    if period is None or period.future:
        return Filters()
    return Filters(since=period.since, until=period.until)


def _head(request: Request, ctx: Context, period: Period | None = None,
          subject: Subject | None = None) -> str:
    """The period and the filters an answer is about: "tuần này (…); lĩnh vực: Y tế"."""
    period = period or request.period
    when = period.describe() if period else "hiện tại"
    return f"{when}; {w.subject_text(subject or request.subject, ctx.catalog)}"


def _cite(docs: Sequence[Document]) -> tuple[list[Citation], list[str]]:
    cites = [Citation.of(d) for d in docs]
    lines = [f"{i}. {c.title} — {c.source}, {c.published_at}\n   {c.url}"
             for i, c in enumerate(cites, 1)]
    return cites, lines


def _sort(subject: Subject) -> str:
    return "relevance" if subject.keywords else "newest"


def _sentiment_line(counts: dict[str, int]) -> str:
    labelled = sum(counts.values())
    if not labelled:
        return "Chưa có tin nào được gán sắc thái."
    parts = [f"{w.SENTIMENT_NAMES[k]} {counts.get(k, 0)} ({w.share(counts.get(k, 0), labelled)})"
             for k in ("negative", "neutral", "positive")]
    return "Sắc thái: " + ", ".join(parts) + "."


# ---- intents ----------------------------------------------------------------------------------

def _count(request: Request, ctx: Context) -> Answer:
    subject = request.subject
    node, filters = node_of(subject), filters_of(request.period)
    total = ctx.store.search(node, filters, limit=0, highlight=False).total
    # with a sentiment filter, the split would only repeat the total
    sentiment = {} if subject.sentiment or not total else dict(
        ctx.store.counts_by("sentiment", node, filters, limit=3))
    docs = [h.doc for h in ctx.store.search(node, filters, sort=_sort(subject), limit=CITED,
                                            highlight=False).hits] if total else []
    cites, lines = _cite(docs)
    text = [f"Có {total} tin — {_head(request, ctx)}."]
    if sentiment:
        text.append(_sentiment_line(sentiment))
    if lines:
        text += ["", "Tin tiêu biểu:", *lines]
    return Answer(request, "\n".join(text), cites, facts={"total": total, "sentiment": sentiment})


def _overview(request: Request, ctx: Context) -> Answer:
    """Volume, tone, top stories, open alerts (what issue #16 asks of an overview)."""
    node, filters = node_of(request.subject), filters_of(request.period)
    # one pass over the matches where the store can (SQLite finds them once for all counts)
    summary = ctx.store.summarize(node, filters, counts={"sentiment": 3,
                                                         "story": STORY_CANDIDATES})
    total, sentiment = summary.total, dict(summary.counts["sentiment"])
    stories = top_stories(ctx.store, node, filters, TOP_STORIES,
                          dict(summary.counts["story"])) if total else []
    alerts = _matching_alerts(request, ctx)
    text = [f"Có {total} tin — {_head(request, ctx)}."]
    if total:
        text.append(_sentiment_line(sentiment))
    cites, lines = _story_lines(stories)
    if lines:
        text += ["", "Tin nổi bật:", *lines]
    text += ["", _alerts_line(alerts)]
    return Answer(request, "\n".join(text), cites,
                  facts={"total": total, "sentiment": sentiment,
                         "stories": [{"title": s["doc"].title, "copies": s["copies"],
                                      "outlets": s["outlets"]} for s in stories],
                         "open_alerts": len(alerts)})


def _top_stories(request: Request, ctx: Context) -> Answer:
    node, filters = node_of(request.subject), filters_of(request.period)
    stories = top_stories(ctx.store, node, filters, request.limit or TOP_STORIES)
    cites, lines = _story_lines(stories)
    if not stories:
        text = f"Không có tin nào — {_head(request, ctx)}."
    else:
        text = "\n".join([f"{len(stories)} tin nổi bật nhất (nhiều nguồn đăng nhất) — "
                          f"{_head(request, ctx)}:", *lines])
    return Answer(request, text, cites,
                  facts={"stories": [{"title": s["doc"].title, "copies": s["copies"],
                                      "outlets": s["outlets"]} for s in stories]})


def _trend(request: Request, ctx: Context) -> Answer:
    node, filters = node_of(request.subject), filters_of(request.period)
    period = request.period
    hourly = period.until - period.since <= HOURLY_UP_TO
    series = ctx.store.histogram(node, filters, interval="hour" if hourly else "day")
    total = sum(n for _, n in series)
    text = [f"Có {total} tin — {_head(request, ctx)}."]
    facts: dict = {"total": total, "interval": "hour" if hourly else "day",
                   "series": [(t.isoformat(), n) for t, n in series]}
    cites: list[Citation] = []
    if total:
        fmt = "%H:%M %d/%m" if hourly else "%d/%m"
        half = len(series) // 2
        first, second = sum(n for _, n in series[:half]), sum(n for _, n in series[half:])
        peak_at, peak = max(series, key=lambda p: p[1])
        text.append(("Theo giờ: " if hourly else "Theo ngày: ")
                    + ", ".join(f"{t.strftime(fmt)}: {n}" for t, n in series) + ".")
        if half:
            text.append(f"Nửa sau của kỳ so với nửa đầu: {second} so với {first} tin "
                        f"({w.change(second, first)}).")
        text.append(f"Cao nhất: {peak} tin lúc {peak_at.strftime(fmt)}.")
        step = timedelta(hours=1) if hourly else timedelta(days=1)
        at_peak = Filters(since=max(peak_at, period.since), until=min(peak_at + step,
                                                                      period.until))
        docs = [h.doc for h in ctx.store.search(node, at_peak, sort=_sort(request.subject),
                                                limit=CITED, highlight=False).hits]
        cites, lines = _cite(docs)
        text += ["", "Tin lúc cao nhất:", *lines]
        facts.update(first_half=first, second_half=second, peak=peak)
    return Answer(request, "\n".join(text), cites, facts=facts)


def _sentiment(request: Request, ctx: Context) -> Answer:
    node, filters = node_of(request.subject), filters_of(request.period)
    summary = ctx.store.summarize(node, filters, counts={"sentiment": 3})
    counts = dict(summary.counts["sentiment"])
    text = [f"Có {summary.total} tin — {_head(request, ctx)}.", _sentiment_line(counts)]
    cites: list[Citation] = []
    if counts.get("negative"):
        negative = node_of(request.subject, Filter("sentiment", "negative"))
        docs = [h.doc for h in ctx.store.search(negative, filters, sort=_sort(request.subject),
                                                limit=CITED, highlight=False).hits]
        cites, lines = _cite(docs)
        text += ["", "Tin tiêu cực tiêu biểu:", *lines]
    return Answer(request, "\n".join(text), cites,
                  facts={"total": summary.total, "sentiment": counts})


def _side(ctx: Context, subject: Subject, period: Period) -> dict:
    summary = ctx.store.summarize(node_of(subject), filters_of(period), counts={"sentiment": 3})
    return {"total": summary.total, "sentiment": dict(summary.counts["sentiment"])}


def _compare(request: Request, ctx: Context) -> Answer:
    other = request.other
    subject_b = other if isinstance(other, Subject) else request.subject
    period_b = other if isinstance(other, Period) else request.period
    a = _side(ctx, request.subject, request.period)
    b = _side(ctx, subject_b, period_b)
    name_a = _head(request, ctx)
    name_b = _head(request, ctx, period_b, subject_b)
    neg_a, neg_b = a["sentiment"].get("negative", 0), b["sentiment"].get("negative", 0)
    text = [f"{name_a}: {a['total']} tin (tiêu cực {neg_a}).",
            f"{name_b}: {b['total']} tin (tiêu cực {neg_b}).",
            f"Chênh lệch: {a['total'] - b['total']:+d} tin ({w.change(a['total'], b['total'])}); "
            f"tin tiêu cực {w.change(neg_a, neg_b)}."]
    if isinstance(other, Period) and request.period.until - request.period.since < \
            period_b.until - period_b.since:
        text.append("Lưu ý: kỳ đầu ngắn hơn kỳ so sánh (chưa hết kỳ).")
    other_link = ctx.link(request.search_link(subject_b, period_b))
    text.append(f"Xem bên so sánh trong Tìm kiếm: {other_link}")
    return Answer(request, "\n".join(text), facts={"a": a, "b": b, "b_search": other_link})


def forecast_buckets(period: Period, now: datetime) -> tuple[str, int]:
    """("hour" | "day", buckets from the current one to the end of the period): hours for a
    period of up to two days that does not start at midnight ("24 giờ tới"), days otherwise
    ("ngày mai", "3 ngày tới", "tuần tới")."""
    from alerts.detector import bucket_floor

    by_hour = (period.until - period.since <= HOURLY_UP_TO
               and period.since.time() != time(0))
    interval = "hour" if by_hour else "day"
    step = timedelta(hours=1) if by_hour else timedelta(days=1)
    return interval, max(1, math.ceil((period.until - bucket_floor(now, step)) / step))


def _forecast(request: Request, ctx: Context) -> Answer:
    forecast = _forecaster()
    if forecast is None:
        return Answer(request, "Chức năng dự báo chưa sẵn sàng trên hệ thống này, nên tôi không "
                               f"đưa ra con số nào — {_head(request, ctx)}.")
    period = request.period
    interval, horizon = forecast_buckets(period, request.now)
    step = timedelta(hours=1) if interval == "hour" else timedelta(days=1)
    points = [p for p in forecast(ctx.store, request.query, interval, horizon, request.now)
              if p.timestamp + step > period.since and p.timestamp < period.until]
    mean = round(sum(p.mean for p in points))
    fmt = "%H:%M %d/%m" if interval == "hour" else "%d/%m"
    lines = [f"- {p.timestamp.astimezone(VN_TZ).strftime(fmt)}: khoảng {round(p.mean)} tin "
             f"(80%: {round(p.lo)}–{round(p.hi)})" for p in points]
    recent = Period(request.now - (period.until - period.since), request.now, "kỳ vừa qua")
    actual = ctx.store.search(node_of(request.subject), filters_of(recent), limit=0,
                              highlight=False).total
    unit = "giờ" if interval == "hour" else "ngày (cả ngày, gồm tin đã đăng)"
    text = [f"Dự báo {_head(request, ctx)}: tổng cộng khoảng {mean} tin.",
            f"Theo từng {unit}, khoảng dự báo 80%:", *lines,
            f"Để so sánh: {actual} tin trong {recent.describe()}."]
    return Answer(request, "\n".join(text),
                  facts={"interval": interval, "points": [p.to_dict() for p in points],
                         "total_mean": mean, "recent_actual": actual})


def _forecaster():
    """alerts.forecast.for_query(store, query, "hour" | "day", horizon, now) → [Point
    (timestamp, mean, lo, hi)], imported late: the assistant works without the alert stage's
    forecasts, and says so instead of guessing."""
    try:
        from alerts.forecast import for_query
    except ImportError:
        return None
    return for_query


def _alerts(request: Request, ctx: Context) -> Answer:
    alerts = _matching_alerts(request, ctx)
    head = (f"{request.period.describe()}; " if request.period else "đang mở; ") + \
        w.subject_text(request.subject, ctx.catalog)
    if not alerts:
        return Answer(request, f"Không có cảnh báo nào — {head}.", facts={"alerts": 0})
    text = [f"{len(alerts)} cảnh báo — {head}:"]
    cites = []
    for a in alerts:
        status = {"open": "đang mở", "acked": f"đã tiếp nhận ({a.acked_by})"}.get(a.status,
                                                                                  a.status)
        text.append(f"- [{w.SEVERITY_NAMES.get(a.severity, a.severity)}] {a.title} — "
                    f"{w.local(a.detected_at)}, {status}. {a.explanation.reason}")
        for ref in a.explanation.documents[:1]:
            cites.append(Citation(ref.title, ref.url, ref.source, ref.published_at))
            text.append(f"   {ref.title} — {ref.source}\n   {ref.url}")
    return Answer(request, "\n".join(text), cites,
                  facts={"alerts": len(alerts), "ids": [a.id for a in alerts]})


def _matching_alerts(request: Request, ctx: Context) -> list:
    """Incidents not closed (open or acknowledged); with a period, those detected in it; with
    filters, those about them (the watch of a topic or domain, else the names in the alert)."""
    if ctx.alerts_db is None or not Path(ctx.alerts_db).exists():
        return []
    from alerts.outbox import Outbox

    outbox = Outbox(ctx.alerts_db)
    try:
        alerts = outbox.open_alerts()
    finally:
        outbox.close()
    period, subject = request.period, request.subject
    if request.intent == "alerts" and period is not None:
        alerts = [a for a in alerts if period.since <= a.detected_at <= period.until]
    return [a for a in alerts if _about(a, subject)]


def _about(alert, subject: Subject) -> bool:
    watch = alert.key.split(":", 1)[-1]  # "spike:<watch id>": a topic id or "domain-<id>"
    if subject.topic or subject.domain:
        watches = set(subject.topic) | {f"domain-{d}".lower() for d in subject.domain}
        if watch not in watches:
            return False
    text = fold(" ".join([alert.title, alert.explanation.reason,
                          *[d.title for d in alert.explanation.documents]]))
    names = [p.names[-1] for p in subject.place] + list(subject.entity) + list(subject.keywords)
    return all(fold(name) in text for name in names)


def _alerts_line(alerts: list) -> str:
    if not alerts:
        return "Không có cảnh báo nào đang mở."
    return f"Cảnh báo đang mở: {len(alerts)} — " + "; ".join(
        f"[{w.SEVERITY_NAMES.get(a.severity, a.severity)}] {a.title}" for a in alerts[:3]) + "."


def _sources(request: Request, ctx: Context) -> Answer:
    node, filters = node_of(request.subject), filters_of(request.period)
    active = ctx.store.counts_by("source", node, filters, limit=SHOWN_SOURCES)
    rows = list(ctx.health())
    trouble = [r for r in rows if r.status in ("failing", "silent")]
    labels = {"failing": "đang lỗi", "silent": "im lặng bất thường"}
    text = [f"Tình trạng thu thập: {len(trouble)} trong {len(rows)} nguồn theo dõi gặp sự cố"
            + (":" if trouble else ".")]
    text += [f"- {r.name or r.source_id}: {labels[r.status]}"
             + (f" — {r.last_error}" if r.status == "failing" and r.last_error else "")
             for r in trouble]
    text += ["", f"Nguồn đăng nhiều nhất — {_head(request, ctx)}:"]
    text += [f"- {_source_name(ctx, s)}: {n} tin" for s, n in active] or ["- (không có tin)"]
    return Answer(request, "\n".join(text),
                  facts={"active": dict(active), "sources": len(rows),
                         "trouble": {r.source_id: r.status for r in trouble}})


def _source_name(ctx: Context, source_id: str) -> str:
    return dict(ctx.catalog.sources).get(source_id, source_id)


def _search(request: Request, ctx: Context) -> Answer:
    node, filters = node_of(request.subject), filters_of(request.period)
    found = ctx.store.search(node, filters, sort=_sort(request.subject),
                             limit=request.limit or LISTED, highlight=False)
    cites, lines = _cite([h.doc for h in found.hits])
    text = [f"Tìm thấy {found.total} tin — {_head(request, ctx)}."]
    if lines:
        which = "liên quan nhất" if request.subject.keywords else "mới nhất"
        text += [f"{len(lines)} tin {which}:", *lines]
    return Answer(request, "\n".join(text), cites, facts={"total": found.total})


# ---- top stories and the briefing --------------------------------------------------------------

def top_stories(store: Store, node: Node, filters: Filters, limit: int,
                candidates: dict[str, int] | None = None) -> list[dict]:
    """The stories most outlets carried: among the stories of the subject with most copies
    (`candidates`, counted here unless given), ranked by the outlets that carried them in the
    period, each shown by its first publisher. A story is the unit: its copies and outlets
    are all its copies in the period, whatever else they are about. Two reads: the story
    counts, then the candidates' copies. A document without a story id is its own story."""
    if candidates is None:
        candidates = dict(store.counts_by("story", node, filters, limit=STORY_CANDIDATES))
    stories: dict[str, dict] = {}
    if candidates:
        any_story = Or(tuple(Filter("story", s) for s in candidates))
        for hit in store.search(any_story, filters, sort="oldest", limit=MAX_COPIES,
                                highlight=False).hits:  # the first copy: the first publisher
            story = stories.setdefault(_story(hit.doc), {"doc": hit.doc, "copies": 0,
                                                         "sources": set()})
            story["copies"] += 1
            story["sources"].add(hit.doc.source_id)
    ranked = sorted(({"doc": s["doc"], "copies": s["copies"], "outlets": len(s["sources"])}
                     for s in stories.values()), key=lambda s: (-s["outlets"], -s["copies"]))
    if len(ranked) < limit:  # documents of no story listed yet: the newest, one each
        seen = set(stories)
        # fewer candidate stories than asked: all their copies plus `limit` more suffice
        for hit in store.search(node, filters, sort="newest",
                                limit=limit + sum(candidates.values()), highlight=False).hits:
            if _story(hit.doc) not in seen and len(ranked) < limit:
                seen.add(_story(hit.doc))
                ranked.append({"doc": hit.doc, "copies": 1, "outlets": 1})
    return ranked[:limit]


def _story(doc: Document) -> str:
    return (doc.nlp.story_id if doc.nlp and doc.nlp.story_id else None) or doc.id


def _story_lines(stories: list[dict]) -> tuple[list[Citation], list[str]]:
    cites, lines = _cite([s["doc"] for s in stories])
    lines = [line.replace("\n", f" ({s['outlets']} nguồn, {s['copies']} bài)\n", 1)
             for line, s in zip(lines, stories, strict=True)]
    return cites, lines


def _briefing(request: Request, ctx: Context) -> Answer:
    """The daily digest's briefing for the 24 hours before now (alerts.digest)."""
    from alerts.digest import build_digest, digest_text
    from alerts.health import from_crawler
    from alerts.outbox import Outbox

    now = request.now
    health = [from_crawler(row, now) for row in ctx.health()]
    outbox = Outbox(ctx.alerts_db) if ctx.alerts_db else None
    try:
        data = build_digest(ctx.store, now, outbox, health)
    finally:
        if outbox:
            outbox.close()
    cites = [Citation(s["title"], s["url"], s["source"], s["published_at"])
             for s in data["top_stories"]]
    search = ctx.link(request.search_link())
    text = digest_text(data).rstrip() + f"\n\nXem trong Tìm kiếm: {search}"
    return Answer(request, text, cites, search, facts={"digest": data})


INTENTS: dict[str, Callable[[Request, Context], Answer]] = {
    "overview": _overview, "count": _count, "trend": _trend, "top_stories": _top_stories,
    "sentiment": _sentiment, "compare": _compare, "forecast": _forecast, "alerts": _alerts,
    "sources": _sources, "search": _search,
}
