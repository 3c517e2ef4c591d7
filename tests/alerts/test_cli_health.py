"""`detect-series` on CSV files, and source-health alerts against each source's own rhythm."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from alerts.cli import detect_series_main
from alerts.health import SourceHealth, allowed_silence, check, check_sources, from_crawler

NAB = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "nab-realtweets"
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def _csv(tmp_path, counts, start=datetime(2026, 1, 5), step=timedelta(minutes=15)) -> Path:
    path = tmp_path / "series.csv"
    rows = [f"{(start + k * step).isoformat(sep=' ')},{int(c)}" for k, c in enumerate(counts)]
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_detect_series_prints_one_json_line_per_detection(tmp_path, capsys):
    rng = np.random.default_rng(0)
    counts = rng.poisson(0.4, 96 * 14)
    counts[96 * 13 + 40] = 15  # day 14, 10:00
    path = _csv(tmp_path, counts)
    assert detect_series_main([str(path), "--bucket", "15min"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["timestamp"][:16] for x in lines] == ["2026-01-18T10:00"]
    assert set(lines[0]) >= {"timestamp", "severity", "score"}
    assert lines[0]["severity"] in ("warning", "critical") and lines[0]["score"] >= 4


def test_detect_series_on_real_nab_series_finds_labelled_anomalies(capsys):
    path = NAB / "Twitter_volume_FB.csv"
    labels = json.loads((NAB / "labels.json").read_text(encoding="utf-8"))
    windows = [[datetime.fromisoformat(t.split(".")[0]) for t in w]
               for w in labels["Twitter_volume_FB.csv"]["windows"]]
    assert detect_series_main([str(path), "--bucket", "5min"]) == 0
    hits = [datetime.fromisoformat(json.loads(x)["timestamp"]).replace(tzinfo=None)
            for x in capsys.readouterr().out.splitlines()]
    assert all(any(a <= h <= b for h in hits) for a, b in windows)


def test_detect_series_rejects_bad_header(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("time,count\n2026-01-01 00:00,3\n", encoding="utf-8")
    assert detect_series_main([str(path)]) == 2
    assert "timestamp,value" in capsys.readouterr().err


def test_health_silent_source_against_its_own_rhythm():
    busy = SourceHealth("vnexpress", NOW - timedelta(hours=7), [300, 280, 310], "VnExpress")
    slow = SourceHealth("baoxa", NOW - timedelta(hours=30), [2, 3, 2], "Báo xã")
    alert = check(busy, NOW)
    assert alert is not None and alert.severity == "info" and "VnExpress" in alert.title
    assert check(slow, NOW) is None  # two items a day: 30 h of silence is normal
    assert check(SourceHealth("baoxa", NOW - timedelta(days=5), [2, 3, 2]), NOW) is not None


def test_health_failing_source_and_unknown_rate():
    failing = SourceHealth("x", NOW, [50, 50], consecutive_failures=3, last_error="HTTP 503")
    assert "HTTP 503" in check(failing, NOW).explanation.reason
    assert check(SourceHealth("quiet", None, [0, 0, 0]), NOW) is None
    assert allowed_silence(0) is None and allowed_silence(1000) == timedelta(hours=6)
    assert [a.key for a in check_sources([failing], NOW)] == ["health:source:x"]


def test_health_adapts_crawler_rows():
    from types import SimpleNamespace

    row = SimpleNamespace(source_id="nld", name="Người Lao Động", silent_for=timedelta(hours=9),
                          items_24h=0, status="silent", last_error=None,
                          last_error_class=None, last_error_at=None, last_success=None)
    alert = check(from_crawler(row, NOW), NOW)
    assert alert is not None and "Người Lao Động" in alert.explanation.reason
    ok = SimpleNamespace(source_id="nld", name="NLĐ", silent_for=timedelta(minutes=20),
                         items_24h=120, status="ok", last_error=None,
                         last_error_class=None, last_error_at=None, last_success=None)
    assert check(from_crawler(ok, NOW), NOW) is None
