from datetime import UTC, datetime

from alerts.incidents import merge
from alerts.model import Alert, DocRef, Explanation

NOW = datetime(2026, 3, 7, 8, 0, tzinfo=UTC)


def alert(key, urls, severity="warning", score=5.0, kind="spike"):
    docs = [DocRef(title=u, url=u, source="s", published_at=NOW.isoformat()) for u in urls]
    return Alert(key=key, kind=kind, severity=severity, title=f"title {key}", detected_at=NOW,
                 explanation=Explanation(reason="r", documents=docs), score=score)


def test_merge_folds_watches_sharing_evidence_into_the_strongest():
    a = alert("spike:thanh-hoa", ["u1", "u2", "u3", "u4"], score=5)
    b = alert("spike:chay-no", ["u1", "u2", "u3"], severity="critical", score=3)
    (kept,) = merge([a, b])
    assert kept.key == "spike:chay-no" and kept.data["also_matches"] == ["title spike:thanh-hoa"]


def test_merge_lets_a_crisis_rule_name_the_incident_with_the_highest_severity():
    spike = alert("spike:thanh-hoa", ["u1", "u2", "u3"], severity="critical", score=9)
    rule = alert("rule:chay-cho", ["u1", "u2"], severity="warning", score=2, kind="rule")
    (kept,) = merge([spike, rule])
    assert kept.key == "rule:chay-cho" and kept.severity == "critical"
    assert kept.data["also_matches"] == ["title spike:thanh-hoa"]


def test_merge_keeps_unrelated_incidents_apart():
    a = alert("spike:a", ["u1", "u2", "u3"])
    b = alert("spike:b", ["v1", "v2", "u3"])
    assert {x.key for x in merge([a, b])} == {"spike:a", "spike:b"}


def test_merge_turns_a_new_watch_on_an_open_incident_into_its_update():
    earlier = alert("spike:thanh-hoa", ["u1", "u2", "u3"])
    later = alert("spike:chay-no", ["u2", "u3", "u4", "u5"])
    (kept,) = merge([later], open_alerts=[earlier])
    assert kept.key == "spike:thanh-hoa" and kept.data["merged_from"] == "spike:chay-no"


def test_merge_never_folds_source_health_alerts():
    health = alert("health:source:x", [], kind="source_health")
    content = alert("spike:a", ["u1"])
    assert {x.key for x in merge([health, content])} == {"health:source:x", "spike:a"}
