"""The JSON API under /api/v1, and the OpenAPI document that describes it (/api/v1/openapi.json).

Auth: `Authorization: Bearer <token>` (per-user API tokens, made on the Account page) or the
dashboard's session cookie; with the cookie a POST also needs the `X-CSRF-Token` header.
Roles as on the pages: viewer reads, analyst writes topics/corrections/acks and exports, admin
manages sources, users and alert recipient groups.

The document tells the whole truth (checked by tests/web/test_openapi_contract.py, schemathesis
with all its checks against the running app): every status an operation answers is listed, with
`{"error": "…"}` as the body of each error but 422 (FastAPI's validation report); every rule a
JSON schema can state is in the schema (patterns, lengths, enums, one body variant per channel or
correction field) and enforced by the same pydantic models, so a request the schema allows is
never refused for its shape. Rules a schema cannot state are said in the descriptions and
answered 400: the query language's grammar (`q`, a topic's `query`), the custom period of the
overview (both days, at most 366 days apart), a webhook address the egress guard refuses after
DNS. What depends on the server's state (alerts not configured, a group name already taken, email
without an SMTP server) is a 409.
"""

from __future__ import annotations

import hmac
import operator
from datetime import datetime
from functools import reduce
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from alerts.config import ALL_KINDS
from alerts.detector import SEVERITIES
from langnghe.document import VN_TZ
from langnghe.query import MAX_QUERY_CHARS, QueryError
from nlp.domains import DOMAINS
from nlp.watch import _ID_RE
from store.base import Filters
from web import corrections, overview, recipients, topics
from web.auth import User
from web.deps import VIEWER, ctx, require
from web.manage import open_alerts
from web.pages import build_query, export_response, parse_day


class ApiError(BaseModel):
    """The body of every error answer but 422: what was wrong, in Vietnamese."""

    error: str


WHY = {400: "Yêu cầu sai theo một quy tắc schema không diễn đạt được (xem mô tả tham số), hoặc "
            "thân yêu cầu không đọc được",
       401: "Thiếu hoặc sai API token / phiên đăng nhập",
       403: "Vai trò không đủ, thiếu X-CSRF-Token (khi gọi bằng cookie), hoặc phải đổi mật khẩu "
            "trước",
       404: "Không có tài nguyên này",
       409: "Xung đột với trạng thái của máy chủ (cấu hình, tên đã dùng)"}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries of error answers: their reason and the ApiError body."""
    return {code: {"model": ApiError, "description": WHY[code]} for code in codes}


router = APIRouter(prefix="/api/v1", tags=["api"], responses=errors(401, 403))
MAX_LIMIT = 200  # bound API page size: a page of 200 full documents is ~2 MB
RESULT_WINDOW = 10_000  # hits reachable by paging: Elasticsearch's index.max_result_window
MAX_OFFSET = RESULT_WINDOW - MAX_LIMIT  # so offset + limit never leaves the window
PREVIEW_HITS = 5  # documents shown under the topic editor while typing
DOC_ID_CHARS = 40  # langnghe.document.document_id: a SHA-1 in hex
ALERT_ID_CHARS = 20  # alerts.outbox: the first 20 hex digits of a SHA-256

# Character classes written out, so that Python's re (the test's generator), pydantic's Rust
# regex and the ECMA 262 reading of JSON Schema agree on them (\s and \w do not):
SPACE = r"\t-\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # str.strip()
LINE_BREAKS = r"\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029"  # where str.splitlines() cuts
NOT_BLANK = f"[^{SPACE}]"
PRINTED = r"!-.0-~\xa1-\xac\xae-\u024f\u0300-\u036f\u1e00-\u1eff"  # Latin, Vietnamese; not '/'
GROUP_NAME = (f"^[{SPACE}]*[{PRINTED}](?:[ {PRINTED}]{{0,{recipients.NAME_MAX - 2}}}[{PRINTED}])?"
              f"[{SPACE}]*$")  # what web.recipients.build_group takes: printable, after strip()

# Days and moments as parse_day reads them (datetime.fromisoformat): RFC 3339 dates and
# date-times, and the shorter ISO 8601 forms (2026-11-26T08:00+07:00); a moment without an
# offset is Vietnam time; empty means no bound.
MOMENT = {"anyOf": [{"type": "string", "format": "date"},
                    {"type": "string", "format": "date-time"},
                    {"type": "string", "maxLength": 0}]}
QUERY_TEXT = ("Truy vấn theo ngôn ngữ truy vấn (README: The query language); sai cú pháp, hoặc "
              f"cùng các bộ lọc dài quá {MAX_QUERY_CHARS} ký tự: 400 kèm lời giải thích.")
# a typed query is put in parentheses before the facets are ANDed to it (web.pages.build_query)
TYPED_QUERY_CHARS = MAX_QUERY_CHARS - len("()")
Moment = Annotated[str | None, Query(json_schema_extra=MOMENT, description=(
    "Ngày (2026-11-26) hoặc thời điểm ISO 8601 (2026-11-26T08:00:00+07:00); không có múi giờ "
    "là giờ Việt Nam; rỗng là không giới hạn. Sai dạng: 400."))]
DocId = Annotated[str, Path(max_length=DOC_ID_CHARS, description="SHA-1 của URL chuẩn (40 ký tự)")]
Facet = Annotated[str | None, Query(description="Một giá trị của bộ lọc, như trên trang Tìm "
                                                "kiếm; ghép vào truy vấn dạng `tên:\"giá trị\"`")]


def api_csrf(request: Request) -> None:
    if getattr(request.state, "via", None) == "session":
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent, request.state.csrf or ""):
            raise HTTPException(403, "Thiếu hoặc sai X-CSRF-Token (khi gọi bằng cookie đăng nhập)")


def doc_json(doc) -> dict[str, Any]:
    return doc.model_dump(mode="json")


@router.get("/search", dependencies=[VIEWER], responses=errors(400))
def api_search(request: Request,
               q: Annotated[str, Query(max_length=TYPED_QUERY_CHARS, description=QUERY_TEXT)] = "",
               source: Annotated[str | None, Query(description="Mã nguồn, cách nhau dấu phẩy")]
               = None,
               kind: Annotated[str | None, Query(description="Loại tài liệu, cách nhau dấu phẩy")]
               = None,
               sentiment: Facet = None, domain: Facet = None, topic: Facet = None,
               entity: Facet = None, place: Facet = None, since: Moment = None,
               until: Moment = None, sort: Literal["relevance", "newest", "oldest"] = "relevance",
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
    filters = Filters(since=parse_day(since, "since"), until=parse_day(until, "until"),
                      sources=tuple(s for s in (source or "").split(",") if s),
                      kinds=tuple(k for k in (kind or "").split(",") if k))
    query = build_query(q, {"sentiment": sentiment, "domain": domain, "topic": topic,
                            "entity": entity, "place": place})
    try:
        result = ctx(request).store.search(query, filters, sort=sort, limit=limit, offset=offset)
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"total": result.total, "hits": [
        {**doc_json(h.doc), "score": h.score, "highlights": h.highlights} for h in result.hits]}


def export_facets(source: Facet = None, kind: Facet = None, sentiment: Facet = None,
                  domain: Facet = None, topic: Facet = None, entity: Facet = None,
                  place: Facet = None) -> None:
    """The facets of an export, declared for the schema: web.pages.export_response reads them
    from the request, as the search page's export link sends them."""


EXPORT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}


@router.get("/export.{fmt}", dependencies=[Depends(export_facets)], responses={
    **errors(400), 200: {"description": "Cả tập kết quả, truyền dần (CSV hoặc JSON Lines)",
                         "content": {media: {"schema": {"type": "string"}}
                                     for media in EXPORT_TYPES.values()}}})
def api_export(request: Request, fmt: Annotated[Literal["csv", "jsonl"], Path()],
               q: Annotated[str, Query(max_length=TYPED_QUERY_CHARS, description=QUERY_TEXT)]
               = "", since: Moment = None, until: Moment = None,
               who: User = Depends(require("analyst"))) -> StreamingResponse:
    """The whole result set, streamed as CSV or JSON Lines (facets as on /search)."""
    return export_response(request, fmt, q, since, until)


@router.get("/documents/{doc_id}", dependencies=[VIEWER], responses=errors(404))
def api_document(request: Request, doc_id: DocId):
    doc = ctx(request).store.get(doc_id)
    if doc is None:
        raise HTTPException(404, "Không tìm thấy tài liệu")
    return doc_json(doc)


def _correction(field: str, labels: tuple[str, ...]) -> type[BaseModel]:
    return create_model(f"{field.title()}Correction", __config__=ConfigDict(strict=True),
                        field=(Literal[field], ...), value=(Literal[labels], ...))


# one body per corrected field, naming the labels that field takes (web.corrections.FIELDS)
Correction = Annotated[reduce(operator.or_, (_correction(f, labels) for f, labels
                                             in corrections.FIELDS.items())),
                       Field(discriminator="field")]


@router.post("/documents/{doc_id}/corrections", dependencies=[Depends(api_csrf)],
             responses=errors(400, 404))
def api_correct(request: Request, doc_id: DocId, body: Correction,
                who: User = Depends(require("analyst"))):
    c = ctx(request)
    doc = c.store.get(doc_id)
    if doc is None:
        raise HTTPException(404, "Không tìm thấy tài liệu")
    corrections.record(c.web_db, doc, body.field, body.value, who.username)
    return {"corrections": corrections.for_document(c.web_db, doc_id)}


def series(data: dict[str, list]) -> dict[str, list]:
    return {k: [[t.isoformat(), n] for t, n in v] for k, v in data.items()}


RANGE_TEXT = ("24h, 7d, 30d: đến bây giờ; custom: từ ngày `since` đến hết ngày `until` (cần cả "
              f"hai, `until` không trước `since`, tối đa {overview.MAX_CUSTOM.days} ngày; "
              "nếu không: 400)")


@router.get("/overview", dependencies=[VIEWER], responses=errors(400))
def api_overview(request: Request,
                 range: Annotated[Literal[(*overview.RANGES, "custom")],
                                  Query(description=RANGE_TEXT)] = "7d",
                 since: Moment = None, until: Moment = None):
    c = ctx(request)
    parse_day(since, "since"), parse_day(until, "until")  # a malformed day is a 400 in any range
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
    model_config = ConfigDict(strict=True)

    id: str = Field(pattern=_ID_RE.pattern, description="Mã: chữ thường không dấu, số, - hoặc _; "
                                                        "tối đa 64 ký tự (dùng trong URL)")
    name: str = Field(pattern=NOT_BLANK, description="Tên hiển thị, không để trống")
    query: str = Field(max_length=MAX_QUERY_CHARS, description=QUERY_TEXT)


@router.post("/topics", dependencies=[Depends(api_csrf)], responses=errors(400))
def api_save_topic(request: Request, body: TopicBody, who: User = Depends(require("analyst"))):
    try:
        item = topics.save_topic(ctx(request).web_db, body.id, body.name, body.query,
                                 who.username)
    except topics.TopicInputError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"id": item.id, "name": item.name, "query": item.query}


@router.get("/topics/preview", dependencies=[VIEWER])
def api_topic_preview(request: Request, q: str = ""):
    """What a topic query would match now: count, a few newest documents, expansion hints; a
    malformed query answers 200 with `error` (the editor shows it while typing)."""
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


@router.post("/alerts/{alert_id}/ack", dependencies=[Depends(api_csrf)], responses=errors(404))
def api_ack(request: Request, alert_id: Annotated[str, Path(max_length=ALERT_ID_CHARS)],
            who: User = Depends(require("analyst"))):
    """`acknowledged` is false for an alert that is unknown or no longer open; 404 when alerts
    are not configured on this server."""
    from web.manage import _outbox

    outbox = _outbox(ctx(request))
    if outbox is None:
        raise HTTPException(404, "Chức năng cảnh báo chưa được cấu hình")
    try:
        done = outbox.acknowledge(alert_id, who.username, datetime.now(VN_TZ))
    finally:
        outbox.close()
    return {"acknowledged": done}


# An address line of a recipient group: `địa chỉ` or `Tên | địa chỉ`; the addresses each channel
# takes are what alerts.config.Recipient accepts, written so every engine reads them alike.
ADDRESS = {
    "email": f"[^@|{SPACE}]+@[^@|{SPACE}]+\\.[^@|{SPACE}]+",
    "telegram": "(?:-?[0-9]+|@[A-Za-z0-9_]{5,})",
    "webhook": (r"https?://[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
                r"(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}"
                r"|655[0-2][0-9]|6553[0-5]))?" f"(?:[/?#][^|{SPACE}]*)?"),
}
ADDRESS_TEXT = {"email": "địa chỉ email", "telegram": "chat id Telegram (số, hoặc @tên ≥ 5 ký tự)",
                "webhook": "URL http(s) tới một địa chỉ công khai (bộ lọc kết nối ra ngoài kiểm "
                           "tra sau khi phân giải DNS; địa chỉ nội bộ: 400)"}


def _lines(channel: str) -> str:
    line = f"(?:[^|{LINE_BREAKS}]*\\|)?[ \\t]*{ADDRESS[channel]}[ \\t]*"
    return f"^{line}(?:\\n{line}){{0,{recipients.MAX_ADDRESSES - 1}}}\\n?$"


QUIET = "^$|^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"
# quiet hours have both ends or neither (a missing one is "")
BOTH_OR_NEITHER = {"anyOf": [
    {"properties": {"quiet_start": {"const": ""}, "quiet_end": {"const": ""}}},
    {"required": ["quiet_start", "quiet_end"],
     "properties": {"quiet_start": {"minLength": 1}, "quiet_end": {"minLength": 1}}}]}


class GroupBody(BaseModel):
    """A recipient group as on /admin/recipients, `addresses` one per line (`Tên | địa chỉ`)."""

    model_config = ConfigDict(strict=True, json_schema_extra=BOTH_OR_NEITHER)

    name: str = Field(pattern=GROUP_NAME, description=(
        f"1–{recipients.NAME_MAX} ký tự in được, không có '/'"))
    min_severity: Literal[SEVERITIES] = "warning"
    kinds: list[Literal[ALL_KINDS]] = Field(list(recipients.DEFAULT_KINDS), min_length=1)
    quiet_start: str = Field("", pattern=QUIET, description="HH:MM giờ Việt Nam; rỗng: không có")
    quiet_end: str = Field("", pattern=QUIET)
    original: str = Field("", description="Tên nhóm đang sửa; rỗng để thêm nhóm mới")
    active: bool = True

    @model_validator(mode="after")
    def _quiet_hours(self) -> GroupBody:
        if bool(self.quiet_start) != bool(self.quiet_end):
            raise ValueError("Giờ yên lặng cần cả giờ bắt đầu và giờ kết thúc (HH:MM)")
        return self


def _group_body(channel: str) -> type[GroupBody]:
    return create_model(f"{channel.title()}GroupBody", __base__=GroupBody,
                        channel=(Literal[channel], ...),
                        addresses=(str, Field(pattern=_lines(channel), description=(
                            f"Mỗi dòng một {ADDRESS_TEXT[channel]}, có thể kèm tên: `Tên | địa "
                            f"chỉ`; tối đa {recipients.MAX_ADDRESSES} dòng"))))


RecipientGroupBody = Annotated[reduce(operator.or_, map(_group_body, recipients.CHANNELS)),
                               Field(discriminator="channel")]


def _group_json(g: Any) -> dict[str, Any]:
    return {"name": g.name, "channel": g.channel, "active": g.active, "origin": "web",
            "updated_by": g.updated_by, "updated_at": g.updated_at,
            **g.group.model_dump(mode="json", exclude={"name"})}


@router.get("/alert-groups")
def api_alert_groups(request: Request, who: User = Depends(require("admin"))):
    """Recipient groups: web-managed ones (editable) and those of config/alerts.yaml."""
    yaml = [{"origin": "config/alerts.yaml", **y["group"].model_dump(mode="json")}
            for y in recipients.yaml_groups(request.app.state.alerts_config)]
    return {"groups": [_group_json(g) for g in recipients.list_groups(ctx(request).web_db)],
            "yaml_groups": yaml}


@router.post("/alert-groups", dependencies=[Depends(api_csrf)], responses=errors(400, 409))
def api_save_alert_group(request: Request, body: RecipientGroupBody,
                         who: User = Depends(require("admin"))):
    """Add or edit a group. 400: a webhook address the egress guard refuses; 409: the server's
    state refuses it (alerts not configured, the name is taken here or in config/alerts.yaml,
    email without an SMTP server)."""
    db_path = ctx(request).web_db
    form = recipients.GroupForm(body.name, body.channel, body.addresses, body.min_severity,
                                tuple(body.kinds), body.quiet_start, body.quiet_end)
    try:
        recipients.build_group(form)  # what the group alone decides
    except recipients.RecipientInputError as exc:
        raise HTTPException(400, str(exc)) from None
    try:
        group = recipients.save_group(db_path, form, who.username,
                                      request.app.state.alerts_config, original=body.original)
        if not body.active:
            recipients.set_active(db_path, group.name, False, who.username)
    except recipients.RecipientInputError as exc:
        raise HTTPException(409, str(exc)) from None
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
