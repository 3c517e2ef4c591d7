"""`langnghe ask` in a real process, on a home whose SQLite store holds the test corpus: one
answer as text or JSON, and the JSON-lines mode on standard input, with `--now` fixed."""

from __future__ import annotations

import json
import subprocess
import sys

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
