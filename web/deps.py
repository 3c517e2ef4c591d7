"""What every route needs: the app's context, the signed-in user, role checks, CSRF, rendering."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.templating import Jinja2Templates

from langnghe.document import VN_TZ
from store.base import Store
from web import labels
from web.auth import User

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


def require(role: str) -> Callable[[Request], User]:
    """Dependency: the signed-in user when their role includes `role`, else 403."""
    def check(request: Request) -> User:
        who = user(request)
        if not who.can(role):
            raise HTTPException(403, f"Cần quyền {labels.ROLE_VI[role]} để làm việc này")
        return who
    return check


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
