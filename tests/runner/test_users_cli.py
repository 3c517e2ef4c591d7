"""`langnghe users …` run as an operator runs it (a real process) on a fresh home."""

from __future__ import annotations

import os
import subprocess
import sys

from runner.users_cli import ensure_first_admin
from tests.paths import REPO
from web import auth

PASSWORD = "mat-khau-quan-tri-dai"  # noqa: S105 - test only


def users(home, *args, env=None):
    return subprocess.run([sys.executable, "-m", "runner.cli", "users", "--home", str(home),
                           *args], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PW": PASSWORD, **(env or {})})


def test_cli_manages_passwords_roles_and_tokens(tmp_path):
    web_db = tmp_path / "web.sqlite"
    assert users(tmp_path, "create-admin", " QuanTri ", "--password-env", "PW").returncode == 0
    assert auth.authenticate(web_db, "quantri", PASSWORD, "t")  # the name was normalised

    refused = users(tmp_path, "set-role", "quantri", "viewer")
    assert refused.returncode == 2 and "quản trị viên cuối cùng" in refused.stderr
    refused = users(tmp_path, "set-role", "quantri", "admin", "--disable")
    assert refused.returncode == 2

    made = users(tmp_path, "create-token", "quantri", "--label", "sao-luu", "--days", "7")
    token = made.stdout.strip()
    assert made.returncode == 0 and token.startswith("ln_")
    listed = users(tmp_path, "tokens", "quantri").stdout
    (row,) = auth.list_tokens(web_db)
    assert row["id"] in listed and "sao-luu" in listed and row["expires_at"] in listed
    assert users(tmp_path, "revoke-token", row["id"]).returncode == 0
    assert auth.token_user(web_db, token) is None
    assert users(tmp_path, "revoke-token", row["id"]).returncode == 2  # gone already

    otp = users(tmp_path, "reset-password", "quantri").stdout.strip()
    assert auth.authenticate(web_db, "quantri", PASSWORD, "t") is None
    assert auth.authenticate(web_db, "quantri", otp, "t").must_change
    assert auth.authenticate(web_db, "quantri", otp, "t") is None  # one sign-in only
    new = users(tmp_path, "set-password", "quantri", "--password-env", "NEWPW",
                env={"NEWPW": "mot-mat-khau-khac-dai"})
    assert new.returncode == 0
    assert auth.authenticate(web_db, "quantri", "mot-mat-khau-khac-dai", "t").must_change is False


def test_the_first_start_admin_password_is_one_time(tmp_path):
    web_db = tmp_path / "web.sqlite"
    password = ensure_first_admin(web_db)
    assert ensure_first_admin(web_db) is None  # only on the very first start
    assert auth.authenticate(web_db, "admin", password, "t").must_change
