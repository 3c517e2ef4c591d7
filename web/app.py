"""FastAPI application factory: wires the store, the web database, sign-in and the routers.

Server-rendered pages (Jinja2) with progressive enhancement: every page works without
JavaScript; one static script (static/app.js) adds the live preview of watch topics. Charts are
inline SVG drawn on the server (web/charts.py). Pages: web/pages.py (overview, search, export,
document), web/capture_view.py (a document's evidence capture), web/manage.py (topics, alerts
and recipient groups, reports, sources, audit), web/accounts.py (own password and tokens, users);
JSON: web/api.py.

Access: every route states its role (web.deps: viewer, analyst, admin, or public by name — the
login form, the acknowledge confirmation of alert links, /healthz, /static); a request without a
signed-in user reaches only the public ones, and the app refuses to start with a route that
states no role. Browsers sign in with a session cookie; scripts with a per-user API token
(`Authorization: Bearer ln_…`). The JSON API accepts both: the cookie so the dashboard's own
script can call it (same origin; a POST with the cookie also needs the X-CSRF-Token header), the
token for everything else (no cookie, so no CSRF).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount

from langnghe.document import Document
from store.base import Store
from web import auth, db
from web.deps import HERE, VIEWER, Ctx, app_routes, check_roles, make_templates, public, render

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SESSION_COOKIE = "ln_session"
LOGIN_COOKIE = "ln_login"  # pre-session CSRF token of the login form (double submit)
OPENAPI_URL = "/api/v1/openapi.json"
ACCOUNT_PATHS = ("/account", "/account/password", "/logout")  # all a one-time sign-in reaches


def doc_json(doc: Document) -> dict[str, Any]:
    return doc.model_dump(mode="json")


def create_app(store: Store, *, web_db: str | Path, health: Callable[[], list[Any]] | None = None,
               demo: bool = False, status: Callable[[], dict[str, Any]] | None = None,
               alerts_db: Path | None = None, alerts_secret: bytes | None = None,
               outlet_types: dict[str, str] | None = None,
               recipients: Callable[[], list[dict]] | None = None,
               secure_cookies: bool = True, alerts_config: Any = None,
               capture_dir: Path | None = None) -> FastAPI:
    """Build the app over a store and the web database file `web_db` (created if missing).

    `health()` returns the crawler's per-source health records; `outlet_types` maps source id to
    outlet type (overview chart); `recipients()` lists alert recipients (read-only page);
    `secure_cookies=False` only for plain-http localhost; `alerts_config` is the
    alerts.config.AlertsConfig read from YAML (the base that web-managed recipient groups are
    merged with); `capture_dir` holds the evidence WARC files (default: `captures` beside
    `web_db`, i.e. under the home).
    """
    from web import accounts, api, ask, capture_view, manage, pages

    db.setup(web_db)
    # openapi_url=None: the schema is served by a route of ours, which states its role
    app = FastAPI(title="Lắng Nghe", version="0.2.0", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.ctx = Ctx(store=store, web_db=Path(web_db), templates=make_templates(demo),
                        health=health or (lambda: []), status=status, alerts_db=alerts_db,
                        alerts_secret=alerts_secret, outlet_types=outlet_types or {},
                        recipients=recipients or (lambda: []), secure_cookies=secure_cookies)
    app.state.alerts_config = alerts_config
    app.state.capture_dir = Path(capture_dir or Path(web_db).resolve().parent
                                 / capture_view.CAPTURE_DIR)
    capture_view.install(app.state.ctx.templates, app.state.capture_dir)
    static = Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static")
    static.role = "public:static"  # the login page needs its stylesheet
    app.router.routes.append(static)
    _add_middleware(app, Path(web_db))
    _add_login(app, Path(web_db), secure_cookies)
    _add_service_routes(app)
    for module in (pages, manage, accounts, capture_view, api, ask):
        app.include_router(module.router)
    _add_error_pages(app)
    app.state.public = check_roles(app.routes)
    return app


def _add_service_routes(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False, dependencies=[Depends(public("health"))])
    def healthz():
        """For container health checks, without credentials: the process serves requests and
        its store answers (503 when it does not). Says nothing about the data."""
        try:
            app.state.ctx.store.count()
        except Exception:
            return JSONResponse({"status": "error", "store": "unreachable"}, status_code=503)
        return {"status": "ok", "store": "ok"}

    @app.get(OPENAPI_URL, include_in_schema=False, dependencies=[VIEWER])
    def openapi():
        return JSONResponse(app.openapi())


def _identify(request: Request, web_db: Path) -> None:
    request.state.user, request.state.csrf, request.state.via = None, "", None
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        request.state.user = auth.token_user(web_db, bearer[7:].strip())
        request.state.via = "token"
        return
    cookie = request.cookies.get(SESSION_COOKIE)
    found = auth.session_user(web_db, cookie) if cookie else None
    if found:
        request.state.user, request.state.csrf = found
        request.state.via = "session"


def _add_middleware(app: FastAPI, web_db: Path) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next):
        path = request.url.path
        _identify(request, web_db)
        public = any(regex.match(path) for regex in request.app.state.public)
        who = request.state.user
        if who is None and not public:
            if path.startswith("/api/"):
                response = JSONResponse({"error": "Cần đăng nhập hoặc API token (Authorization: "
                                                  "Bearer …)"}, status_code=401)
            else:
                target = path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        elif who is not None and who.must_change and not public and path not in ACCOUNT_PATHS:
            # signed in with a one-time password: choosing a new one comes first
            if path.startswith("/api/"):
                response = JSONResponse({"error": "Hãy đặt mật khẩu mới tại /account trước"},
                                        status_code=403)
            else:
                response = RedirectResponse("/account", status_code=303)
        else:
            response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def _safe_next(target: str) -> str:
    # only same-site paths: "//evil.example" or "https://…" would be an open redirect
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _add_login(app: FastAPI, web_db: Path, secure: bool) -> None:
    anyone = [Depends(public("login"))]

    @app.get("/login", include_in_schema=False, dependencies=anyone)
    def login_page(request: Request, next: str = "/"):
        # reuse a live token: a second tab (or the favicon's redirect here) must not invalidate
        # the form already on screen
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
        response = render(request, "login.html", {"next": _safe_next(next), "login_csrf": token})
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="lax", secure=secure,
                            max_age=3600)
        return response

    @app.post("/login", include_in_schema=False, dependencies=anyone)
    def login(request: Request, username: str = Form(""), password: str = Form(""),
              csrf: str = Form(""), next: str = Form("/")):
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not secrets.compare_digest(expected, csrf):
            raise HTTPException(403, "Biểu mẫu đăng nhập hết hạn: hãy tải lại trang")
        client = request.client.host if request.client else "?"
        username = auth.normalize_username(username)
        if auth.locked(web_db, username, client):
            return _login_error(request, next, "Sai mật khẩu quá nhiều lần: hãy thử lại sau "
                                "15 phút", 429)
        found = auth.authenticate(web_db, username, password, client)
        if found is None:
            return _login_error(request, next, "Sai tên đăng nhập hoặc mật khẩu", 401)
        target = "/account" if found.must_change else _safe_next(next)
        response = RedirectResponse(target, status_code=303)
        start_session(response, web_db, found, secure)
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @app.post("/logout", include_in_schema=False, dependencies=[VIEWER])
    def logout(request: Request, csrf: str = Form("")):
        if request.state.via == "session" and secrets.compare_digest(csrf, request.state.csrf):
            auth.end_session(web_db, request.cookies[SESSION_COOKIE])
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response


def start_session(response, web_db: Path, user: auth.User, secure: bool) -> None:
    """Sign `user` in on `response` (a new session cookie)."""
    token, _ = auth.start_session(web_db, user)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure,
                        max_age=auth.SESSION_TTL_S)


def _login_error(request: Request, next: str, message: str, code: int):
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    return render(request, "login.html", {"next": _safe_next(next), "login_csrf": token,
                                          "error": message}, status_code=code)


# Starlette's own answers (no route, wrong method) carry the status phrase as their detail
FRAMEWORK_VI = {404: "Không có trang hoặc địa chỉ API này",
                405: "Địa chỉ này không nhận phương thức {method}"}


def allowed_methods(app: FastAPI, path: str) -> str:
    """The Allow header of a 405: the methods of every route serving `path`. Starlette names only
    those of the first route it matched, and GET and POST /api/v1/topics are two routes."""
    return ", ".join(sorted({method for route in app_routes(app.routes) if route.methods
                             and route.path_regex.match(path) for method in route.methods}))


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request.app, request.url.path)
        message = exc.detail
        if message == HTTPStatus(exc.status_code).phrase and exc.status_code in FRAMEWORK_VI:
            message = FRAMEWORK_VI[exc.status_code].format(method=request.method)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=exc.status_code, headers=headers)
        response = render(request, "error.html", {"message": message},
                          status_code=exc.status_code)
        response.headers.update(headers)
        return response


def recipients(config: Any) -> list[dict]:
    """Alert recipients of an alerts.config.AlertsConfig, for the read-only list on /alerts."""
    return [{"group": g.name, "name": r.name,
             "channels": ", ".join(c for c in ("email", "telegram", "webhook") if getattr(r, c))}
            for g in config.groups for r in g.recipients]
