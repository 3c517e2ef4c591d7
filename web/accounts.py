"""Accounts in the dashboard: one's own password and API tokens (/account), and for admins the
users, their roles, password resets and everyone's tokens (/admin/users). The rules — one-time
passwords, the last admin, token expiry — live in web.auth; these routes only ask and show."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from web import auth
from web.auth import User
from web.deps import CSRF, ctx, render, require

router = APIRouter(include_in_schema=False)


def _back(path: str):
    return RedirectResponse(path, status_code=303)


# ---- one's own account ----------------------------------------------------------------------

def _account_page(request: Request, me: User, status_code: int = 200, **extra):
    return render(request, "account.html", {
        "tokens": auth.list_tokens(ctx(request).web_db, me.username),
        "token_days": auth.TOKEN_DAYS, "max_token_days": auth.MAX_TOKEN_DAYS,
        "min_password": auth.MIN_PASSWORD, "changed": request.query_params.get("doi") == "1",
        **extra}, status_code=status_code)


@router.get("/account")
def account_page(request: Request, me: User = Depends(require("viewer"))):
    return _account_page(request, me)


@router.post("/account/password")
def change_password(request: Request, current: str = Form(""), new: str = Form(""),
                    confirm: str = Form(""), _: None = CSRF,
                    me: User = Depends(require("viewer"))):
    from web.app import start_session

    c = ctx(request)
    try:
        if new != confirm:
            raise auth.AuthError("Hai lần nhập mật khẩu mới không giống nhau")
        auth.change_password(c.web_db, me, None if me.must_change else current, new)
    except auth.AuthError as exc:
        return _account_page(request, me, 400, password_error=str(exc))
    # every session of the account ended with the change: this browser gets a new one
    response = _back("/account?doi=1")
    start_session(response, c.web_db, User(me.id, me.username, me.role), c.secure_cookies)
    return response


@router.post("/account/token")
def new_token(request: Request, label: str = Form("api"), days: int = Form(auth.TOKEN_DAYS),
              _: None = CSRF, me: User = Depends(require("viewer"))):
    try:
        token = auth.create_api_token(ctx(request).web_db, me.username, label.strip()[:64],
                                      me.username, days=days)
    except auth.AuthError as exc:
        return _account_page(request, me, 400, token_error=str(exc))
    return _account_page(request, me, token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_own_token(request: Request, token_id: str, _: None = CSRF,
                     me: User = Depends(require("viewer"))):
    try:
        auth.revoke_token(ctx(request).web_db, token_id, me.username, owner=me.username)
    except auth.AuthError as exc:
        raise HTTPException(404, str(exc)) from None
    return _back("/account")


# ---- users (admins) -------------------------------------------------------------------------

def _users_page(request: Request, status_code: int = 200, **extra):
    db_path = ctx(request).web_db
    return render(request, "users.html", {
        "users": auth.list_users(db_path), "roles": auth.ROLES,
        "tokens": auth.list_tokens(db_path), **extra}, status_code=status_code)


@router.get("/admin/users")
def users_page(request: Request, who: User = Depends(require("admin"))):
    return _users_page(request)


@router.post("/admin/users")
def create_user(request: Request, username: str = Form(""), password: str = Form(""),
                role: str = Form("viewer"), _: None = CSRF,
                who: User = Depends(require("admin"))):
    try:
        auth.create_user(ctx(request).web_db, auth.normalize_username(username), password, role,
                         who.username)
    except auth.AuthError as exc:
        return _users_page(request, 400, error=str(exc))
    return _back("/admin/users")


@router.post("/admin/users/{username}")
def update_user(request: Request, username: str, role: str = Form(...),
                active: str = Form("1"), _: None = CSRF, who: User = Depends(require("admin"))):
    try:
        auth.set_role(ctx(request).web_db, username, role, active == "1", who.username)
    except auth.AuthError as exc:
        return _users_page(request, 400, error=str(exc))
    return _back("/admin/users")


@router.post("/admin/users/{username}/reset")
def reset_password(request: Request, username: str, _: None = CSRF,
                   who: User = Depends(require("admin"))):
    try:
        password = auth.reset_password(ctx(request).web_db, username, who.username)
    except auth.AuthError as exc:
        raise HTTPException(404, str(exc)) from None
    return _users_page(request, reset=(username, password))


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: str, _: None = CSRF,
                 who: User = Depends(require("admin"))):
    try:
        auth.revoke_token(ctx(request).web_db, token_id, who.username)
    except auth.AuthError as exc:
        raise HTTPException(404, str(exc)) from None
    return _back("/admin/users")
