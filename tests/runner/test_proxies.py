"""The web server behind a reverse proxy: client addresses from X-Forwarded-For, but only from the
trusted proxies (runner.serve.web_server, `--forwarded-allow-ips`). A real uvicorn server on
127.0.0.1, a real web database, the real login form."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from runner.cli import LOOPBACK_PROXIES, build_parser
from runner.serve import web_server
from store.sqlite import SqliteStore
from tests.runner.conftest import free_port
from web import auth
from web.app import create_app

PASSWORD = "mat-khau-dai-du"  # noqa: S105 - test account only
CSRF = 'name="csrf" value="'


@pytest.fixture
def app(tmp_path):
    web_db = tmp_path / "web.sqlite"
    auth.create_user(web_db, "canbo", PASSWORD, "viewer")
    store = SqliteStore(tmp_path / "store.sqlite")
    yield create_app(store, web_db=web_db, secure_cookies=False)
    store.close()


@contextmanager
def running(app, trusted: str) -> Iterator[str]:
    port = free_port()
    server = web_server(app, "127.0.0.1", port, trusted)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start within 20 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def login(base: str, username: str, password: str, client_ip: str) -> int:
    with httpx.Client(base_url=base, headers={"X-Forwarded-For": client_ip}) as c:
        page = c.get("/login").text
        token = page.split(CSRF, 1)[1].split('"', 1)[0]
        return c.post("/login", data={"username": username, "password": password,
                                      "csrf": token}).status_code


def fail_from(base: str, client_ip: str) -> None:
    """Exhaust the per-address limit from one address (a new name each time: no account lock)."""
    for n in range(auth.MAX_FAILURES_PER_ADDRESS):
        assert login(base, f"khach{n}", "sai-mat-khau-roi", client_ip) == 401


def test_behind_a_trusted_proxy_one_guessing_client_does_not_lock_out_the_others(app):
    with running(app, "127.0.0.1") as base:
        fail_from(base, "203.0.113.5")
        assert login(base, "canbo", PASSWORD, "203.0.113.5") == 429  # that client is locked
        assert login(base, "canbo", PASSWORD, "203.0.113.6") == 303  # the next one is not


def test_forwarded_for_from_an_untrusted_address_is_ignored(app):
    with running(app, "192.0.2.1") as base:  # the proxy is elsewhere: 127.0.0.1 is a client
        fail_from(base, "203.0.113.5")
        # a client cannot escape its lock by naming another address
        assert login(base, "canbo", PASSWORD, "203.0.113.6") == 429


@pytest.mark.parametrize("command", ["run", "web", "demo"])
def test_trusted_proxies_are_a_setting_of_every_serving_command(command, monkeypatch):
    monkeypatch.delenv("LANGNGHE_FORWARDED_ALLOW_IPS", raising=False)
    assert build_parser().parse_args([command]).forwarded_allow_ips == LOOPBACK_PROXIES
    monkeypatch.setenv("LANGNGHE_FORWARDED_ALLOW_IPS", "172.30.0.0/24")
    assert build_parser().parse_args([command]).forwarded_allow_ips == "172.30.0.0/24"
    given = build_parser().parse_args([command, "--forwarded-allow-ips", "10.0.0.2"])
    assert given.forwarded_allow_ips == "10.0.0.2"
