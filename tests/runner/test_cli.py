"""The `langnghe` command line, run as a person runs it (a real process)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta

from langnghe.document import VN_TZ, Document, document_id
from nlp.pipeline import enrich
from store.sqlite import SqliteStore
from tests.paths import REPO, WEB


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "runner.cli", *args], cwd=REPO, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_cli_extract_prints_one_json_line_per_page_plain_and_gzip(tmp_path):
    page = WEB / "tuoitre" / "tuoitre_article.html"
    gz = tmp_path / "page.html.gz"
    gz.write_bytes(gzip.compress(page.read_bytes()))
    out = run("extract", str(page), str(gz))
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [list(line) for line in lines] == [
        ["path", "title", "lead", "text", "authors", "published_at", "language"]] * 2
    assert lines[0]["title"] == "Chiến sự đẩy giá hoa nhập khẩu dịp 8-3 tăng mạnh"
    assert lines[0]["published_at"] == "2026-03-07T08:01:53+07:00"
    assert lines[1]["text"] == lines[0]["text"] and lines[0]["text"]
    assert "Trung Đông" in lines[0]["lead"]


def test_cli_extract_missing_file_is_a_clear_error(tmp_path):
    out = run("extract", str(tmp_path / "nope.html"))
    assert out.returncode == 2 and "nope.html" in out.stderr and "Traceback" not in out.stderr


def test_cli_search_reads_the_store_of_its_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    store = SqliteStore(home / "store.sqlite")
    url = "https://baothanhhoa.vn/mua-lu-123456.htm"
    store.upsert(enrich([Document(id=document_id(url), url=url, canonical_url=url,
                                  source_id="baothanhhoa", title="Mưa lũ ở Thanh Hóa",
                                  published_at=datetime.now(VN_TZ) - timedelta(hours=1))]))
    store.close()
    out = run("search", "thanh hoa", "--home", str(home), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[0])["url"] == url
    bad = run("search", '"thanh hoa', "--home", str(home))
    assert bad.returncode == 2 and "ngoặc kép" in bad.stderr


def test_cli_sources_check_offline_validates_the_registry(tmp_path):
    out = run("sources", "check", "--offline")
    assert out.returncode == 0 and "hợp lệ" in out.stdout
    broken = tmp_path / "s.yaml"
    broken.write_text("sources:\n  - {id: x, name: X, homepage: nothttp}\n", encoding="utf-8")
    out = run("sources", "check", "--offline", "--sources", str(broken))
    assert out.returncode == 2 and "homepage" in out.stderr and "Traceback" not in out.stderr


def test_cli_run_refuses_to_start_on_a_bad_registry(tmp_path):
    broken = tmp_path / "s.yaml"
    broken.write_text("sources:\n  - {id: x, name: X}\n", encoding="utf-8")
    out = run("run", "--sources", str(broken), "--home", str(tmp_path / "h"))
    assert out.returncode == 2 and "entry #1 (id: x)" in out.stderr


def test_cli_alerts_detect_series_prints_detections(tmp_path):
    start = datetime(2026, 1, 1)
    rows = ["timestamp,value"] + [
        f"{(start + timedelta(minutes=5 * i)).isoformat()},{40 if i == 1900 else i % 3 and 1}"
        for i in range(2000)]
    series = tmp_path / "s.csv"
    series.write_text("\n".join(rows) + "\n")
    out = run("alerts", "detect-series", str(series), "--bucket", "5min")
    assert out.returncode == 0, out.stderr
    found = [json.loads(line) for line in out.stdout.splitlines()]
    assert [d["timestamp"][:16] for d in found] == ["2026-01-07T14:20"]
    assert {"timestamp", "severity", "score"} <= set(found[0])


def test_a_weak_ack_link_secret_stops_the_start_with_a_clear_message(tmp_path):
    alerts = tmp_path / "alerts.yaml"
    alerts.write_text("public_url: http://127.0.0.1:8080\n", encoding="utf-8")
    for value, said in (("ngan-qua", "at least 32"), ("CHANGE_ME", "placeholder")):
        out = subprocess.run(
            [sys.executable, "-m", "runner.cli", "web", "--home", str(tmp_path / "home"),
             "--alerts", str(alerts), "--port", "9"], cwd=REPO, capture_output=True, text=True,
            timeout=120, env={**os.environ, "LANGNGHE_SECRET": value})
        assert out.returncode == 2 and said in out.stderr and "Traceback" not in out.stderr
        assert "Giao diện web" not in out.stdout  # refused before serving
