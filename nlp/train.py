"""`python -m nlp.train [segment|teencode|classifiers|tone|all] [--corrections FILE]`: rebuild the
shipped NLP artifacts (with staff corrections, the learning loop: see nlp/corrections.py).

Each model is trained from ../shared/data into nlp/artifacts/<name>-v1/ (model.joblib plus a
MODEL_CARD.md with data sources, licences, the command and the metrics measured at build time).
Training is deterministic: fixed data order, fixed seeds, solvers without randomness.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TASKS = ("segment", "teencode", "classifiers", "tone")


def write_card(folder: Path, card: str, metrics: dict) -> None:
    body = card.strip() + "\n\n## Metrics at build time\n\n```json\n"
    body += json.dumps(metrics, indent=1, ensure_ascii=False, sort_keys=True) + "\n```\n"
    (folder / "MODEL_CARD.md").write_text(body, encoding="utf-8")


def run(task: str, corrections: Path | None = None) -> dict:
    if task == "segment":
        from nlp.models import cards, segmenter

        out = ARTIFACTS / "segmenter-v1" / "model.joblib"
        metrics = segmenter.build(out)
        write_card(out.parent, cards.SEGMENTER, metrics)
        return metrics
    if task == "teencode":
        from nlp.models import cards, teencode_table

        out = ARTIFACTS / "teencode-v1" / "model.joblib"
        metrics = teencode_table.build(out)
        write_card(out.parent, cards.TEENCODE, metrics)
        return metrics
    if task == "tone":
        from nlp.models import tone

        return {kind: tone.build_with_card(kind, ARTIFACTS, corrections)
                for kind in ("news", "comments")}
    from nlp.models import textclf

    return textclf.build_all(ARTIFACTS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.train", description=__doc__)
    parser.add_argument("tasks", nargs="*", default=["all"], choices=[*TASKS, "all"],
                        help="which artifacts to rebuild (default: all)")
    parser.add_argument("--corrections", type=Path,
                        help="staff corrections to learn from (JSON lines of "
                             "`langnghe corrections export`); used by the tone models")
    args = parser.parse_args(argv)
    if args.corrections and not args.corrections.exists():
        parser.error(f"--corrections {args.corrections}: no such file")
    tasks = TASKS if "all" in args.tasks else args.tasks
    for task in tasks:
        started = time.perf_counter()
        metrics = run(task, args.corrections)
        summary = json.dumps(metrics, ensure_ascii=False)
        print(f"{task}: {time.perf_counter() - started:.0f} s", summary, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
