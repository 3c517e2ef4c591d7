"""`langnghe alerts detect-series FILE.csv [--bucket 5min]`: the spike detector on any count series.

The CSV has a header `timestamp,value`; timestamps without a zone are read as Vietnam time.
Prints one JSON line per detection: {"timestamp", "severity", "score"} (plus count/expected).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from alerts.detector import DetectorParams, detect
from langnghe.document import VN_TZ

BUCKETS = {"1min": timedelta(minutes=1), "5min": timedelta(minutes=5),
           "15min": timedelta(minutes=15), "1h": timedelta(hours=1), "1d": timedelta(days=1)}


def read_series(path: str | Path) -> tuple[list[datetime], list[float]]:
    times, values = [], []
    with Path(path).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"timestamp", "value"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: expected a header 'timestamp,value', got "
                             f"{reader.fieldnames}")
        for line, row in enumerate(reader, start=2):
            try:
                ts = datetime.fromisoformat(row["timestamp"].strip())
                values.append(float(row["value"]))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{line}: expected an ISO timestamp and a number "
                                 f"({exc})") from None
            times.append(ts if ts.tzinfo else ts.replace(tzinfo=VN_TZ))
    return times, values


def regular_grid(times: list[datetime], values: list[float],
                 bucket: timedelta) -> tuple[list[datetime], list[float]]:
    """Sum values per bucket from the first timestamp on; missing buckets count zero."""
    if not times:
        return [], []
    first = min(times)
    n = int((max(times) - first) // bucket) + 1
    sums = [0.0] * n
    for t, v in zip(times, values, strict=True):
        sums[int((t - first) // bucket)] += v
    return [first + k * bucket for k in range(n)], sums


def detect_series_cli(path: str | Path, bucket: str = "5min") -> Iterator[dict]:
    if bucket not in BUCKETS:
        raise ValueError(f"unknown bucket {bucket!r}; expected one of {', '.join(BUCKETS)}")
    width = BUCKETS[bucket]
    times, values = regular_grid(*read_series(path), width)
    params = DetectorParams(min_outlets=0)  # a bare count series knows no outlets
    for hit in detect(times, values, width, params):
        yield {"timestamp": hit.timestamp.isoformat(), "severity": hit.severity,
               "score": round(hit.score, 2), "count": hit.count,
               "expected": round(hit.expected, 2)}


def detect_series_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="langnghe alerts detect-series")
    parser.add_argument("file", help="CSV with header timestamp,value")
    parser.add_argument("--bucket", default="5min", choices=sorted(BUCKETS))
    args = parser.parse_args(argv)
    try:
        for row in detect_series_cli(args.file, args.bucket):
            print(json.dumps(row, ensure_ascii=False), flush=True)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(detect_series_main())
