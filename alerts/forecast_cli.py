"""`langnghe forecast FILE.csv [--bucket 1h] [--horizon 24] [--level 0.8]`: forecast any series.

The CSV has a header `timestamp,value` (as `langnghe alerts detect-series` reads it; timestamps
without a zone are Vietnam time). Values are summed into buckets aligned to Vietnam midnight
(missing buckets count zero); the forecast starts with the bucket after the last one.
Prints one JSON line per future bucket: {"timestamp", "mean", "lo", "hi"}.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from alerts.cli import read_series
from alerts.detector import bucket_floor
from alerts.forecast import LEVEL, forecast

BUCKETS = {"5min": timedelta(minutes=5), "15min": timedelta(minutes=15),
           "1h": timedelta(hours=1), "1d": timedelta(days=1)}  # each divides a day


def aligned_grid(times: list[datetime], values: list[float],
                 bucket: timedelta) -> tuple[list[datetime], list[float]]:
    """Sums per bucket from the first timestamp's bucket to the last one's, zeros between."""
    first = bucket_floor(min(times), bucket)
    n = int((bucket_floor(max(times), bucket) - first) // bucket) + 1
    sums = [0.0] * n
    for t, v in zip(times, values, strict=True):
        sums[int((bucket_floor(t, bucket) - first) // bucket)] += v
    return [first + k * bucket for k in range(n)], sums


def forecast_file(path: str | Path, bucket: str = "1h", horizon: int = 24,
                  level: float = LEVEL) -> Iterator[dict]:
    if bucket not in BUCKETS:
        raise ValueError(f"unknown bucket {bucket!r}; expected one of {', '.join(BUCKETS)}")
    times, values = read_series(path)
    if not times:
        raise ValueError(f"{path}: no rows after the header")
    grid = aligned_grid(times, values, BUCKETS[bucket])
    for point in forecast(*grid, BUCKETS[bucket], horizon, level):
        yield point.to_dict()


def forecast_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="langnghe forecast",
                                     description="forecast a timestamp,value CSV")
    parser.add_argument("file", help="CSV with header timestamp,value")
    parser.add_argument("--bucket", default="1h", choices=list(BUCKETS))
    parser.add_argument("--horizon", type=int, default=24, help="future buckets (default 24)")
    parser.add_argument("--level", type=float, default=LEVEL,
                        help="prediction interval (default 0.8: 80%%)")
    args = parser.parse_args(argv)
    try:
        for row in forecast_file(args.file, args.bucket, args.horizon, args.level):
            print(json.dumps(row, ensure_ascii=False), flush=True)
    except (OSError, ValueError) as exc:
        print(f"langnghe forecast: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(forecast_main())
