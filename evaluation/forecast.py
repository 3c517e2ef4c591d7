"""Forecast accuracy of alerts/forecast.py against two plain baselines, by rolling origin.

    python -m evaluation.forecast [--candidates] [--library] [--update-baseline]

Series: the six NAB realTweets series (../shared/data/nab-realtweets, 5-minute mention counts of
eight weeks), read as `langnghe forecast` reads a CSV (timestamps without a zone are Vietnam
time) and
  - hourly: summed per hour (the partial first and last hours dropped), horizon 24 hours;
  - daily: summed per calendar day (partial days dropped), horizon 7 days;
  - sparse hourly: the hourly counts thinned at random (fixed seed) to about 30 items a day,
    the volume of a provincial watch topic, horizon 24 hours.
Rolling origin: hourly forecasts from every 13th hour (so origins fall at every hour of the
day) once 14 days are known, each from at most the 28 days before it (what `for_query` reads);
daily forecasts from every day once 14 days are known, from at most 56 days.
Baselines: seasonal naive (the same hour a day before; for days, the day before) and the median
of the same hour over the last 7 days (for days, of the last 7 days).
Reported per family: the geometric mean over series of MAE(model) / MAE(baseline) (each series'
errors pooled over its origins and steps), the share of actual values inside the 80% interval
(coverage, pooled), and the interval's mean width relative to the actual mean.

Rising-issue warnings (alerts/rising.py) on the daily totals of the real series and of their
thinned copies (12 topics; days from the 21st on are judged, as the engine judges each day):
  - quiet: false warnings per topic-week on the series as they are (consecutive warning days
    are one incident, as the outbox keeps them);
  - injected gradual rises (six per topic): from a random day, the volume grows by 20% (or 10%)
    of its usual level more each day (Poisson): +20% on day 1, +40% on day 2 ...; the delay is
    the number of days of the rise seen when the warning fires (the day it is judged, at its
    end, included), a miss is no warning within 10 days;
  - negative share: daily negatives drawn from the real totals at a usual share of 20% with a
    day-to-day spread (beta, sd 5 points), then rising by 5 points a day.

`--candidates` also runs the model with other knobs (how the defaults were chosen); `--library`
runs statsforecast's AutoTheta and MSTL (log scale) when that package is installed (it is not
pinned: docs/forecast.md says why). `--update-baseline` pins the section "forecast" of
evaluation/baseline.json (other keys are left as found).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from alerts.cli import read_series
from alerts.detector import bucket_floor
from alerts.forecast import ModelParams, forecast
from alerts.rising import RisingParams, share_rise, volume_rise
from evaluation import gate

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "nab-realtweets"
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
SEED = 20260216  # fixed: the thinned series must be the same on every run
SPARSE_PER_DAY = 30.0  # a provincial topic: tens of items a day
MIN_DAYS = 14  # the first origin has two weeks behind it (the 7-day median needs one)
NOISE = 0.02  # ceilings/floors: measured +- 0.02 (the numbers are deterministic)
RISING_NOISE = 0.1  # a tenth of a day of delay, a tenth of a false warning per topic-week
CANDIDATES = {
    "profile_days=7": ModelParams(profile_days=7),
    "profile_days=14": ModelParams(profile_days=14),
    "level_power=0": ModelParams(level_power=0.0),
    "level_power=1": ModelParams(level_power=1.0),
    "trim=0": ModelParams(trim=0.0),
    "no weekly factor": ModelParams(weeks=0),
    "level from 1 bucket (daily)": ModelParams(level_buckets=1),
    "level from 7 buckets (daily)": ModelParams(level_buckets=7),
}


RISE_FROM_DAY = 21  # three weeks of history before a day is judged
RISE_WAIT = 10  # a rise not warned of within 10 days is missed
RISES_PER_TOPIC = 6  # injected rises per topic, each on its own copy of the series
GROWTH = (0.2, 0.1)  # +20% / +10% of the usual level more each day
SHARE_USUAL, SHARE_SPREAD, SHARE_STEP = 0.2, 0.05, 0.05  # negative share: 20% +- 5 pts, +5/day
RISING_CANDIDATES = {
    "80% band, 2 of 3 days": RisingParams(level=0.8, above_days=2, max_run_days=3, min_ratio=1),
    "60% band, any ratio": RisingParams(level=0.6, min_ratio=1.0),
    "60% band": RisingParams(level=0.6),
    "70% band, runs of 4-7": RisingParams(run_days=4),
    "last day the highest": RisingParams(plateau=1.0),
    "last day 70% of the highest": RisingParams(plateau=0.7),
}


@dataclass(frozen=True)
class Family:
    name: str
    bucket: timedelta
    horizon: int
    step: int  # buckets between origins
    history: int  # buckets of history given to the model at most
    per_day: int


HOURLY = Family("hourly", HOUR, 24, 13, 28 * 24, 24)
DAILY = Family("daily", DAY, 7, 1, 56, 1)
SPARSE = replace(HOURLY, name="sparse_hourly")


def data_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(DATA.glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def summed(times: list[datetime], values: list[float], bucket: timedelta
           ) -> tuple[list[datetime], np.ndarray]:
    """Sums per bucket (aligned to Vietnam midnight), without the partial first and last."""
    first, last = bucket_floor(times[0], bucket), bucket_floor(times[-1], bucket)
    n = int((last - first) // bucket) + 1
    sums = np.zeros(n)
    for t, v in zip(times, values, strict=True):
        sums[int((bucket_floor(t, bucket) - first) // bucket)] += v
    return [first + k * bucket for k in range(1, n - 1)], sums[1:-1]


def load_families() -> dict[str, list[tuple[str, list[datetime], np.ndarray]]]:
    rng = np.random.default_rng(SEED)
    out: dict[str, list] = {"hourly": [], "daily": [], "sparse_hourly": []}
    for path in sorted(DATA.glob("*.csv")):
        name = path.stem.removeprefix("Twitter_volume_")
        times, values = read_series(path)
        h_times, hourly = summed(times, values, HOUR)
        out["hourly"].append((name, h_times, hourly))
        out["daily"].append((name, *summed(times, values, DAY)))
        share = min(1.0, SPARSE_PER_DAY / (hourly.mean() * 24))
        out["sparse_hourly"].append((name, h_times, rng.binomial(hourly.astype(int), share)
                                     .astype(float)))
    return out


def baselines(y: np.ndarray, origin: int, fam: Family) -> dict[str, np.ndarray]:
    """Seasonal naive and the 7-day median for the `horizon` buckets from `origin`."""
    steps = np.arange(fam.horizon)
    if fam.per_day == 1:
        return {"seasonal_naive": np.full(fam.horizon, y[origin - 1]),
                "median_7d": np.full(fam.horizon, np.median(y[origin - 7:origin]))}
    P = fam.per_day
    same_hour = [y[origin + steps % P - k * P] for k in range(1, 8)]
    return {"seasonal_naive": y[origin + steps % P - P], "median_7d": np.median(same_hour, axis=0)}


Method = Callable[[list[datetime], np.ndarray, Family], tuple[np.ndarray, ...]]


def model_method(params: ModelParams) -> Method:
    def run(times: list[datetime], hist: np.ndarray, fam: Family) -> tuple[np.ndarray, ...]:
        points = forecast(times, hist, fam.bucket, fam.horizon, params=params)
        return tuple(np.array([getattr(p, k) for p in points]) for k in ("mean", "lo", "hi"))
    return run


def library_methods() -> dict[str, Method]:
    """statsforecast's best candidates, when installed (not a dependency of the project)."""
    try:
        from statsforecast.models import MSTL, AutoETS, AutoTheta
    except ImportError:
        print("statsforecast is not installed: --library skipped", file=sys.stderr)
        return {}

    def make(build):
        def run(times, hist, fam):
            out = build(fam).forecast(y=np.log1p(hist), h=fam.horizon, level=[80])
            return tuple(np.maximum(np.expm1(out[k]), 0) for k in ("mean", "lo-80", "hi-80"))
        return run

    season = lambda fam: 7 if fam.per_day == 1 else fam.per_day  # noqa: E731
    return {"statsforecast AutoTheta (log)": make(lambda f: AutoTheta(season_length=season(f))),
            "statsforecast MSTL+AutoETS (log)": make(
                lambda f: MSTL(season_length=season(f), trend_forecaster=AutoETS(model="ZZN")))}


def evaluate(series: list[tuple[str, list[datetime], np.ndarray]], fam: Family,
             methods: dict[str, Method]) -> dict:
    """Per method: MAE ratios to both baselines (geometric mean over series), coverage, width."""
    per_series: dict[str, dict] = {}
    pooled = {m: {"inside": 0, "n": 0, "width": []} for m in methods}
    for name, times, y in series:
        abs_err: dict[str, list] = {k: [] for k in ("seasonal_naive", "median_7d", *methods)}
        for origin in range(MIN_DAYS * fam.per_day, y.size - fam.horizon + 1, fam.step):
            start = max(0, origin - fam.history)
            future = y[origin:origin + fam.horizon]
            for k, guess in baselines(y, origin, fam).items():
                abs_err[k].append(np.abs(guess - future))
            for m, method in methods.items():
                mean, lo, hi = method(times[start:origin], y[start:origin], fam)
                abs_err[m].append(np.abs(mean - future))
                pooled[m]["inside"] += int(((future >= lo) & (future <= hi)).sum())
                pooled[m]["n"] += future.size
                pooled[m]["width"].append(float((hi - lo).mean() / max(future.mean(), 1e-9)))
        mae = {k: float(np.concatenate(v).mean()) for k, v in abs_err.items()}
        per_series[name] = {m: {"vs_seasonal_naive": mae[m] / mae["seasonal_naive"],
                                "vs_median_7d": mae[m] / mae["median_7d"]} for m in methods}
        per_series[name]["origins"] = len(abs_err["seasonal_naive"])

    def geo(m: str, base: str) -> float:
        return math.exp(np.mean([math.log(per_series[s][m][base]) for s in per_series]))

    return {m: {"mae_ratio_vs_seasonal_naive": round(geo(m, "vs_seasonal_naive"), 4),
                "mae_ratio_vs_median_7d": round(geo(m, "vs_median_7d"), 4),
                "coverage_80": round(pooled[m]["inside"] / pooled[m]["n"], 4),
                "relative_width": round(float(np.median(pooled[m]["width"])), 3),
                "per_series": {s: {b: round(v[m][b], 3) for b in v[m]}
                               for s, v in per_series.items()}}
            for m in methods}


def _incidents(fired: list[int]) -> int:
    """Warning days, consecutive ones counted once (one open incident)."""
    return sum(1 for i, d in enumerate(fired) if i == 0 or d != fired[i - 1] + 1)


def _first_warning(judge, n: int, start: int) -> int | None:
    for d in range(start, min(n, start + RISE_WAIT)):
        if judge(d + 1):
            return d - start + 1
    return None


def _share_series(total: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    a = SHARE_USUAL * (SHARE_USUAL * (1 - SHARE_USUAL) / SHARE_SPREAD ** 2 - 1)
    b = a * (1 - SHARE_USUAL) / SHARE_USUAL
    return rng.beta(a, b, total.size)


def rising_topics() -> list[tuple[str, list[datetime], np.ndarray]]:
    families = load_families()
    topics = [(f"{name}", days, y) for name, days, y in families["daily"]]
    for name, times, y in families["sparse_hourly"]:
        days, daily = summed(times, list(y), DAY)
        topics.append((f"{name} thinned", days, daily))
    return topics


def _summary(false: int, weeks: float, delays: list[int | None]) -> dict:
    found = [d for d in delays if d is not None]
    return {"false_warnings_per_topic_week": round(false / weeks, 4),
            "recall_within_10_days": round(len(found) / len(delays), 4),
            "median_delay_days": float(np.median(found)) if found else None,
            "mean_delay_days": round(float(np.mean(found)), 3) if found else None,
            "injected": len(delays)}


def evaluate_rising(params: RisingParams, topics, seed: int = SEED) -> dict:
    """Per signal: false warnings per topic-week, recall within 10 days and delays."""
    rng = np.random.default_rng(seed)
    weeks = sum((y.size - RISE_FROM_DAY) / 7 for _, _, y in topics)
    false = {"volume": 0, "negative_share": 0}
    delays: dict[str, list] = {f"volume +{g:.0%}/day": [] for g in GROWTH}
    delays["negative_share"] = []
    for _, days, y in topics:
        neg = rng.binomial(y.astype(int), _share_series(y, rng)).astype(float)

        def volume(series, n, days=days):
            return volume_rise(days[:n], series[:n], params) is not None

        def share(negatives, n, y=y):
            return share_rise(negatives[:n], y[:n], params) is not None

        judged = range(RISE_FROM_DAY, y.size)
        false["volume"] += _incidents([d for d in judged if volume(y, d + 1)])
        false["negative_share"] += _incidents([d for d in judged if share(neg, d + 1)])
        for start in rng.integers(RISE_FROM_DAY + 3, y.size - RISE_WAIT, RISES_PER_TOPIC):
            ramp = np.clip(np.arange(y.size) - start + 1, 0, None)
            usual = float(np.median(y[start - 14:start]))
            for g in GROWTH:
                risen = y + rng.poisson(g * ramp * usual)
                delays[f"volume +{g:.0%}/day"].append(
                    _first_warning(lambda n, r=risen: volume(r, n), y.size, int(start)))
            shares = np.clip(_share_series(y, rng) + SHARE_STEP * ramp, 0, 1)
            negatives = rng.binomial(y.astype(int), shares).astype(float)
            delays["negative_share"].append(
                _first_warning(lambda n, r=negatives: share(r, n), y.size, int(start)))
    return {name: _summary(false["negative_share" if name == "negative_share" else "volume"],
                           weeks, got) for name, got in delays.items()}


def measure(candidates: bool = False, library: bool = False) -> dict:
    families = load_families()
    methods: dict[str, Method] = {"model": model_method(ModelParams())}
    if candidates:
        methods |= {name: model_method(p) for name, p in CANDIDATES.items()}
    if library:
        methods |= library_methods()
    results = {fam.name: evaluate(families[fam.name], fam, methods)
               for fam in (HOURLY, DAILY, SPARSE)}
    topics = rising_topics()
    rising = {"model": evaluate_rising(RisingParams(), topics)}
    if candidates:
        rising |= {name: evaluate_rising(p, topics) for name, p in RISING_CANDIDATES.items()}
    results["rising"] = rising
    return results


GATED_CEILINGS = [f"{f}.mae_ratio_vs_{b}" for f in ("hourly", "daily", "sparse_hourly")
                  for b in ("seasonal_naive", "median_7d")]
GATED_COVERAGE = [f"{f}.coverage_80" for f in ("hourly", "daily", "sparse_hourly")]
RISING_SIGNALS = ("volume +20%/day", "volume +10%/day", "negative_share")
GATED_RISING_CEILINGS = [f"rising.{s}.{k}" for s in RISING_SIGNALS
                         for k in ("false_warnings_per_topic_week", "mean_delay_days")]
GATED_RISING_FLOORS = [f"rising.{s}.recall_within_10_days" for s in RISING_SIGNALS]


def flatten(results: dict) -> dict[str, float]:
    flat = {f"{fam}.{key}": value for fam, by_method in results.items() if fam != "rising"
            for key, value in by_method["model"].items() if isinstance(value, float)}
    flat |= {f"rising.{signal}.{key}": value
             for signal, got in results["rising"]["model"].items()
             for key, value in got.items() if isinstance(value, float)}
    return flat


def print_table(results: dict) -> None:
    print("rising-issue warnings: false warnings per topic-week, recall within 10 days, "
          "median / mean delay (days of the rise seen)")
    for name, by_signal in results["rising"].items():
        for signal, r in by_signal.items():
            print(f"  {name:16s} {signal:16s} false {r['false_warnings_per_topic_week']:.3f}   "
                  f"recall {r['recall_within_10_days']:.3f}   delay {r['median_delay_days']} / "
                  f"{r['mean_delay_days']}   (n={r['injected']})")
    for fam, by_method in results.items():
        if fam == "rising":
            continue
        print(f"{fam}: MAE ratio vs seasonal naive / vs 7-day median, 80% coverage, width")
        for m, r in by_method.items():
            print(f"  {m:34s} {r['mae_ratio_vs_seasonal_naive']:.3f} / "
                  f"{r['mae_ratio_vs_median_7d']:.3f}   coverage {r['coverage_80']:.3f}   "
                  f"width {r['relative_width']:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.forecast", description=__doc__)
    parser.add_argument("--candidates", action="store_true", help="other knobs of the model")
    parser.add_argument("--library", action="store_true", help="statsforecast, if installed")
    parser.add_argument("--update-baseline", action="store_true")
    parser.add_argument("--allow-lower", action="store_true", help="let --update loosen a bound")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = measure(args.candidates, args.library)
    print_table(results)
    print(json.dumps(results, ensure_ascii=False))
    flat, digest = flatten(results), data_hash()
    if args.update_baseline:
        ceilings = gate.pin("forecast", flat, GATED_CEILINGS + GATED_COVERAGE, NOISE,
                            args.allow_lower, ceilings=True)
        ceilings |= gate.pin("forecast", flat, GATED_RISING_CEILINGS, RISING_NOISE,
                             args.allow_lower, ceilings=True)
        floors = gate.pin("forecast", flat, GATED_COVERAGE + GATED_RISING_FLOORS, NOISE,
                          args.allow_lower)
        gated = GATED_CEILINGS + GATED_COVERAGE + GATED_RISING_CEILINGS + GATED_RISING_FLOORS
        gate.save({**gate.load(), "forecast": {  # load afresh: others pin their own keys
            "data_sha256": digest, "floors": floors, "ceilings": ceilings,
            "measured": {k: flat[k] for k in gated}}})
        print(f"pinned the 'forecast' section of {gate.BASELINE}")
        return 0
    problems = gate.problems("forecast", flat, digest)
    for problem in problems:
        print("FAIL:", problem, file=sys.stderr)
    print(f"({time.perf_counter() - started:.0f} s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
