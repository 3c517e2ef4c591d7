"""Who receives an alert, on which channel, and when: severity filters and quiet hours.

Quiet hours are in Vietnam time and may cross midnight; a non-critical alert found during them
is held until they end (not dropped); critical alerts always go through at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.config import AlertsConfig, QuietHours
from alerts.model import Alert
from alerts.outbox import Target
from langnghe.document import VN_TZ

CHANNELS = ("email", "telegram", "webhook")


def in_quiet(quiet: QuietHours, moment: datetime) -> bool:
    t = moment.astimezone(VN_TZ).timetz().replace(tzinfo=None)
    if quiet.start <= quiet.end:
        return quiet.start <= t < quiet.end
    return t >= quiet.start or t < quiet.end


def quiet_end(quiet: QuietHours, moment: datetime) -> datetime:
    local = moment.astimezone(VN_TZ)
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    return end if end > local else end + timedelta(days=1)


def targets(config: AlertsConfig, alert: Alert, now: datetime) -> list[Target]:
    out: dict[tuple[str, str], Target] = {}
    for group in config.groups:
        if not group.wants(alert.kind, alert.severity):
            continue
        hold = (group.quiet_hours is not None and alert.severity != "critical"
                and in_quiet(group.quiet_hours, now))
        when = quiet_end(group.quiet_hours, now) if hold else now
        for r in group.recipients:
            for channel in CHANNELS:
                address = getattr(r, channel)
                if address and (channel, address) not in out:  # one person, two groups: once
                    out[(channel, address)] = Target(r.name, channel, address, when)
    return list(out.values())
