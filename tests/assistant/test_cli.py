"""`langnghe ask` in a real process, on a home whose SQLite store holds the test corpus: one
answer as text or JSON, and the JSON-lines mode on standard input, with `--now` fixed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from assistant.ask import ask
from store.sqlite import SqliteStore
from tests.assistant.conftest import NOW, corpus
from tests.paths import REPO


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = tmp_path_factory.mktemp("home")
    store = SqliteStore(root / "store.sqlite")
    store.upsert(corpus())
    store.close()
    return root


def run(home, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runner.cli", "ask", *args, "--home", str(home),
                           "--now", NOW.isoformat(), "--alerts", str(home / "none.yaml")],
                          input=stdin, capture_output=True, text=True, cwd=REPO, timeout=300)


def test_cli_ask_json_is_the_library_answer(home, catalog):
    question = "Có bao nhiêu tin tiêu cực về môi trường tuần này?"
    done = run(home, question, "--json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert {"intent", "since", "until", "filters", "query", "answer", "citations"} <= set(got)
    assert (got["intent"], got["since"], got["until"]) == (
        "count", "2026-12-07T00:00:00+07:00", NOW.isoformat())
    assert got["filters"]["domain"] == "environment" and got["facts"]["total"] == 3
    store = SqliteStore(home / "store.sqlite")
    try:
        from assistant.answer import Context

        expected = ask(question, Context(store=store, catalog=catalog), NOW)
    finally:
        store.close()
    assert got["answer"] == expected.text


def test_cli_ask_text_and_not_understood_exit_status(home):
    done = run(home, "tìm bài về giá vàng")
    assert done.returncode == 0 and done.stdout.startswith("Tìm thấy 1 tin")
    unknown = run(home, "Bạn tên là gì?")
    assert unknown.returncode == 1 and unknown.stdout.startswith("Tôi chưa hiểu câu hỏi.")


def test_cli_ask_json_lines_on_stdin(home):
    done = run(home, stdin="Hôm nay có gì?\n\nSo sánh hôm nay với hôm qua\nbạn là ai\n")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["intent"] for line in lines] == ["overview", "compare", "unknown"]
    assert lines[0]["briefing"] is True and lines[1]["compare"]["since"] == \
        "2026-12-09T00:00:00+07:00"


def test_cli_ask_bad_configuration_is_one_clear_line(home):
    done = run(home, "Hôm nay có gì?", "--watch", str(home / "missing.yaml"))
    assert done.returncode == 2
    assert done.stderr.startswith("langnghe ask: ") and "missing.yaml" in done.stderr
    assert "Traceback" not in done.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runner.cli", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=300, env=env)


def test_web_command_answers_with_the_deployment_s_watch_topics(home):
    """`langnghe web` (runner/serve.py) gives the Hỏi đáp API the watch file's topics."""
    env = {**os.environ, "ASK_TEST_PASSWORD": "mat-khau-dai-du-1"}
    assert cli("users", "--home", str(home), "create-admin", "chu", "--password-env",
               "ASK_TEST_PASSWORD", env=env).returncode == 0
    token = cli("users", "--home", str(home), "create-token", "chu").stdout.strip()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "runner.cli", "web", "--home", str(home),
                               "--port", str(port), "--alerts", str(home / "none.yaml")],
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "langnghe web did not start"
            time.sleep(0.5)
        body = httpx.post(f"{base}/api/v1/ask", timeout=60,
                          headers={"Authorization": f"Bearer {token}"},
                          json={"question": "Có bao nhiêu tin về ngộ độc thực phẩm tháng này?",
                                "now": NOW.isoformat()}).json()
        assert body["filters"]["topic"] == "ngo-doc" and body["facts"]["total"] == 1
    finally:
        server.terminate()
        server.wait(30)
