"""End to end: the engine as a person runs it (`langnghe run`), against the local replay."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.paths import REPO
from tests.runner.conftest import free_port

pytestmark = pytest.mark.slow


def api_token(home) -> dict:
    """An administrator and an API token in the home's web DB, before the engine starts."""
    from web.auth import create_admin, create_api_token, list_users

    db = home / "web.sqlite"
    home.mkdir(parents=True, exist_ok=True)
    if not list_users(db):
        create_admin(db, "admin", "mat-khau-dai-du")
    return {"Authorization": "Bearer " + create_api_token(db, "admin", "e2e", "test")}


HEADERS: dict = {}


def start_engine(home, sources, host_map, port, interval=2):
    HEADERS.update(api_token(home))
    cmd = [sys.executable, "-m", "runner.cli", "run", "--home", str(home), "--sources",
           str(sources), "--host-map", str(host_map), "--port", str(port), "--interval",
           str(interval)]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def search(port, q="", limit=100):
    response = httpx.get(f"http://127.0.0.1:{port}/api/v1/search",
                         params={"q": q, "limit": limit}, timeout=10, headers=HEADERS)
    response.raise_for_status()
    return response.json()


def wait_for(predicate, timeout=120, step=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except httpx.HTTPError:
            pass
        time.sleep(step)
    raise AssertionError("timed out waiting for the engine")


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.stdout.read() if proc.stdout else ""


def test_engine_crawls_indexes_and_serves_search(replay, tmp_path):
    server, sources, host_map, urls = replay
    port = free_port()
    proc = start_engine(tmp_path / "home", sources, host_map, port)
    try:
        result = wait_for(lambda: (r := search(port)) and r["total"] >= len(urls) and r)
        assert sorted(h["url"] for h in result["hits"]) == urls
        gia_vang = search(port, "gia vang")  # typed without diacritics
        assert any("Giá vàng" in h["title"] for h in gia_vang["hits"])
        page = httpx.get(f"http://127.0.0.1:{port}/search", params={"q": "Trung Đông"},
                         timeout=10, headers=HEADERS)
        assert page.status_code == 200 and "<mark>" in page.text
        health = httpx.get(f"http://127.0.0.1:{port}/api/v1/sources", timeout=10,
                           headers=HEADERS).json()
        assert {row["status"] for row in health["sources"]} == {"ok"}
    finally:
        output = stop(proc)
    assert "chu kỳ 1:" in output and "Traceback" not in output


def test_engine_killed_mid_cycle_loses_nothing_and_duplicates_nothing(replay, tmp_path):
    server, sources, host_map, urls = replay
    home = tmp_path / "home"
    port = free_port()
    proc = start_engine(home, sources, host_map, port)
    # kill as soon as the first crawled batch is in the spool, before the cycle completes
    wait_for(lambda: any((home / "spool" / "new").glob("*.jsonl"))
             or any((home / "spool" / "cur").glob("*")), timeout=120, step=0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    port = free_port()
    proc = start_engine(home, sources, host_map, port)
    try:
        result = wait_for(lambda: (r := search(port)) and r["total"] >= len(urls) and r)
        time.sleep(5)  # another cycle or two: nothing may be duplicated by re-crawls
        result = search(port)
        assert result["total"] == len(urls)
        assert sorted(h["url"] for h in result["hits"]) == urls
    finally:
        stop(proc)


def test_engine_offline_reports_unreachable_sources_in_one_line(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - id: dead\n    name: Dead\n    homepage: https://dead.invalid\n"
                       "    feeds:\n      - url: https://dead.invalid/rss.xml\n", encoding="utf-8")
    port = free_port()
    HEADERS.update(api_token(tmp_path / "home"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner.cli", "run", "--home", str(tmp_path / "home"),
         "--sources", str(sources), "--port", str(port), "--interval", "2"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        health = wait_for(lambda: [r for r in httpx.get(
            f"http://127.0.0.1:{port}/api/v1/sources", timeout=5, headers=HEADERS
        ).json()["sources"] if r.get("last_error")], timeout=90)
        assert health[0]["status"] in ("failing", "never")
        page = httpx.get(f"http://127.0.0.1:{port}/sources", timeout=5, headers=HEADERS)
        assert "Dead" in page.text
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/api/v1/status", timeout=5,
                                   headers=HEADERS).json().get("last_cycle"), timeout=60)
    finally:
        output = stop(proc)
    cycle_lines = [line for line in output.splitlines() if "chu kỳ" in line]
    assert cycle_lines and "dead" in cycle_lines[0]
    assert "Traceback" not in output
