"""Parsers on the real saved pages and API responses of ../shared/data/web (no network)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from crawlers.connectors import facebook, telegram, vnexpress, xenforo, youtube
from crawlers.connectors.text import html_to_text, parse_count, parse_time
from langnghe.document import MAX_TEXT_CHARS, document_id
from tests.connectors.conftest import (
    FACEBOOK,
    TELEGRAM,
    VNE_COMMENTS,
    VOZ_FORUM,
    VOZ_THREAD,
    YOUTUBE,
    load,
)

THREAD = "https://voz.vn/t/nsut-thanh-loc-toi-phai-ban-do-trong-nha-de-trang-trai-cuoc-song.196903/"
VN_OFFSET = timedelta(hours=7)


@pytest.fixture(scope="module")
def voz_posts():
    return xenforo.parse_thread(VOZ_THREAD.read_bytes())


# -- XenForo ------------------------------------------------------------------------------------
def test_xenforo_thread_yields_every_post_with_author_and_vietnam_time(voz_posts):
    assert len(voz_posts) == 20
    assert all(d.kind == "forum_post" and d.authors and d.text for d in voz_posts)
    assert voz_posts[1].authors == ["Cay But Den"]
    assert voz_posts[1].published_at.isoformat() == "2020-12-17T18:17:52+07:00"
    assert all(d.published_at.utcoffset() == VN_OFFSET for d in voz_posts)
    assert {d.section for d in voz_posts} == {"Điểm báo"}


def test_xenforo_opening_post_is_the_thread_and_replies_point_at_it(voz_posts):
    opening = voz_posts[0]
    assert opening.canonical_url == THREAD and opening.id == document_id(THREAD)
    assert opening.title.startswith("NSƯT Thành Lộc") and opening.parent_id is None
    assert voz_posts[1].canonical_url == THREAD + "post-6060862"
    assert voz_posts[1].parent_id == opening.id and all(d.parent_id for d in voz_posts[1:])
    assert all(d.title == "" for d in voz_posts[1:])


def test_xenforo_reply_text_excludes_the_quote_and_links_the_quoted_post(voz_posts):
    reply = next(d for d in voz_posts if d.url.endswith("post-6060901"))
    quoted = next(d for d in voz_posts if d.url.endswith("post-6060862"))
    assert reply.text.startswith("Nghệ sĩ đích thực là vậy")
    assert quoted.text not in reply.text and "said:" not in reply.text
    assert "Click to expand" not in reply.text
    assert reply.parent_id == quoted.id


def test_xenforo_quote_of_post_on_another_page_links_by_permalink(voz_posts):
    reply = next(d for d in voz_posts if d.url.endswith("post-6060994"))
    assert reply.parent_id == document_id(THREAD + "post-6060889")
    assert "Gay lọ lịch sự" not in reply.text and reply.text.startswith("Chính xác.")


def test_xenforo_likes_count_named_reactors_plus_others(voz_posts):
    # "Mark West, stonecold166.02, kethongminh1412 and 25 others" → 28
    assert voz_posts[1].engagement == {"likes": 28}
    # "kethongminh1412 and quangteoict87" → 2
    assert voz_posts[10].engagement == {"likes": 2}


def test_xenforo_thread_list_gives_thread_snapshots():
    entries = xenforo.parse_thread_list(VOZ_FORUM.read_bytes())
    assert len(entries) == 23
    first = entries[0]
    assert first.url == "https://voz.vn/t/vozer-father-ver-2026-hoi-nhung-ong-bo-bim-sua.1089186/"
    assert (first.author, first.replies, first.views) == ("vtalinh", 764, 76_000)
    assert first.last_post_at.isoformat() == "2026-01-10T14:31:03+07:00"
    assert all(e.url.startswith("https://voz.vn/t/") and e.title for e in entries)


def test_xenforo_next_page_is_absolute():
    assert xenforo.next_page(VOZ_THREAD.read_bytes()) == THREAD + "page-2"
    forum_next = xenforo.next_page(VOZ_FORUM.read_bytes())
    assert forum_next == "https://voz.vn/f/chuyen-tro-linh-tinh%E2%84%A2.17/page-2"


# -- Telegram -----------------------------------------------------------------------------------
def test_telegram_preview_messages_views_dates_and_ids():
    docs = telegram.parse_preview((TELEGRAM / "full.html").read_bytes())
    assert len(docs) == 12
    first = docs[0]
    assert first.url == "https://t.me/topwar_official/70989"
    assert first.id == document_id(platform="telegram", native_id="topwar_official/70989")
    assert first.engagement == {"views": 37_200}
    assert first.published_at.isoformat() == "2023-02-28T07:47:53+00:00"
    assert first.authors == ["Военное обозрение"] and first.kind == "post"


def test_telegram_forwarded_origin_kept_apart_from_the_text():
    docs = telegram.parse_preview((TELEGRAM / "full.html").read_bytes())
    forwarded = [d for d in docs if d.lead]
    assert len(forwarded) == 5
    first = next(d for d in docs if d.url.endswith("/70996"))
    assert first.lead == "Forwarded from: Военкор Ярем (https://t.me/yaremshooter/1066)"
    assert "Военкор Ярем" not in first.text and first.text.startswith("Информация о том")


@pytest.mark.parametrize("name, views, start", [
    ("message_text.html", 33_400, "Неопознанный летающий объект замечен"),
    ("message_poll.html", 1_100, "Как лучше?\nНесколько постов в день"),
    ("message_media_photo_and_video.html", 59_500, "Ночью над Белгородом сбили 3"),
])
def test_telegram_single_message_blocks(name, views, start):
    [doc] = telegram.parse_preview((TELEGRAM / name).read_bytes())
    assert doc.engagement["views"] == views and doc.text.startswith(start)
    assert "<" not in doc.text


# -- YouTube ------------------------------------------------------------------------------------
def test_youtube_video_is_a_post_by_its_channel():
    [video] = youtube.parse_videos(load(YOUTUBE / "videos__videos_info_single.json"))
    assert video.id == document_id(platform="youtube", native_id="D-lhorsDlUQ")
    assert video.title == "What are Actions on Google (Assistant on Air)"
    assert video.authors == ["Google Developers"] and video.kind == "post"
    assert video.published_at.isoformat() == "2019-03-21T20:37:49+00:00"
    assert video.text.startswith("In the first episode of Assistant on Air")


def test_youtube_comment_threads_are_comments_of_their_video():
    docs = youtube.parse_comment_threads(
        load(YOUTUBE / "comment_threads__comment_threads_by_video_paged_1.json"))
    assert len(docs) == 5
    assert {d.parent_id for d in docs} == {youtube.doc_id("F1UP7wRCPH8")}
    likes = [d.engagement["likes"] for d in docs]
    assert likes == [0, 1, 4, 1, 0]
    assert docs[4].engagement["replies"] == 2
    assert docs[0].text == "Google.com"  # textOriginal, not the <a> HTML of textDisplay


def test_youtube_html_display_text_is_converted_when_no_original():
    data = load(YOUTUBE / "comment_threads__comment_thread_single.json")
    del data["items"][0]["snippet"]["topLevelComment"]["snippet"]["textOriginal"]
    [doc] = youtube.parse_comment_threads(data)
    assert doc.text.startswith("Super video !!!\nWith full power skil")
    assert "<br" not in doc.text


def test_youtube_replies_point_at_their_parent_comment():
    docs = youtube.parse_comments(load(YOUTUBE / "comments__comments_by_parent_paged_1.json"))
    assert [d.text for d in docs] == ["this is the third reply!", "this is the second reply!"]
    assert {d.parent_id for d in docs} == {youtube.doc_id("Ugw5zYU6n9pmIgAZWvN4AaABAg")}
    assert docs[0].published_at.isoformat() == "2019-12-01T04:46:31+00:00"


# -- Facebook -----------------------------------------------------------------------------------
def test_facebook_feed_posts():
    docs = facebook.parse_feed(load(FACEBOOK / "posts__feed_fields_p1.json"))
    assert len(docs) == 5
    assert docs[0].id == facebook.doc_id("4_10113477241177441")
    assert docs[0].text == "Happy July 4th! 🇺🇸"
    assert docs[0].published_at.isoformat() == "2021-07-04T19:50:58+00:00"


def test_facebook_single_post_reaction_and_comment_totals():
    kind, [post] = facebook.parse_response(load(FACEBOOK / "posts__single_post_data.json"))
    assert kind == "facebook_post"
    assert post.engagement == {"likes": 1, "replies": 0}
    assert post.url == "https://www.facebook.com/175154750010052/posts/424924701699721"


def test_facebook_comments_and_replies_are_linked_from_permalinks():
    docs = facebook.parse_comments(load(FACEBOOK / "comments__comments_p1.json"))
    assert len(docs) == 10
    post = facebook.doc_id("19292868552_10158407654328553")
    top = [d for d in docs if "reply_comment_id" not in d.url]
    replies = [d for d in docs if "reply_comment_id" in d.url]
    assert len(top) == 6 and len(replies) == 4
    assert {d.parent_id for d in top} == {post}
    ids = {d.url.split("comment_id=")[1].split("&")[0]: d.id for d in top}
    assert replies[0].parent_id == ids["10158407903973553"]
    assert top[1].engagement == {"likes": 0, "replies": 2}


# -- VnExpress comments -------------------------------------------------------------------------
def test_vnexpress_comments_attached_to_their_article():
    article = "https://vnexpress.net/de-xuat-mo-khoa-hoc-tien-hon-nhan-5101768.html"
    docs = vnexpress.parse_comments(load(VNE_COMMENTS), article_url=article)
    assert len(docs) == 5
    assert {d.parent_id for d in docs} == {document_id(article)}
    first = docs[0]
    assert first.authors == ["yousay2027"] and first.engagement == {"likes": 132, "replies": 10}
    assert first.published_at.utcoffset() == VN_OFFSET
    assert int(first.published_at.timestamp()) == 1785050260
    assert "<br" not in first.text and "\nRất ủng hộ." in first.text


# -- helpers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, value", [("1.2K", 1200), ("33.4K", 33_400), ("987", 987),
                                         ("1.5M", 1_500_000), ("1,234", 1234), ("abc", None)])
def test_parse_count_reads_abbreviated_counters(text, value):
    assert parse_count(text) == value


@pytest.mark.parametrize("value, iso", [
    ("2020-12-17T18:17:52+0700", "2020-12-17T18:17:52+07:00"),
    ("2021-08-10T18:45:03+0000", "2021-08-10T18:45:03+00:00"),
    ("2019-04-20T01:03:39.000Z", "2019-04-20T01:03:39+00:00"),
    ("2026-03-07 08:00:00", "2026-03-07T08:00:00+07:00"),  # no zone: Vietnam time
])
def test_parse_time_keeps_zones_and_defaults_to_vietnam(value, iso):
    assert parse_time(value).isoformat() == iso


def test_html_to_text_keeps_breaks_and_drops_markup():
    assert html_to_text('a<br />b <a href="x">c</a><script>x()</script>') == "a\nb c"


def test_texts_are_bounded():
    data = load(VNE_COMMENTS)
    data["data"]["items"][0]["content"] = "x" * (MAX_TEXT_CHARS + 50)
    doc = vnexpress.parse_comments(data)[0]
    assert len(doc.text) == MAX_TEXT_CHARS


def test_every_real_file_parses_to_valid_json_documents():
    files = [VOZ_THREAD, *TELEGRAM.iterdir(), *YOUTUBE.iterdir(), *FACEBOOK.iterdir(),
             VNE_COMMENTS]
    from crawlers.connectors import detect_and_parse
    for path in files:
        kind, docs = detect_and_parse(path.read_bytes())
        assert docs, path.name
        assert all(json.loads(d.to_json())["published_at"] for d in docs), path.name
