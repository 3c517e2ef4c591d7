"""FastAPI application factory: search, document and source-health pages, and /api/v1.

The app reads through the store interface and the crawler's health records; it never writes
configuration (that comes with accounts and roles in the dashboard).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from langnghe.document import VN_TZ, Document
from langnghe.query import QueryError
from store.base import Filters, SearchResult, Store

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 20
MAX_LIMIT = 200  # bound API page size: a page of 200 full documents is ~2 MB
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def _local(value: datetime | None) -> str:
    return value.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y") if value else "—"


def _ago(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} phút"
    if minutes < 48 * 60:
        return f"{minutes // 60} giờ"
    return f"{minutes // (24 * 60)} ngày"


def _parse_time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"'{name}' phải là ngày giờ ISO 8601, ví dụ 2026-11-26 "
                                 f"hoặc 2026-11-26T08:00+07:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN_TZ)


def doc_json(doc: Document) -> dict[str, Any]:
    return doc.model_dump(mode="json")


def create_app(store: Store, *, health: Callable[[], list[Any]] | None = None,
               demo: bool = False, status: Callable[[], dict[str, Any]] | None = None,
               alerts_db: Path | None = None, alerts_secret: bytes | None = None) -> FastAPI:
    """Build the app over a store; `health()` returns the crawler's per-source health records."""
    app = FastAPI(title="Lắng Nghe", version="0.1.0", docs_url="/api/docs",
                  openapi_url="/api/v1/openapi.json")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["local"] = _local
    templates.env.filters["ago"] = _ago
    templates.env.globals["demo"] = demo
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    health = health or (lambda: [])

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def run_search(q: str, source: str | None, kind: str | None, since: str | None,
                   until: str | None, sort: str, limit: int, offset: int) -> SearchResult:
        if sort not in ("relevance", "newest", "oldest"):
            raise HTTPException(400, "'sort' phải là relevance, newest hoặc oldest")
        filters = Filters(since=_parse_time(since, "since"), until=_parse_time(until, "until"),
                          sources=tuple(s for s in (source or "").split(",") if s),
                          kinds=tuple(k for k in (kind or "").split(",") if k))
        return store.search(q, filters, sort=sort, limit=limit, offset=offset)

    @app.get("/", response_class=HTMLResponse)
    def search_page(request: Request, q: str = "", source: str | None = None,
                    kind: str | None = None, since: str | None = None, until: str | None = None,
                    sort: str = "relevance", page: int = Query(1, ge=1, le=500)):
        error, result = None, SearchResult(0, [])
        try:
            result = run_search(q, source, kind, since, until, sort, PAGE_SIZE,
                                (page - 1) * PAGE_SIZE)
        except QueryError as exc:
            error = str(exc)
        except HTTPException as exc:
            error = exc.detail
        pages = max(1, -(-result.total // PAGE_SIZE))
        return templates.TemplateResponse(request, "search.html", {
            "q": q, "source": source or "", "kind": kind or "", "since": since or "",
            "until": until or "", "sort": sort, "page": page, "pages": pages,
            "result": result, "error": error, "total_docs": store.count(),
        }, status_code=400 if error else 200)

    @app.get("/doc/{doc_id}", response_class=HTMLResponse)
    def document_page(request: Request, doc_id: str):
        doc = store.get(doc_id)
        if doc is None:
            raise HTTPException(404, "Không tìm thấy tài liệu")
        paragraphs = [p for p in ((doc.nlp.text if doc.nlp else "") or doc.text).split("\n") if p]
        return templates.TemplateResponse(request, "document.html",
                                          {"doc": doc, "paragraphs": paragraphs})

    @app.get("/sources", response_class=HTMLResponse)
    def sources_page(request: Request):
        return templates.TemplateResponse(request, "sources.html", {
            "rows": health(), "status": status() if status else {}})

    @app.get("/api/v1/search")
    def api_search(q: str = "", source: str | None = None, kind: str | None = None,
                   since: str | None = None, until: str | None = None, sort: str = "relevance",
                   limit: int = Query(20, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0)):
        try:
            result = run_search(q, source, kind, since, until, sort, limit, offset)
        except QueryError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return {"total": result.total, "hits": [
            {**doc_json(h.doc), "score": h.score, "highlights": h.highlights}
            for h in result.hits]}

    @app.get("/api/v1/documents/{doc_id}")
    def api_document(doc_id: str):
        doc = store.get(doc_id)
        if doc is None:
            raise HTTPException(404, "document not found")
        return doc_json(doc)

    @app.get("/api/v1/sources")
    def api_sources():
        return {"sources": [_health_json(h) for h in health()],
                "status": status() if status else {}}

    @app.get("/api/v1/status")
    def api_status():
        return {"documents": store.count(), **(status() if status else {})}

    def open_alerts() -> list[Any]:
        if alerts_db is None:
            return []
        from alerts.outbox import Outbox

        outbox = Outbox(alerts_db)  # one connection per request: the engine thread writes
        try:
            return outbox.open_alerts()
        finally:
            outbox.close()

    @app.get("/alerts", response_class=HTMLResponse)
    def alerts_page(request: Request):
        from alerts.render import text_body

        rows = [(a, text_body(a)) for a in open_alerts()]
        return templates.TemplateResponse(request, "alerts.html", {
            "rows": rows, "enabled": alerts_db is not None})

    @app.get("/alerts/ack", response_class=HTMLResponse)
    def alerts_ack(request: Request, alert: str, by: str, token: str):
        from alerts.ack import acknowledge_with_token
        from alerts.outbox import Outbox

        if alerts_db is None or alerts_secret is None:
            raise HTTPException(404, "Chức năng cảnh báo chưa được cấu hình")
        outbox = Outbox(alerts_db)
        try:
            ok = acknowledge_with_token(outbox, alerts_secret, alert, by, token,
                                        datetime.now(VN_TZ))
        finally:
            outbox.close()
        if not ok:
            raise HTTPException(403, "Liên kết xác nhận không hợp lệ hoặc đã hết hiệu lực")
        return templates.TemplateResponse(request, "error.html", {
            "message": f"Đã ghi nhận: {by} đã tiếp nhận cảnh báo."})

    @app.get("/api/v1/alerts")
    def api_alerts():
        return {"alerts": [a.to_dict() for a in open_alerts()]}

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return templates.TemplateResponse(request, "error.html", {"message": exc.detail},
                                          status_code=exc.status_code)

    return app


def _health_json(row: Any) -> dict[str, Any]:
    data = dict(vars(row)) if not isinstance(row, dict) else dict(row)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat()
        elif isinstance(value, timedelta):
            data[key] = value.total_seconds()
    return data
