"""The team's tone corpus (nlp/corpus/tone/): building it from the annotators' labels, reading it.

Files (see the folder's DATA_CARD.md and GUIDELINE.md):
- `news.items.jsonl`, `comments.items.jsonl`: the texts read, with provenance
  (`python -m nlp.models.tone_sample` draws them);
- `labels/<annotator>.<kind>.tsv`: `item id<TAB>neg|neu|pos`, one file per annotator and kind,
  exactly as the person read them;
- `adjudication.tsv`: `item id<TAB>label<TAB>reason` for the doubly-labelled items whose two
  readings differ (a third reading against the guideline);
- `news.jsonl`, `comments.jsonl`: the corpus as the models read it, one object per item: the
  item's fields, `label` (negative / neutral / positive, the `sentiment` field's classes),
  `annotators` ({annotator: label}) and `split` (`train`, or `heldout`: the fixed fifth kept out
  of model selection to report how far a model's negative share is from the annotated one).

`python -m nlp.models.tone_corpus build` writes the last two from the others and prints the
agreement; `load(kind)` reads a corpus file and refuses any label outside the three.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "tone"
KINDS = ("news", "comments")
LABELS = ("negative", "neutral", "positive")
SHORT = {"neg": "negative", "neu": "neutral", "pos": "positive"}
HELDOUT_PERCENT = 20  # by a hash of the item id: stable whatever is added later


class CorpusError(ValueError):
    """A corpus or label file that cannot be used; the message names the file and line."""


def split_of(item_id: str) -> str:
    bucket = int(hashlib.sha1(item_id.encode(), usedforsecurity=False).hexdigest()[:8], 16) % 100
    return "heldout" if bucket < HELDOUT_PERCENT else "train"


def _label(raw: str, where: str) -> str:
    label = SHORT.get(raw.strip(), raw.strip())
    if label not in LABELS:
        raise CorpusError(f"{where}: label {raw.strip()!r}; expected one of "
                          f"{', '.join(SHORT)} ({', '.join(LABELS)})")
    return label


def read_labels(path: Path) -> dict[str, str]:
    """{item id: label} of one annotator's file; a repeated id or a bad label is an error."""
    out: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise CorpusError(f"{path}:{number}: expected `id<TAB>label`")
        if parts[0] in out:
            raise CorpusError(f"{path}:{number}: item {parts[0]} labelled twice")
        out[parts[0]] = _label(parts[1], f"{path}:{number}")
    return out


def cohen_kappa(pairs: list[tuple[str, str]]) -> float:
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in LABELS) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def build(folder: Path = CORPUS) -> dict:
    """Merge items, annotators' labels and adjudications into `<kind>.jsonl`; return the
    counts and agreement that the data card reports."""
    adjudicated: dict[str, str] = {}
    path = folder / "adjudication.tsv"
    if path.exists():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip() and not line.startswith("#"):
                item, label = line.split("\t")[:2]
                adjudicated[item] = _label(label, f"{path}:{number}")
    report: dict = {}
    for kind in KINDS:
        items = [json.loads(x) for x in (folder / f"{kind}.items.jsonl").read_text(
            encoding="utf-8").splitlines() if x.strip()]
        readings: dict[str, dict[str, str]] = {}
        for labels in sorted((folder / "labels").glob(f"*.{kind}.tsv")):
            annotator = labels.name.split(".")[0]
            for item, label in read_labels(labels).items():
                readings.setdefault(item, {})[annotator] = label
        rows, pairs, unresolved = [], [], []
        for item in items:
            seen = readings.get(item["id"])
            if not seen:
                continue
            values = list(seen.values())
            if len(values) > 1:
                pairs.append((values[0], values[1]))
            if len(set(values)) == 1:
                label = values[0]
            elif item["id"] in adjudicated:
                label = adjudicated[item["id"]]
            else:
                unresolved.append(item["id"])
                continue
            rows.append({**item, "label": label, "annotators": seen,
                         "split": split_of(item["id"])})
        with (folder / f"{kind}.jsonl").open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        report[kind] = {
            "items": len(rows), "unlabelled": len(items) - len(rows) - len(unresolved),
            "unresolved_disagreements": len(unresolved),
            "labels": dict(sorted(Counter(r["label"] for r in rows).items())),
            "heldout": sum(r["split"] == "heldout" for r in rows),
            "doubly_labelled": len(pairs),
            "raw_agreement": (round(sum(a == b for a, b in pairs) / len(pairs), 4)
                              if pairs else None),
            "cohen_kappa": round(cohen_kappa(pairs), 4) if pairs else None,
            "adjudicated": sum(1 for a, b in pairs if a != b)}
    return report


def load(kind: str, split: str | None = None, folder: Path = CORPUS) -> list[dict]:
    """The corpus rows of `kind` (optionally one split); CorpusError on a label outside the
    three classes or a row without text."""
    if kind not in KINDS:
        raise CorpusError(f"unknown corpus {kind!r}; expected one of {', '.join(KINDS)}")
    path = folder / f"{kind}.jsonl"
    if not path.exists():
        raise CorpusError(f"{path}: missing (python -m nlp.models.tone_corpus build)")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not str(row.get("text", "")).strip():
            raise CorpusError(f"{path}:{number}: row without text")
        row["label"] = _label(str(row.get("label", "")), f"{path}:{number}")
        if split is None or row.get("split") == split:
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.models.tone_corpus", description=__doc__)
    parser.add_argument("command", choices=["build", "stats"])
    args = parser.parse_args(argv)
    if args.command == "build":
        print(json.dumps(build(), ensure_ascii=False, indent=1))
    else:
        for kind in KINDS:
            rows = load(kind)
            print(kind, len(rows), dict(Counter(r["label"] for r in rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
