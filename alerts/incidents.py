"""One incident, one alert: detections of different watches that share their evidence merge.

A burst about a fire in the province is at once a spike of the "Thanh Hóa" topic, of the
"cháy nổ" topic and of the public-order domain. Leaders must get one alert for it, not three.
Two detections are the same incident when their evidence documents overlap by at least
`OVERLAP` of the smaller set. A crisis rule (written by staff for exactly this kind of event)
names the incident before a volume spike, which names it before a negative-share rise; the kept
alert takes the highest severity of the group and names the other watches. A detection that
overlaps an incident still open from an earlier cycle takes that incident's key, so it becomes
an update of it rather than a new alert. Source-health alerts are about collection, not
content, and never merge.
"""

from __future__ import annotations

from collections.abc import Sequence

from alerts.model import Alert

OVERLAP = 0.5  # half of the smaller evidence set in common: the same story cluster
_RANK = {"info": 0, "warning": 1, "critical": 2}
_KIND = {"rule": 2, "spike": 1, "negative_share": 0}  # which detection names the incident


def _evidence(alert: Alert) -> set[str]:
    return {d.url for d in alert.explanation.documents}


def _same(a: set[str], b: set[str]) -> bool:
    return bool(a and b) and len(a & b) >= OVERLAP * min(len(a), len(b))


def merge(found: Sequence[Alert], open_alerts: Sequence[Alert] = ()) -> list[Alert]:
    """Detections of this cycle with same-incident duplicates folded together."""
    content = [a for a in found if a.kind != "source_health"]
    content.sort(key=lambda a: (_KIND.get(a.kind, 0), _RANK.get(a.severity, 0), a.score),
                 reverse=True)
    kept: list[Alert] = []
    for alert in content:
        evidence = _evidence(alert)
        twin = next((k for k in kept if _same(evidence, _evidence(k))), None)
        if twin is not None:
            twin.data.setdefault("also_matches", []).append(alert.title)
            if _RANK.get(alert.severity, 0) > _RANK.get(twin.severity, 0):
                twin.severity = alert.severity
            continue
        earlier = next((o for o in open_alerts if o.kind != "source_health"
                        and o.key != alert.key and _same(evidence, _evidence(o))), None)
        if earlier is not None:
            alert.data["merged_from"] = alert.key
            alert.key = earlier.key
        kept.append(alert)
    return kept + [a for a in found if a.kind == "source_health"]
