"""Duplicate-story detection (nlp/stories.py) on synthetic syndication of real VNTC articles.

    python -m evaluation.nlp_stories [--update-baseline]

From VNTC dev (real 2006-07 news articles, ../shared/data/vntc-10topics), every article of at
least MIN_LINES lines is published by an "original" outlet; a second outlet republishes each of
the first N_COPIED articles with edits drawn from a fixed-seed RNG (one to three of: a rewritten
title, the last 20-40% of paragraphs trimmed, a paragraph dropped from the middle, boilerplate
added at the top and bottom). All the other articles — including same-topic ones, the hard
negatives — stand alone. Everything is indexed in one shuffled stream.

Pair precision = true duplicate pairs among the pairs the index put in one story; pair recall =
copies put in their original's story. Exits 1 below the floors pinned in evaluation/baseline.json
under "nlp_domains" → "stories".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from itertools import combinations

from evaluation.nlp_domains import check
from nlp import stories

DATA = stories.Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "vntc-10topics"
SEED = 20250701  # fixed: the evaluation must be reproducible
MIN_LINES = 4  # an article needs paragraphs to trim
N_COPIED = 300  # a third of the usable dev articles get a republished copy
BOILER_TOP = ["(Dân trí) -", "TIN MỚI NHẬN:", "Theo phóng viên thường trú tại khu vực,"]
BOILER_END = ["Theo VnExpress", "Xem thêm: Tin tức mới nhất trong ngày",
              "Bản quyền thuộc về tòa soạn. Ghi rõ nguồn khi phát hành lại thông tin từ website.",
              "Mời bạn đọc gửi ý kiến, bình luận về bài viết tại mục phản hồi."]


def _edit(lines: list[str], rng: random.Random) -> list[str]:
    out = list(lines)
    for op in rng.sample(["title", "trim", "drop", "boiler"], rng.randint(1, 3)):
        if op == "title":
            words = out[0].split()
            out[0] = " ".join(words[len(words) // 3 :] + ["- tin nóng"])  # a rewritten headline
        elif op == "trim":
            keep = max(2, round(len(out) * rng.uniform(0.6, 0.8)))
            out = out[:keep]
        elif op == "drop" and len(out) > 3:
            out.pop(rng.randrange(1, len(out) - 1))
        elif op == "boiler":
            out = [out[0], rng.choice(BOILER_TOP)] + out[1:] + rng.sample(BOILER_END, 2)
    return out


def corpus() -> tuple[list[stories.Item], dict[str, str]]:
    rows = [json.loads(line) for line in (DATA / "dev.jsonl").read_text("utf-8").splitlines()]
    rows = [r for r in rows if r["text"].count("\n") + 1 >= MIN_LINES]
    rng = random.Random(SEED)
    items, truth = [], {}
    for i, row in enumerate(rows):
        items.append(stories.Item(f"o{i}", row["text"], row["source"]))
        if i < N_COPIED:
            copy = "\n".join(_edit(row["text"].split("\n"), rng))
            items.append(stories.Item(f"c{i}", copy, "syndicator.example"))
            truth[f"c{i}"] = f"o{i}"
    rng.shuffle(items)
    return items, truth


def measure() -> dict:
    items, truth = corpus()
    with stories.StoryIndex() as index:
        story = dict(zip((it.doc_id for it in items), index.assign_many(items), strict=True))
    groups: dict[str, list[str]] = {}
    for doc, sid in story.items():
        groups.setdefault(sid, []).append(doc)
    predicted = {tuple(sorted(p)) for g in groups.values() for p in combinations(g, 2)}
    gold = {tuple(sorted(p)) for p in truth.items()}
    tp = len(predicted & gold)
    digest = hashlib.sha256((DATA / "dev.jsonl").read_bytes()).hexdigest()[:16]
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(gold)
    return {"data_hash": digest, "documents": len(items), "duplicate_pairs": len(gold),
            "predicted_pairs": len(predicted), "pair_precision": round(precision, 4),
            "pair_recall": round(recall, 4),
            "floors": {"pair_precision": round(precision, 4), "pair_recall": round(recall, 4)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-baseline", action="store_true")
    args = parser.parse_args(argv)
    result = measure()
    print(json.dumps({k: v for k, v in result.items() if k != "floors"}, indent=2))
    return check(result, args.update_baseline, part="stories")


if __name__ == "__main__":
    sys.exit(main())
