"""Grounded answers on both stores: every figure is the store's own for exactly the understood
request, the answer names its period and filters, cites documents with links and ends with the
Search link of the same query."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

from alerts.digest import build_digest, digest_text
from alerts.model import Alert, DocRef, Explanation
from alerts.outbox import Outbox
from assistant.answer import NOT_UNDERSTOOD, filters_of, node_of
from assistant.ask import ask
from assistant.wording import DOMAIN_NAMES
from store.base import Filters
from tests.assistant.conftest import NOW
from web.labels import DOMAIN_VI


def total(ctx, request) -> int:
    return ctx.store.search(node_of(request.subject), filters_of(request.period), limit=0).total


def link_params(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


def urls(store, request) -> set[str]:
    found = store.search(node_of(request.subject), filters_of(request.period), limit=100)
    return {h.doc.url for h in found.hits}


def test_answer_count_is_the_store_count_with_period_filters_and_link(ctx):
    got = ask("Có bao nhiêu tin tiêu cực về môi trường tuần này?", ctx, NOW)
    request = got.request
    assert request.query == "domain:environment sentiment:negative"
    assert got.facts["total"] == total(ctx, request) == 3  # the three copies of the landslide
    assert got.text.startswith("Có 3 tin — tuần này (từ 00:00 07/12 đến 09:30 10/12/2026); "
                               "lĩnh vực: Tài nguyên, môi trường; sắc thái: tiêu cực.")
    assert got.citations and {c.url for c in got.citations} <= urls(ctx.store, request)
    assert all(c.url in got.text for c in got.citations)
    last = got.text.splitlines()[-1]
    assert last == f"Xem trong Tìm kiếm: {got.search}"
    assert got.search.startswith("https://langnghe.tinh.gov.vn/search?")
    assert link_params(got.search) == {"q": request.query, "since": request.period.since
                                       .isoformat(), "until": NOW.isoformat()}


def test_answer_overview_of_a_place_ranks_the_story_most_outlets_carried(ctx):
    got = ask("Hôm nay báo chí nói gì về Thanh Hóa?", ctx, NOW)
    assert got.request.query == 'place:"Thanh Hóa"'
    assert got.facts["total"] == total(ctx, got.request) == 4  # three articles and a comment
    top = got.facts["stories"][0]
    assert (top["outlets"], top["copies"]) == (3, 3)
    # the story is shown by its first publisher (Dân Trí, five hours before now)
    assert got.citations[0].url == "https://dantri.vn/bai-3.html"
    assert "hôm nay (từ 00:00 10/12 đến 09:30 10/12/2026); địa danh: Thanh Hóa" in got.text
    assert "Không có cảnh báo nào đang mở." in got.text


def test_answer_compare_two_periods(ctx):
    got = ask("So sánh số tin về môi trường tuần này với tuần trước", ctx, NOW)
    a, b = got.facts["a"], got.facts["b"]
    assert (a["total"], b["total"]) == (3, 1)
    other = got.request.other
    assert b["total"] == ctx.store.search(node_of(got.request.subject),
                                          Filters(since=other.since, until=other.until),
                                          limit=0).total
    assert "Chênh lệch: +2 tin (tăng 200%)" in got.text
    assert "tuần trước (30/11–06/12/2026)" in got.text


def test_answer_compare_two_places(ctx):
    got = ask("So sánh tin về Thanh Hóa và Hà Nội tuần này", ctx, NOW)
    assert (got.facts["a"]["total"], got.facts["b"]["total"]) == (4, 1)
    assert "địa danh: Hà Nội" in got.text and "địa danh: Thanh Hóa" in got.text


def test_answer_sentiment_breakdown(ctx):
    got = ask("Tỷ lệ tin tiêu cực tuần này là bao nhiêu?", ctx, NOW)
    counts = dict(ctx.store.counts_by("sentiment", "", filters_of(got.request.period)))
    assert got.facts["sentiment"] == counts == {"negative": 5, "neutral": 1, "positive": 1}
    assert "tiêu cực 5 (71%), trung lập 1 (14%), tích cực 1 (14%)" in got.text


def test_answer_trend_series_sums_to_the_total(ctx):
    got = ask("Xu hướng tin 7 ngày qua", ctx, NOW)
    assert got.facts["interval"] == "day"
    assert sum(n for _, n in got.facts["series"]) == got.facts["total"] == total(ctx, got.request)
    assert f"Cao nhất: {got.facts['peak']} tin" in got.text


def test_answer_top_stories_limit_and_one_line_per_story(ctx):
    got = ask("3 tin nổi bật tuần này", ctx, NOW)
    assert len(got.facts["stories"]) == len(got.citations) == 3
    assert got.facts["stories"][0]["outlets"] == 3
    assert len({c.url for c in got.citations}) == 3
    assert sum("mưa lũ" in c.title.lower() for c in got.citations) == 1  # copies listed once


def test_answer_search_lists_matching_documents(ctx):
    got = ask("tìm bài về giá vàng", ctx, NOW)
    assert got.facts["total"] == 1  # the one of 8 days ago is outside the last 7 days
    assert [c.url for c in got.citations] == ["https://tuoitre.vn/bai-9.html"]


def test_answer_not_understood_says_so_and_suggests(ctx):
    got = ask("Bạn tên là gì?", ctx, NOW)
    lines = got.text.splitlines()
    assert lines[0].startswith(NOT_UNDERSTOOD)
    assert len([line for line in lines if line.startswith("- ")]) == 2
    assert got.citations == [] and got.search is None and got.facts == {}


def record(ctx, key: str, title: str) -> Alert:
    outbox = Outbox(ctx.alerts_db)
    try:
        saved, _ = outbox.record(Alert(
            key=key, kind="spike", severity="critical", title=title, detected_at=NOW,
            explanation=Explanation(reason="12 tin trong 15 phút, kỳ vọng 1.2", count=12,
                                    documents=[DocRef("Lũ cuốn trôi cầu ở Thanh Hóa",
                                                      "https://baothanhhoa.vn/lu.html",
                                                      "Báo Thanh Hóa", NOW.isoformat())])),
            NOW, [], timedelta(hours=1), timedelta(hours=6))
    finally:
        outbox.close()
    return saved


def test_answer_alerts_lists_open_incidents_narrowed_by_filters(ctx):
    saved = record(ctx, "spike:thien-tai", "Tin về “Thiên tai, mưa lũ” tăng đột biến")
    got = ask("Có cảnh báo nào đang mở không?", ctx, NOW)
    assert got.facts["ids"] == [saved.id]
    assert "[KHẨN CẤP] Tin về “Thiên tai, mưa lũ” tăng đột biến" in got.text
    assert got.citations[0].url == "https://baothanhhoa.vn/lu.html"
    assert ask("cảnh báo về thiên tai", ctx, NOW).facts["alerts"] == 1
    assert ask("cảnh báo về ngộ độc", ctx, NOW).facts["alerts"] == 0
    assert ask("cảnh báo về Thanh Hóa hôm nay", ctx, NOW).facts["alerts"] == 1
    assert ask("cảnh báo về Nghệ An", ctx, NOW).facts["alerts"] == 0


def test_answer_sources_names_failing_and_most_active(ctx):
    ctx.health = lambda: [SimpleNamespace(source_id="vov", name="VOV", status="failing",
                                          last_error="DNS: name not resolved"),
                          SimpleNamespace(source_id="vtv", name="VTV", status="ok",
                                          last_error=None)]
    got = ask("Những nguồn nào đang lỗi?", ctx, NOW)
    assert got.facts["trouble"] == {"vov": "failing"}
    assert "- VOV: đang lỗi — DNS: name not resolved" in got.text
    assert got.facts["active"] == dict(ctx.store.counts_by(
        "source", "", filters_of(got.request.period)))


def test_answer_morning_question_is_the_daily_digest(ctx):
    got = ask("Hôm nay có gì?", ctx, NOW)
    assert got.request.briefing and got.request.period.since == NOW - timedelta(hours=24)
    expected = digest_text(build_digest(ctx.store, NOW, None, []))
    assert got.text.startswith(expected.rstrip())
    assert got.text.endswith(f"Xem trong Tìm kiếm: {got.search}")


def test_answer_domain_names_are_the_web_app_s():
    assert DOMAIN_NAMES == DOMAIN_VI


def test_answer_forecast_figures_are_the_forecast_module_s(ctx):
    from alerts.forecast import for_query

    got = ask("Dự báo số tin về môi trường 3 ngày tới", ctx, NOW)
    assert got.facts["interval"] == "day"
    expected = for_query(ctx.store, "domain:environment", "day", 4, NOW)  # today + 3 days
    assert got.facts["points"] == [p.to_dict() for p in expected]
    assert got.facts["total_mean"] == round(sum(p.mean for p in expected))
    assert f"tổng cộng khoảng {got.facts['total_mean']} tin" in got.text
    assert got.facts["recent_actual"] == 3  # the last three days, for comparison
    hourly = ask("Dự báo số tin 24 giờ tới", ctx, NOW)
    assert hourly.facts["interval"] == "hour" and len(hourly.facts["points"]) == 25
