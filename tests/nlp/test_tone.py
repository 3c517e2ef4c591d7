"""The tone models (nlp/models/tone.py) and their corpus (nlp/corpus/tone/): the shipped models on
real items of the corpus, the guideline's hard cases, diacritic-free input, routing by kind,
the corpus loader's checks, and reproducibility of the shipped artifacts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from langnghe.document import Document
from langnghe.vietnamese import fold
from nlp import classify, pipeline
from nlp.models import tone, tone_corpus


def _doc(kind: str, title: str = "", lead: str = "", text: str = "") -> Document:
    return Document(id=f"{kind}-1", url="https://x.vn/1", canonical_url="https://x.vn/1",
                    source_id="test", kind=kind, title=title, lead=lead, text=text)


def _news(text: str) -> str:
    return classify.predict("tone-news", text, explain=False).label


def _comment(text: str) -> str:
    return classify.predict("tone-comments", tone.tone_input("comments", text),
                            explain=False).label


# Real items of the corpus (text as read by the annotators, label as they gave it).
NEWS = [
    ("Xe chở gỗ lậu bỏ chạy gây tai nạn chết người. 4h sáng 20/4, chiếc xe bảy chỗ hiệu Isuzu "
     "màu đen, chở khoảng 3 m3 gỗ thị lậu (gỗ nhóm 1), từ thị xã Hà Tiên (Kiên Giang) về TP HCM, "
     "đến địa phận QL 80, huyện Tân Hiệp, thì bị cảnh sát giao thông chặn lại.", "negative"),
    ("Bình quân mỗi năm có 300.000 hộ thoát nghèo. Kinh tế thị trường mà Việt Nam lựa chọn là "
     "kinh tế thị trường định hướng xã hội chủ nghĩa.", "positive"),
    ("Những bước cần biết khi du học Anh. Việt Nam đang có hàng trăm công ty dịch vụ nhận giúp "
     "học sinh làm thủ tục du học.", "neutral"),
    ("Cá nướng kiểu Ấn Độ. Đây là món ăn nổi tiếng của vùng Tamil Nadu, phía Nam Ấn Độ, hương "
     "vị thơm ngon.", "neutral"),
    ("Vụ án lừa đảo liên quan MrPips: Truy nã một đối tượng là quản lý trong đường dây. Công an "
     "TP.Hà Nội đã ra quyết định truy nã.", "negative"),
]
COMMENTS = [
    ("Thực sự rất cảm kích trước những việc các bạn đã làm. Chúc nhóm thật nhiều sức khoẻ và "
     "may mắn.", "positive"),
    ("Trời ơi. Đau nhói thật. Tội các cháu quá. Miền Tây quê tôi sông nước.", "negative"),
    ("Con cá đã chết . Chỉ còn 2 con rắn tranh mồi thôi, con rắn trên đã cắn miệng dưới của cá "
     "và giành mồi với con rắn phía dưới .", "neutral"),
]


@pytest.mark.parametrize(("text", "label"), NEWS)
def test_news_model_on_real_corpus_items(text, label):
    assert _news(text) == label


@pytest.mark.parametrize(("text", "label"), COMMENTS)
def test_comment_model_on_real_corpus_items(text, label):
    assert _comment(text) == label


@pytest.mark.parametrize("text", [
    # factual announcements, schedules, how-to: the old model called most of these negative
    "Lịch thi tốt nghiệp THPT năm 2026 được công bố. Bộ Giáo dục và Đào tạo vừa ban hành lịch "
    "thi, kỳ thi diễn ra trong hai ngày 11 và 12/6.",
    "Hướng dẫn đăng ký tài khoản định danh điện tử mức 2. Người dân có thể đăng ký tại công an "
    "xã, phường nơi cư trú.",
    "Tăng cường kiểm tra vệ sinh an toàn thực phẩm dịp Tết. Trung tâm Y tế dự phòng triển khai "
    "kế hoạch hành động vệ sinh an toàn thực phẩm.",  # guideline: a plan, not a harm found
])
def test_neutral_factual_news_stays_neutral(text):
    assert _news(text) == "neutral"


@pytest.mark.parametrize(("text", "label"), [
    # the guideline's hard cases (GUIDELINE.md, section 1 and 3)
    ("Cứu sống 7 ngư dân Philippines. Một tàu câu cá ngừ Phú Yên vừa cứu sống được 7 ngư dân "
     "Philippines gặp nạn trên biển.", "positive"),  # a successful rescue is the news
    ("Tuyên án 20 năm tù đối với nguyên giám đốc tham ô tài sản. Tòa án nhân dân tỉnh tuyên "
     "phạt bị cáo 20 năm tù về tội tham ô.", "negative"),  # verdicts are trouble news
    ("Giá xăng tăng mạnh từ chiều nay. Liên Bộ Công Thương - Tài chính điều chỉnh giá xăng "
     "RON95 tăng hơn 1.000 đồng mỗi lít.", "negative"),  # price shock (v1.1)
])
def test_guideline_hard_cases(text, label):
    assert _news(text) == label


def test_diacritic_free_input_keeps_its_tone():
    for text, label in NEWS + COMMENTS[:2]:
        if label == "negative":
            predict = _news if (text, label) in NEWS else _comment
            assert predict(fold(text)) == label
    # over real items, typed without diacritics, the tone mostly stays what it was: the
    # folded word n-grams carry it (measured 0.94 news, 0.90 comments; 0.33 = chance)
    for kind, predict in (("news", _news), ("comments", _comment)):
        rows = tone_corpus.load(kind, "heldout")[:300]
        same = sum(predict(fold(r["text"])) == predict(r["text"]) for r in rows)
        assert same / len(rows) > 0.85, kind


def test_enrich_routes_articles_and_comments_to_their_tone_model():
    article = pipeline.enrich_one(_doc("article", title=NEWS[0][0].split(". ")[0],
                                       lead=NEWS[0][0].split(". ", 1)[1]))
    assert article.nlp.sentiment.label == "negative"
    comment = pipeline.enrich_one(_doc("comment", text=COMMENTS[0][0]))
    assert comment.nlp.sentiment.label == "positive"
    assert classify.model_for("sentiment", article) == "tone-news"
    assert classify.model_for("sentiment", comment) == "tone-comments"
    assert classify.model_for("toxicity", comment) == "toxicity"


def test_article_tone_reads_title_and_lead_as_the_annotators_did():
    doc = _doc("article", title="Khánh thành cầu mới", lead="Cầu nối hai huyện.",
               text="Thân bài rất dài " * 200)
    assert classify.sentiment_text(doc, doc) == "Khánh thành cầu mới. Cầu nối hai huyện."
    no_lead = _doc("article", title="Tiêu đề", text="Đoạn mở đầu. " * 100)
    assert len(classify.sentiment_text(no_lead, no_lead)) <= len("Tiêu đề. ") + 400


def test_corpus_loader_refuses_a_label_outside_the_three(tmp_path):
    (tmp_path / "news.jsonl").write_text(
        json.dumps({"id": "n-1", "text": "Tin", "label": "negative"}) + "\n"
        + json.dumps({"id": "n-2", "text": "Tin khác", "label": "mixed"}) + "\n", "utf-8")
    with pytest.raises(tone_corpus.CorpusError, match="news.jsonl:2.*'mixed'"):
        tone_corpus.load("news", folder=tmp_path)


def test_corpus_label_files_refuse_repeats_and_bad_labels(tmp_path):
    bad = tmp_path / "A1.news.tsv"
    bad.write_text("n-1\tneg\nn-1\tpos\n", "utf-8")
    with pytest.raises(tone_corpus.CorpusError, match="labelled twice"):
        tone_corpus.read_labels(bad)
    bad.write_text("n-1\tnegatif\n", "utf-8")
    with pytest.raises(tone_corpus.CorpusError, match="negatif"):
        tone_corpus.read_labels(bad)


def test_corpus_build_merges_readings_adjudications_and_measures_agreement(tmp_path):
    items = [{"id": f"n-{i}", "text": f"tin {i}"} for i in range(4)]
    (tmp_path / "news.items.jsonl").write_text("".join(json.dumps(x) + "\n" for x in items))
    (tmp_path / "comments.items.jsonl").write_text("")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "A1.news.tsv").write_text("n-0\tneg\nn-1\tpos\nn-2\tneu\n")
    (tmp_path / "labels" / "A2.news.tsv").write_text("n-0\tneg\nn-1\tneu\nn-3\tpos\n")
    (tmp_path / "adjudication.tsv").write_text("# id\tlabel\treason\nn-1\tpos\tpraise\n")
    report = tone_corpus.build(tmp_path)["news"]
    assert report["doubly_labelled"] == 2 and report["raw_agreement"] == 0.5
    assert report["adjudicated"] == 1 and report["unresolved_disagreements"] == 0
    rows = {r["id"]: r for r in tone_corpus.load("news", folder=tmp_path)}
    assert rows["n-1"]["label"] == "positive" and rows["n-0"]["annotators"] == {
        "A1": "negative", "A2": "negative"}
    assert set(rows) == {"n-0", "n-1", "n-2", "n-3"}


def test_cohen_kappa_matches_the_textbook_example():
    # 50 items: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> kappa 0.4 (Wikipedia's example)
    pairs = ([("negative", "negative")] * 20 + [("negative", "positive")] * 5
             + [("positive", "negative")] * 10 + [("positive", "positive")] * 15)
    assert tone_corpus.cohen_kappa(pairs) == pytest.approx(0.4)


def test_share_offsets_bring_predicted_shares_to_the_annotated_ones():
    rng = np.random.default_rng(0)
    labels = ["negative"] * 300 + ["neutral"] * 500 + ["positive"] * 200
    truth = np.array([tone_corpus.LABELS.index(x) for x in labels])
    scores = rng.normal(size=(1000, 3)) + np.eye(3)[truth] * 1.5
    scores[:, 0] += 0.8  # a model that over-calls negative, as the old one did
    before = (scores.argmax(axis=1) == 0).mean()
    after = ((scores + tone.share_offsets(scores, labels)).argmax(axis=1) == 0).mean()
    assert before > 0.4 and abs(after - 0.3) < 0.02


def test_corpus_split_is_stable_and_about_a_fifth():
    rows = tone_corpus.load("news")
    held = sum(r["split"] == "heldout" for r in rows) / len(rows)
    assert 0.17 < held < 0.23
    assert all(r["split"] == tone_corpus.split_of(r["id"]) for r in rows[:200])
