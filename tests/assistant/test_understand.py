"""Questions in everyday Vietnamese → structured requests (the rules; the full question sets are
measured by evaluation/ask.py)."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.understand import Catalog, Topic, load_catalog, understand
from langnghe.document import VN_TZ
from runner.stages import DEFAULT_WATCH

NOW = datetime(2026, 12, 10, 9, 30, tzinfo=VN_TZ)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(DEFAULT_WATCH)


def ask(question: str, catalog: Catalog) -> dict:
    return understand(question, NOW, catalog).to_dict()


@pytest.mark.parametrize("question", [
    "Có bao nhiêu tin tiêu cực về y tế tuần này?",
    "co bao nhieu tin tieu cuc ve y te tuan nay",
    "bn tin tiêu cực về y tế tuần này",
    "Có bao nhiu tin tieu cuc ve y te tuan nya",
])
def test_understand_same_request_with_or_without_diacritics_and_typos(question, catalog):
    got = ask(question, catalog)
    assert got["intent"] == "count"
    assert got["since"] == "2026-12-07T00:00:00+07:00" and got["until"] == NOW.isoformat()
    assert got["filters"]["domain"] == "health" and got["filters"]["sentiment"] == "negative"
    assert got["keywords"] == "" and got["query"] == "domain:health sentiment:negative"


def test_understand_place_resolves_to_the_2025_unit(catalog):
    # Quảng Bình was merged into Quảng Trị on 1 July 2025: the place facet counts Quảng Trị
    got = ask("Tin tức về Quảng Bình tuần trước thế nào", catalog)
    assert got["filters"]["place"] == "Quảng Trị" and got["query"] == 'place:"Quảng Trị"'
    commune = ask("tình hình ở phường Hạc Thành tuần này", catalog)
    assert commune["filters"]["place"] == "Hạc Thành, Thanh Hóa"
    assert commune["query"] == 'place:"Thanh Hóa" place:"Hạc Thành"'


def test_understand_former_district_is_its_province_plus_its_name(catalog):
    got = ask("Huyện Mường Lát có tin gì mới không?", catalog)
    assert got["filters"]["place"] == "Thanh Hóa" and got["keywords"] == "Mường Lát"
    assert got["query"] == 'place:"Thanh Hóa" "Mường Lát"'


def test_understand_topic_by_name_and_source_by_name(catalog):
    got = ask("Tuổi Trẻ đăng bao nhiêu bài về ngộ độc thực phẩm hôm qua", catalog)
    assert got["filters"]["source"] == "tuoitre" and got["filters"]["topic"] == "ngo-doc"
    assert got["keywords"] == ""  # "thực phẩm" is in the topic's own query


def test_understand_ordinary_words_are_not_an_outlet_without_a_cue(catalog):
    assert ask("tin về thanh niên hôm nay", catalog)["filters"]["source"] is None
    assert ask("tin trên báo thanh niên hôm nay", catalog)["filters"]["source"] == "thanhnien"


def test_understand_entity_from_the_ingest_extractor(catalog):
    got = ask("Có bao nhiêu tin nhắc đến Bộ Y tế tuần này?", catalog)
    assert got["filters"]["entity"] == "Bộ Y tế" and got["filters"]["domain"] is None
    assert got["query"] == 'entity:"Bộ Y tế"'


def test_understand_compare_two_periods_or_two_subjects(catalog):
    periods = ask("So sánh số tin về môi trường tuần này với tuần trước", catalog)
    assert periods["intent"] == "compare"
    assert periods["compare"]["since"] == "2026-11-30T00:00:00+07:00"
    places = ask("So sánh tin về Hà Nội và Đà Nẵng tuần này", catalog)
    assert places["filters"]["place"] == "Hà Nội"
    assert places["compare"] == {"place": "Đà Nẵng", "query": 'place:"Đà Nẵng"'}
    alone = ask("So sánh tin về y tế tuần này", catalog)  # nothing to compare with: the week before
    assert alone["compare"]["since"] == "2026-11-30T00:00:00+07:00"


def test_understand_forecast_needs_coverage_words(catalog):
    got = ask("Dự báo số tin về thiên tai 3 ngày tới", catalog)
    assert (got["intent"], got["filters"]["topic"]) == ("forecast", "thien-tai")
    assert got["until"] == "2026-12-13T09:30:00+07:00"
    assert ask("Thời tiết Hà Nội ngày mai thế nào?", catalog)["intent"] == "unknown"


@pytest.mark.parametrize("question", ["Bạn tên là gì?", "Tỷ giá đô la hôm nay bao nhiêu?",
                                      "Hello", "Viết giúp tôi một bài thơ"])
def test_understand_not_understood_gets_two_supported_questions(question, catalog):
    got = ask(question, catalog)
    assert got["intent"] == "unknown" and got["understood"] is False
    assert len(got["suggestions"]) == 2
    assert all(understand(s, NOW, catalog).understood for s in got["suggestions"])


def test_understand_bare_subject_is_a_search(catalog):
    got = ask("giá vàng", catalog)
    assert (got["intent"], got["keywords"], got["query"]) == ("search", "giá vàng", '"giá vàng"')


def test_understand_topics_come_from_the_catalog():
    catalog = Catalog(topics=(Topic("xang-dau", "Giá xăng dầu", "xăng OR dầu"),))
    got = understand("xu hướng tin về giá xăng dầu tuần này", NOW, catalog).to_dict()
    assert got["filters"]["topic"] == "xang-dau" and got["intent"] == "trend"


def test_understand_now_must_leave_room_for_every_period():
    from assistant.ask import check_now

    with pytest.raises(ValueError, match="2000–2099"):
        check_now(datetime(1, 1, 1))
    assert check_now(datetime(2026, 12, 10, 9, 30)) == NOW  # no zone: Vietnam time


@pytest.mark.parametrize("question, keywords", [
    ("co bao nhieu tin ve gia vang tuan nay", "gia vang"),  # not "vâng"
    ("tim tin ve nha may thep", "nha may thep"),  # not "nhá"
    ("tin ve lam nghiep thang nay", "lam nghiep"),  # not "lắm", "làm"
    ("tim tin ve hoi nghi", "hoi nghi"),  # not "hỏi"
])
def test_understand_unaccented_content_words_are_not_function_words(question, keywords, catalog):
    assert ask(question, catalog)["keywords"] == keywords
