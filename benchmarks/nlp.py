"""Speed of segmentation and of the whole enrich step, on one core, with real texts.

    python -m benchmarks.nlp [--articles 300] [--comments 2000]

1. Segmentation: syllables/s of ours (line cache bypassed) and of underthesea's word_tokenize
   over the same VNTC dev articles, in the same run.
2. Enrich: news articles/s (VNTC dev; first line as title) and comments/s (UIT-ViHSD dev)
   through `nlp.pipeline.enrich` with the deployment's full context, built as
   `runner.stages.enrich_context` does (watch topics of config/watch.yaml, their home province,
   a StoryIndex in a temporary home), then with no context (stories within the batch only), and
   through the plain `STEPS` alone (text preparation, segmentation, normalisation, classifiers).
Times are CPU time of this process (the machine is shared: wall time would measure the
neighbours); models are loaded and warmed up before timing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from langnghe.document import Document, NlpSection
from nlp import pipeline, segment
from nlp.models.data import split


def cpu_rate(count: int, fn) -> float:
    start = time.process_time()
    fn()
    return count / max(time.process_time() - start, 1e-9)


def segmentation(texts: list[str]) -> dict:
    from underthesea import word_tokenize

    lines = [line for text in texts for line in text.split("\n") if line.strip()]
    syllables = sum(len(segment.split_syllables(line)) for line in lines)
    seg = segment.default()
    word_tokenize(lines[0])  # warm-up: loads the CRF
    ours = cpu_rate(syllables, lambda: [seg.words(line) for line in lines])
    theirs = cpu_rate(syllables, lambda: [word_tokenize(line) for line in lines])
    return {"syllables": syllables, "ours_syl_per_s": ours, "underthesea_syl_per_s": theirs}


def documents(kind: str, texts: list[str]) -> list[Document]:
    docs = []
    for i, text in enumerate(texts):
        title, _, body = text.partition("\n") if kind == "article" else ("", "", text)
        docs.append(Document(id=f"{kind}-{i}", url=f"https://bench.vn/{i}",
                             canonical_url=f"https://bench.vn/{i}", source_id="bench",
                             kind=kind, title=title[:1000], text=body or title))
    return docs


def steps_only(docs: list[Document]) -> None:
    pairs = []
    for doc in docs:
        section = NlpSection()
        for _, step in pipeline.STEPS:
            step(doc, section)
        pairs.append((doc, section))
    pipeline.classify_batch(pairs)


def full_context(root: Path) -> pipeline.EnrichContext:
    """The context `runner.stages.enrich_context` gives the ingest stage, in a scratch home."""
    from langnghe.paths import Home
    from runner.stages import enrich_context

    return enrich_context(Home.resolve(root))


def enrich_rates(kind: str, texts: list[str]) -> dict:
    docs = documents(kind, texts)
    with tempfile.TemporaryDirectory(prefix="langnghe-bench-") as tmp:
        warm = full_context(Path(tmp) / "warm")
        pipeline.enrich(docs[:5], warm)  # warm-up: every model, gazetteer and topic loaded
        warm.stories.close()
        segment._segment_line.cache_clear()  # timed runs must not reuse the warm-up's lines
        own = cpu_rate(len(docs), lambda: steps_only(docs))
        segment._segment_line.cache_clear()
        bare = cpu_rate(len(docs), lambda: pipeline.enrich(docs))
        segment._segment_line.cache_clear()
        context = full_context(Path(tmp) / "home")
        full = cpu_rate(len(docs), lambda: pipeline.enrich(docs, context))
        context.stories.close()
    return {"docs": len(docs), "steps_per_s": own, "bare_per_s": bare, "enrich_per_s": full}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nlp", description=__doc__)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--comments", type=int, default=2000)
    args = parser.parse_args(argv)
    articles = [r["text"] for r in split("vntc-10topics", "dev")[:args.articles]]
    comments = [r["text"] for r in split("uit-vihsd", "dev")[:args.comments]]
    ws = segmentation(articles)
    print(f"segmentation over {ws['syllables']:,} syllables of {len(articles)} VNTC articles: "
          f"ours {ws['ours_syl_per_s']:,.0f} syl/s, underthesea {ws['underthesea_syl_per_s']:,.0f}"
          f" syl/s ({ws['ours_syl_per_s'] / ws['underthesea_syl_per_s']:.1f}x)")
    for kind, texts, unit in (("article", articles, "news articles"),
                              ("comment", comments, "comments")):
        r = enrich_rates(kind, texts)
        print(f"enrich {r['docs']} {unit}: {r['enrich_per_s']:,.1f}/s full context (topics, "
              f"stories, home province), {r['bare_per_s']:,.1f}/s without context, "
              f"{r['steps_per_s']:,.1f}/s segmentation+normalisation+classifiers only")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
