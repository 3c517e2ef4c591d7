"""The detector's magnitude clause: a 5x burst of >= 8 items against the seasonal rate, even in an
elevated hour (busy topics whose level wanders), fires; smaller excesses still face the level."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alerts.detector import DetectorParams, detect
from tests.alerts.test_detector import DAYS, START, Q
from tests.alerts.test_detector_confirmation import AT, JUDGED, _seasonal

PARAMS = DetectorParams(min_outlets=0)
ELEVATED = slice(AT - 8, AT)  # the two hours before the burst: the recent-level window


def _busy_elevated(seed: int) -> tuple[list, np.ndarray, float]:
    """~150 items a day (flat Poisson), the last two hours before AT at 3 a bucket (~1.8x)."""
    rng = np.random.default_rng(seed)
    times = [START + k * Q for k in range(DAYS * 96)]
    counts = rng.poisson(1.6, DAYS * 96).astype(float)
    rate = _seasonal(counts, AT)
    counts[ELEVATED] = 3  # above the usual level, yet no single bucket is unusual
    return times, counts, rate


@pytest.mark.parametrize("seed", [31, 36, 38])
def test_detector_5x_burst_in_elevated_hour_fires_against_seasonal_rate(seed):
    times, counts, rate = _busy_elevated(seed)
    counts[AT] = math.ceil(max(rate + 8, 5 * rate))  # a burst by any reading: 8 over, and 5x
    hits = {h.index: h for h in detect(times, counts, Q, PARAMS, start=JUDGED)}
    assert AT in hits  # the elevated level alone would put it at ~3x: below both old clauses
    hit = hits[AT]
    assert hit.expected <= counts[AT] / 5  # judged against the seasonal rate, reported as such
    assert hit.score >= PARAMS.score_threshold and hit.severity == "warning"


@pytest.mark.parametrize("seed", [31, 36, 38])
def test_detector_3x_bucket_in_elevated_hour_still_faces_the_level(seed):
    times, counts, rate = _busy_elevated(seed)
    counts[AT] = math.floor(3 * rate)  # short of the 5x: the recent level still counts
    assert AT not in [h.index for h in detect(times, counts, Q, PARAMS, start=JUDGED)]


@pytest.mark.parametrize("seed", [31, 36, 38])
def test_detector_bucket_of_fewer_than_8_items_does_not_fire(seed):
    times, counts, rate = _busy_elevated(seed)
    counts[AT] = 7  # over 3x the rate (over 4x for seed 31), yet fewer than the 8 items needed
    assert 7 >= 3 * rate
    assert AT not in [h.index for h in detect(times, counts, Q, PARAMS, start=JUDGED)]


@pytest.mark.parametrize("seed", [31, 36, 38])
def test_detector_8_items_at_5x_a_rate_near_one_fires_in_an_elevated_hour(seed):
    """Eight items count the bucket, not the excess: 8 over a rate of ~1 is a burst (p ~ 1e-5)."""
    rng = np.random.default_rng(seed)
    times = [START + k * Q for k in range(DAYS * 96)]
    counts = rng.poisson(1.0, DAYS * 96).astype(float)
    counts[ELEVATED] = 2  # the recent level doubles the expected count: 8 is no 5x of that
    counts[AT] = 8
    hits = {h.index: h for h in detect(times, counts, Q, PARAMS, start=JUDGED)}
    assert AT in hits
    assert hits[AT].expected <= 8 / 5 and hits[AT].score >= PARAMS.score_threshold
