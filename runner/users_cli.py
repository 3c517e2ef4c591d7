"""`langnghe users create-admin|create-token|list`: accounts of the web app, from the shell."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from langnghe.paths import Home


def users_main(argv: list[str] | None = None) -> int:
    from web.auth import AuthError, create_admin, create_api_token, list_users

    parser = argparse.ArgumentParser(prog="langnghe users")
    parser.add_argument("--home", help="data directory (default: $LANGNGHE_HOME or ./var/langnghe)")
    sub = parser.add_subparsers(dest="action", required=True)
    admin = sub.add_parser("create-admin", help="create an administrator account")
    admin.add_argument("username")
    admin.add_argument("--password-env", help="read the password from this environment "
                       "variable (default: ask on the terminal)")
    token = sub.add_parser("create-token", help="create an API token for a user")
    token.add_argument("username")
    token.add_argument("--label", default="cli")
    sub.add_parser("list", help="list accounts")
    args = parser.parse_args(argv)
    db = Home.resolve(args.home).web_db
    try:
        if args.action == "create-admin":
            if args.password_env:
                password = os.environ.get(args.password_env, "")
            else:
                password = getpass.getpass("Mật khẩu (≥ 10 ký tự): ")
            create_admin(db, args.username, password)
            print(f"Đã tạo tài khoản quản trị {args.username}")
        elif args.action == "create-token":
            print(create_api_token(db, args.username, args.label, by="cli"))
        else:
            for user in list_users(db):
                print(f"{user['username']:20} {user['role']:8} "
                      f"{'hoạt động' if user['active'] else 'đã khóa'}")
    except AuthError as exc:
        print(f"langnghe users {args.action}: {exc}", file=sys.stderr)
        return 2
    return 0


def ensure_first_admin(db_path) -> str | None:
    """On the very first start: an `admin` account with a random password, returned once so the
    console can show it (there is no other way in before an administrator exists)."""
    import secrets

    from web.auth import create_admin, list_users

    if list_users(db_path):
        return None
    password = secrets.token_urlsafe(12)
    create_admin(db_path, "admin", password)
    return password
