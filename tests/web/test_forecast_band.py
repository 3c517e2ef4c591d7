"""The forecast band on the overview and topic pages (web.overview.forecast_calls, charts)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from alerts.forecast import for_query
from langnghe.document import Document, Label, NlpSection, document_id
from web import topics

from .conftest import NOW

BAND_RE = re.compile(r'<polygon class="band"[^>]* points="([^"]+)"')
MEAN_RE = re.compile(r'<polyline class="forecast-mean"[^>]* points="([^"]+)"')


def _history(days: int = 21) -> list[Document]:
    """Three weeks of a flood topic: five items a day, two of them negative."""
    out = []
    for day in range(days):
        for k in range(5):
            when = NOW - timedelta(days=day, hours=2 + 3 * k)
            url = f"https://baothanhhoa.vn/lu-{day}-{k}.html"
            label = "negative" if k < 2 else "neutral"
            out.append(Document(id=document_id(url), url=url, canonical_url=url,
                                source_id="baothanhhoa", source_name="Báo Thanh Hóa",
                                title=f"Lũ lụt ở Thanh Hóa, tin {day}-{k}", text="Mưa lũ.",
                                published_at=when, nlp=NlpSection(
                                    title="Lũ lụt", sentiment=Label(label=label, score=0.9))))
    return out


@pytest.fixture
def flood_store(store):
    store.upsert(_history())
    return store


def _points(text: str) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in text.split()]


@pytest.mark.parametrize("range_, buckets, heading", [("7d", 7, "7 ngày tới"),
                                                      ("24h", 24, "24 giờ tới")])
def test_overview_draws_the_forecast_band(client, flood_store, range_, buckets, heading):
    page = client.get("/", params={"range": range_})
    assert page.status_code == 200 and f"Dự báo {heading}" in page.text
    bands = BAND_RE.findall(page.text)
    assert len(bands) == 2  # all items and the negative ones
    for band in bands:
        upper_then_lower = _points(band)
        assert len(upper_then_lower) == 2 * buckets
        upper, lower = upper_then_lower[:buckets], upper_then_lower[buckets:][::-1]
        assert all(u[1] <= lo[1] for u, lo in zip(upper, lower, strict=True))  # hi above lo
    means = [_points(m) for m in MEAN_RE.findall(page.text)]
    assert [len(m) for m in means] == [buckets, buckets]


def test_overview_band_shows_the_forecast_of_the_store(client, flood_store):
    """The chart's scale label is the band's top: the store's own forecast, not a copy."""
    interval = "day"
    points = for_query(flood_store, "", interval, 7, NOW)
    assert 3 < points[1].mean < 8  # five a day
    page = client.get("/", params={"range": "7d"}).text
    chart = page[page.index('id="du-bao"'):]
    # every whole day of the history holds exactly five items (each day's five are 2-14 h
    # apart, so the ones a midnight pushes out are made up by the next day's), whatever the hour
    top = max([p.hi for p in points] + [5])
    assert f'font-size="11">{top:.0f}</text>' in chart


def test_overview_custom_period_has_no_forecast(client, flood_store):
    day = NOW.date()
    page = client.get("/", params={"range": "custom", "since": str(day - timedelta(days=3)),
                                   "until": str(day)})
    assert page.status_code == 200 and 'id="du-bao"' not in page.text


def test_topic_page_draws_the_forecast_band(clients, flood_store, web_db):
    topics.save_topic(web_db, "lu-lut", "Lũ lụt", "lũ lụt", "admin")
    page = clients.viewer.get("/topics/lu-lut", params={"range": "7d"})
    assert page.status_code == 200 and "Dự báo 7 ngày tới" in page.text
    assert len(BAND_RE.findall(page.text)) == 2
