"""Reading pages: overview (Tổng quan), search with facets and export, the document view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, StreamingResponse

from langnghe.document import VN_TZ, Document
from langnghe.query import QueryError, parse
from nlp.domains import DOMAINS
from store.base import Filters, SearchResult
from web import charts, corrections, export, overview
from web.auth import User
from web.deps import CSRF, VIEWER, ctx, render, require
from web.labels import FACET_VI, KIND_VI, OUTLET_VI, SENTIMENT_VI
from web.parallel import gather

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
MAX_PAGE = 500  # deeper pages are a sign the query should be narrowed (or exported)
FACETS = ("source", "kind", "sentiment", "domain", "topic", "entity", "place")
FACET_SIZE = 8  # values per facet shown; a phone screen holds seven facets of eight
FACET_NAMES = {**FACET_VI, "place": "Địa danh"}  # place: province or commune
SORTS = ("relevance", "newest", "oldest")


def parse_day(value: str | None, name: str, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"'{name}' phải là ngày ISO 8601, ví dụ 2026-11-26 hoặc "
                                 f"2026-11-26T08:00+07:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN_TZ)


def build_query(q: str, facets: dict[str, str]) -> str:
    """The typed query ANDed with one `field:"value"` filter per chosen facet."""
    parts = [f"({q})"] if q.strip() else []
    parts += [f'{name}:"{value.replace(chr(34), "")}"' for name, value in facets.items() if value]
    return " ".join(parts)


def search_filters(since: str | None, until: str | None) -> Filters:
    return Filters(since=parse_day(since, "since"), until=parse_day(until, "until"))


# ---- overview -------------------------------------------------------------------------------

@router.get("/", dependencies=[VIEWER])
def overview_page(request: Request, range: str = "7d", since: str | None = None,
                  until: str | None = None, q: str | None = None):
    if q is not None:  # old search links (/?q=…) keep working
        return RedirectResponse(f"/search?{request.url.query}", status_code=307)
    c, now = ctx(request), datetime.now(VN_TZ)
    try:
        p = overview.period(range, since, until, now)
    except overview.RangeError as exc:
        raise HTTPException(400, str(exc)) from None
    from web.manage import open_alerts

    got = overview.overview_data(c.store, p, c.outlet_types, DOMAINS,
                                 alerts=lambda: open_alerts(c)[:5],
                                 health=lambda: overview.health_summary(c.health()),
                                 **overview.forecast_calls(c.store, p, now))
    return render(request, "overview.html", {
        **{k: got[k] for k in ("total", "domains", "stories", "alerts", "health")},
        "forecast_charts": charts.forecast_panel(
            overview.total_series(got["kinds"]), got["sentiment"].get("negative", []),
            got["forecast:all"], got["forecast:negative"],
            p.hourly) if "forecast:all" in got else None,
        "p": p, "range": range, "since": since or "", "until": until or "",
        "kind_chart": charts.line_chart({KIND_VI.get(k, k): v for k, v in got["kinds"].items()},
                                        "Số tin theo loại", hourly=p.hourly),
        "outlet_chart": charts.line_chart(
            {OUTLET_VI.get(k, k): v for k, v in got["outlets"].items()},
            "Số tin theo loại nguồn", hourly=p.hourly) if got["outlets"] else None,
        "sentiment_chart": charts.line_chart(
            {SENTIMENT_VI[k]: v for k, v in got["sentiment"].items()},
            "Sắc thái theo thời gian",
            colors={SENTIMENT_VI[k]: col for k, col in charts.SENTIMENT_COLORS.items()},
            hourly=p.hourly),
    })


# ---- search ---------------------------------------------------------------------------------

def _facet_values(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip() for name in FACETS}


def facet_calls(c, query: str, filters: Filters,
                typed: bool) -> dict[str, Callable[[], Any]]:
    """The facet counts as calls for `gather` (never nested: the pool is bounded).

    With typed text, one Store.summarize finds the matches once for every facet (seven
    separate counts would each match the text again); without, each count is an index or
    rollup read of its own, run side by side.
    """
    if typed:
        limits = dict.fromkeys(FACETS, FACET_SIZE)
        return {"facets": lambda: c.store.summarize(query, filters, counts=limits).counts}
    return {name: (lambda n=name: c.store.counts_by(n, query, filters, limit=FACET_SIZE))
            for name in FACETS}


@router.get("/search", dependencies=[VIEWER])
def search_page(request: Request, q: str = "", since: str | None = None,
                until: str | None = None, sort: str = "relevance",
                page: int = Query(1, ge=1, le=MAX_PAGE)):
    c = ctx(request)
    chosen = _facet_values(request)
    error, result, facets = None, SearchResult(0, []), {}
    if sort not in SORTS:
        sort = "relevance"
    try:
        query, filters = build_query(q, chosen), search_filters(since, until)
        parse(query)  # a malformed query fails here, before any store call
        got = gather(result=lambda: c.store.search(query, filters, sort=sort, limit=PAGE_SIZE,
                                                   offset=(page - 1) * PAGE_SIZE),
                     **facet_calls(c, query, filters, typed=bool(q.strip())))
        result = got.pop("result")
        facets = got.pop("facets", got)
    except QueryError as exc:
        error = str(exc)
    except HTTPException as exc:
        error = exc.detail
    base = {"q": q, "since": since or "", "until": until or "", "sort": sort,
            **{k: v for k, v in chosen.items() if v}}
    return render(request, "search.html", {
        "q": q, "since": since or "", "until": until or "", "sort": sort, "page": page,
        "pages": max(1, min(MAX_PAGE, -(-result.total // PAGE_SIZE))), "result": result,
        "error": error, "facets": facets, "chosen": chosen, "total_docs": c.store.count(),
        "FACET_VI": FACET_NAMES,
        "link": lambda **kw: "/search?" + urlencode({k: v for k, v in {**base, **kw}.items()
                                                     if v not in (None, "")}),
        "export_query": urlencode({k: v for k, v in base.items() if k != "sort"}),
    }, status_code=400 if error else 200)


def export_response(request: Request, fmt: str, q: str, since: str | None, until: str | None):
    c = ctx(request)
    query, filters = build_query(q, _facet_values(request)), search_filters(since, until)
    try:
        c.store.search(query, filters, limit=0, highlight=False)  # a bad query fails here, as 400
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    stamp = datetime.now(VN_TZ).strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        body, media = export.stream_csv(c.store, query, filters), "text/csv; charset=utf-8"
    else:
        body, media = export.stream_jsonl(c.store, query, filters), "application/x-ndjson"
    return StreamingResponse(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="langnghe-{stamp}.{fmt}"'})


@router.get("/search/export.{fmt}")
def export_page(request: Request, fmt: str, q: str = "", since: str | None = None,
                until: str | None = None, who: User = Depends(require("analyst"))):
    if fmt not in ("csv", "jsonl"):
        raise HTTPException(404, "Định dạng xuất phải là csv hoặc jsonl")
    return export_response(request, fmt, q, since, until)


# ---- document -------------------------------------------------------------------------------

def entity_segments(doc: Document) -> list[list[tuple[str, str | None]]]:
    """Paragraphs of the body as (text, entity type or None) runs, for highlighting.

    Entity offsets point into nlp.entities.full_text (title, lead, text joined by newlines); the
    body starts after the title and lead.
    """
    nlp = doc.nlp
    if nlp is None or not nlp.text:
        return [[(p, None)] for p in doc.text.split("\n") if p]
    base = sum(len(part) + 1 for part in (nlp.title, nlp.lead) if part)
    text = nlp.text
    spans = sorted((e.start - base, e.end - base, e.type) for e in nlp.entities)
    runs, pos = [], 0
    for start, end, kind in spans:
        if start < pos or end > len(text):
            continue  # in the title/lead, or overlapping the previous span
        runs += [(text[pos:start], None), (text[start:end], kind)]
        pos = end
    runs.append((text[pos:], None))
    paragraphs: list[list[tuple[str, str | None]]] = [[]]
    for chunk, kind in runs:
        for i, piece in enumerate(chunk.split("\n")):
            if i:
                paragraphs.append([])
            if piece:
                paragraphs[-1].append((piece, kind))
    return [p for p in paragraphs if p]


def story_copies(c, doc: Document) -> list[Document]:
    if not (doc.nlp and doc.nlp.story_id):
        return []
    hits = c.store.search(f'story:"{doc.nlp.story_id}"', sort="oldest", limit=50,
                          highlight=False).hits
    return [h.doc for h in hits if h.doc.id != doc.id]


@router.get("/doc/{doc_id}", dependencies=[VIEWER])
def document_page(request: Request, doc_id: str):
    c = ctx(request)
    doc = c.store.get(doc_id)
    if doc is None:
        raise HTTPException(404, "Không tìm thấy tài liệu")
    fixes = corrections.for_document(c.web_db, doc.id)
    latest = {f["field"]: f for f in fixes}
    return render(request, "document.html", {
        "doc": doc, "paragraphs": entity_segments(doc), "copies": story_copies(c, doc),
        "fixes": fixes, "latest": latest, "sentiments": corrections.SENTIMENTS,
        "domains": DOMAINS})


@router.post("/doc/{doc_id}/correct")
def correct(request: Request, doc_id: str, field: str = Form(...), value: str = Form(...),
            _: None = CSRF, who: User = Depends(require("analyst"))):
    c = ctx(request)
    doc = c.store.get(doc_id)
    if doc is None:
        raise HTTPException(404, "Không tìm thấy tài liệu")
    try:
        corrections.record(c.web_db, doc, field, value, who.username)
    except corrections.CorrectionError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/doc/{doc_id}#nhan", status_code=303)
