"""Forecasts of count series: the next hours or days, with a prediction interval.

Pure functions over timestamps and counts (`forecast`), so the same model runs on store counts
(`for_query`: a watch topic, a domain, their negative part), on a CSV (`langnghe forecast`) and in
`python -m evaluation.forecast`, which chose it.

The model ("seasonal profile"), for a series of `per_day` buckets a day (24 hourly, 1 daily):
  1. weekly factor: the trimmed mean of the calendar-day totals (Vietnam time) of each weekday
     over the last 4 weeks, divided by that of all days (clipped to 0.3-3x), shrunk toward 1 by
     the share of its spread that Poisson noise explains; 1 while fewer than two weeks are
     known;
  2. profile: for each time of day, the trimmed mean of its last 28 values, each divided by its
     day's weekly factor (the top 15% dropped, so a past burst does not lift the forecast);
  3. level: the last day's count (for daily series the last 3 days') against what 1-2 said for
     it, (seen+1)/(expected+1), clipped to 0.5-2x and square-rooted (half of a change carries
     over: a level shift is followed, a one-day burst mostly forgotten);
  4. mean = profile(time of day) x weekly factor(target day) x level;
  5. interval: conformal, from the model's own errors on the data it has: forecasts from the
     last 14 origins one day apart (each from the history before it), their errors on the log
     scale log((y+1)/(mean+1)) pooled over the horizon, and the empirical quantiles around the
     new mean; with fewer than 20 such errors a negative binomial (dispersion 0.3) instead.

Why not a forecasting library: statsforecast 2.1.1's MSTL, AutoETS and AutoTheta (on the raw and
log scales) were run through the same rolling-origin evaluation on the NAB tweet series summed
hourly; the best of them (AutoTheta, MSTL) had 1.01x the error of the plain median of the same
hour over the last week, this model 0.89x, and averaging it with theirs gained nothing
(docs/forecast.md has the table). A 580 MB dependency that forecasts worse is not worth pinning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy import stats

from alerts.detector import bucket_floor
from langnghe.document import VN_TZ
from store.base import Filters, Store

INTERVALS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
# history read from the store: 4 weeks of weekday factors behind the 14 calibration origins
HISTORY = {"hour": timedelta(days=28), "day": timedelta(days=56)}
LEVEL = 0.8  # the prediction interval leaders see: 8 in 10 future counts fall inside
LEVEL_CLIP = (0.5, 2.0)  # one day moves the level by at most 2x either way
MIN_ERRORS = 20  # fewer errors than this say nothing about a quantile: parametric fallback
FALLBACK_DISPERSION = 0.3  # NB var = m + 0.3 m^2: the spread of a topic's counts seen day to day


@dataclass(frozen=True)
class ModelParams:
    """Knobs of the model; the defaults won the rolling-origin evaluation (evaluation.forecast
    --candidates prints the alternatives)."""

    weeks: int = 4  # weekday factors from the last 4 weeks: 4 samples of each weekday
    profile_days: int = 28  # each time of day from its last 28 values (7, 14 did worse)
    trim: float = 0.15  # drop the top 15% of those values: past bursts
    level_power: float = 0.5  # half of the last day's level change (in log) carries over
    calibration_origins: int = 14  # the interval from the errors of the last 14 daily origins
    # the level from the last day, or from the last 3 buckets when a day is fewer (daily
    # series: one day's count is too noisy a level; 1 and 7 did worse on MAE or coverage)
    level_buckets: int = 3


@dataclass(frozen=True)
class Point:
    timestamp: datetime  # start of the future bucket
    mean: float
    lo: float
    hi: float

    def to_dict(self) -> dict:
        out = asdict(self)
        out["timestamp"] = self.timestamp.isoformat()
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}


def _trimmed(values: np.ndarray, trim: float) -> float:
    if values.size == 0:
        return float("nan")
    keep = max(1, int(math.ceil(values.size * (1.0 - trim))))
    return float(np.sort(values)[:keep].mean())


class _Calendar:
    """Time of day (slot) and Vietnam-time date of every bucket of a regular series."""

    def __init__(self, start: datetime, bucket: timedelta, n: int):
        self.start, self.bucket = start, bucket
        self.per_day = max(1, int(round(timedelta(days=1) / bucket)))
        local = [(start + k * bucket).astimezone(VN_TZ) for k in range(n)]
        self.dates = [t.date() for t in local]
        midnight = local[0].replace(hour=0, minute=0, second=0, microsecond=0) if n else None
        self.slot0 = int((local[0] - midnight) // bucket) % self.per_day if n else 0

    def slot(self, k: int) -> int:
        return (self.slot0 + k) % self.per_day

    def weekday(self, k: int) -> int:
        if k < len(self.dates):
            return self.dates[k].weekday()
        return (self.start + k * self.bucket).astimezone(VN_TZ).weekday()


def _weekly_factors(y: np.ndarray, cal: _Calendar, end: int, params: ModelParams) -> np.ndarray:
    """Per weekday: its trimmed-mean day total over the last weeks / that of all days."""
    totals: dict = {}
    counts: dict = {}
    for k in range(max(0, end - params.weeks * 7 * cal.per_day), end):
        d = cal.dates[k]
        totals[d] = totals.get(d, 0.0) + y[k]
        counts[d] = counts.get(d, 0) + 1
    full = [(d, v) for d, v in totals.items() if counts[d] == cal.per_day]  # whole days only
    factors = np.ones(7)
    if len(full) < 14:  # fewer than two samples of each weekday: no weekly signal yet
        return factors
    overall = _trimmed(np.array([v for _, v in full]), params.trim)
    if overall <= 0:
        return factors
    noise = []
    for wd in range(7):
        same = np.array([v for d, v in full if d.weekday() == wd])
        if same.size >= 2:
            factors[wd] = np.clip(_trimmed(same, params.trim) / overall, 0.3, 3.0)
            noise.append(1.0 / (same.size * overall))  # Poisson: relative variance of a mean
    # shrink toward 1 by how much of the factors' spread counting noise explains: a topic of
    # eight items a day has no measurable weekday rhythm in four weeks, a busy one keeps its own
    spread = float(np.mean((factors - 1.0) ** 2))
    keep = max(0.0, 1.0 - float(np.mean(noise)) / spread) if noise and spread > 0 else 0.0
    return 1.0 + keep * (factors - 1.0)


def _point_forecast(y: np.ndarray, cal: _Calendar, end: int, horizon: int,
                    params: ModelParams) -> np.ndarray:
    """Steps 1-4 from the buckets before `end` only, for buckets end .. end+horizon-1."""
    if end <= 0:
        return np.zeros(horizon)
    P = cal.per_day
    week = _weekly_factors(y, cal, end, params)
    factor = np.array([week[cal.weekday(k)] for k in range(end)])
    adjusted = y[:end] / factor
    profile = np.empty(P)
    for s in range(P):
        last = (end - 1) - ((end - 1 - s + cal.slot0) % P)  # the latest bucket of slot s
        idx = np.arange(last, max(-1, last - params.profile_days * P), -P)
        idx = idx[idx >= 0]
        profile[s] = _trimmed(adjusted[idx], params.trim) if idx.size else float(adjusted.mean())
    recent = np.arange(max(0, end - max(P, params.level_buckets)), end)
    seen = float(y[recent].sum())
    expected = float(sum(profile[cal.slot(k)] * factor[k] for k in recent))
    ratio = np.clip((seen + 1.0) / (expected + 1.0), *LEVEL_CLIP)
    level = ratio ** params.level_power
    steps = range(end, end + horizon)
    return np.array([profile[cal.slot(k)] * week[cal.weekday(k)] * level for k in steps])


def _log_errors(y: np.ndarray, cal: _Calendar, horizon: int, params: ModelParams) -> np.ndarray:
    """Step 5's errors: forecasts from earlier daily origins against what then happened."""
    n, P = y.size, cal.per_day
    errors = []
    for j in range(1, params.calibration_origins + 1):
        origin = n - j * P
        if origin < P:  # each origin needs a day of history
            break
        steps = min(horizon, n - origin)
        mean = _point_forecast(y, cal, origin, steps, params)
        errors.append(np.log((y[origin:origin + steps] + 1.0) / (mean + 1.0)))
    return np.concatenate(errors) if errors else np.empty(0)


def _interval(mean: np.ndarray, errors: np.ndarray, level: float) -> tuple[np.ndarray, ...]:
    tail = (1.0 - level) / 2
    if errors.size >= MIN_ERRORS:
        n = errors.size  # conformal: the finite-sample quantile ranks
        q_lo = np.quantile(errors, max(0.0, math.floor(tail * (n + 1)) / n))
        q_hi = np.quantile(errors, min(1.0, math.ceil((1 - tail) * (n + 1)) / n))
        lo = (mean + 1.0) * math.exp(q_lo) - 1.0
        hi = (mean + 1.0) * math.exp(q_hi) - 1.0
        return np.maximum(lo, 0.0), np.maximum(hi, mean)
    r = 1.0 / FALLBACK_DISPERSION
    p = r / (r + np.maximum(mean, 1e-9))
    return (stats.nbinom.ppf(tail, r, p).astype(float),
            np.maximum(stats.nbinom.ppf(1 - tail, r, p).astype(float), mean))


def forecast(times: Sequence[datetime], values: Sequence[float], bucket: timedelta,
             horizon: int, level: float = LEVEL, params: ModelParams = ModelParams()
             ) -> list[Point]:
    """The next `horizon` buckets after a regular series (oldest first, no gaps)."""
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    if not times:
        raise ValueError("an empty series has no future to forecast")
    y = np.maximum(np.asarray(values, dtype=float), 0.0)
    if len(times) != y.size:
        raise ValueError("times and values must have the same length")
    cal = _Calendar(times[0], bucket, y.size)
    mean = _point_forecast(y, cal, y.size, horizon, params)
    lo, hi = _interval(mean, _log_errors(y, cal, horizon, params), level)
    first = times[-1] + bucket
    return [Point(first + k * bucket, float(mean[k]), float(lo[k]), float(hi[k]))
            for k in range(horizon)]


def store_series(store: Store, query: str, interval: str, since: datetime,
                 until: datetime) -> tuple[list[datetime], list[float]]:
    """Matching documents per bucket from `since` to `until` (Vietnam-time buckets, no gaps)."""
    bucket = INTERVALS[interval]
    first = bucket_floor(since, bucket)
    n = max(0, int((until - first) // bucket))
    times = [first + k * bucket for k in range(n)]
    counts = dict(store.histogram(query, Filters(since=first, until=first + n * bucket),
                                  interval))
    index = {t: k for k, t in enumerate(times)}
    values = [0.0] * n
    for t, c in counts.items():
        k = index.get(t.astimezone(VN_TZ))
        if k is not None:
            values[k] = float(c)
    return times, values


def from_first_match(times: list[datetime], values: list[float], bucket: timedelta
                     ) -> tuple[list[datetime], list[float]]:
    """The series from the day of its first count on (empty when it has none): a topic created
    last week has no zeros before it, only a beginning."""
    per_day = max(1, int(timedelta(days=1) // bucket))
    first = next((k for k, v in enumerate(values) if v), len(values)) // per_day * per_day
    return times[first:], values[first:]


def for_query(store: Store, query: str, interval: str, horizon: int, now: datetime,
              negative: bool = False, level: float = LEVEL) -> list[Point]:
    """The forecast of a query's volume (or its negative part) from the current bucket on.

    `interval` is "hour" (e.g. horizon 24: the next 24 hours) or "day" (horizon 7: the next
    7 days, today first). The current bucket is still filling: it is the first forecast point,
    and the history ends where it begins.
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval must be hour or day, not {interval!r}")
    if negative:
        query = f"({query}) sentiment:negative" if query.strip() else "sentiment:negative"
    bucket = INTERVALS[interval]
    current = bucket_floor(now, bucket)
    times, values = from_first_match(
        *store_series(store, query, interval, current - HISTORY[interval], current), bucket)
    if not times:  # nothing matched yet: a forecast of nothing, not an error
        return [Point(current + k * bucket, 0.0, 0.0, 0.0) for k in range(horizon)]
    return forecast(times, values, bucket, horizon, level)
