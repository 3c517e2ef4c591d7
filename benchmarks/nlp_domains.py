"""Speed of the domain, entity/place, watch-topic and story steps (no segmentation), one core.

    python -m benchmarks.nlp_domains

Comments: UIT-ViCTSD valid (2,000 real VnExpress reader comments); articles: VNTC dev (1,000
real news articles, ~2,800 characters each). Each step is timed alone over the whole set after
a warm-up (gazetteer, lexicons and model loaded), in CPU time of this process (the machine is
shared, wall time would measure the neighbours), then the four together as the enrich context
steps run them. Twenty watch topics of typical shape are matched on every document.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from langnghe.document import NlpSection
from nlp import domains, entities, stories, watch

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
QUERIES = ['lũ OR "sạt lở"', '"Thanh Hóa" cháy', "ngộ độc -\"diễn tập\"", "domain:health",
           "(bão OR lũ) source:vnexpress", "title:tai nạn", "giáo viên học sinh", "giá xăng",
           "tham nhũng OR hối lộ", '"ô nhiễm" nước', "thanh*", "bệnh viện quá tải",
           "\"mạng xã hội\" tin giả", "kind:comment bức xúc", "UBND tỉnh", "điện lực mất điện",
           "học phí", '"tai nạn giao thông"', "nông dân lúa", "entity:38"]


def _rows(path: Path, field: str, n: int) -> list[str]:
    lines = path.read_text("utf-8").splitlines()[:n]
    return [json.loads(line)[field] for line in lines]


def _rate(label: str, texts: list[str], fn) -> float:
    fn(texts[0])  # warm-up
    start = time.process_time()
    for text in texts:
        fn(text)
    rate = len(texts) / (time.process_time() - start)
    print(f"  {label:<10} {rate:>9,.0f} docs/s")
    return rate


def run(kind: str, texts: list[str]) -> dict[str, float]:
    from langnghe.document import Document

    topics = [watch.topic(f"t{i}", f"T{i}", q) for i, q in enumerate(QUERIES)]
    doc = Document(id="x", url="https://x.vn", canonical_url="https://x.vn", source_id="bench")
    index = stories.StoryIndex()
    counter = iter(range(10**9))

    def story(text: str) -> None:
        index.assign_many([stories.Item(f"d{next(counter)}", text, "bench")])

    def topics_of(text: str) -> None:
        watch.match_topics(doc, topics, NlpSection(text=text))

    def all_four(text: str) -> None:
        domains.classify("", text)
        entities.extract(text)
        story(text)
        topics_of(text)

    print(f"{kind} ({len(texts)}):")
    out = {name: _rate(name, texts, fn) for name, fn in (
        ("domains", lambda t: domains.classify("", t)), ("entities", entities.extract),
        ("stories", story), ("topics", topics_of), ("all four", all_four))}
    with index.batch():  # stories in one transaction, as enrich() runs a batch
        out["stories_batch"] = _rate("st. batch", texts, story)
    index.close()
    return out


def main() -> None:
    comments = _rows(DATA / "uit-victsd" / "valid.jsonl", "text", 2000)
    articles = _rows(DATA / "vntc-10topics" / "dev.jsonl", "text", 1000)
    result = {"comments": run("comments", comments), "articles": run("articles", articles)}
    print(json.dumps({k: {s: round(v) for s, v in d.items()} for k, d in result.items()}))


if __name__ == "__main__":
    main()
