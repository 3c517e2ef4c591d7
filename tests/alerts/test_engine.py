"""The alert cycle against a real SQLite store: spikes, negative share, crisis rules, digest."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from alerts import digest, engine, rules
from alerts.config import AlertsConfig
from alerts.health import SourceHealth
from alerts.outbox import Outbox
from langnghe.sources import Registry
from store.sqlite import SqliteStore
from tests.alerts.helpers import NOW, doc

SOURCES = ["baothanhhoa", "vnexpress", "tuoitre", "dantri", "thanhnien"]
REGISTRY = Registry.model_validate({"sources": [
    {"id": "baothanhhoa", "name": "Báo Thanh Hóa", "type": "state",
     "homepage": "https://baothanhhoa.vn"},
    {"id": "vnexpress", "name": "VnExpress", "type": "national",
     "homepage": "https://vnexpress.net"}]})


def _history(days: int = 21, per_day: int = 16, seed: int = 7) -> list:
    """A quiet provincial topic: ~16 items a day, daytime-heavy, from five outlets."""
    rng = np.random.default_rng(seed)
    docs, n = [], 0
    start = NOW - timedelta(days=days)
    for day in range(days):
        for _ in range(rng.poisson(per_day)):
            hour = float(np.clip(rng.normal(10, 4), 0, 23.9))  # 17:00 VN = 10:00 UTC peak
            when = start + timedelta(days=day, hours=hour)
            if when < NOW - timedelta(hours=2):
                n += 1
                docs.append(doc(n, when, source=SOURCES[n % 5], title=f"Thanh Hóa tin số {n}",
                                sentiment="neutral"))
    return docs


def _burst(outlets: list[str], count: int = 10) -> list:
    return [doc(10_000 + i, NOW - timedelta(minutes=14 - i), source=outlets[i % len(outlets)],
                title=f"Cháy chợ lớn ở Thanh Hóa, cập nhật {i}", sentiment="negative")
            for i in range(count)]


def _config(detection: dict | None = None, **watch) -> AlertsConfig:
    return AlertsConfig.model_validate({
        "watch": {"topics": [{"id": "thanh-hoa", "name": "Thanh Hóa", "query": "Thanh Hóa"}],
                  **watch},
        "detection": detection or {},
        "channels": {"webhook": {}},
        "groups": [{"name": "lanh-dao", "min_severity": "info",
                    "recipients": [{"name": "vp", "webhook": "http://127.0.0.1:9/x"}]}]})


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "store.sqlite")
    yield s
    s.close()


def test_engine_burst_from_many_outlets_gives_one_explained_alert(store, tmp_path):
    store.upsert(_history() + _burst(SOURCES))
    box = Outbox(tmp_path / "alerts.sqlite")
    found = engine.run_detection(store, _config(), NOW, box, REGISTRY, crisis_rules=[])
    spikes = [a for a in found if a.kind == "spike"]
    assert len(spikes) == 1
    spike = spikes[0]
    e = spike.explanation
    assert e.count >= 10 and e.expected < 3
    assert "cháy" in " ".join(e.new_terms) and "Thanh Hóa" not in e.new_terms
    assert e.documents[0].title.startswith("Cháy chợ")
    assert e.sentiment["negative"] >= 10
    assert spike.severity in ("warning", "critical")  # state outlet, negative, 5x+
    again = engine.run_detection(store, _config(), NOW + timedelta(minutes=5), box, REGISTRY,
                                 crisis_rules=[])
    assert {a.id for a in again if a.kind == "spike"} <= {spike.id}  # same incident
    assert len(box.deliveries(spike.id)) == 1


def test_engine_one_outlet_reposting_raises_nothing(store, tmp_path):
    store.upsert(_history() + _burst(["baothanhhoa"]))
    found = engine.run_detection(store, _config(), NOW, None, REGISTRY, crisis_rules=[])
    assert [a for a in found if a.kind == "spike"] == []


def test_engine_syndicated_copies_count_once(store, tmp_path):
    copies = [doc(20_000 + i, NOW - timedelta(minutes=10), source=SOURCES[i % 5],
                  title="Thanh Hóa: một tin đăng lại", story="story-1") for i in range(10)]
    store.upsert(_history() + copies)
    found = engine.run_detection(store, _config(), NOW, None, REGISTRY, crisis_rules=[])
    assert [a for a in found if a.kind == "spike"] == []


def test_engine_negative_share_alert(store):
    """Negative share alone (the volume is too small to count as a spike)."""
    store.upsert(_history() + _burst(SOURCES, count=9))
    config = _config(detection={"min_count": 50}, negative_min_items=8)
    found = engine.run_detection(store, config, NOW, None, REGISTRY, crisis_rules=[])
    assert [a for a in found if a.kind == "spike"] == []
    (neg,) = [a for a in found if a.kind == "negative_share"]
    assert neg.key == "negative:thanh-hoa" and "tiêu cực" in neg.explanation.reason


def test_engine_same_burst_seen_by_two_watches_is_one_incident(store):
    """The burst is both a volume spike and a negative-share rise: one alert, naming both."""
    store.upsert(_history() + _burst(SOURCES, count=9))
    found = engine.run_detection(store, _config(negative_min_items=8), NOW, None, REGISTRY,
                                 crisis_rules=[])
    content = [a for a in found if a.kind != "source_health"]
    assert len(content) == 1
    assert any("tiêu cực" in title for title in content[0].data["also_matches"])


def test_rule_state_outlet_crisis_fires_only_for_state_press(store, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: bao-nha-nuoc\n    type: state_outlet_crisis\n"
                    "    query: Thanh Hóa\n    lexicon: [cháy, ngộ độc]\n", encoding="utf-8")
    crisis = rules.load_rules(path)
    store.upsert([doc(1, NOW - timedelta(minutes=5), source="vnexpress",
                      title="Cháy nhà ở Thanh Hóa")])
    assert rules.evaluate_all(crisis, store, NOW, REGISTRY) == []
    store.upsert([doc(2, NOW - timedelta(minutes=5), source="baothanhhoa",
                      title="Ngộ độc thực phẩm ở Thanh Hóa")])
    (hit,) = rules.evaluate_all(crisis, store, NOW, REGISTRY)
    assert [d.source_id for d in hit.docs] == ["baothanhhoa"]
    found = engine.run_detection(store, _config(), NOW, None, REGISTRY, crisis_rules=crisis)
    (alert,) = [a for a in found if a.kind == "rule"]
    assert alert.severity == "critical" and alert.key == "rule:bao-nha-nuoc"


def test_rule_negative_volume_needs_enough_outlets(store, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: tieu-cuc\n    type: negative_volume\n    query: Thanh Hóa\n"
                    "    min_items: 4\n    min_outlets: 3\n    window_minutes: 60\n",
                    encoding="utf-8")
    crisis = rules.load_rules(path)
    store.upsert(_burst(["baothanhhoa", "vnexpress"], count=6))
    assert rules.evaluate_all(crisis, store, NOW, REGISTRY) == []
    store.upsert(_burst(["tuoitre"], count=1))
    (hit,) = rules.evaluate_all(crisis, store, NOW, REGISTRY)
    assert hit.count == 7


def test_rule_toxic_comment_surge(store, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: binh-luan\n    type: toxic_comment_surge\n"
                    "    query: Thanh Hóa\n    min_comments: 5\n    min_share: 0.5\n",
                    encoding="utf-8")
    crisis = rules.load_rules(path)
    article = doc(1, NOW - timedelta(hours=5), title="Thanh Hóa xây cầu mới")
    comments = [doc(100 + i, NOW - timedelta(minutes=30), source="facebook", kind="comment",
                    parent=article.id, title="", text="bình luận",
                    toxic="offensive" if i < 6 else "clean") for i in range(8)]
    store.upsert([article, *comments[:4]])
    assert rules.evaluate_all(crisis, store, NOW, REGISTRY) == []
    store.upsert(comments)
    (hit,) = rules.evaluate_all(crisis, store, NOW, REGISTRY)
    assert hit.count == 6 and hit.docs[0].id == article.id


def test_source_health_alert_persisted_for_admins(store, tmp_path):
    box = Outbox(tmp_path / "alerts.sqlite")
    silent = SourceHealth("baothanhhoa", NOW - timedelta(days=2), [40, 38, 45, 41], "Báo TH")
    found = engine.run_detection(store, _config(), NOW, box, REGISTRY, crisis_rules=[],
                                 source_health=[silent])
    (alert,) = found
    assert alert.kind == "source_health" and alert.severity == "info" and alert.id


def test_digest_compares_days_and_lists_open_alerts(store, tmp_path):
    d = [doc(i, NOW - timedelta(hours=3), source=SOURCES[i % 5], title=f"Thanh Hóa {i}",
             sentiment="negative") for i in range(6)]
    d += [doc(100 + i, NOW - timedelta(days=1, hours=3)) for i in range(3)]
    store.upsert(d)
    box = Outbox(tmp_path / "alerts.sqlite")
    engine.run_detection(store, _config(), NOW, box, REGISTRY, crisis_rules=[],
                         source_health=[SourceHealth("x", None, [10, 10, 10], "Nguồn X")])
    data = digest.build_digest(store, NOW, box, [SourceHealth("x", None, [10, 10], "Nguồn X")])
    assert data["totals"] == {"today": 6, "yesterday": 3, "last_week": 0}
    assert data["sentiment"] == {"negative": 6}
    assert len(data["top_stories"]) == 5 and data["open_alerts"][0]["kind"] == "source_health"
    assert "Nguồn X" in data["source_problems"][0]["reason"]
    html = digest.digest_html(data)
    assert 'name="viewport"' in html and "+100%" in html
    assert "Tổng số tin 24 giờ qua: 6" in digest.digest_text(data)


def test_digest_queued_once_a_day_and_delivered(store, tmp_path, webhook_server):
    store.upsert([doc(1, NOW - timedelta(hours=2), title="<i>Thanh Hóa</i> & mưa lũ")])
    cfg = AlertsConfig.model_validate({
        "channels": {"webhook": {}}, "digest": {"at": "07:00", "groups": ["lanh-dao"]},
        "groups": [{"name": "lanh-dao", "recipients": [{"name": "vp",
                                                        "webhook": webhook_server.url}]}]})
    box = Outbox(tmp_path / "alerts.sqlite")
    assert digest.digest_due(cfg, NOW, None)  # 10:00 local, nothing sent yet today
    assert not digest.digest_due(cfg, NOW, NOW - timedelta(hours=1))
    first = digest.queue_digest(box, store, cfg, NOW)
    second = digest.queue_digest(box, store, cfg, NOW + timedelta(hours=1))
    assert first.id == second.id and len(box.deliveries(first.id)) == 1
    assert engine.deliver_pending(box, engine.build_channels(cfg), NOW, cfg).sent == 1
    body = webhook_server.requests[0]["json"]
    assert body["digest"]["totals"]["today"] == 1 and "Bản tin sáng" in body["subject"]
    assert box.open_alerts() == []  # a digest is not an alert
    html = digest.digest_message(body["digest"], "k").html
    assert "&lt;i&gt;Thanh Hóa&lt;/i&gt; &amp; mưa lũ" in html


class _Recording(SqliteStore):
    """Records the periods of the documents read and of the story counts asked for."""

    def __init__(self, path):
        super().__init__(path)
        self.read, self.counted, self.documents = [], [], 0

    def iter_documents(self, query="", filters=None, batch_size=1000):
        self.read.append((filters.since, filters.until))
        for found in super().iter_documents(query, filters, batch_size):
            self.documents += 1
            yield found

    def story_counts(self, query="", filters=None, width=None, outlets_from=None):
        self.counted.append(filters.until - filters.since)
        return super().story_counts(query, filters, width, outlets_from)


def test_engine_quiet_watch_reads_no_documents_and_counts_only_recent_buckets(tmp_path):
    s = _Recording(tmp_path / "store.sqlite")
    s.upsert(_history())
    engine.run_detection(s, _config(), NOW, None, REGISTRY, crisis_rules=[])
    assert s.read == []
    assert s.counted and max(s.counted) <= timedelta(hours=3)  # the four weeks stay uncounted
    s.close()


def test_engine_burst_reads_only_the_documents_its_alerts_show(tmp_path):
    """The (negative) burst is a spike and a negative-share rise: the documents read are the
    spike's quarter hour and the week before it, the last six hours and the week before."""
    s = _Recording(tmp_path / "store.sqlite")
    s.upsert(_history() + _burst(SOURCES))
    (alert,) = engine.run_detection(s, _config(), NOW, None, REGISTRY, crisis_rules=[])
    assert max(s.counted) == timedelta(days=28)  # counts of the detector's whole history
    bucket, hours = NOW - timedelta(minutes=15), NOW - timedelta(hours=6)
    week = timedelta(days=7)
    assert s.read == [(bucket, NOW), (bucket - week, bucket), (hours, NOW), (hours - week, hours)]
    assert alert.kind == "spike" and alert.explanation.count == 10
    s.close()


def test_engine_new_terms_are_new_against_the_newest_documents_of_the_week(tmp_path):
    """A busy watch: the week before the burst holds ~1,100 documents; the alert reads the
    burst and the newest BASELINE_DOCS of them, and "cháy" is new against those."""
    s = _Recording(tmp_path / "store.sqlite")
    s.upsert(_history(per_day=160) + _burst(SOURCES, count=14))  # 09:46-09:59
    config = _config(negative_min_items=1000)  # the spike alone
    (spike,) = engine.run_detection(s, config, NOW, None, REGISTRY, crisis_rules=[])
    assert s.documents == 14 + engine.BASELINE_DOCS
    assert "cháy" in " ".join(spike.explanation.new_terms)
    s.close()


def test_engine_watches_nlp_topics_by_their_tag(store):
    from types import SimpleNamespace

    from langnghe.document import NlpSection

    burst = _burst(SOURCES)
    for d in burst:
        d.nlp = NlpSection(title=d.title, topics=["chay-no"])
    store.upsert(_history() + burst)
    cfg = AlertsConfig.model_validate({})
    topic = SimpleNamespace(id="chay-no", name="Cháy nổ, tai nạn")
    found = engine.run_detection(store, cfg, NOW, None, REGISTRY, crisis_rules=[],
                                 topics=[topic])
    assert [a.key for a in found] == ["spike:chay-no"]
