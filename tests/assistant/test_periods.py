"""Periods people name, resolved in Vietnam time against a fixed `now` (a Thursday)."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.periods import find_periods
from assistant.tokens import tokenize
from langnghe.document import VN_TZ

NOW = datetime(2026, 12, 10, 9, 30, tzinfo=VN_TZ)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


def periods(question: str, now: datetime = NOW):
    _, toks = tokenize(question)
    return find_periods(toks, now, set())


@pytest.mark.parametrize("question, since, until", [
    ("hôm nay", "2026-12-10T00:00", "2026-12-10T09:30"),
    ("hom qua", "2026-12-09T00:00", "2026-12-10T00:00"),
    ("sáng nay", "2026-12-10T00:00", "2026-12-10T09:30"),  # still running: ends now
    ("tuần này", "2026-12-07T00:00", "2026-12-10T09:30"),  # from Monday
    ("tuần trước", "2026-11-30T00:00", "2026-12-07T00:00"),  # Monday–Sunday
    ("tháng này", "2026-12-01T00:00", "2026-12-10T09:30"),
    ("tháng trước", "2026-11-01T00:00", "2026-12-01T00:00"),
    ("3 ngày qua", "2026-12-07T09:30", "2026-12-10T09:30"),
    ("trong 12 tiếng qua", "2026-12-09T21:30", "2026-12-10T09:30"),
    ("24h qua", "2026-12-09T09:30", "2026-12-10T09:30"),
    ("từ 1/12 đến 3/12", "2026-12-01T00:00", "2026-12-04T00:00"),  # the last day included
    ("tháng 11", "2026-11-01T00:00", "2026-12-01T00:00"),
    ("từ đầu tháng đến nay", "2026-12-01T00:00", "2026-12-10T09:30"),
    ("ngày 5/12", "2026-12-05T00:00", "2026-12-06T00:00"),
    ("cuối tuần qua", "2026-12-05T00:00", "2026-12-07T00:00"),
    ("tuan nya", "2026-12-07T00:00", "2026-12-10T09:30"),  # a typo
    ("ba ngày qua", "2026-12-07T09:30", "2026-12-10T09:30"),  # numbers as words
    ("hai mươi ngày qua", "2026-11-20T09:30", "2026-12-10T09:30"),
    ("tuần vừa rồi", "2026-11-30T00:00", "2026-12-07T00:00"),
])
def test_period_resolves_against_now(question, since, until):
    found = periods(question)
    assert len(found) == 1
    assert (found[0].since, found[0].until, found[0].future) == (at(since), at(until), False)


def test_period_date_without_year_is_the_latest_past_one():
    # on 10 December, "15/12" has not come yet this year: it is last year's
    found = periods("ngày 15/12")[0]
    assert found.since == at("2025-12-15T00:00")
    january = datetime(2027, 1, 5, 8, 0, tzinfo=VN_TZ)
    assert periods("tháng 11", january)[0].since == at("2026-11-01T00:00")


@pytest.mark.parametrize("question, since, until", [
    ("3 ngày tới", "2026-12-10T09:30", "2026-12-13T09:30"),
    ("ngày mai", "2026-12-11T00:00", "2026-12-12T00:00"),
    ("tuần tới", "2026-12-14T00:00", "2026-12-21T00:00"),
    ("năm ngày tới", "2026-12-10T09:30", "2026-12-15T09:30"),  # "năm" the number, not the year
])
def test_period_future(question, since, until):
    found = periods(question)[0]
    assert (found.since, found.until, found.future) == (at(since), at(until), True)


def test_period_two_in_one_question_keep_their_order():
    found = periods("so sánh tháng 11 với tháng 10")
    assert [p.since.month for p in found] == [11, 10]


def test_period_describe_names_the_dates():
    assert periods("tuần trước")[0].describe() == "tuần trước (30/11–06/12/2026)"
    assert periods("hôm qua")[0].describe() == "hôm qua (09/12/2026)"
