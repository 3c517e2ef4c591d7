"""Rising-issue warnings (alerts.rising): steady rises beyond the forecast band, escalation."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from alerts import engine, rising
from alerts.config import AlertsConfig
from alerts.outbox import Outbox
from alerts.render import build_message
from langnghe.document import VN_TZ
from langnghe.sources import Registry
from store.sqlite import SqliteStore
from tests.alerts.helpers import doc

DAY = timedelta(days=1)
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=VN_TZ)  # a Tuesday morning
TODAY = datetime(2026, 3, 10, tzinfo=VN_TZ)
REGISTRY = Registry.model_validate({"sources": [
    {"id": "voz", "name": "VOZ", "type": "forum", "homepage": "https://voz.vn",
     "feeds": [{"url": "https://voz.vn/f/17.rss"}]},
    {"id": "baothanhhoa", "name": "Báo Thanh Hóa", "type": "local",
     "homepage": "https://baothanhhoa.vn"},
    {"id": "vnexpress", "name": "VnExpress", "type": "national",
     "homepage": "https://vnexpress.net"},
    {"id": "tuoitre", "name": "Tuổi Trẻ", "type": "national", "homepage": "https://tuoitre.vn"}]})


def daily(n: int, rate: float = 30.0, seed: int = 3) -> tuple[list[datetime], np.ndarray]:
    rng = np.random.default_rng(seed)
    days = [TODAY - (n - k) * DAY for k in range(n)]
    weekly = np.array([1.1, 1.1, 1.1, 1.1, 1.0, 0.7, 0.6])  # quieter weekends
    return days, rng.poisson([rate * weekly[d.weekday()] for d in days]).astype(float)


def test_volume_rise_quiet_series_rarely_warns():
    days, y = daily(120)
    fired = [n for n in range(30, 121) if rising.volume_rise(days[:n], y[:n])]
    assert len(fired) <= 1  # 13 weeks of an ordinary topic


def test_volume_rise_finds_a_gradual_rise_within_days():
    days, y = daily(60)
    y[-6:] *= 1.25 ** np.arange(1, 7)  # a quarter more each day than the day before
    rise = rising.volume_rise(days, y)
    assert rise is not None
    assert 54 <= rise.since <= 57 and rise.last > rise.upper > rise.expected


def test_volume_rise_ignores_a_one_day_spike():
    days, y = daily(60)
    y[-1] += 150  # five times a normal day, but only one day: the spike detector's business
    assert rising.volume_rise(days, y) is None


def test_volume_rise_needs_a_minimum_count():
    days, y = daily(60, rate=0.5)
    y[-4:] = [1, 2, 3, 4]  # a steady rise, from nothing to four items a day
    assert rising.volume_rise(days, y) is None


def test_share_rise_finds_a_steady_rise_of_the_negative_share():
    rng = np.random.default_rng(5)
    total = rng.poisson(40, 60).astype(float)
    negative = rng.binomial(total.astype(int), 0.2).astype(float)
    assert rising.share_rise(negative, total) is None
    negative[-4:] = np.round(total[-4:] * np.array([0.35, 0.45, 0.55, 0.65]))
    rise = rising.share_rise(negative, total)
    assert rise is not None and rise.last > 0.6 and 0.15 < rise.expected < 0.25


def _copy(n, when, source, kind="article"):
    return doc(n, when, source=source, title="Dân tố bãi rác gây ô nhiễm ở Thanh Hóa",
               story="story-rac", kind=kind)


def test_ladder_social_then_local_then_national():
    start = NOW - 2 * DAY
    copies = [_copy(1, start, "voz", "forum_post"), _copy(2, start + DAY, "baothanhhoa"),
              _copy(3, start + DAY + timedelta(hours=3), "baothanhhoa"),
              _copy(4, start + DAY + timedelta(hours=6), "vnexpress")]
    steps = rising.ladder(copies, REGISTRY)
    assert [d.source_id for d in steps] == ["voz", "baothanhhoa", "vnexpress"]
    assert rising.ladder(copies[1:], REGISTRY) == []  # began in the press: not an escalation
    assert rising.ladder(copies[:1], REGISTRY) == []  # still only on the forum


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "store.sqlite")
    yield s
    s.close()


def _config() -> AlertsConfig:
    return AlertsConfig.model_validate({
        "watch": {"topics": [{"id": "rac-thai", "name": "Rác thải", "query": "rác thải"}]},
        "channels": {"webhook": {}},
        "groups": [{"name": "lanh-dao", "min_severity": "info",
                    "recipients": [{"name": "vp", "webhook": "http://127.0.0.1:9/x"}]}]})


def _topic_days(rates: list[float], seed: int = 11) -> list:
    """Documents of the watch topic, `rates[k]` on the k-th of the last len(rates) days."""
    rng = np.random.default_rng(seed)
    docs, n = [], 0
    for k, rate in enumerate(rates):
        day = TODAY - (len(rates) - k) * DAY
        for _ in range(rng.poisson(rate)):
            n += 1
            hour = float(rng.uniform(6, 22))
            docs.append(doc(n, day + timedelta(hours=hour), source=("baothanhhoa", "vnexpress",
                                                                   "tuoitre")[n % 3],
                            title=f"Rác thải ùn ứ ở khu dân cư, tin {n}", sentiment="neutral"))
    return docs


def test_engine_raises_an_explained_rising_warning_once(store, tmp_path):
    rates = [8.0] * 40 + [12.0, 16.0, 20.0, 26.0, 32.0]  # five days of steady growth
    store.upsert(_topic_days(rates))
    box = Outbox(tmp_path / "alerts.sqlite")
    found = engine.run_detection(store, _config(), NOW, box, REGISTRY, crisis_rules=[])
    (warning,) = [a for a in found if a.kind == "rising"]
    assert warning.key == "rising:volume:rac-thai" and warning.data["signal"] == "volume"
    e = warning.explanation
    assert "tăng đều từ ngày" in e.reason and "09/03/2026" in e.reason  # since when, the last day
    assert e.count >= 20 and e.expected < 15  # by how much: the last day against its forecast
    assert e.documents and all("Rác thải" in d.title for d in e.documents)
    assert "Vấn đề nóng dần" in build_message(warning, "vp", None).text
    later = engine.run_detection(store, _config(), NOW + timedelta(hours=1), box, REGISTRY,
                                 crisis_rules=[])
    (again,) = [a for a in later if a.kind == "rising"]
    assert again.id == warning.id  # the same incident, updated, not a second alert
    assert len(box.deliveries(warning.id)) == 1


def test_engine_quiet_topic_raises_no_rising_warning(store):
    store.upsert(_topic_days([8.0] * 45))
    found = engine.run_detection(store, _config(), NOW, None, REGISTRY, crisis_rules=[])
    assert [a for a in found if a.kind == "rising"] == []


def test_engine_escalation_from_forum_to_national_press(store, tmp_path):
    start = NOW - 2 * DAY
    forum_only = [doc(900, start, source="voz", title="Chuyện khác trên diễn đàn",
                      story="story-khac", kind="forum_post")]
    store.upsert([_copy(1, start, "voz", "forum_post"),
                  _copy(2, start + timedelta(hours=20), "baothanhhoa"), *forum_only])
    box = Outbox(tmp_path / "alerts.sqlite")
    found = engine.run_detection(store, _config(), NOW, box, REGISTRY, crisis_rules=[])
    (local,) = [a for a in found if a.kind == "rising"]
    assert local.key == "rising:story:story-rac" and local.severity == "info"
    assert "báo địa phương" in local.explanation.reason and "VOZ" in local.explanation.reason
    store.upsert([_copy(3, NOW - timedelta(hours=2), "vnexpress")])
    found = engine.run_detection(store, _config(), NOW, box, REGISTRY, crisis_rules=[])
    (national,) = [a for a in found if a.kind == "rising"]
    assert national.id == local.id and national.severity == "warning"  # escalated, one incident
    assert national.data["levels"] == [0, 1, 2]
    assert [d.source for d in national.explanation.documents][:1] == ["voz"]
