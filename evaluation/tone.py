"""Tone of news and comments (the dashboard's "Tiêu cực %"), measured on the team's corpus.

For each kind (news: title + lead; comments), on the same repeated stratified folds of the
corpus's train split: the shipped configuration (nlp.models.tone.CHOSEN), the plain TF-IDF +
linear SVM, and the previous sentiment model (the VSFC recipe the dashboard used before);
accuracy, macro-F1, per-class F1 and the error of the predicted negative share, mean ± sd.
Then the shipped configuration fitted on the train split and scored once on the held-out fifth,
with its negative share beside the annotated one.

Gates: the shipped configuration must beat the plain SVM on mean CV macro-F1, its held-out
negative share must be within SHARE_TOLERANCE of the annotated share, and the pinned floors in
evaluation/baseline.json ("tone") hold (for comments also on the test folds typed without
diacritics).

    python -m evaluation.tone [--repeats 1]   # about 25 minutes on a busy 2-core machine
    python -m evaluation.tone --update       # pin floors = measured - 0.02
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time

from evaluation import gate
from nlp.models import tone, tone_corpus

NOISE = 0.02  # CV means move by ~0.01 with the fold draw and library versions
SHARE_TOLERANCE = 0.05  # the target: negative share within 5 points
SHIPPED, SVM = "shipped", "plain SVM (baseline)"


def data_hash() -> str:
    digest = hashlib.sha256()
    for kind in tone_corpus.KINDS:
        digest.update((tone_corpus.CORPUS / f"{kind}.jsonl").read_bytes())
    return digest.hexdigest()


def measure(repeats: int) -> dict:
    out = {}
    for kind in tone_corpus.KINDS:
        models = tone.model_factories(kind, names=[])
        chosen = tone.CANDIDATES[kind][tone.CHOSEN[kind]]
        models[SHIPPED] = lambda chosen=chosen, kind=kind: tone.Linear(chosen, kind)
        cv = tone.cross_validate(kind, models, repeats,
                                 progress=lambda m: print(m, file=sys.stderr, flush=True))
        tone.print_table(kind, {f"{n} ({tone.CHOSEN[kind]})" if n == SHIPPED else n: v
                                for n, v in cv.items()})
        held = tone.heldout_report(kind, chosen)
        m, s = held["model"], held["plain_svm"]
        print(f"  held-out fifth (n={held['n']}): shipped acc {m['accuracy']:.3f} macro-F1 "
              f"{m['macro_f1']:.3f}; plain SVM acc {s['accuracy']:.3f} macro-F1 "
              f"{s['macro_f1']:.3f}; negative share annotated {held['annotated_neg_share']:.3f}"
              f", predicted {held['predicted_neg_share']:.3f}")
        out[kind] = {"cv": cv, "heldout": held}
    return out


def flatten(results: dict) -> dict[str, float]:
    flat = {}
    for kind, r in results.items():
        for name, key in ((SHIPPED, "shipped"), (SVM, "svm")):
            for metric, (mean, _) in r["cv"][name].items():
                flat[f"{kind}.cv.{key}.{metric}"] = mean
        flat[f"{kind}.heldout.macro_f1"] = r["heldout"]["model"]["macro_f1"]
        flat[f"{kind}.heldout.accuracy"] = r["heldout"]["model"]["accuracy"]
        flat[f"{kind}.heldout.neg_share_error"] = r["heldout"]["model"]["neg_share_error"]
    return flat


GATED = tuple(f"{kind}.{m}" for kind in tone_corpus.KINDS
              for m in ("cv.shipped.macro_f1", "cv.shipped.accuracy", "heldout.macro_f1")
              ) + ("comments.cv.shipped.macro_f1_folded",)  # readers type without diacritics


def relations(flat: dict[str, float]) -> list[str]:
    found = []
    for kind in tone_corpus.KINDS:
        ours, svm = flat[f"{kind}.cv.shipped.macro_f1"], flat[f"{kind}.cv.svm.macro_f1"]
        if ours <= svm:
            found.append(f"{kind}: shipped CV macro-F1 {ours:.4f} does not beat the plain SVM "
                         f"{svm:.4f}")
        error = flat[f"{kind}.heldout.neg_share_error"]
        if abs(error) > SHARE_TOLERANCE:
            found.append(f"{kind}: held-out negative share off by {error:+.3f} "
                         f"(tolerance {SHARE_TOLERANCE})")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.tone", description=__doc__)
    parser.add_argument("--repeats", type=int, default=1,
                        help="repeats of the 5-fold CV (each adds ~10 minutes)")
    parser.add_argument("--update", action="store_true", help="pin floors = measured - 0.02")
    parser.add_argument("--allow-lower", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    flat, digest = flatten(measure(args.repeats)), data_hash()
    found = relations(flat)
    if args.update and not found:
        floors = gate.pin("tone", flat, GATED, NOISE, args.allow_lower)
        gate.save({**gate.load(), "tone": {"data_sha256": digest, "floors": floors, "measured": {
            k: round(v, 4) for k, v in flat.items()}}})
        print(f"pinned {len(GATED)} floors under 'tone' in {gate.BASELINE}")
    found += gate.problems("tone", flat, digest)
    for problem in found:
        print("FAIL:", problem, file=sys.stderr)
    print(f"({time.perf_counter() - started:.0f} s)")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
