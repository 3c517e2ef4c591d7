"""Quality of the learned NLP models on each dev split, gated by floors in baseline.json.

1. Word segmentation on UD-VTB dev: word F1 of ours and of underthesea (same run, same input),
   and ours on the same text with diacritics removed.
2. Teencode normalisation on ViLexNorm dev: token accuracy as is vs normalised, and ERR.
3. Classifiers: accuracy, macro-F1, weighted-F1 and per-class F1 on each dev split
   (toxicity: UIT-ViHSD, emotion: UIT-VSMEC, category: VNTC, toxic/constructive: UIT-ViCTSD).
   Their configurations were chosen by cross-validation on train (evaluation/cv.py, which
   gates them against a plain SVM); these dev floors guard the shipped artifacts against
   regressions and are not what the choices were made on. The tone models that fill the
   `sentiment` field are measured by evaluation/tone.py.

    python -m evaluation.nlp            # print; exit 1 below a pinned floor or on a data change
    python -m evaluation.nlp --update   # pin floors = measured - 0.01 (never lowers a floor
                                          unless --allow-lower is given)
Floors live in evaluation/baseline.json under "nlp" with the sha256 of the evaluation files;
other keys of that file belong to other evaluations and are kept as they are.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time

from evaluation import gate
from nlp.models.data import DATA, split

NOISE = 0.01  # the models are deterministic; 0.01 absorbs library-version float drift
DEV_FILES = ("ud-vietnamese-vtb/dev.ws.jsonl", "vilexnorm/dev.jsonl", "uit-vihsd/dev.jsonl",
             "uit-vsmec/valid.jsonl", "vntc-10topics/dev.jsonl", "uit-victsd/valid.jsonl")
# Gated metrics: the one each task is judged by (plus accuracy where the issue sets a target).
# ws.ours_train_only*: the honest held-out numbers stored in the artifact at build time.
CLASSIFIERS = ("toxicity", "emotion", "category", "toxic", "constructive")  # textclf.TASKS
GATED = ("ws.ours.f1", "ws.ours_train_only_at_build.f1",
         "ws.ours_train_only_unaccented_at_build.f1", "teencode.err", "toxicity.macro_f1",
         "emotion.weighted_f1", "category.accuracy", "toxic.macro_f1", "constructive.macro_f1")


def data_hash() -> str:
    digest = hashlib.sha256()
    for rel in DEV_FILES:
        digest.update(rel.encode() + b"\0" + (DATA / rel).read_bytes())
    return digest.hexdigest()


def segmentation() -> dict:
    import joblib
    from underthesea import word_tokenize

    from nlp import segment
    from nlp.models.segmenter import boundary_f1, evaluate, strip_diacritics

    rows = split("ud-vietnamese-vtb", "dev.ws")
    ours = segment.default()
    gold = [r["words"] for r in rows]
    held_out = joblib.load(segment.ARTIFACT).get("held_out", {})
    return {"ours": evaluate(ours, rows),
            "ours_train_only_at_build": held_out.get("train_only_dev"),
            "ours_train_only_unaccented_at_build": held_out.get("train_only_dev_unaccented"),
            "ours_train_cv_at_build": held_out.get("train_cv"),
            "underthesea": boundary_f1(gold, [word_tokenize(r["text"]) for r in rows]),
            "ours_unaccented": evaluate(ours, rows, unaccented=True),
            "underthesea_unaccented": boundary_f1(
                [[strip_diacritics(w) for w in g] for g in gold],
                [word_tokenize(strip_diacritics(r["text"])) for r in rows])}


def teencode() -> dict:
    from nlp import teencode as tc
    from nlp.models.teencode_table import evaluate

    return evaluate(tc.default(), split("vilexnorm", "dev"))


def classifiers() -> dict:
    from nlp import classify
    from nlp.models import textclf

    out = {}
    for name in CLASSIFIERS:
        out[name] = textclf.scores(classify.model(name), textclf.TASKS[name]().dev)
    return out


def measure() -> dict:
    return {"ws": segmentation(), "teencode": teencode(), **classifiers()}


def flatten(results: dict) -> dict[str, float]:
    flat = {}
    for key, value in results.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in flatten(value).items()})
        elif isinstance(value, float):
            flat[key] = value
    return flat


def print_table(results: dict) -> None:
    ws = results["ws"]
    print("word segmentation, UD-VTB dev, word F1 (the shipped model was trained on train+dev: "
          "its dev score guards regressions; the held-out number is ours_train_only_at_build)")
    for name in ("ours", "ours_train_only_at_build", "underthesea", "ours_unaccented",
                 "ours_train_only_unaccented_at_build", "underthesea_unaccented"):
        m = ws[name]
        if m is None:
            continue
        print(f"  {name:35s} P {m['precision']:.4f}  R {m['recall']:.4f}  F1 {m['f1']:.4f}")
    if cv := ws["ours_train_cv_at_build"]:
        print(f"  {'ours_train_cv_at_build (5-fold, train)':35s} F1 {cv['f1']:.4f}  "
              f"unaccented F1 {cv['f1_unaccented']:.4f}")
    t = results["teencode"]
    print(f"teencode, ViLexNorm dev: token accuracy as is {t['accuracy_as_is']:.4f}, "
          f"normalised {t['accuracy']:.4f}, ERR {t['err']:.4f}")
    for name in CLASSIFIERS:
        m = results[name]
        per = "  ".join(f"{c} {f:.3f}" for c, f in m["per_class_f1"].items())
        print(f"{name:12s} n={m['n']:<5d} acc {m['accuracy']:.4f}  macro-F1 {m['macro_f1']:.4f}  "
              f"weighted-F1 {m['weighted_f1']:.4f}  ECE {m['ece']:.4f}\n{'':14s}{per}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.nlp", description=__doc__)
    parser.add_argument("--update", action="store_true", help="pin floors = measured - 0.01")
    parser.add_argument("--allow-lower", action="store_true", help="let --update lower a floor")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = measure()
    print_table(results)
    flat, digest = flatten(results), data_hash()
    if args.update:
        floors = gate.pin("nlp", flat, GATED, NOISE, args.allow_lower)
        gate.save({**gate.load(), "nlp": {"data_sha256": digest, "floors": floors, "measured": {
            k: round(flat[k], 4) for k in GATED}}})
        print(f"pinned {len(GATED)} floors under 'nlp' in {gate.BASELINE}")
        return 0
    problems = gate.problems("nlp", flat, digest)
    for problem in problems:
        print("FAIL:", problem, file=sys.stderr)
    print(f"({time.perf_counter() - started:.0f} s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
