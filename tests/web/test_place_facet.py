"""The search page's place facet (Địa danh), and the topic and report pages built from one
Store.summarize call, on documents enriched by the real pipeline (tests/web/conftest.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from langnghe.document import VN_TZ
from tests.web.conftest import csrf_of

FACET_RE = re.compile(r'data-facet="place" href="([^"]+)">([^<]+)</a> <span class="meta">(\d+)')


def test_search_page_lists_places_and_filters_by_one(client, store):
    page = client.get("/search")
    assert page.status_code == 200 and "Địa danh" in page.text
    places = {name: (href, int(n)) for href, name, n in FACET_RE.findall(page.text)}
    assert places["Thanh Hóa"][1] == 1  # "Mưa lũ ở Thanh Hóa … huyện Mường Lát"
    chosen = client.get(places["Thanh Hóa"][0].replace("&amp;", "&"))
    assert "Mưa lũ ở Thanh Hóa" in chosen.text and "Giá vàng" not in chosen.text
    typed = client.get("/search", params={"q": 'place:"thanh hoa"'})
    assert "Mưa lũ ở Thanh Hóa" in typed.text and "Giá vàng" not in typed.text
    assert store.search('place:"thanh hoa"').total == 1


def test_topic_page_and_report_show_the_topic_matches(client):
    made = client.post("/topics", data={"id": "vang", "name": "Vàng", "query": "giá vàng",
                                        "csrf": csrf_of(client)})
    assert made.status_code == 200 and "Giá vàng giảm mạnh" in made.text
    assert "Mưa lũ ở Thanh Hóa" not in made.text
    now = datetime.now(VN_TZ)  # the documents' day (an hour ago) to today: midnight-safe
    first, day = (now - timedelta(hours=1)).date().isoformat(), now.date().isoformat()
    printed = client.get("/reports/print", params={"since": first, "until": day, "topic": "vang"})
    assert printed.status_code == 200 and "Tổng số tin: <strong>1</strong>" in printed.text
    assert "Giá vàng giảm mạnh" in printed.text
