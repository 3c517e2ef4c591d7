"""How Elasticsearch's story counts cut a long period (store/es_stories.py); the counts
themselves are in the contract suite (test_story_counts_*)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from langnghe.document import VN_TZ
from store import es_stories
from store.base import Filters


@pytest.mark.parametrize("seconds", [300, 900, 3600, 86400])
def test_chunks_cover_the_period_and_cut_only_at_bucket_starts(seconds):
    since = datetime(2025, 3, 1, 9, 53, 17, tzinfo=VN_TZ)  # inside a bucket of every width
    period = Filters(since=since, until=since + timedelta(days=40), sources=("vov",))
    parts = list(es_stories.chunks(period, seconds))
    assert len(parts) > 1 or seconds == 86400
    assert parts[0].since == period.since and parts[-1].until == period.until
    for before, after in zip(parts, parts[1:], strict=False):
        assert before.until == after.since
        assert (after.since.timestamp() + 7 * 3600) % seconds == 0  # a Vietnam bucket start
    for part in parts:
        assert part.until - part.since <= timedelta(seconds=seconds * es_stories.CHUNK_BUCKETS)
        assert part.sources == ("vov",)


def test_chunks_leave_an_open_period_whole():
    period = Filters(since=datetime(2025, 3, 1, tzinfo=VN_TZ))
    assert list(es_stories.chunks(period, 300)) == [period]


def test_periods_split_at_the_first_bucket_with_outlets():
    cut = datetime(2025, 3, 5, 10, 15, tzinfo=VN_TZ)
    assert es_stories.periods(Filters(kinds=("post",)), cut) == [
        (Filters(until=cut, kinds=("post",)), False), (Filters(since=cut, kinds=("post",)), True)]
    late = Filters(since=cut + timedelta(hours=1), until=cut + timedelta(hours=2))
    assert es_stories.periods(late, cut) == [(late, True)]
    assert es_stories.periods(late, None) == [(late, True)]
