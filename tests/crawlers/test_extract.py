from collections import Counter
from datetime import datetime, timedelta

import lxml.html
import pytest

from crawlers.charset import decode_html
from crawlers.extract import extract_article
from crawlers.extract.metadata import read_metadata
from langnghe.document import VN_TZ
from tests.crawlers.conftest import to_cp1258, vn_articles
from tests.paths import WEB

ARTICLES = vn_articles()


def _f1(predicted: str, gold: str) -> float:
    p, g = Counter(predicted.split()), Counter(gold.split())
    overlap = sum((p & g).values())
    return 0.0 if not overlap else 2 * overlap / (sum(p.values()) + sum(g.values()))


def _gold_time(raw: str) -> tuple[datetime, bool]:
    """Gold publish time (each site's own notation) and whether it has seconds."""
    raw = raw.replace(" +", "+").replace(" ", "T", 1) if "T" not in raw else raw.replace(" +", "+")
    value = datetime.fromisoformat(raw)
    return (value if value.tzinfo else value.replace(tzinfo=VN_TZ)), raw.count(":") >= 2


@pytest.mark.parametrize("entry", ARTICLES, ids=[e["path"] for e in ARTICLES])
def test_extract_article_matches_manifest_gold(entry):
    page = extract_article((WEB / entry["path"]).read_bytes(), entry["url"])
    gold = entry["gold"]
    assert page.is_article and page.language == "vi"
    assert page.canonical_url == entry["url"]
    if "title" in gold:
        assert page.title == gold["title"]
    if "title_startswith" in gold:
        assert page.title.startswith(gold["title_startswith"])
    expected, with_seconds = _gold_time(gold["published"])
    got = page.published_at if with_seconds else page.published_at.replace(second=0)
    assert got == expected
    for phrase in gold.get("body_contains", []):
        insensitive = phrase.endswith(" (case-insensitive)")
        phrase = phrase.removesuffix(" (case-insensitive)")
        body = page.lead + "\n" + page.text
        assert (phrase.lower() in body.lower()) if insensitive else (phrase in body)


@pytest.mark.parametrize("entry", ARTICLES, ids=[e["path"] for e in ARTICLES])
def test_extract_article_keeps_sapo_out_of_text(entry):
    page = extract_article((WEB / entry["path"]).read_bytes(), entry["url"])
    assert page.lead and len(page.text) > 1000
    assert page.lead[:60] not in page.text


def test_extract_fundus_vnexpress_body_f1_and_author():
    entry = next(e for e in ARTICLES if e["path"].startswith("vnexpress/fundus_"))
    page = extract_article((WEB / entry["path"]).read_bytes(), entry["url"])
    gold = (WEB / entry["gold_body_path"]).read_text("utf-8")
    assert _f1(page.lead + "\n\n" + page.text, gold) >= 0.9
    assert page.authors == entry["gold"]["authors"]
    assert "Lê Phương" not in page.text  # the byline is an author, not body text


def test_extract_listing_pages_are_not_articles():
    listings = [e for e in (WEB / "manifest.jsonl").read_text("utf-8").splitlines()
                if '"kind": "listing"' in e and '"lang": "vi"' in e]
    import json
    for line in listings:
        entry = json.loads(line)
        assert not extract_article((WEB / entry["path"]).read_bytes(), entry["url"]).is_article


def test_extract_decodes_double_escaped_jsonld_headline():
    tree = lxml.html.document_fromstring((WEB / "tuoitre/tuoitre_article.html").read_text("utf-8"))
    assert read_metadata(tree).title == "Chiến sự đẩy giá hoa nhập khẩu dịp 8-3 tăng mạnh"


def test_extract_rejects_future_publication_date(caplog):
    future = (datetime.now(VN_TZ) + timedelta(days=3)).isoformat()
    html = (f'<html lang="vi"><head><meta property="article:published_time" content="{future}">'
            f'</head><body><h1 data-role="title">Tin</h1><div data-role="content"><p>'
            + "Nội dung bài báo dài. " * 30 + "</p></div></body></html>")
    page = extract_article(html, "https://example.vn/tin-1.htm")
    assert page.is_article and page.published_at is None
    assert "future" in caplog.text


def test_extract_handles_empty_and_garbage_input():
    for junk in (b"", b"\x00\x01binary", "<html></html>"):
        page = extract_article(junk, "https://example.vn/x")
        assert not page.is_article and page.title == ""


def test_decode_html_windows1258_and_wrong_header():
    title = "Thanh Hóa: mưa lũ ở huyện Quảng Xương"
    legacy = b'<meta charset="windows-1258"><title>' + to_cp1258(title) + b"</title>"
    assert title in decode_html(legacy)
    assert title in decode_html(legacy, declared="windows-1258")
    # a UTF-8 page whose server claims ISO-8859-1
    assert title in decode_html(f"<title>{title}</title>".encode(), declared="iso-8859-1")
