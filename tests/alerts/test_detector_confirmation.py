"""The detector's confirmation, incident and recent-level behaviour on busy and quiet series."""

from __future__ import annotations

import math

import numpy as np

from alerts.detector import DetectorParams, detect, tail_score
from tests.alerts.test_detector import DAYS, START, Q, _quiet

PARAMS = DetectorParams(min_outlets=0)
AT = 20 * 96 + 42  # day 21, 10:30 local: the daily peak
JUDGED = 19 * 96


def _seasonal(counts: np.ndarray, at: int) -> float:
    """Mean of the same quarter hour (+-1 bucket) over the previous week."""
    return float(np.mean([counts[at - d * 96 - 1: at - d * 96 + 2].mean() for d in range(1, 8)]))


def _burst(counts: np.ndarray, at: int) -> float:
    return float(max(8.0, math.ceil(5 * _seasonal(counts, at))))


def _fired(times, counts, at: int) -> bool:
    return at in [h.index for h in detect(times, counts, Q, PARAMS, start=JUDGED)]


def test_detector_yesterday_usual_noise_does_not_veto_burst():
    rng = np.random.default_rng(21)
    times = [START + k * Q for k in range(DAYS * 96)]
    counts = rng.poisson(1.6, DAYS * 96).astype(float)  # a busy topic: ~150 items a day, flat
    assert tail_score(5, 1.6, 0.0) < 2  # five items at this rate is noise (p > 1%) ...
    counts[AT - 96] = 5  # ... so yesterday's five in the same quarter hour is no rhythm
    counts[AT] = 9  # 5.6x the rate; a raw "double yesterday" rule (9 < 10) would veto it
    assert _fired(times, counts, AT)


def test_detector_burst_repeating_yesterday_at_same_level_is_suppressed():
    times, counts = _quiet(120, seed=22)
    size = _burst(counts, AT)
    counts[AT - 96] = size + 2  # yesterday's same bucket: a burst of the same size
    counts[AT] = size
    assert AT - 96 in [h.index for h in detect(times, counts, Q, PARAMS, start=JUDGED - 96)]
    assert not _fired(times, counts, AT)


def test_detector_burst_repeating_last_week_at_same_level_is_suppressed():
    times, counts = _quiet(30, seed=23)
    size = _burst(counts, AT)
    counts[AT - 7 * 96] = size
    counts[AT] = size
    assert not _fired(times, counts, AT)
    counts[AT] = 3 * size  # three times last week's burst is news
    assert _fired(times, counts, AT)


def test_detector_higher_severity_inside_cooldown_fires_again():
    times, counts = _quiet(120, seed=24)
    first = AT - 8  # two hours earlier: inside the six-hour cooldown
    counts[first] = _burst(counts, first)
    # four times the first burst, twenty times normal: a higher level (critical), not the same
    counts[AT] = max(4 * counts[first], 20 * max(1.0, _seasonal(counts, AT)))
    hits = {h.index: h for h in detect(times, counts, Q, PARAMS, start=JUDGED)}
    assert hits[first].severity == "warning"
    assert AT in hits and hits[AT].severity == "critical"


def test_detector_same_level_inside_cooldown_stays_one_incident():
    times, counts = _quiet(120, seed=25)
    first = AT - 8
    counts[first] = _burst(counts, first)
    counts[AT] = _burst(counts, AT)
    hits = [h.index for h in detect(times, counts, Q, PARAMS, start=JUDGED)]
    assert first in hits and AT not in hits


def test_detector_busy_series_chance_excess_before_burst_does_not_hide_it():
    times, counts = _quiet(120, seed=26)
    before = slice(AT - 8, AT)  # the two hours before the burst run 40% above their usual level
    counts[before] = np.round(counts[before] * 1.4 + 0.4)
    counts[AT] = _burst(counts, AT)
    assert _fired(times, counts, AT)


def test_detector_sustained_level_shift_raises_the_bar():
    times, counts = _quiet(120, seed=27)
    shift = slice(AT - 8, AT)  # two hours at four times the usual level: a story is running
    counts[shift] = 4 * np.array([_seasonal(counts, j) for j in range(AT - 8, AT)]) + 2
    hits = {h.index: h for h in detect(times, counts, Q, PARAMS, start=JUDGED)}
    assert hits and min(hits) >= AT - 8  # the shift itself is detected ...
    later = detect(times, counts, Q, PARAMS, start=AT)
    assert all(h.expected > 2 * _seasonal(counts, AT) for h in later)  # ... and raises the bar
