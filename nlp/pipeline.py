"""The enrich stage: run each step on each document, never let one document stop the batch.

A step is a function `(doc, section) -> None` that fills its fields of the document's
`NlpSection`; steps run in the order of `STEPS`. A step that raises records
"<step>: <error>" in `section.errors` and the remaining steps still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from langnghe.document import Document, NlpSection
from nlp import textprep

log = logging.getLogger(__name__)
PIPELINE_VERSION = "textprep-v1"

Step = Callable[[Document, NlpSection], None]


def step_textprep(doc: Document, section: NlpSection) -> None:
    section.title, section.lead, section.text = textprep.prepare(doc.title, doc.lead, doc.text)
    section.segmented = textprep.segment("\n".join(
        part for part in (section.title, section.lead, section.text) if part))


STEPS: list[tuple[str, Step]] = [("textprep", step_textprep)]


def enrich_one(doc: Document) -> Document:
    section = NlpSection(version=PIPELINE_VERSION, lang=doc.language or "vi")
    for name, step in STEPS:
        try:
            step(doc, section)
        except Exception as exc:  # one bad document never stops the pipeline
            log.warning("enrich step %s failed on %s: %s", name, doc.id, exc)
            section.errors.append(f"{name}: {type(exc).__name__}: {exc}")
    return doc.model_copy(update={"nlp": section})


def enrich(docs: Iterable[Document]) -> list[Document]:
    return [enrich_one(doc) for doc in docs]
