"""Staff corrections as training examples: the learning loop's input to `make train`.

The web app keeps each correction (document text, field, old and new label, who, when) in its
database; `langnghe corrections export --out FILE` writes them as JSON lines, and
`python -m nlp.train --corrections FILE` / `python -m nlp.domains --corrections FILE` read them
here (nlp never reads the web's database itself). Only the latest correction of a field of a
document counts: staff may change their mind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FIELDS = ("sentiment", "domain")
WEIGHT = 2.0  # a correction is an in-domain, human-checked example: twice a dataset sentence


class CorrectionsError(ValueError):
    """A corrections file that cannot be read; the message names the line."""


@dataclass(frozen=True)
class Correction:
    doc_id: str
    field: str  # "sentiment" or "domain"
    old: str | None  # the machine's label that was corrected
    new: str
    text: str
    kind: str | None = None  # the document's kind (exports before the tone models lack it)


def load(path: str | Path) -> list[Correction]:
    """The latest correction per (document, field) in the JSON-lines file, in file order."""
    latest: dict[tuple[str, str], Correction] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                item = Correction(str(row["doc_id"]), row["field"], row.get("old"),
                                  str(row["new"]), str(row["text"]), row.get("kind"))
            except (ValueError, KeyError, TypeError) as exc:
                raise CorrectionsError(f"{path}:{number}: expected a JSON object with doc_id, "
                                       f"field, new and text ({exc})") from None
            if item.field not in FIELDS:
                raise CorrectionsError(f"{path}:{number}: field {item.field!r}; expected "
                                       f"one of {', '.join(FIELDS)}")
            latest.pop((item.doc_id, item.field), None)  # re-insert: keeps the newest's order
            latest[(item.doc_id, item.field)] = item
    return [c for c in latest.values() if c.text.strip()]


def sentiment_examples(items: list[Correction]) -> list[tuple[str, str, float]]:
    """(text, label, weight) rows of every sentiment correction, whatever the kind."""
    return [(c.text, c.new, WEIGHT) for c in items if c.field == "sentiment"]


SOCIAL_KINDS = frozenset({"post", "comment", "forum_post"})  # as nlp.classify.SOCIAL_KINDS


def tone_examples(items: list[Correction], corpus: str) -> list[tuple[str, str, float]]:
    """(text, label, weight) rows for the tone model of `corpus` ("news" or "comments"): the
    sentiment corrections of articles, or of posts and comments. A correction exported before
    kinds were recorded cannot be placed and is left out."""
    def fits(c: Correction) -> bool:
        return c.kind is not None and (c.kind in SOCIAL_KINDS) == (corpus == "comments")

    return [(c.text, c.new, WEIGHT) for c in items if c.field == "sentiment" and fits(c)]


def domain_examples(items: list[Correction]) -> list[tuple[str, str, str]]:
    """(text, "correction", "new|old") rows for the domain training set: the new domain applies,
    the corrected one does not, the others are unknown (see `nlp.domains.target`)."""
    return [(c.text, "correction", f"{c.new}|{c.old or ''}")
            for c in items if c.field == "domain"]
