"""The enrich stage: run each step on each document, never let one document stop the batch.

A step is a function `(doc, section) -> None` that fills its fields of the document's
`NlpSection`; steps run in the order of `STEPS`, then the classifiers of
`classify.CLASSIFIERS` (`classify_batch`: a transformers model, when one is configured for a
task, scores the whole batch at once). A step that raises records "<step>: <error>" in
`section.errors` and the remaining steps still run.

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
# Teencode normalisation (nlp/classify.py); the classifiers of `classify.CLASSIFIERS` then run
# over the batch (`classify_batch`); models load lazily on first use.
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


def _run(name: str, doc: Document, section: NlpSection, call: Callable, *args: object):
    """`call(*args)`'s result; if it raises, the error is recorded on `section` and None
    returned — one bad document never stops the pipeline."""
    try:
        return call(*args)
    except Exception as exc:
        log.warning("enrich step %s failed on %s: %s", name, doc.id, exc)
        section.errors.append(f"{name}: {type(exc).__name__}: {exc}")
        return None


# Steps that need nothing shared run anywhere (worker processes); story and topics need the
# deployment's story index and topics and run in the process that owns them.
LOCAL_STEPS = ("domains", "entities")


def classify_batch(pairs: list[tuple[Document, NlpSection]]) -> None:
    """The classifiers of `classify.CLASSIFIERS` on every document.

    The shipped linear models score document by document, all tasks in a row (a comment's
    n-grams are then computed once for its five models). A task served by a transformers
    model scores the whole batch at once; if that fails, text by text, so only the document at
    fault records the error."""
    models = {task: m for task, _ in classify.CLASSIFIERS if (m := classify.transformer(task))}
    for doc, section in pairs:
        for task, text_of in classify.CLASSIFIERS:
            if task not in models:
                text = _run(task, doc, section, text_of, doc, section)
                if text:
                    setattr(section, task, _run(task, doc, section, classify.predict,
                                                classify.model_for(task, doc), text))
    for task, text_of in classify.CLASSIFIERS:
        if task not in models:
            continue
        todo = [(doc, section, text) for doc, section in pairs
                if (text := _run(task, doc, section, text_of, doc, section))]
        try:
            labels = models[task].predict_many([text for _, _, text in todo])
        except Exception:
            labels = [(_run(task, doc, section, models[task].predict_many, [text]) or [None])[0]
                      for doc, section, text in todo]
        for (_, section, _), label in zip(todo, labels, strict=True):
            setattr(section, task, label)


def analyse_many(docs: Sequence[Document], home_province: str | None = None) -> list[Document]:
    """Every step that needs no shared state: text prep, classifiers, domains, entities."""
    context = EnrichContext(home_province=home_province)
    pairs = []
    for doc in docs:
        section = NlpSection(version=PIPELINE_VERSION, lang=doc.language or "vi")
        for name, step in STEPS:
            _run(name, doc, section, step, doc, section)
        pairs.append((doc, section))
    classify_batch(pairs)
    for doc, section in pairs:
        for name, cstep in CONTEXT_STEPS:
            if name in LOCAL_STEPS:
                _run(name, doc, section, cstep, doc, section, context)
    return [doc.model_copy(update={"nlp": section}) for doc, section in pairs]


def analyse(doc: Document, home_province: str | None = None) -> Document:
    return analyse_many([doc], home_province)[0]


def finish(doc: Document, context: EnrichContext) -> Document:
    """The shared-state steps (story, topics) on an analysed document, in place."""
    for name, cstep in CONTEXT_STEPS:
        if name not in LOCAL_STEPS:
            _run(name, doc, doc.nlp, cstep, doc, doc.nlp, context)
    return doc


def enrich_one(doc: Document, context: EnrichContext | None = None) -> Document:
    context = context or EnrichContext()
    return finish(analyse(doc, context.home_province), context)


def _analyse_chunk(args: tuple[list[Document], str | None]) -> list[Document]:
    return analyse_many(*args)


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: leave when the engine process is gone (killed, crashed), so no
    orphaned worker lingers; a pool would otherwise replace signalled workers at shutdown."""
    import os
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class EnrichPool:
    """Worker processes for `analyse` (the CPU-heavy part), so enrichment uses every core.

    Workers are spawned (not forked: the engine process runs threads) and load the models once,
    on their first document; keep one pool for the life of the process.
    """

    CHUNK = 4  # documents per task: small batches keep both workers busy on short spool batches

    def __init__(self, processes: int = 2):
        import multiprocessing
        import os

        self.processes = processes
        self._pool = multiprocessing.get_context("spawn").Pool(
            processes, initializer=_exit_with_parent, initargs=(os.getpid(),))

    def map(self, docs: list[Document], home_province: str | None) -> list[Document]:
        chunks = [(docs[i:i + self.CHUNK], home_province) for i in range(0, len(docs), self.CHUNK)]
        return [doc for chunk in self._pool.map(_analyse_chunk, chunks, 1) for doc in chunk]

    def close(self) -> None:
        # terminate, not close: at shutdown the workers may already have been signalled, and a
        # pool replaces dead workers while it waits; an unfinished batch stays in the spool
        self._pool.terminate()
        self._pool.join()

    def __enter__(self) -> EnrichPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def enrich(docs: Iterable[Document], context: EnrichContext | None = None,
           pool: EnrichPool | None = None) -> list[Document]:
    """Enrich a batch; without a story index, stories are grouped within the batch only.

    With a pool, the stateless steps run in its worker processes; outputs are the same.
    """
    context = context or EnrichContext()
    if context.stories is None:
        from nlp.stories import StoryIndex

        with StoryIndex() as batch_index:  # in memory, gone after the batch
            return enrich(docs, EnrichContext(context.topics, batch_index,
                                              context.home_province), pool)
    docs = list(docs)
    if pool is not None and len(docs) > 1:
        analysed = pool.map(docs, context.home_province)
    else:
        analysed = analyse_many(docs, context.home_province)
    with context.stories.batch():  # one transaction per batch, not per document
        return [finish(doc, context) for doc in analysed]
