"""Shared fixtures: a real SQLite store of enriched documents, a web database with one user
per role, and test clients signed in through the real login form."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import uvicorn
from fastapi.testclient import TestClient

from crawlers.health import SourceHealth as CrawlerHealth
from langnghe.document import VN_TZ, Document, document_id
from nlp.pipeline import enrich
from store.sqlite import SqliteStore
from web.app import create_app
from web.auth import create_user

NOW = datetime.now(VN_TZ)
PASSWORD = "mat-khau-dai-du"  # noqa: S105 - test accounts only
ROLES = ("viewer", "analyst", "admin")
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def doc(n, title, text, source="vnexpress", hours_ago=1, kind="article"):
    url = f"https://{source}.vn/bai-{n}.html"
    return Document(id=document_id(url), url=url, canonical_url=url, source_id=source,
                    source_name=source.title(), title=title, text=text, kind=kind,
                    published_at=NOW - timedelta(hours=hours_ago))


@pytest.fixture(scope="session")
def enriched():
    """Enriched once per run: the NLP models load in seconds, the documents never change."""
    return enrich([
        doc(1, "Mưa lũ ở Thanh Hóa", "Người dân huyện Mường Lát sơ tán khẩn cấp."),
        doc(2, "Giá vàng giảm mạnh", "Giá vàng trong nước tiếp tục giảm.", source="dantri"),
        doc(3, '<script>alert("x")</script> tin giả',
            "Nội dung <img src=x onerror=alert(1)> độc hại"),
    ])


@pytest.fixture
def store(tmp_path, enriched):
    s = SqliteStore(tmp_path / "store.sqlite")
    s.upsert(enriched)
    yield s
    s.close()


@pytest.fixture(scope="session")
def users_template(tmp_path_factory):
    """A web database with one user per role (scrypt is slow on purpose: hash once per run)."""
    path = tmp_path_factory.mktemp("users") / "web.sqlite"
    for role in ROLES:
        create_user(path, role, PASSWORD, role)
    return path


@pytest.fixture
def web_db(tmp_path, users_template):
    path = tmp_path / "web.sqlite"
    shutil.copy(users_template, path)
    return path


HEALTH = [CrawlerHealth(source_id="vnexpress", name="VnExpress <b>", status="failing",
                        last_success=None, last_error="DNS: name not resolved",
                        last_error_at=NOW, items_24h=0, silent_for=None,
                        last_error_class="dns")]  # what crawlers.health gives the web app


@pytest.fixture
def app(store, web_db, tmp_path):
    return create_app(store, web_db=web_db, secure_cookies=False,
                      health=lambda: HEALTH,
                      outlet_types={"vnexpress": "national", "dantri": "national"},
                      alerts_db=tmp_path / "alerts.sqlite", alerts_secret=b"k" * 32)


def login(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/login")
    token = CSRF_RE.search(page.text).group(1)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf": token, "next": "/"}, follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    return CSRF_RE.search(client.get("/account").text).group(1)


@pytest.fixture
def clients(app):
    out = {}
    for role in ROLES:
        c = TestClient(app)
        assert login(c, role).status_code == 303
        out[role] = c
    return SimpleNamespace(**out)


@pytest.fixture
def client(clients):
    return clients.analyst


def make_alert(alerts_db, key="spike:topic:lu-lut", title='Tăng đột biến: lũ <script>x</script>'):
    """Record an open alert through the real outbox, as the alert stage would."""
    from alerts.model import Alert, DocRef, Explanation
    from alerts.outbox import Outbox

    outbox = Outbox(alerts_db)
    try:
        saved, _ = outbox.record(Alert(
            key=key, kind="spike", severity="critical", title=title, detected_at=NOW,
            explanation=Explanation(
                reason="12 tin trong 15 phút, kỳ vọng 1.2", count=12, expected=1.2,
                documents=[DocRef(title="Lũ cuốn trôi cầu", url="javascript:alert(1)",
                                  source="Báo Thanh Hóa", published_at=NOW.isoformat())],
                outlets=[("Báo Thanh Hóa", 3)], sentiment={"negative": 9})),
            NOW, [], timedelta(hours=1), timedelta(hours=6))
    finally:
        outbox.close()
    return saved


@contextmanager
def serving(app) -> Iterator[str]:
    """A real uvicorn server for `app` on a free 127.0.0.1 port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start within 20 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
