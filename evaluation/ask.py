"""Question understanding of the assistant (assistant.understand) on questions the team wrote.

    python -m evaluation.ask [--update-baseline] [--allow-lower] [--show-errors]

Three sets in evaluation/data/, one question a line with the structured request a person
expects (`now` fixed at NOW, the watch topics and sources of config/): `ask_questions.jsonl`
(175), written before the rules and used to refine them (a dev set); `ask_heldout.jsonl` (60),
written at the same time by the same person and only measured (its errors are never printed
while refining); `ask_fresh.jsonl` (69), written after the rules in other voices (formal
requests, casual shorthand, typos), measured once (0.812 fully right) and then used to refine
them too. Different phrasings, without diacritics, with typos and shorthand, and questions it
must not understand.

Per field: the share of questions where the field is exactly right (intent; since and until to
the minute; each filter; the searched keywords, folded; the comparison's other side);
"fully right" = every field right. Exits 1 below the floors pinned in evaluation/baseline.json
under "ask".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import datetime
from pathlib import Path

from assistant.understand import load_catalog, understand
from evaluation import gate
from langnghe.document import VN_TZ
from langnghe.vietnamese import fold
from runner.stages import DEFAULT_WATCH

HERE = Path(__file__).resolve().parent / "data"
SETS = {"dev": HERE / "ask_questions.jsonl", "fresh": HERE / "ask_fresh.jsonl",
        "heldout": HERE / "ask_heldout.jsonl"}
NOW = datetime(2026, 12, 10, 9, 30, tzinfo=VN_TZ)  # a Thursday
FIELDS = ("intent", "since", "until", "place", "domain", "topic", "sentiment", "source",
          "entity", "keywords", "compare")
# Rule-based and deterministic (the same questions always give the same requests); the margin
# only absorbs gate.pin's rounding to three places, which could put a floor above its measure.
NOISE = 0.001


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _moment(value: str | None) -> str | None:
    """An ISO time as the sets write it: local minutes, or "now"."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value).astimezone(VN_TZ)
    return "now" if moment == NOW else moment.strftime("%Y-%m-%dT%H:%M")


def _norm(value):
    if isinstance(value, list):
        return sorted(_norm(v) for v in value)
    return " ".join(fold(value).split()) if isinstance(value, str) else value


def observed(request: dict) -> dict:
    """The fields the sets check, from a request's JSON."""
    out = {"intent": request["intent"], "keywords": _norm(request["keywords"])}
    understood = request["intent"] != "unknown"
    out["since"] = _moment(request["since"]) if understood else None
    out["until"] = _moment(request["until"]) if understood else None
    for name, value in request["filters"].items():
        out[name] = _norm(value) if understood else None
    compare = request.get("compare")
    if compare and "since" in compare:
        out["compare"] = {"since": _moment(compare["since"]), "until": _moment(compare["until"])}
    elif compare:
        out["compare"] = {k: _norm(v) for k, v in compare.items() if k != "query"}
    else:
        out["compare"] = None
    return out


def expected(row: dict) -> dict:
    out = {"intent": row["intent"], "since": row["since"], "until": row["until"],
           "keywords": _norm(row.get("keywords", "")), "compare": None}
    if row["intent"] == "unknown":
        out["keywords"] = None
    for name in FIELDS[3:9]:
        out[name] = _norm(row["filters"].get(name))
    if row.get("compare"):
        out["compare"] = {k: v if k in ("since", "until") else _norm(v)
                          for k, v in row["compare"].items()}
    return out


def score(rows: list[dict], catalog) -> tuple[dict[str, float], list[tuple[str, dict, dict]]]:
    right = dict.fromkeys((*FIELDS, "fully_right"), 0)
    errors = []
    for row in rows:
        got = observed(understand(row["q"], NOW, catalog).to_dict())
        want = expected(row)
        if want["keywords"] is None:
            got["keywords"] = None
        wrong = [f for f in FIELDS if got[f] != want[f]]
        for f in FIELDS:
            right[f] += f not in wrong
        right["fully_right"] += not wrong
        if wrong:
            errors.append((row["q"], {f: got[f] for f in wrong}, {f: want[f] for f in wrong}))
    return {k: v / len(rows) for k, v in right.items()}, errors


def digest() -> str:
    h = hashlib.sha256()
    for path in SETS.values():
        h.update(path.read_bytes())
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-baseline", action="store_true")
    parser.add_argument("--allow-lower", action="store_true")
    parser.add_argument("--show-errors", choices=tuple(SETS), action="append", default=[],
                        help="print the questions a set gets wrong (never for heldout while "
                             "refining the rules)")
    args = parser.parse_args(argv)
    catalog = load_catalog(DEFAULT_WATCH)
    measured: dict[str, float] = {}
    print(f"{'field':<12}" + "".join(f"{name:>10}" for name in SETS))
    results = {}
    for name, path in SETS.items():
        rows = load(path)
        results[name] = score(rows, catalog)
        measured.update({f"{name}.{k}": v for k, v in results[name][0].items()})
        print(f"  {name}: {len(rows)} questions")
    for field in (*FIELDS, "fully_right"):
        print(f"{field:<12}" + "".join(f"{results[n][0][field]:>10.3f}" for n in SETS))
    for name in args.show_errors:
        for question, got, want in results[name][1]:
            print(f"\n{question}\n  got  {got}\n  want {want}")
    keys = [f"{n}.fully_right" for n in SETS] + [f"{n}.intent" for n in SETS]
    if args.update_baseline:
        baseline = gate.load()  # fresh: other evaluations pin their own keys in the same file
        baseline["ask"] = {"data_sha256": digest(),
                           "floors": gate.pin("ask", measured, keys, NOISE, args.allow_lower),
                           "measured": {k: round(v, 4) for k, v in measured.items()}}
        gate.save(baseline)
        print("pinned floors in evaluation/baseline.json under 'ask'")
        return 0
    found = gate.problems("ask", measured, digest())
    for problem in found:
        print(f"FAIL: {problem}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
