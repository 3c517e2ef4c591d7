"""Quality of the domain classifier (nlp/domains.py) on mapped labels and hand-labelled headlines.

    python -m evaluation.nlp_domains [--update-baseline]

There is no labelled set for the nine monitoring domains, so two proxies are measured:

1. mapped labels (nlp.domains.DOMAIN_MAP) on held-out splits the model never saw: VNTC dev
   (articles), UIT-ViCTSD valid article titles (headlines) and comments — per-domain precision,
   recall and F1 for the five domains with mapped labels; topics in UNKNOWN are left out;
2. the hand-labelled headlines of tests/nlp/data/domain_headlines.tsv (real VnExpress/VNTC
   headlines plus a few composed ones, marked) — all nine domains, micro P/R/F1, both for the
   full classifier and the lexicon alone.

Prints one JSON object; exits 1 when a number falls below the floors pinned in
evaluation/baseline.json under "nlp_domains" → "domains" (`--update-baseline` rewrites only
that entry, keeping 0.02 of noise margin below today's numbers).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from nlp import domains

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "evaluation" / "baseline.json"
HEADLINES = ROOT / "tests" / "nlp" / "data" / "domain_headlines.tsv"
KEY, PART = "nlp_domains", "domains"
MARGIN = 0.02  # run-to-run noise is zero (deterministic); the margin absorbs small lexicon edits


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": tp + fn}


def _predict(texts: list[str]) -> list[set[str]]:
    out = []
    for text in texts:
        title, _, body = text.partition("\n")
        out.append({lab.label for lab in domains.classify(title, body)})
    return out


def mapped(split_rows: list[tuple[str, str, str]]) -> dict[str, dict[str, float]]:
    preds = _predict([t for t, _, _ in split_rows])
    result = {}
    for domain in domains.MODEL_DOMAINS:
        tp = fp = fn = 0
        for (_, ds, topic), pred in zip(split_rows, preds, strict=True):
            gold = domains.target(ds, topic, domain)
            if gold is None:
                continue
            tp += gold and domain in pred
            fp += (not gold) and domain in pred
            fn += gold and domain not in pred
        result[domain] = prf(tp, fp, fn)
    scored = [r["f1"] for r in result.values() if r["support"]]  # a domain the split never has
    result["macro_f1"] = round(sum(scored) / len(scored), 4)  # positive for says nothing
    return result


def load_headlines(path: Path = HEADLINES) -> list[tuple[set[str], str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            labels, source, text = line.split("\t")
            rows.append(({lab for lab in labels.split(",") if lab != "-"}, source, text))
    return rows


def headlines(lexicon_only: bool = False) -> dict:
    rows = load_headlines()
    model = domains.LinearModel({}, {}, {}) if lexicon_only else None
    per = {d: [0, 0, 0] for d in domains.DOMAINS}
    exact = 0
    for gold, _, text in rows:
        scored = domains.score_all(text, "", model=model)
        pred = {d for d, (s, _, _) in scored.items() if s >= domains.THRESHOLD}
        exact += pred == gold
        for d in domains.DOMAINS:
            per[d][0] += d in pred and d in gold
            per[d][1] += d in pred and d not in gold
            per[d][2] += d in gold and d not in pred
    total = [sum(v[i] for v in per.values()) for i in range(3)]
    return {"micro": prf(*total), "exact_match": round(exact / len(rows), 4), "n": len(rows),
            "per_domain": {d: prf(*v) for d, v in per.items()}}


def data_hash() -> str:
    h = hashlib.sha256()
    for path in (domains.DATA / "vntc-10topics" / "dev.jsonl",
                 domains.DATA / "uit-victsd" / "valid.jsonl", HEADLINES):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def measure() -> dict:
    return {
        "data_hash": data_hash(),
        "model": domains.load_model() is not None,
        "vntc_dev": mapped(domains.mapped_examples("dev", ("vntc",))),
        "victsd_valid_headlines": mapped(domains.mapped_examples("dev", ("headlines",))),
        "victsd_valid_comments": mapped(domains.mapped_examples("dev", ("comments",))),
        "hand_headlines": headlines(),
        "hand_headlines_lexicon_only": headlines(lexicon_only=True),
    }


def floors_of(result: dict) -> dict[str, float]:
    return {
        "vntc_dev.macro_f1": result["vntc_dev"]["macro_f1"],
        "victsd_valid_headlines.macro_f1": result["victsd_valid_headlines"]["macro_f1"],
        "victsd_valid_comments.macro_f1": result["victsd_valid_comments"]["macro_f1"],
        "hand_headlines.micro_f1": result["hand_headlines"]["micro"]["f1"],
    }


def check(result: dict, update: bool, key: str = KEY, part: str = PART) -> int:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    now = floors_of(result) if part == PART else result["floors"]
    if update:
        entry = baseline.setdefault(key, {})
        entry[part] = {"data_hash": result["data_hash"],
                       "floors": {k: round(max(0.0, v - MARGIN), 4) for k, v in now.items()}}
        BASELINE.write_text(json.dumps(baseline, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
        return 0
    pinned = baseline.get(key, {}).get(part)
    if pinned is None:
        print(f"no floors pinned under {key}.{part}; run with --update-baseline", file=sys.stderr)
        return 1
    if pinned["data_hash"] != result["data_hash"]:
        print(f"evaluation data changed ({pinned['data_hash']} → {result['data_hash']}): "
              "re-pin deliberately with --update-baseline", file=sys.stderr)
        return 1
    low = {k: (v, pinned["floors"][k]) for k, v in now.items() if v < pinned["floors"].get(k, 0)}
    for name, (value, floor) in low.items():
        print(f"BELOW FLOOR {name}: {value} < {floor}", file=sys.stderr)
    return 1 if low else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-baseline", action="store_true")
    args = parser.parse_args(argv)
    result = measure()
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return check(result, args.update_baseline)


if __name__ == "__main__":
    sys.exit(main())
