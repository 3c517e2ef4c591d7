"""The JSON API under /api/v1 (documented by the generated OpenAPI schema).

Auth: `Authorization: Bearer <token>` (per-user API tokens, made on the Account page) or the
dashboard's session cookie; with the cookie a POST also needs the `X-CSRF-Token` header.
Roles as on the pages: viewer reads, analyst writes topics/corrections/acks and exports, admin
manages sources, users and alert recipient groups.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel

from langnghe.document import VN_TZ
from langnghe.query import QueryError
from nlp.domains import DOMAINS
from store.base import Filters
from web import corrections, overview, topics
from web.auth import User
from web.deps import VIEWER, ctx, require
from web.manage import open_alerts
from web.pages import FACETS, export_response, parse_day

router = APIRouter(prefix="/api/v1", tags=["api"])
MAX_LIMIT = 200  # bound API page size: a page of 200 full documents is ~2 MB
RESULT_WINDOW = 10_000  # hits reachable by paging: Elasticsearch's index.max_result_window
MAX_OFFSET = RESULT_WINDOW - MAX_LIMIT  # so offset + limit never leaves the window
PREVIEW_HITS = 5  # documents shown under the topic editor while typing


def api_csrf(request: Request) -> None:
    if getattr(request.state, "via", None) == "session":
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent, request.state.csrf or ""):
            raise HTTPException(403, "Thiếu hoặc sai X-CSRF-Token (khi gọi bằng cookie đăng nhập)")


def doc_json(doc) -> dict[str, Any]:
    return doc.model_dump(mode="json")


def _query(q: str, request: Request) -> str:
    from web.pages import build_query

    extra = {k: request.query_params.get(k, "") for k in FACETS if k not in ("source", "kind")}
    return build_query(q, extra)


@router.get("/search", dependencies=[VIEWER])
def api_search(request: Request, q: str = "", source: str | None = None, kind: str | None = None,
               sentiment: str | None = None, domain: str | None = None,
               topic: str | None = None, entity: str | None = None,
               since: str | None = None, until: str | None = None, sort: str = "relevance",
               limit: int = Query(20, ge=1, le=MAX_LIMIT),
               offset: int = Query(0, ge=0, le=MAX_OFFSET, description=(
                   f"Hits to skip, at most {MAX_OFFSET}: paging reaches the first "
                   f"{RESULT_WINDOW} hits of a query (the web page's limit too). A whole result "
                   "set is the analyst's streamed export, /api/v1/export.{fmt}."))):
    """Search with the query language; source/kind take comma-separated lists.

    Paging is for reading, not for copying the corpus out: `offset` stops at MAX_OFFSET, so any
    role can read the first RESULT_WINDOW hits of a query, and only analysts take a whole
    result set (export). The bound is also the point past which Elasticsearch refuses to page.
    """
    if sort not in ("relevance", "newest", "oldest"):
        raise HTTPException(400, "'sort' phải là relevance, newest hoặc oldest")
    filters = Filters(since=parse_day(since, "since"), until=parse_day(until, "until"),
                      sources=tuple(s for s in (source or "").split(",") if s),
                      kinds=tuple(k for k in (kind or "").split(",") if k))
    try:
        result = ctx(request).store.search(_query(q, request), filters, sort=sort, limit=limit,
                                           offset=offset)
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"total": result.total, "hits": [
        {**doc_json(h.doc), "score": h.score, "highlights": h.highlights} for h in result.hits]}


@router.get("/export.{fmt}")
def api_export(request: Request, fmt: str, q: str = "", since: str | None = None,
               until: str | None = None, who: User = Depends(require("analyst"))):
    """The whole result set, streamed as CSV or JSON Lines (facets as on /search)."""
    if fmt not in ("csv", "jsonl"):
        raise HTTPException(404, "format must be csv or jsonl")
    return export_response(request, fmt, q, since, until)


@router.get("/documents/{doc_id}", dependencies=[VIEWER])
def api_document(request: Request, doc_id: str):
    doc = ctx(request).store.get(doc_id)
    if doc is None:
        raise HTTPException(404, "document not found")
    return doc_json(doc)


class Correction(BaseModel):
    field: str  # sentiment | domain
    value: str


@router.post("/documents/{doc_id}/corrections", dependencies=[Depends(api_csrf)])
def api_correct(request: Request, doc_id: str, body: Correction,
                who: User = Depends(require("analyst"))):
    c = ctx(request)
    doc = c.store.get(doc_id)
    if doc is None:
        raise HTTPException(404, "document not found")
    try:
        corrections.record(c.web_db, doc, body.field, body.value, who.username)
    except corrections.CorrectionError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"corrections": corrections.for_document(c.web_db, doc_id)}


def series(data: dict[str, list]) -> dict[str, list]:
    return {k: [[t.isoformat(), n] for t, n in v] for k, v in data.items()}


@router.get("/overview", dependencies=[VIEWER])
def api_overview(request: Request, range: str = "7d", since: str | None = None,
                 until: str | None = None):
    c = ctx(request)
    try:
        p = overview.period(range, since, until, datetime.now(VN_TZ))
    except overview.RangeError as exc:
        raise HTTPException(400, str(exc)) from None
    got = overview.overview_data(c.store, p, c.outlet_types, DOMAINS)
    return {"since": p.since.isoformat(), "until": p.until.isoformat(), "interval": p.interval,
            "total": got["total"], "by_kind": series(got["kinds"]),
            "by_outlet_type": series(got["outlets"]), "sentiment": series(got["sentiment"]),
            "domains": got["domains"],
            "top_stories": [{**s, "first_published": s["first_published"].isoformat()
                             if s["first_published"] else None} for s in got["stories"]],
            "sources": overview.health_summary(c.health())}


@router.get("/topics", dependencies=[VIEWER])
def api_topics(request: Request):
    return {"topics": topics.list_topics(ctx(request).web_db)}


class TopicBody(BaseModel):
    id: str
    name: str
    query: str


@router.post("/topics", dependencies=[Depends(api_csrf)])
def api_save_topic(request: Request, body: TopicBody, who: User = Depends(require("analyst"))):
    try:
        item = topics.save_topic(ctx(request).web_db, body.id, body.name, body.query,
                                 who.username)
    except topics.TopicInputError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"id": item.id, "name": item.name, "query": item.query}


@router.get("/topics/preview", dependencies=[VIEWER])
def api_topic_preview(request: Request, q: str = ""):
    """What a topic query would match now: count, a few newest documents, expansion hints."""
    if not q.strip():
        return {"total": 0, "hits": [], "hints": [], "error": None}
    try:
        result = ctx(request).store.search(q, sort="newest", limit=PREVIEW_HITS)
    except QueryError as exc:
        return {"total": 0, "hits": [], "hints": [], "error": str(exc)}
    return {"total": result.total, "error": None, "hints": topics.expansion_hint(q),
            "hits": [{"id": h.doc.id, "title": h.doc.title or h.doc.text[:120],
                      "source": h.doc.source_name or h.doc.source_id,
                      "published_at": h.doc.published_at.isoformat()
                      if h.doc.published_at else None} for h in result.hits]}


@router.get("/sources", dependencies=[VIEWER])
def api_sources(request: Request):
    c = ctx(request)
    return {"sources": [_health_json(h) for h in c.health()],
            "status": c.status() if c.status else {}}


@router.get("/status", dependencies=[VIEWER])
def api_status(request: Request):
    c = ctx(request)
    return {"documents": c.store.count(), **(c.status() if c.status else {})}


@router.get("/alerts", dependencies=[VIEWER])
def api_alerts(request: Request):
    return {"alerts": [a.to_dict() for a in open_alerts(ctx(request))]}


@router.post("/alerts/{alert_id}/ack", dependencies=[Depends(api_csrf)])
def api_ack(request: Request, alert_id: str, who: User = Depends(require("analyst"))):
    from web.manage import _outbox

    outbox = _outbox(ctx(request))
    if outbox is None:
        raise HTTPException(404, "alerts are not configured")
    try:
        done = outbox.acknowledge(alert_id, who.username, datetime.now(VN_TZ))
    finally:
        outbox.close()
    return {"acknowledged": done}


class RecipientGroupBody(BaseModel):
    """A recipient group as on /admin/recipients; `addresses` one per line (`Tên | địa chỉ`)."""

    name: str
    channel: str
    addresses: str
    min_severity: str = "warning"
    kinds: list[str] = ["spike", "rule", "negative_share"]
    quiet_start: str = ""
    quiet_end: str = ""
    original: str = ""  # the name of the group being edited; empty adds a new one
    active: bool = True


def _group_json(g: Any) -> dict[str, Any]:
    return {"name": g.name, "channel": g.channel, "active": g.active, "origin": "web",
            "updated_by": g.updated_by, "updated_at": g.updated_at,
            **g.group.model_dump(mode="json", exclude={"name"})}


@router.get("/alert-groups")
def api_alert_groups(request: Request, who: User = Depends(require("admin"))):
    """Recipient groups: web-managed ones (editable) and those of config/alerts.yaml."""
    from web import recipients

    yaml = [{"origin": "config/alerts.yaml", **y["group"].model_dump(mode="json")}
            for y in recipients.yaml_groups(request.app.state.alerts_config)]
    return {"groups": [_group_json(g) for g in recipients.list_groups(ctx(request).web_db)],
            "yaml_groups": yaml}


@router.post("/alert-groups", dependencies=[Depends(api_csrf)])
def api_save_alert_group(request: Request, body: RecipientGroupBody,
                         who: User = Depends(require("admin"))):
    from web import recipients

    db_path = ctx(request).web_db
    form = recipients.GroupForm(body.name, body.channel, body.addresses, body.min_severity,
                                tuple(body.kinds), body.quiet_start, body.quiet_end)
    try:
        group = recipients.save_group(db_path, form, who.username,
                                      request.app.state.alerts_config, original=body.original)
        if not body.active:
            recipients.set_active(db_path, group.name, False, who.username)
    except recipients.RecipientInputError as exc:
        raise HTTPException(400, str(exc)) from None
    return next(_group_json(g) for g in recipients.list_groups(db_path) if g.name == group.name)


@router.get("/me", dependencies=[VIEWER])
def api_me(request: Request):
    me = request.state.user
    return {"username": me.username, "role": me.role}


def _health_json(row: Any) -> dict[str, Any]:
    from datetime import timedelta

    data = dict(vars(row)) if not isinstance(row, dict) else dict(row)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat()
        elif isinstance(value, timedelta):
            data[key] = value.total_seconds()
    return data
