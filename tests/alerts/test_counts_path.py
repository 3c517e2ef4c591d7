"""The alert stage reads counts, not documents: the same scenarios through the old document
path (tests/alerts/document_path.py) and the count path give the same alerts, field for
field, on SQLite and on Elasticsearch."""

from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace

import pytest

from alerts import engine
from alerts.config import AlertsConfig
from langnghe.document import Label
from langnghe.sources import Registry
from tests.alerts import document_path
from tests.alerts.helpers import NOW, doc
from tests.store.conftest import BACKENDS

SOURCES = ["baothanhhoa", "vnexpress", "tuoitre", "dantri", "thanhnien", "vov"]
REGISTRY = Registry.model_validate({"sources": [
    {"id": "baothanhhoa", "name": "Báo Thanh Hóa", "type": "state",
     "homepage": "https://baothanhhoa.vn"},
    {"id": "vnexpress", "name": "VnExpress", "type": "national",
     "homepage": "https://vnexpress.net"}]})
TOPIC = SimpleNamespace(id="chay-no", name="Cháy nổ, tai nạn")  # an NLP watch topic (a tag)


@pytest.fixture(params=sorted(BACKENDS))
def store(request, tmp_path):
    backend = BACKENDS[request.param](tmp_path)
    yield backend
    backend.close()


def _config(buckets=("15min", "1h"), **detection) -> AlertsConfig:
    return AlertsConfig.model_validate({
        "watch": {"topics": [{"id": "thanh-hoa", "name": "Thanh Hóa", "query": "Thanh Hóa"}],
                  "domains": ["health", "education"], "negative_min_items": 6},
        "detection": {"buckets": list(buckets), **detection}})


def _item(rng: random.Random, n: int, when, **fields):
    d = doc(n, when, title=f"Thanh Hóa tin số {n} {rng.choice(['cháy chợ', 'mưa lũ', 'học'])}",
            **fields)
    d.nlp.domains = [Label(label=rng.choice(["health", "education"]), score=0.8)]
    d.nlp.topics = ["chay-no"] if "cháy" in d.title else []
    return d


def _scenario(seed: int) -> tuple[list, object]:
    """Three weeks of a daytime-heavy history, syndicated stories among it, and a burst of
    random size, outlets and tone in the last half hour; `now` on a whole second."""
    rng = random.Random(seed)
    now = NOW + timedelta(minutes=rng.randrange(60), seconds=rng.randrange(60))
    docs, n = [], 0
    for day in range(21):
        for _ in range(rng.randint(10, 30)):
            hour = min(23.9, max(0.0, rng.gauss(10, 4)))
            when = now - timedelta(days=21 - day, hours=-hour, seconds=rng.random())
            if when < now - timedelta(hours=1):
                n += 1
                docs.append(_item(rng, n, when, source=rng.choice(SOURCES),
                                  sentiment=rng.choice(["neutral", "negative", None])))
    for lead in rng.sample(docs, 15):  # syndicated copies: the story id is the first copy's id
        lead.nlp.story_id = lead.id
        for k in range(rng.randint(1, 4)):
            n += 1
            docs.append(_item(rng, n, lead.published_at + timedelta(minutes=5 * k + 1),
                              source=rng.choice(SOURCES), story=lead.id))
    outlets = rng.sample(SOURCES, rng.randint(1, 5))
    for i in range(rng.randint(4, 25)):
        n += 1
        docs.append(_item(rng, n, now - timedelta(minutes=rng.uniform(0.1, 30)),
                          source=outlets[i % len(outlets)],
                          sentiment=rng.choice(["negative", "negative", "neutral"]),
                          story=rng.choice([None, None, "story-bung-no"])))
    return docs, now


def _both_paths(store, config: AlertsConfig, now) -> tuple[list, list]:
    counted, documented = [], []
    for w in engine.watches(config, [TOPIC]):
        if engine.worth_a_look(store, w, config, now):
            counted += engine.detect_spikes(store, w, config, now, REGISTRY)
        neg = engine.negative_share_alert(w, config, now, store)
        counted += [neg] if neg else []
        documented += document_path.watch_alerts(store, w, config, now, REGISTRY)
    return counted, documented


# what each scenario raises, so none is vacuous; odd seeds judge 5-minute buckets too
RAISED = {
    0: {"negative:chay-no", "spike:chay-no", "spike:domain-education", "spike:domain-health",
        "spike:thanh-hoa"},
    1: set(),
    3: {"negative:domain-education", "spike:domain-education", "spike:domain-health",
        "spike:thanh-hoa"},
    4: {"negative:thanh-hoa"},
    6: {"negative:domain-education", "negative:thanh-hoa", "spike:domain-education",
        "spike:domain-health", "spike:thanh-hoa"},
    8: {"negative:chay-no", "negative:domain-health", "negative:thanh-hoa",
        "spike:domain-health", "spike:thanh-hoa"},
}


@pytest.mark.parametrize("seed", sorted(RAISED))
def test_count_path_finds_the_alerts_of_the_document_path(store, seed):
    docs, now = _scenario(seed)
    store.upsert(docs)
    config = _config(("5min", "15min", "1h") if seed % 2 else ("15min", "1h"))
    counted, documented = _both_paths(store, config, now)
    assert counted == documented
    assert {a.key for a in counted} == RAISED[seed]
