"""The detector's magnitude clause: a 5x burst of >= 8 items over the seasonal rate, even in an
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
    counts[AT] = math.ceil(max(rate + 8, 5 * rate))  # the burst: >= 8 over, and 5x
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


def test_detector_5x_of_a_tiny_rate_below_8_items_over_does_not_fire():
    times, counts, rate = _busy_elevated(31)
    counts[AT] = math.floor(rate + 7)  # over 4x the rate but fewer than 8 items above it
    assert AT not in [h.index for h in detect(times, counts, Q, PARAMS, start=JUDGED)]
