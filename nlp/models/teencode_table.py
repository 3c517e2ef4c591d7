"""Learning the teencode table of nlp/teencode.py from ViLexNorm pairs and vi-nsw-dictionary.

1. Each train pair is split into word tokens and aligned with difflib; a replaced block with as
   many tokens on both sides aligns one to one, a one-token block maps to the whole phrase.
2. A noisy token enters the table when it was rewritten to the same standard form in at least
   `MIN_SHARE` of its occurrences (and at least `MIN_COUNT` times), so "k" -> "không" goes in but
   a word that is usually left alone stays alone.
3. Entries of vi-nsw-dictionary with a single candidate, unseen in the pairs and whose key is
   not itself a standard syllable, are added (unfiltered, the dictionary's "ban" -> "bạn" style
   entries cut the dev ERR from 0.76 to 0.31). The dictionary was extracted from the whole of
   ViLexNorm and may include dev/test forms, so the ERR without it is reported too.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from difflib import SequenceMatcher
from pathlib import Path

import joblib

from nlp import teencode
from nlp.models.data import DATA, split
from nlp.models.segmenter import viet74k_words

MIN_SHARE = 0.5  # rewritten to this form in at least half of its occurrences
MIN_COUNT = 1  # dev ERR 0.764 with 1, 0.740 with 2, 0.719 with 3: rare forms are real too


def aligned_pairs(source: list[str], target: list[str]):
    """(source token, target phrase) for every source token, unchanged ones included."""
    matcher = SequenceMatcher(a=source, b=target, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            yield from zip(source[i1:i2], target[j1:j2], strict=True)
        elif op == "replace" and i2 - i1 == 1:
            yield source[i1], " ".join(target[j1:j2])


def learn_table(rows: list[dict]) -> dict[str, str]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        source = [t.lower() for t in teencode.words(row["text"])]
        target = [t.lower() for t in teencode.words(row["normalized"])]
        for src, tgt in aligned_pairs(source, target):
            counts[src][tgt] += 1
    table = {}
    for src, forms in counts.items():
        best, n = forms.most_common(1)[0]
        if best != src and n >= MIN_COUNT and n / sum(forms.values()) >= MIN_SHARE:
            table[src] = best
    return table


def dictionary_entries() -> dict[str, str]:
    raw = json.loads((DATA / "vi-nsw-dictionary" / "vi-nsw-dict.json").read_text(encoding="utf-8"))
    return {key: values[0] for key, values in raw.items()
            if len(values) == 1 and len(teencode.words(key)) == 1 and key.strip()}


def vocabulary(rows: list[dict]) -> set[str]:
    """Standard syllables: the normalised side of the pairs plus Viet74K's syllables."""
    vocab = {t.lower() for row in rows for t in teencode.words(row["normalized"])}
    vocab.update(s.lower() for word in viet74k_words() for s in word.split())
    return vocab


def build(out: Path) -> dict:
    rows = split("vilexnorm", "train")
    table = learn_table(rows)
    learned = len(table)
    vocab = vocabulary(rows)
    dev = split("vilexnorm", "dev")
    pairs_only = evaluate(teencode.Normalizer(dict(table), vocab), dev)
    for key, value in dictionary_entries().items():
        if key not in vocab:
            table.setdefault(key, value)
    # sorted: the same bytes on every build (set order depends on the hash seed)
    blob = {"table": dict(sorted(table.items())), "vocabulary": sorted(vocab)}
    out.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(blob, out, compress=3)
    teencode.default.cache_clear()
    norm = teencode.Normalizer(blob["table"], vocab)
    metrics = evaluate(norm, dev)
    metrics.update(table=len(table), learned_from_pairs=learned, err_pairs_only=pairs_only["err"])
    return metrics


def token_accuracy(outputs: list[str], references: list[str]) -> float:
    """Share of reference tokens reproduced in order (difflib matching blocks)."""
    hit = total = 0
    for out, ref in zip(outputs, references, strict=True):
        a, b = [t.lower() for t in teencode.words(out)], [t.lower() for t in teencode.words(ref)]
        blocks = SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks()
        hit += sum(block.size for block in blocks)
        total += max(len(a), len(b))
    return hit / max(total, 1)


def evaluate(norm: teencode.Normalizer, rows: list[dict]) -> dict:
    """Token accuracy as is vs normalised, and the error reduction rate (ViLexNorm's ERR)."""
    refs = [row["normalized"] for row in rows]
    base = token_accuracy([row["text"] for row in rows], refs)
    ours = token_accuracy([norm.normalize(row["text"]) for row in rows], refs)
    return {"accuracy_as_is": base, "accuracy": ours, "err": (ours - base) / (1 - base)}
