"""The enrich stage's fast paths give what the straightforward code they replaced gave.

Each test keeps the plain version (scikit-learn's analyzer, the per-gap segmenter loop, the
per-feature domain loop, langnghe.query's evaluator, per-word folding, the per-length
gazetteer probe) and compares it with the optimised one on real VNTC and ViHSD texts.
"""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

from langnghe import query
from langnghe.vietnamese import fold
from nlp import classify, domains, entities, places, segment, watch
from tests.paths import DATA


def _texts(path: str, n: int) -> list[str]:
    lines = (DATA / path).read_text("utf-8").splitlines()
    step = max(len(lines) // n, 1)  # spread over the file: splits may be grouped by label
    return [json.loads(line)["text"] for line in lines[::step][:n]]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _texts("vntc-10topics/dev.jsonl", 25) + _texts("uit-vihsd/dev.jsonl", 150)


def test_classifier_analyzers_give_scikit_learn_ngrams_in_order(texts):
    awkward = ["", "  ", "a", "😀 ok", "Ab\u00a0 c\td  e", "x" * 3]
    for task in classify.MODELS:
        union = classify.model(task)["pipeline"].named_steps["features"]
        for _, vec in union.transformer_list:
            ours, theirs = classify.analyzer(vec), vec.build_analyzer()
            for text in texts + awkward:
                assert ours(text) == theirs(text), (task, vec.analyzer, text[:60])


def test_classifier_labels_equal_the_pipeline_on_comments_and_articles(texts):
    for task in classify.MODELS:
        blob = classify.model(task)
        pipe = blob["pipeline"]
        sample = [t[:classify.MAX_CHARS] for t in texts]
        proba = classify.probabilities(pipe.named_steps["clf"],
                                       pipe.named_steps["features"].transform(sample),
                                       blob["temperature"])
        for text, row in zip(sample, proba, strict=True):
            label = classify.predict(task, text, explain=False)
            assert label.label == str(pipe.named_steps["clf"].classes_[row.argmax()])
            assert label.score == pytest.approx(float(row.max()), abs=1e-4)


def _joins_per_gap(seg: segment.Segmenter, tokens: list[str]) -> list[bool]:
    """The segmenter's scoring before it was vectorised: one feature list per gap."""
    if len(tokens) < 2:
        return []
    low, shp = segment._padded(tokens)
    out = []
    for i in range(len(tokens) - 1):
        if shp[i + 1] == "p" or shp[i + 2] == "p":
            out.append(False)
            continue
        score = seg.bias
        for feature in segment._gap(low, shp, i, seg.lexicon):
            score += seg.weights.get(feature, 0.0)
        out.append(score > 0.0)
    return out


def test_segmenter_joins_equal_the_per_gap_scoring(texts):
    seg = segment.default()
    lines = [line for text in texts for line in text.split("\n") if line.strip()]
    lines += ["a", "Hà Nội", "UBND tỉnh Thanh Hóa, 30-4-1975 lúc 10:30 😀😀 https://x.vn/a."]
    for line in lines:
        tokens = segment.split_syllables(line)
        assert seg.joins(tokens) == _joins_per_gap(seg, tokens), line[:80]


def _domain_scores_per_feature(model: domains.LinearModel, text: str) -> dict:
    """LinearModel.scores before it was vectorised."""
    import heapq

    counts = Counter(f for f in domains.features(text) if f in model.idf)
    vec = {f: (1 + math.log(c)) * model.idf[f] for f, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    z = dict(model.intercept)
    parts: dict[str, list] = {d: [] for d in model.coef}
    for f, v in vec.items():
        for domain, weights in model.coef.items():
            if f in weights:
                contribution = v / norm * weights[f]
                z[domain] += contribution
                if contribution > 0:
                    parts[domain].append((contribution, f))
    return {d: (1 / (1 + math.exp(-z[d])),
                [f for _, f in heapq.nlargest(domains.EXPLAIN_TOP, parts[d])])
            for d in model.coef}


def test_domain_model_scores_equal_the_per_feature_loop(texts):
    model = domains.load_model()
    assert model is not None, "the shipped domain model artifact is missing"
    for text in texts + ["", "!!!"]:
        ours, plain = model.scores(text), _domain_scores_per_feature(model, text)
        assert ours.keys() == plain.keys()
        for domain, (p, why) in plain.items():
            assert ours[domain][0] == pytest.approx(p, abs=1e-12)
            assert ours[domain][1] == why


def test_watch_evaluation_agrees_with_the_query_language(texts):
    queries = ['"Thanh Hóa" OR "xứ Thanh"', "bóng đá", "bong da -thua", '"ngộ độc" OR "an toàn"',
               "title:Việt", 'text:"thành phố" ngư*', "ngư*", "(lũ OR bão) NOT chết",
               "domain:health OR sentiment:negative", "đm", '"không có"', "kind:comment vl"]
    nodes = [query.parse(q) for q in queries]
    filters = {"domain": ["health"], "sentiment": ["negative"], "kind": ["comment"]}
    outcomes = []
    for text in texts:
        title, _, body = text.partition("\n")
        raw = {"title": title, "lead": "", "text": body or title}
        folded = {k: query._WORDS_RE.findall(fold(v)) for k, v in raw.items()}
        indexed = {k: watch._Field(words) for k, words in folded.items()}
        for node in nodes:
            outcomes.append(watch._eval(node, indexed, filters))
            assert outcomes[-1] == query._eval(node, folded, filters)
    assert 0 < sum(outcomes) < len(outcomes)  # both outcomes were exercised


def test_fold_spans_equal_folding_each_word(texts):
    tricky = ["ΟΔΟΣ'Α Σ", "İstanbul và Đà Nẵng", "Hoa\u0301 tiếng Việt", "cafe\u0301 ở Huế"]
    for text in texts + tricky:
        spans = [m.span() for m in entities._TOKEN_RE.finditer(text)]
        assert places.fold_spans(text, spans) == [fold(text[s:e]) for s, e in spans]


def test_gazetteer_lookup_finds_the_longest_key(texts):
    gaz = places.gazetteer()
    for text in texts[:40]:
        words = places.syllables(text)
        for i in range(len(words)):
            longest = None
            for n in range(min(gaz.longest.get(words[i], 0), len(words) - i), 0, -1):
                if gaz.entries.get(tuple(words[i:i + n])):
                    longest = (n, gaz.entries[tuple(words[i:i + n])])
                    break
            assert gaz.lookup(words, i) == longest


def _mentions_every_position(text: str) -> list:
    """places.find_mentions before it skipped words that start no key."""
    gaz = places.gazetteer()
    spans = [m.span() for m in places._SYLLABLE_RE.finditer(fold(text))]
    words = [places._IY.get(w, w) for w in (fold(text[s:e]) for s, e in spans)]
    out, i = [], 0
    while i < len(words):
        mention = places._mention_at(gaz, text, words, spans, i, places._casual(text))
        if mention is None:
            i += 1
            continue
        out.append(mention[0])
        i = mention[1]
    return out


def test_place_mentions_equal_the_scan_of_every_position(texts):
    found = 0
    for text in texts + ["Thanh Hóa", "tỉnh Thanh Hóa", "xã Mường Lát huyện Mường Lát"]:
        ours = places.find_mentions(text)
        assert ours == _mentions_every_position(text)
        found += len(ours)
    assert found > 0


def test_lexicon_match_key_equals_langnghe_match_key(texts):
    from langnghe.vietnamese import match_key

    for text in texts + ["Thanh Hoá, quý khoẻ", "a\u0301b Hoà", "", "!!"]:
        assert domains._match_key(text) == match_key(text)
