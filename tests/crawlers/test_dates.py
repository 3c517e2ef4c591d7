from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawlers.dates import check_published, parse_date

VN = timezone(timedelta(hours=7))


@pytest.mark.parametrize("raw, expected", [
    ("2026-03-07T08:52:11.000 +07:00", datetime(2026, 3, 7, 8, 52, 11, tzinfo=VN)),  # VietnamNet
    ("2026-03-07T00:01:00", datetime(2026, 3, 7, 0, 1, tzinfo=VN)),  # CafeF, no offset
    ("07/03/2026 08:01 GMT+7", datetime(2026, 3, 7, 8, 1, tzinfo=VN)),
    ("07-03-2026 - 12:01 PM", datetime(2026, 3, 7, 12, 1, tzinfo=VN)),
    ("2025-10-22T19:25:52+0700", datetime(2025, 10, 22, 19, 25, 52, tzinfo=VN)),
    ("2022-07-28T02:43:00Z", datetime(2022, 7, 28, 2, 43, tzinfo=UTC)),
])
def test_parse_date_reads_news_site_formats(raw, expected):
    value = parse_date(raw)
    assert value == expected and value.tzinfo is not None


def test_parse_date_returns_none_for_garbage():
    assert parse_date("hôm qua") is None and parse_date("") is None


def test_check_published_rejects_future_and_pre_1990(caplog):
    now = datetime(2026, 3, 7, tzinfo=UTC)
    assert check_published(now + timedelta(days=2), now=now) is None
    assert check_published(datetime(1989, 12, 31, tzinfo=UTC), now=now) is None
    assert "future" in caplog.text and "1990" in caplog.text
    ok = now - timedelta(hours=1)
    assert check_published(ok, now=now) == ok
