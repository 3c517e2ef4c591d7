"""Body-extraction quality: our cascade vs plain trafilatura on every gold page of the web set.

Sets (from ../shared/data/web/manifest.jsonl): scrapinghub, fundus and readability score token
F1 (whitespace tokens, precision/recall) of the body against the gold text; trafilatura's
eval pages score a snippet pass rate (each "with" snippet found, each "without" snippet absent);
the Vietnamese pages score the Fundus VnExpress body F1 and a body_contains pass rate.
Our body is `lead + text` (the sapo is part of the article; gold bodies include it).

    python -m evaluation.extraction            # print the table; exit 1 below a pinned floor
    python -m evaluation.extraction --update   # pin floors = measured - 0.01 (never lowers
                                                 # a floor unless --allow-lower is given)
Floors live in evaluation/baseline.json under "extraction", with the sha256 of the data set.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import lxml.html
import trafilatura

from crawlers.extract import extract_article
from evaluation import gate

REPO = Path(__file__).resolve().parents[1]
WEB = REPO.parent / "shared" / "data" / "web"
NOISE = 0.01  # floors sit this far below the measured mean (the extractor is deterministic)


def read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """Token precision, recall, F1 on whitespace tokens (multiset overlap)."""
    p, g = Counter(predicted.split()), Counter(gold.split())
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def html_text(html: bytes) -> str:
    """Text of Readability's expected HTML, one block per line."""
    tree = lxml.html.fromstring(html)
    for block in tree.iter("p", "div", "li", "h1", "h2", "h3", "h4", "pre", "blockquote", "br"):
        block.tail = "\n" + (block.tail or "")
    return tree.text_content()


def ours(html: bytes, url: str | None) -> str:
    page = extract_article(html, url)
    return page.text if page.lead and page.lead[:80] in page.text else \
        f"{page.lead}\n\n{page.text}".strip()


def plain(html: bytes, url: str | None) -> str:
    return trafilatura.extract(html, url=url) or ""


EXTRACTORS = {"ours": ours, "trafilatura": plain}


def cases() -> dict[str, list[dict]]:
    """Evaluation cases per set: {"html", "url", and "gold" text or "snippets"/"contains"}."""
    sets: dict[str, list[dict]] = defaultdict(list)
    for line in (WEB / "manifest.jsonl").read_text("utf-8").splitlines():
        e = json.loads(line)
        if e["kind"] != "article":
            continue
        parts = e["path"].split("/")
        name = parts[1] if parts[0] == "benchmark" else ("vi" if e["lang"] == "vi" else None)
        case = {"path": e["path"], "url": e.get("url")}
        if name in ("scrapinghub", "fundus", "readability") and e.get("gold_body_path"):
            sets[name].append({**case, "gold_path": e["gold_body_path"]})
        elif name == "trafilatura" and e.get("gold"):
            sets[name].append({**case, "with": e["gold"].get("with", []),
                               "without": e["gold"].get("without", [])})
        elif name == "vi":
            if e.get("gold_body_path"):
                sets["vi-body"].append({**case, "gold_path": e["gold_body_path"]})
            sets["vi-contains"].append({**case, "with": [
                c.removesuffix(" (case-insensitive)") for c in e["gold"].get("body_contains", [])],
                "without": []})
    return dict(sets)


def data_hash(sets: dict[str, list[dict]]) -> str:
    digest = hashlib.sha256()
    files = sorted({c["path"] for cs in sets.values() for c in cs} |
                   {c["gold_path"] for cs in sets.values() for c in cs if "gold_path" in c})
    for rel in files:
        digest.update(rel.encode() + b"\0" + (WEB / rel).read_bytes())
    return digest.hexdigest()


def score(case: dict, text: str) -> tuple[float, float, float]:
    if "gold_path" in case:
        gold = read(WEB / case["gold_path"])
        gold_text = html_text(gold) if case["gold_path"].endswith(".html.gz") else \
            gold.decode("utf-8")
        return prf(text, gold_text)
    low = text.lower()
    checks = [s.lower() in low for s in case["with"]] + \
             [s.lower() not in low for s in case["without"]]
    rate = sum(checks) / len(checks) if checks else 1.0
    return rate, rate, rate


def evaluate(sets: dict[str, list[dict]]) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for name, cs in sets.items():
        pages = [(c, read(WEB / c["path"])) for c in cs]
        for tool, fn in EXTRACTORS.items():
            started = time.perf_counter()
            scores = [score(c, fn(html, c["url"])) for c, html in pages]
            seconds = time.perf_counter() - started
            n = len(scores)
            results[name][tool] = {"n": n, "precision": sum(s[0] for s in scores) / n,
                                   "recall": sum(s[1] for s in scores) / n,
                                   "f1": sum(s[2] for s in scores) / n, "seconds": seconds}
    return results


def print_table(results: dict) -> None:
    print(f"{'set':<13}{'n':>4}  {'tool':<12}{'P':>7}{'R':>7}{'F1':>7}{'pages/s':>9}")
    for name, tools in results.items():
        for tool, r in tools.items():
            print(f"{name:<13}{r['n']:>4}  {tool:<12}{r['precision']:>7.3f}{r['recall']:>7.3f}"
                  f"{r['f1']:>7.3f}{r['n'] / r['seconds']:>9.1f}")
    print("(trafilatura and vi-contains sets: snippet pass rate in every column)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="pin floors = measured - 0.01")
    parser.add_argument("--allow-lower", action="store_true", help="let --update lower a floor")
    args = parser.parse_args(argv)
    logging.getLogger("crawlers.dates").setLevel(logging.ERROR)  # rejected dates: not scored
    sets = cases()
    digest = data_hash(sets)
    results = evaluate(sets)
    print_table(results)
    f1 = {name: tools["ours"]["f1"] for name, tools in results.items()}
    if args.update:
        floors = gate.pin("extraction", f1, f1, NOISE, args.allow_lower)
        gate.save({**gate.load(), "extraction": {"data_sha256": digest, "floors": floors,
                                                  "measured": {n: {t: round(r["f1"], 4)
                                                                   for t, r in ts.items()}
                                                               for n, ts in results.items()}}})
        print(f"pinned floors in {gate.BASELINE}")
        return 0
    problems = gate.problems("extraction", f1, digest)
    for problem in problems:
        print("FAIL:", problem)
    print("extraction: OK" if not problems else "extraction: FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
