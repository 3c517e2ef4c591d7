"""How fast the machine is right now, as a ratio against a reference, for benchmarks that time by
the wall clock on a shared machine.

The reference workload is underthesea's word segmentation (`word_tokenize`) over fixed lines
of VNTC dev articles — the segmentation benchmark's comparison point (benchmarks/nlp.py) —
timed by the wall clock in this process. REFERENCE_SYL_S is its speed on an idle core of the
project's development machine (CPU time, docs/benchmarks.md, 2026-11-26); a ratio of 0.5 means
a one-threaded job got half of that now (neighbours' load, a slower CPU), so wall-clock times
measured beside it are about twice what the same machine gives when idle.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REFERENCE_SYL_S = 51_000  # underthesea word_tokenize, idle core (docs/benchmarks.md)
LINES = 400  # ~0.5 s of work when idle: short enough to repeat beside each measurement


def _lines() -> list[str]:
    out: list[str] = []
    with (DATA / "vntc-10topics" / "dev.jsonl").open(encoding="utf-8") as rows:
        for row in rows:
            out += [line for line in json.loads(row)["text"].split("\n") if line.strip()]
            if len(out) >= LINES:
                return out[:LINES]
    return out


def speed_ratio() -> float:
    """Wall-clock syllables/s of the reference workload now, divided by REFERENCE_SYL_S."""
    from underthesea import word_tokenize  # imported here: loads its CRF model (~1 s)

    from nlp.segment import split_syllables

    lines = _lines()
    word_tokenize(lines[0])  # warm-up: loads the model
    syllables = sum(len(split_syllables(line)) for line in lines)  # as benchmarks/nlp.py
    start = time.perf_counter()
    for line in lines:
        word_tokenize(line)
    return syllables / (time.perf_counter() - start) / REFERENCE_SYL_S
