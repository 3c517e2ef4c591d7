"""What every route needs: the app's context, the signed-in user, role checks, CSRF, rendering.

Every route states who may call it, on the route itself: a role dependency — `require("viewer")`,
`require("analyst")`, `require("admin")` (each role includes the ones before it) — or
`public(name)` for the few pages anyone may open, each named for why: the login form, the
acknowledge confirmation of alert links, the health check, the static files. `role_of(route)`
reads it back; web.app refuses to build an app with a route that states none, and lets a
request without a signed-in user through only to the public routes.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.routing import iter_route_contexts
from fastapi.templating import Jinja2Templates

from langnghe.document import VN_TZ
from store.base import Store
from web import labels
from web.auth import ROLES, User

HERE = Path(__file__).resolve().parent


@dataclass
class Ctx:
    store: Store
    web_db: Path
    templates: Jinja2Templates
    health: Callable[[], list[Any]] = lambda: []
    status: Callable[[], dict[str, Any]] | None = None
    alerts_db: Path | None = None
    alerts_secret: bytes | None = None
    outlet_types: dict[str, str] = field(default_factory=dict)  # source id -> outlet type
    recipients: Callable[[], list[dict]] = lambda: []
    secure_cookies: bool = True
    cache: dict[str, Any] = field(default_factory=dict)  # per app: short-lived page data


def ctx(request: Request) -> Ctx:
    return request.app.state.ctx


def user(request: Request) -> User:
    found = getattr(request.state, "user", None)
    if found is None:
        raise HTTPException(401, "Cần đăng nhập")
    return found


PUBLIC = ("login", "acknowledge", "health", "static")  # why a route may be called signed out


@cache
def require(role: str) -> Callable[[Request], User]:
    """Dependency: the signed-in user when their role includes `role`, else 403."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")

    def check(request: Request) -> User:
        who = user(request)
        if not who.can(role):
            raise HTTPException(403, f"Cần quyền {labels.ROLE_VI[role]} để làm việc này")
        return who
    check.role = role
    return check


@cache
def public(name: str) -> Callable[[], None]:
    """Dependency of a route anyone may call, signed in or not; `name` says which of PUBLIC."""
    if name not in PUBLIC:
        raise ValueError(f"public routes are {PUBLIC}, got {name!r}")

    def open_to_all() -> None:
        return None
    open_to_all.role = f"public:{name}"
    return open_to_all


VIEWER = Depends(require("viewer"))  # for reading routes that need not name the user


def app_routes(routes: Iterable) -> list:
    """Every route of an app, the included routers' ones with their full path (RouteContext:
    .path, .methods, .path_regex, .dependant)."""
    return list(iter_route_contexts(list(routes)))


def role_of(route) -> str | None:
    """The role a route states: "viewer" | "analyst" | "admin" | "public:<name>"; None when it
    states none, or more than one."""
    dependant = getattr(route, "dependant", None)
    if dependant is not None:
        found = {getattr(d.call, "role", None) for d in dependant.dependencies} - {None}
    else:  # a mount (static files) carries it as an attribute
        found = {getattr(route, "role", None)} - {None}
    return found.pop() if len(found) == 1 else None


def check_roles(routes: Iterable) -> list[re.Pattern]:
    """The path patterns of the public routes; RuntimeError naming every route that states no
    role (or several)."""
    every = app_routes(routes)
    missing = [f"{','.join(sorted(r.methods or ['*']))} {r.path}"
               for r in every if role_of(r) is None]
    if missing:
        raise RuntimeError("routes without exactly one role (web.deps.require / public): "
                           + "; ".join(missing))
    return [r.path_regex for r in every if role_of(r).startswith("public:")]


def check_csrf(request: Request, csrf: str = Form("")) -> None:
    """Every form POST carries the session's CSRF token (API tokens need none: no cookie)."""
    if getattr(request.state, "via", None) == "token":
        return
    expected = getattr(request.state, "csrf", None) or ""
    sent = csrf or request.headers.get("x-csrf-token", "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "Biểu mẫu hết hạn hoặc thiếu mã CSRF: hãy tải lại trang "
                                 "và thử lại")


CSRF = Depends(check_csrf)


def local(value: datetime | str | None) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y") if value else "—"


def ago(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} phút"
    if minutes < 48 * 60:
        return f"{minutes // 60} giờ"
    return f"{minutes // (24 * 60)} ngày"


def make_templates(demo: bool) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    env = templates.env
    env.filters["local"] = local
    env.filters["ago"] = ago
    env.filters["pct"] = lambda v: f"{v * 100:.0f}%"
    env.globals.update(demo=demo, DOMAIN_VI=labels.DOMAIN_VI, SENTIMENT_VI=labels.SENTIMENT_VI,
                       KIND_VI=labels.KIND_VI, OUTLET_VI=labels.OUTLET_VI,
                       ROLE_VI=labels.ROLE_VI, STATUS_VI=labels.STATUS_VI,
                       FACET_VI=labels.FACET_VI, label=labels.label)
    return templates


def render(request: Request, name: str, data: dict[str, Any], status_code: int = 200):
    """A page with the signed-in user and the CSRF token its forms need."""
    c = ctx(request)
    return c.templates.TemplateResponse(request, name, {
        "me": getattr(request.state, "user", None), "csrf": getattr(request.state, "csrf", ""),
        **data}, status_code=status_code)
