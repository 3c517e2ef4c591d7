"""The enrich stage: run each step on each document, never let one document stop the batch.

A step is a function `(doc, section) -> None` that fills its fields of the document's
`NlpSection`; steps run in the order of `STEPS`. A step that raises records
"<step>: <error>" in `section.errors` and the remaining steps still run.

Steps that need the deployment's context (watch topics, the story index, the home province)
are `(doc, section, context) -> None` in `CONTEXT_STEPS`; they run after every step of `STEPS`
(so they see sentiment, normalization, …) with the `EnrichContext` given to `enrich` — or an
empty one: `enrich(docs)` without context still works (no topics; stories within the batch).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from langnghe.document import Document, NlpSection
from nlp import classify, textprep

if TYPE_CHECKING:  # imported lazily by the steps: keeps worker start-up light
    from nlp.stories import StoryIndex
    from nlp.watch import WatchTopic

log = logging.getLogger(__name__)
PIPELINE_VERSION = "nlp-v2"  # textprep + classifiers + domains, entities, stories, topics

Step = Callable[[Document, NlpSection], None]


def step_textprep(doc: Document, section: NlpSection) -> None:
    section.title, section.lead, section.text = textprep.prepare(doc.title, doc.lead, doc.text)
    section.segmented = textprep.segment("\n".join(
        part for part in (section.title, section.lead, section.text) if part))


STEPS: list[tuple[str, Step]] = [("textprep", step_textprep)]
# Learned steps (nlp/classify.py): normalize, sentiment, toxicity, emotion, category; models
# load lazily on first use.
STEPS += classify.STEPS


@dataclass
class EnrichContext:
    """What context steps need from the deployment; every field optional."""

    topics: Sequence[WatchTopic] = ()  # nlp.watch.load_topics(...)
    stories: StoryIndex | None = None  # nlp.stories.StoryIndex.for_home(home.root)
    home_province: str | None = None  # "Thanh Hóa" or "38": resolves ambiguous place names


ContextStep = Callable[[Document, NlpSection, EnrichContext], None]


def step_domains(doc: Document, section: NlpSection, context: EnrichContext) -> None:
    from nlp import domains

    body = "\n".join(p for p in (section.lead, section.normalized or section.text) if p)
    section.domains = domains.classify(section.title, body)


def step_entities(doc: Document, section: NlpSection, context: EnrichContext) -> None:
    from nlp import entities

    section.entities = entities.extract_section(section, context.home_province)


def step_story(doc: Document, section: NlpSection, context: EnrichContext) -> None:
    from nlp import entities, stories

    if context.stories is not None:
        item = stories.Item(doc.id, entities.full_text(section), doc.source_id, doc.published_at)
        section.story_id = context.stories.assign(item)


def step_topics(doc: Document, section: NlpSection, context: EnrichContext) -> None:
    from nlp import watch

    section.topics = watch.match_topics(doc, list(context.topics), section)


# topics last: a topic may filter on domain, entity, story or sentiment.
CONTEXT_STEPS: list[tuple[str, ContextStep]] = [
    ("domains", step_domains), ("entities", step_entities), ("story", step_story),
    ("topics", step_topics)]


def _run(name: str, call: Callable[[], None], doc: Document, section: NlpSection) -> None:
    try:
        call()
    except Exception as exc:  # one bad document never stops the pipeline
        log.warning("enrich step %s failed on %s: %s", name, doc.id, exc)
        section.errors.append(f"{name}: {type(exc).__name__}: {exc}")


def enrich_one(doc: Document, context: EnrichContext | None = None) -> Document:
    context = context or EnrichContext()
    section = NlpSection(version=PIPELINE_VERSION, lang=doc.language or "vi")
    for name, step in STEPS:
        _run(name, lambda step=step: step(doc, section), doc, section)
    for name, cstep in CONTEXT_STEPS:
        _run(name, lambda cstep=cstep: cstep(doc, section, context), doc, section)
    return doc.model_copy(update={"nlp": section})


def enrich(docs: Iterable[Document], context: EnrichContext | None = None) -> list[Document]:
    """Enrich a batch; without a story index, stories are grouped within the batch only."""
    context = context or EnrichContext()
    if context.stories is None:
        from nlp.stories import StoryIndex

        with StoryIndex() as batch_index:  # in memory, gone after the batch
            return enrich(docs, EnrichContext(context.topics, batch_index,
                                              context.home_province))
    with context.stories.batch():  # one transaction per batch, not per document
        return [enrich_one(doc, context) for doc in docs]
