"""`langnghe users …`: accounts of the web app from the shell — whoever holds the shell holds the
home, so these commands act on any account (the web app asks for roles instead).

  create-admin USER                 an administrator (password asked, or --password-env)
  set-password USER                 set a password (asked, or --password-env); ends the sessions
  reset-password USER               a one-time password, printed once
  set-role USER ROLE [--disable|--enable]   (refused for the last active administrator)
  create-token USER [--label L] [--days 90] an API token, printed once
  tokens [USER]                     API tokens: id, user, label, created, last used, expiry
  revoke-token ID                   revoke a token by the id `tokens` shows
  list                              accounts
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from langnghe.paths import Home


def _password(args: argparse.Namespace) -> str:
    if args.password_env:
        return os.environ.get(args.password_env, "")
    return getpass.getpass("Mật khẩu (≥ 10 ký tự): ")


def _parser() -> argparse.ArgumentParser:
    from web.auth import MAX_TOKEN_DAYS, ROLES, TOKEN_DAYS

    parser = argparse.ArgumentParser(prog="langnghe users",
                                     description="accounts of the web app")
    parser.add_argument("--home", help="data directory (default: $LANGNGHE_HOME or ./var/langnghe)")
    sub = parser.add_subparsers(dest="action", required=True)
    for name, what in (("create-admin", "create an administrator account"),
                       ("set-password", "set a user's password (ends their sessions)")):
        p = sub.add_parser(name, help=what)
        p.add_argument("username")
        p.add_argument("--password-env", help="read the password from this environment "
                       "variable (default: ask on the terminal)")
    sub.add_parser("reset-password", help="print a one-time password for a user "
                   "(they choose a new one at sign-in)").add_argument("username")
    role = sub.add_parser("set-role", help="change a user's role, or disable/enable the account")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    state = role.add_mutually_exclusive_group()
    state.add_argument("--disable", dest="active", action="store_false", default=None)
    state.add_argument("--enable", dest="active", action="store_true")
    token = sub.add_parser("create-token", help="create an API token for a user")
    token.add_argument("username")
    token.add_argument("--label", default="cli")
    token.add_argument("--days", type=int, default=TOKEN_DAYS,
                       help=f"valid this many days (default {TOKEN_DAYS}, "
                            f"at most {MAX_TOKEN_DAYS})")
    sub.add_parser("tokens", help="list API tokens (of one user, or everyone's)").add_argument(
        "username", nargs="?")
    sub.add_parser("revoke-token", help="revoke an API token by its id").add_argument("token_id")
    sub.add_parser("list", help="list accounts")
    return parser


def users_main(argv: list[str] | None = None) -> int:
    from web import auth

    args = _parser().parse_args(argv)
    db = Home.resolve(args.home).web_db
    name = auth.normalize_username(getattr(args, "username", None) or "") or None
    try:
        if args.action == "create-admin":
            auth.create_admin(db, name, _password(args))
            print(f"Đã tạo tài khoản quản trị {name}")
        elif args.action == "set-password":
            auth.set_password(db, name, _password(args), by="cli")
            print(f"Đã đặt mật khẩu mới cho {name}; các phiên đăng nhập cũ đã kết thúc")
        elif args.action == "reset-password":
            print(auth.reset_password(db, name, by="cli"))
        elif args.action == "set-role":
            current = next((u for u in auth.list_users(db) if u["username"] == name), None)
            if current is None:
                raise auth.AuthError(f"Không có người dùng {name!r}")
            active = bool(current["active"]) if args.active is None else args.active
            auth.set_role(db, name, args.role, active, by="cli")
            print(f"{name}: {args.role}, {'hoạt động' if active else 'đã khóa'}")
        elif args.action == "create-token":
            print(auth.create_api_token(db, name, args.label, by="cli", days=args.days))
        elif args.action == "tokens":
            for t in auth.list_tokens(db, name):
                print(f"{t['id']}  {t['username']:16} {t['label']:16} tạo {t['created_at']}  "
                      f"dùng {t['last_used_at'] or '—'}  hết hạn {t['expires_at']}"
                      f"{' (đã hết hạn)' if t['expired'] else ''}")
        elif args.action == "revoke-token":
            auth.revoke_token(db, args.token_id.strip().lower(), by="cli")
            print(f"Đã thu hồi token {args.token_id}")
        else:
            for user in auth.list_users(db):
                print(f"{user['username']:20} {user['role']:8} "
                      f"{'hoạt động' if user['active'] else 'đã khóa'}")
    except auth.AuthError as exc:
        print(f"langnghe users {args.action}: {exc}", file=sys.stderr)
        return 2
    return 0


def ensure_first_admin(db_path) -> str | None:
    """On the very first start: an `admin` account with a random one-time password, returned
    once so the console can show it (there is no other way in before an administrator exists);
    signing in with it leads to choosing a new password."""
    import secrets

    from web.auth import create_admin, list_users

    if list_users(db_path):
        return None
    password = secrets.token_urlsafe(12)
    create_admin(db_path, "admin", password, one_time=True)
    return password
