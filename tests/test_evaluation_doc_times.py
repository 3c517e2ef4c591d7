"""Series from real press publication times (evaluation/doc_times.py), used by evaluation.alerts."""

from datetime import datetime, timedelta

import numpy as np
import pytest

from evaluation import doc_times
from langnghe.document import VN_TZ
from tests.paths import WEB

START = datetime(2026, 1, 5, tzinfo=VN_TZ)


def test_press_times_reads_gold_dates_and_article_ids_of_the_saved_pages():
    times = doc_times.press_times(WEB)
    assert len(times) >= 70 and times == sorted(times)
    assert all(t.utcoffset() == timedelta(hours=7) for t in times)
    # the Tuổi Trẻ article's gold publication time (manifest) and a Dân Trí link's id time
    assert datetime(2026, 3, 7, 8, 1, 53, tzinfo=VN_TZ) in times
    assert datetime(2025, 10, 10, 19, 35, 55, tzinfo=VN_TZ) in times
    # an article is counted once: its gold time wins over the id time in its own URL (07:55:19)
    assert datetime(2026, 3, 7, 7, 55, 19, tzinfo=VN_TZ) not in times
    assert len({t.hour for t in times}) >= 18  # a whole day of press, not one afternoon


def test_bandwidth_follows_how_spread_the_times_are():
    clustered = np.array([600.0, 601.0, 602.0, 900.0, 901.0, 902.0, 1200.0, 1201.0])
    spread = np.linspace(0.0, 1380.0, 24)
    assert doc_times.bandwidth(clustered) < 30 < doc_times.bandwidth(spread)


def test_press_rate_is_the_law_the_series_are_drawn_from():
    law = doc_times.PressLaw.of(doc_times.press_times(WEB))
    rate = law.rate(30.0)
    assert rate.shape == (96,) and rate.sum() == pytest.approx(30.0)
    stamps, counts = law.series(30.0, 400, START, np.random.default_rng(7))
    assert len(stamps) == counts.size == 400 * 96 and stamps[96] == START + timedelta(days=1)
    by_slot = counts.reshape(400, 96).mean(axis=0)
    assert np.abs(by_slot - rate).max() < 0.2  # 400 days: sd of a slot mean <= ~0.06
    hourly = rate.reshape(24, 4).sum(axis=1)
    assert hourly[3:5].sum() < hourly[7:9].sum() / 4  # quiet small hours, busy morning


def test_press_law_without_times_is_a_clear_error():
    with pytest.raises(ValueError, match="no real publication times"):
        doc_times.PressLaw.of([])
