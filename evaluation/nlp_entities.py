"""Entity extraction (nlp/entities.py) on a small hand-checked set of real VNTC sentences.

    python -m evaluation.nlp_entities [--update-baseline]

There is no NER gold set in ../shared/data (the README says why), so 26 sentences from VNTC dev
were annotated by hand by the author of nlp/entities.py (tests/nlp/data/entities_gold.jsonl):
people without their titles, organisations as written (with their place), and every location —
foreign countries too, which the gazetteer does not cover, so LOC recall shows that gap. This is
a small, author-made set, and the rules were refined while looking at its errors (it is a dev
set, not a test set): read the numbers as an optimistic sanity check, not a benchmark.
Matching is exact on (type, text), counted as multisets. underthesea's CRF `ner` is measured on
the same sentences for reference (it works offline; it is not in the default path for speed).
Exits 1 below the floors pinned in evaluation/baseline.json under "nlp_domains" → "entities".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

from evaluation.nlp_domains import check, prf
from nlp import entities

GOLD = Path(__file__).resolve().parents[1] / "tests" / "nlp" / "data" / "entities_gold.jsonl"
TYPES = ("PER", "ORG", "LOC")


def load() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text("utf-8").splitlines() if line.strip()]


def _underthesea(text: str) -> list[tuple[str, str]]:
    from underthesea import ner

    out, current = [], None
    for word, _, _, tag in ner(text):
        if tag.startswith("B-") or (tag.startswith("I-") and current is None):
            current = [tag[2:], word]
            out.append(current)
        elif tag.startswith("I-") and current is not None:
            current[1] += " " + word
        else:
            current = None
    return [(kind, name) for kind, name in out]


def score(rows: list[dict], predict) -> dict:
    counts = {t: [0, 0, 0] for t in TYPES}
    for row in rows:
        gold = Counter(tuple(e) for e in row["entities"])
        pred = Counter(predict(row["text"]))
        for t in TYPES:
            g = Counter({k: v for k, v in gold.items() if k[0] == t})
            p = Counter({k: v for k, v in pred.items() if k[0] == t})
            tp = sum((g & p).values())
            counts[t][0] += tp
            counts[t][1] += sum(p.values()) - tp
            counts[t][2] += sum(g.values()) - tp
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return {"micro": prf(*total), **{t: prf(*c) for t, c in counts.items()}}


def measure() -> dict:
    rows = load()
    ours = lambda text: [(e.type, e.text) for e in entities.extract(text)]  # noqa: E731
    ours("Hà Nội")  # build the gazetteer before timing
    _underthesea("Hà Nội")  # load the CRF model before timing
    start = time.perf_counter()
    result = {"sentences": len(rows), "rules_gazetteer": score(rows, ours)}
    result["rules_ms_per_sentence"] = round((time.perf_counter() - start) * 1000 / len(rows), 2)
    start = time.perf_counter()
    result["underthesea_ner"] = score(rows, _underthesea)
    result["underthesea_ms_per_sentence"] = round(
        (time.perf_counter() - start) * 1000 / len(rows), 2)
    result["data_hash"] = hashlib.sha256(GOLD.read_bytes()).hexdigest()[:16]
    micro = result["rules_gazetteer"]["micro"]
    result["floors"] = {"precision": micro["precision"], "recall": micro["recall"]}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-baseline", action="store_true")
    args = parser.parse_args(argv)
    result = measure()
    print(json.dumps({k: v for k, v in result.items() if k != "floors"}, indent=2))
    return check(result, args.update_baseline, part="entities")


if __name__ == "__main__":
    sys.exit(main())
