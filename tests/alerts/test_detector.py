"""The spike detector on realistic quiet provincial series (tens of items a day, diurnal)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from alerts.detector import DetectorParams, dense, detect, moving_zscore, tail_score

Q = timedelta(minutes=15)
START = datetime(2026, 2, 2, 17, 0, tzinfo=UTC)  # Tuesday 00:00 Vietnam time
DAYS = 21


def _quiet(per_day: float = 30, seed: int = 3) -> tuple[list[datetime], np.ndarray]:
    """Poisson counts with a day/night rhythm and quieter weekends."""
    rng = np.random.default_rng(seed)
    n = DAYS * 96
    hour = (np.arange(n) % 96) / 4.0
    shape = np.exp(-((hour - 10.0) ** 2) / 18.0) + 0.05  # office-hours peak, quiet night
    weekday = ((np.arange(n) // 96) % 7) < 5
    rate = per_day * shape / shape[:96].sum() * np.where(weekday, 1.0, 0.6)
    return [START + k * Q for k in range(n)], rng.poisson(rate).astype(float)


@pytest.mark.parametrize("per_day,seed", [(20, 1), (30, 2), (60, 3), (120, 4)])
def test_detector_finds_5x_burst_of_8_within_one_bucket(per_day, seed):
    times, counts = _quiet(per_day, seed)
    at = 20 * 96 + 42  # day 21, 10:30 local: the daily peak, the hardest place for a burst
    local = float(np.mean([counts[at - d * 96 - 1: at - d * 96 + 2].mean() for d in range(1, 8)]))
    counts[at] = max(8.0, round(5 * local))
    hits = detect(times, counts, Q, DetectorParams(min_outlets=0), start=19 * 96)
    assert at in [h.index for h in hits]
    hit = next(h for h in hits if h.index == at)
    assert hit.count == counts[at] and hit.expected < counts[at] / 3


def test_detector_quiet_series_raises_at_most_one_false_alarm_a_week():
    times, counts = _quiet(30, seed=11)
    hits = detect(times, counts, Q, DetectorParams(min_outlets=0), start=7 * 96)
    assert len(hits) <= 2  # two judged weeks


def test_detector_one_outlet_reposting_does_not_fire():
    times, counts = _quiet(30, seed=5)
    at = 20 * 96 + 44
    counts[at] = 12
    outlets = np.minimum(counts, 3).astype(int)
    outlets[at] = 1  # twelve items, all from one outlet
    assert at not in [h.index for h in detect(times, counts, Q, DetectorParams(), outlets)]
    outlets[at] = 4
    assert at in [h.index for h in detect(times, counts, Q, DetectorParams(), outlets)]


def test_detector_daily_batch_is_not_a_spike():
    """An outlet that publishes a batch of 10 every morning at 06:00 is its rhythm, not news."""
    times, counts = _quiet(30, seed=6)
    counts[np.arange(DAYS) * 96 + 24] += 10
    hits = detect(times, counts, Q, DetectorParams(min_outlets=0), start=7 * 96)
    assert not [h for h in hits if h.index % 96 == 24]


def test_detector_past_spike_does_not_inflate_baseline():
    times, counts = _quiet(30, seed=8)
    at = 20 * 96 + 44
    counts[at - 14 * 96] += 40  # a big story two weeks ago at the same hour
    counts[at] = max(8.0, counts[at] + 8)
    assert at in [h.index for h in detect(times, counts, Q, DetectorParams(min_outlets=0),
                                          start=19 * 96)]


def test_detector_needs_history_before_judging():
    times, counts = _quiet(30)
    counts[10] = 50
    assert detect(times[:50], counts[:50], Q, DetectorParams(min_outlets=0)) == []


def test_tail_score_grows_with_count_and_shrinks_with_dispersion():
    assert tail_score(10, 2.0, 0.0) > tail_score(6, 2.0, 0.0) > 0
    assert tail_score(10, 2.0, 0.0) > tail_score(10, 2.0, 0.5)


def test_dense_fills_the_buckets_a_store_left_out_with_zeros():
    counted = [(START + Q, 2, 2), (START + 3 * Q, 1, 1), (START + 9 * Q, 7, 3)]  # 9: past end
    series = dense(counted, START + timedelta(minutes=1), START + 4 * Q + timedelta(minutes=1),
                   Q)
    assert series.timestamps == [START + k * Q for k in range(5)]  # from the bucket of start
    assert series.counts == [0, 2, 0, 1, 0] and series.outlets == [0, 2, 0, 1, 0]


def test_moving_zscore_flags_a_jump():
    counts = [2, 3, 2, 3, 2, 3, 2, 3, 20, 2]
    assert moving_zscore(counts, window=8) == [8]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_baseline_on_demand_equals_a_pass_in_order(seed):
    """The alert cycle asks the baseline only about the last buckets; the answers are those of
    a pass over every bucket in order (expectations and yesterday/last-week rhythms)."""
    from alerts.detector import _Baseline

    times, counts = _quiet(40, seed)
    counts[[300, 1000, 1500]] += 30  # past bursts: the rhythm of their buckets says "unusual"
    in_order = _Baseline(times, counts, Q, DetectorParams())
    passed = [in_order.at(i) for i in range(counts.size)]
    for i in [0, 95, 96, 97, 300 + 96, 1000 + 7 * 96, 1500 + 96, counts.size - 1]:
        fresh = _Baseline(times, counts, Q, DetectorParams())
        assert fresh.at(i) == passed[i]
        assert fresh.rhythm(i) == in_order.rhythm(i)


def test_detector_judging_the_last_buckets_finds_what_a_full_pass_finds():
    times, counts = _quiet(30, 5)
    counts[-1] += 20
    full = detect(times, counts, Q, DetectorParams(), start=0)
    last = detect(times, counts, Q, DetectorParams(), start=counts.size - 2)
    assert last and [d for d in full if d.index >= counts.size - 2] == last
