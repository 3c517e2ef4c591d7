"""Evidence-capture storage and speed over the real pages and API responses.

Every real forum page, Telegram preview, YouTube / Facebook response, VnExpress comment
response and Vietnamese article page of ../shared/data/web is parsed (`detect_and_parse`) and,
when it yields documents, captured as a gzip'd WARC response record (`WarcCapture`), the way
connectors keep evidence. Prints, per kind and overall: documents, raw payload bytes, WARC
bytes, WARC bytes per document and compression ratio; and records written per second.

    python -m benchmarks.capture [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from crawlers.capture import WarcCapture, read_capture
from crawlers.connectors import detect_and_parse

WEB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "web"
SOCIAL_DIRS = ("voz", "social/telegram", "social/youtube", "social/facebook",
               "vnexpress/comments")
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Server", "replay")]


def real_files() -> list[tuple[str, bytes]]:
    files = [(str(p.relative_to(WEB)), p.read_bytes())
             for folder in SOCIAL_DIRS for p in sorted((WEB / folder).iterdir())]
    for line in (WEB / "manifest.jsonl").read_text("utf-8").splitlines():
        entry = json.loads(line)
        if entry["lang"] == "vi" and entry["kind"] == "article" \
                and not entry["path"].startswith("benchmark"):
            files.append((entry["path"], (WEB / entry["path"]).read_bytes()))
    return files


def measure(files: list[tuple[str, bytes]], directory: Path) -> dict[str, list[int]]:
    """kind → [documents, payload bytes, WARC bytes]; verifies every round trip."""
    store, totals = WarcCapture(directory), defaultdict(lambda: [0, 0, 0])
    now = datetime.now(UTC)
    for name, body in files:
        kind, docs = detect_and_parse(body, None)
        if not docs:
            continue
        ref = store.capture(f"https://example.invalid/{name}", 200, HEADERS, body, now)
        if read_capture(ref)[1] != body:
            raise SystemExit(f"{name}: capture did not reproduce the parsed bytes")
        row = totals[kind]
        row[0], row[1], row[2] = row[0] + len(docs), row[1] + len(body), row[2] + ref.length
    return totals


def speed(files: list[tuple[str, bytes]], directory: Path, repeat: int) -> float:
    store, now = WarcCapture(directory), datetime.now(UTC)
    started = time.perf_counter()
    for _ in range(repeat):
        for name, body in files:
            store.capture(f"https://example.invalid/{name}", 200, HEADERS, body, now)
    return repeat * len(files) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="passes for the speed figure")
    args = parser.parse_args()
    files = real_files()
    with tempfile.TemporaryDirectory() as tmp:
        totals = measure(files, Path(tmp) / "sizes")
        rate = speed(files, Path(tmp) / "speed", args.repeat)
    print(f"{'kind':26} {'docs':>5} {'payload B':>10} {'WARC B':>9} {'B/doc':>8} {'ratio':>6}")
    for kind, (docs, raw, warc) in sorted(totals.items()):
        print(f"{kind:26} {docs:5d} {raw:10d} {warc:9d} {warc / docs:8.0f} {raw / warc:6.1f}")
    docs, raw, warc = (sum(col) for col in zip(*totals.values(), strict=True))
    print(f"{'ALL':26} {docs:5d} {raw:10d} {warc:9d} {warc / docs:8.0f} {raw / warc:6.1f}")
    print(f"capture_bytes_per_document: {warc / docs:.0f}")
    print(f"capture_records_per_second: {rate:.0f} ({len(files)} files x {args.repeat})")


if __name__ == "__main__":
    main()
