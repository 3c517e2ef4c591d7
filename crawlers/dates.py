"""Publication timestamps: tolerant parsing of what news sites write, and sanity bounds.

Timestamps without a zone are Vietnam time (Asia/Ho_Chi_Minh). A date in the future (beyond
`FUTURE_SLACK`) or before `EARLIEST` is rejected: the caller keeps `published_at` empty and logs
the reason instead of storing a wrong date.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from langnghe.document import VN_TZ

log = logging.getLogger(__name__)

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # no Vietnamese online press before this
FUTURE_SLACK = timedelta(minutes=10)  # clock skew between outlet servers and ours

# Day-first forms Vietnamese sites print: "07/03/2026 08:01", "07-03-2026 - 00:01 AM".
_DMY = re.compile(
    r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
    r"(?:\D{1,4}(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp][Mm])?)?")
_OFFSET_SPACE = re.compile(r"\s+([+-]\d{2}:?\d{2})$")  # VietnamNet: "…11.000 +07:00"


def _parse_iso(text: str) -> datetime | None:
    text = _OFFSET_SPACE.sub(r"\1", text.strip()).replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)  # "+0700" -> "+07:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _parse_dmy(text: str) -> datetime | None:
    m = _DMY.search(text)
    if not m:
        return None
    hour = int(m["H"] or 0)
    if m["ampm"]:
        hour = hour % 12 + (12 if m["ampm"].lower() == "pm" else 0)
    try:
        return datetime(int(m["y"]), int(m["m"]), int(m["d"]), hour, int(m["M"] or 0),
                        int(m["S"] or 0))
    except ValueError:
        return None


def parse_date(text: str | None) -> datetime | None:
    """Parse ISO 8601 (also with a space before the offset) or day-first dates; aware result.

    A value without a zone is taken as Vietnam time. Returns None when nothing parses.
    """
    if not text or not text.strip():
        return None
    value = _parse_iso(text) or _parse_dmy(text)
    if value is None:
        return None
    return value.replace(tzinfo=VN_TZ) if value.tzinfo is None else value


def check_published(value: datetime | None, *, url: str = "",
                    now: datetime | None = None) -> datetime | None:
    """`value` when plausible; None (with the reason logged) when in the future or before 1990."""
    if value is None:
        return None
    now = now or datetime.now(UTC)
    if value > now + FUTURE_SLACK:
        log.warning("rejected published date %s of %s: in the future", value.isoformat(), url)
        return None
    if value < EARLIEST:
        log.warning("rejected published date %s of %s: before 1990", value.isoformat(), url)
        return None
    return value
