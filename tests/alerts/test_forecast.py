"""The forecast model (alerts.forecast), its store reader and `langnghe forecast`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest

from alerts.forecast import Point, for_query, forecast
from langnghe.document import VN_TZ
from runner.cli import main
from store.sqlite import SqliteStore
from tests.alerts.helpers import doc

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
START = datetime(2026, 2, 2, tzinfo=VN_TZ)  # a Monday, Vietnam midnight
RHYTHM = np.array([1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 9, 8, 8, 9, 10, 10, 9, 8, 6, 5, 4, 3, 2, 1.])


def rhythm_series(days: int, seed: int = 1, weekend: float = 1.0, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    times = [START + k * HOUR for k in range(days * 24)]
    rate = [RHYTHM[t.hour] * scale * (weekend if t.weekday() >= 5 else 1.0) for t in times]
    return times, rng.poisson(rate).astype(float)


def test_forecast_follows_the_daily_rhythm():
    times, y = rhythm_series(28)
    points = forecast(times, y, HOUR, 24)
    assert [p.timestamp for p in points] == [times[-1] + (k + 1) * HOUR for k in range(24)]
    means = np.array([p.mean for p in points])
    assert np.abs(means - RHYTHM).mean() < 1.0  # Poisson noise of ~3 per hour, averaged out
    assert means[9] > 5 * means[2]


def test_forecast_interval_holds_about_eighty_percent():
    times, y = rhythm_series(60, seed=7, scale=3.0)
    inside = total = 0
    for origin in range(35 * 24, 59 * 24, 13):
        points = forecast(times[origin - 28 * 24:origin], y[origin - 28 * 24:origin], HOUR, 24)
        future = y[origin:origin + 24]
        inside += sum(p.lo <= v <= p.hi for p, v in zip(points, future, strict=False))
        total += min(24, y.size - origin)
    assert 0.72 <= inside / total <= 0.90


def test_forecast_weekends_from_the_weekday_factor():
    times, y = rhythm_series(35, weekend=0.4, scale=4.0)  # ends on a Sunday night
    points = forecast(times, y, HOUR, 7 * 24)
    by_day: dict = {}
    for p in points:
        by_day.setdefault(p.timestamp.weekday(), 0.0)
        by_day[p.timestamp.weekday()] += p.mean
    assert by_day[5] < 0.6 * by_day[2] and by_day[6] < 0.6 * by_day[3]


def test_forecast_follows_a_level_shift_halfway():
    times, y = rhythm_series(28)
    y[-24:] *= 3  # the last day ran at three times the usual volume
    means = np.array([p.mean for p in forecast(times, y, HOUR, 24)])
    assert 1.2 * RHYTHM.sum() < means.sum() < 2.5 * RHYTHM.sum()


def test_forecast_daily_buckets_and_short_history():
    times = [START + k * DAY for k in range(3)]
    points = forecast(times, [10, 12, 11], DAY, 7)
    assert [p.timestamp for p in points] == [START + (3 + k) * DAY for k in range(7)]
    assert all(0 <= p.lo <= p.mean <= p.hi for p in points)
    assert 8 < points[0].mean < 14


@pytest.mark.parametrize("horizon, level", [(0, 0.8), (24, 1.0), (24, 0.0)])
def test_forecast_rejects_bad_arguments(horizon, level):
    times, y = rhythm_series(2)
    with pytest.raises(ValueError):
        forecast(times, y, HOUR, horizon, level)


def _write_csv(path, times, values):
    rows = ["timestamp,value"] + [f"{t.replace(tzinfo=None).isoformat(sep=' ')},{v:g}"
                                  for t, v in zip(times, values, strict=True)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_cli_forecast_prints_one_json_line_per_bucket(tmp_path, capsys):
    times, y = rhythm_series(21)
    five_min = [t + m * timedelta(minutes=5) for t in times for m in range(12)]
    values = [v / 12 for v in y for _ in range(12)]  # the hour's count spread over 12 rows
    _write_csv(tmp_path / "s.csv", five_min, values)
    assert main(["forecast", str(tmp_path / "s.csv"), "--bucket", "1h", "--horizon", "24"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 24 and set(rows[0]) == {"timestamp", "mean", "lo", "hi"}
    first = datetime.fromisoformat(rows[0]["timestamp"])
    assert first == times[-1] + HOUR and first.utcoffset() == timedelta(hours=7)
    expected = forecast(times, y, HOUR, 24)  # the same as summing the rows per hour
    assert [r["mean"] for r in rows] == pytest.approx([p.mean for p in expected], abs=0.01)
    assert all(r["lo"] <= r["mean"] <= r["hi"] for r in rows)


def test_cli_forecast_reports_a_bad_file(tmp_path, capsys):
    (tmp_path / "bad.csv").write_text("time,count\n1,2\n", encoding="utf-8")
    assert main(["forecast", str(tmp_path / "bad.csv")]) == 2
    assert "timestamp,value" in capsys.readouterr().err


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "store.sqlite")
    yield s
    s.close()


def test_for_query_reads_the_store_and_forecasts_from_the_current_hour(store):
    now = START + 21 * DAY + timedelta(hours=10, minutes=20)
    docs, n = [], 0
    for day in range(22):  # three weeks before today, and today until now
        for hour in (8, 9, 10, 14):  # four stories a day, one of them negative
            n += 1
            when = START + day * DAY + hour * HOUR + timedelta(minutes=5)
            if when < now:
                docs.append(doc(n, when, title="Ngập lụt Thanh Hóa",
                                sentiment="negative" if hour == 14 else "neutral"))
    store.upsert(docs)
    points = for_query(store, "ngập lụt", "hour", 24, now)
    assert points[0].timestamp == START + 21 * DAY + 10 * HOUR  # the current, filling hour
    by_hour = {p.timestamp.hour: p.mean for p in points}
    assert by_hour[14] > 0.8 and by_hour[3] < 0.05
    negative = {p.timestamp.hour: p.mean for p in for_query(store, "ngập lụt", "hour", 24, now,
                                                             negative=True)}
    assert negative[14] > 0.8 and negative[9] < 0.05
    days = for_query(store, "ngập lụt", "day", 7, now)
    assert [p.timestamp for p in days] == [START + (21 + k) * DAY for k in range(7)]
    assert all(3 <= p.mean <= 5 and isinstance(p, Point) for p in days)
