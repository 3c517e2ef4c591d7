"""The nine monitoring domains and the crisis lexicon (nlp/domains.py)."""

from pathlib import Path

import pytest

from evaluation.nlp_domains import load_headlines
from nlp import domains


def _labels(title: str, body: str = "") -> list[str]:
    return [lab.label for lab in domains.classify(title, body)]


def test_domains_lexicon_file_covers_all_nine_domains():
    lex = domains.domain_lexicon()
    groups = {group for bucket in lex.exact.values() for _, group, _, _ in bucket}
    assert groups == set(domains.DOMAINS)


@pytest.mark.parametrize("title,domain", [
    ("Bão áp sát khu vực Quảng Bình - Quảng Nam", "environment"),  # ViCTSD valid titles
    ("50 kg ma tuý trong thùng trái cây ở Sài Gòn", "public_order"),
    ("Ba nữ sinh bị đình chỉ học vì đánh nhau", "education"),
    ("14 người Đà Nẵng khỏi Covid-19", "health"),
    ("Doanh nghiệp Quảng Tây xúc tiến thương mại tại VN", "socio_economic"),  # VNTC dev
])
def test_domains_real_headlines_get_their_domain(title, domain):
    assert domain in _labels(title)


def test_domains_hand_labelled_headlines_mostly_agree():
    rows = load_headlines()
    hits = sum(bool(gold & set(_labels(text))) or (not gold and not _labels(text))
               for gold, _, text in rows)
    assert hits / len(rows) >= 0.7  # the evaluation reports the exact numbers


def test_domains_diacritic_less_text_scores_like_accented_text():
    accented = _labels("Ngộ độc thực phẩm, 30 học sinh nhập viện")
    plain = _labels("ngo doc thuc pham, 30 hoc sinh nhap vien")
    assert "health" in accented and set(accented) == set(plain)


def test_domains_scores_are_sorted_and_explained():
    labels = domains.classify("Bệnh viện quá tải vì sốt xuất huyết",
                              "Bác sĩ cho biết số bệnh nhân tăng gấp đôi.")
    assert labels and labels[0].label == "health"
    assert [lab.score for lab in labels] == sorted((lab.score for lab in labels), reverse=True)
    assert any("sốt xuất huyết" in word or "bệnh viện" in word for word in labels[0].explanation)


def test_domains_off_topic_text_gets_no_domain():
    assert _labels("Các tay vợt Nga lợi thế tại Kremlin Cup") == []


@pytest.mark.parametrize("title,body", [("", ""), ("  ", "\n"), ("😀😀😀", ""),
                                        ("", "Bệnh viện " * 20_000)])
def test_domains_empty_emoji_and_huge_input_do_not_crash(title, body):
    labels = domains.classify(title, body)
    assert all(0 <= lab.score <= 1 for lab in labels)


def test_domains_model_only_changes_the_mapped_domains(tmp_path: Path):
    plain = domains.score_all("Nông dân trúng mùa lúa", "", model=domains.LinearModel({}, {}, {}))
    full = domains.score_all("Nông dân trúng mùa lúa", "")
    assert plain["agriculture"] == full["agriculture"]  # no model for agriculture


def test_domains_bad_lexicon_file_names_the_problem(tmp_path: Path):
    bad = tmp_path / "domains.yaml"
    bad.write_text("health:\n  terms:\n    bệnh viện: 9\n", encoding="utf-8")
    with pytest.raises(domains.LexiconError, match=r"health\.bệnh viện.*\(0, 3\]"):
        domains.domain_lexicon(bad)
    bad.write_text("weather:\n  terms:\n    mưa: 1\n", encoding="utf-8")
    with pytest.raises(domains.LexiconError, match="unknown domain 'weather'"):
        domains.domain_lexicon(bad)


def test_domains_crisis_terms_found_with_and_without_diacritics():
    text = "Sạt lở đất vùi 3 nhà, 20 người ngộ độc thực phẩm sau đám cưới"
    assert domains.crisis_terms(text) == ["sạt lở đất", "ngộ độc thực phẩm"]
    assert domains.crisis_terms("sat lo dat vui 3 nha") == ["sạt lở đất"]
    assert "disaster" in domains.crisis_categories(text)


def test_domains_crisis_terms_respect_typed_accents_and_word_boundaries():
    # Folded, "chảy" (flow) and "no" (full) would be "cháy" (fire) and "nổ" (explosion).
    assert domains.crisis_terms("Nước chảy xiết, bà con ăn no mặc ấm") == []
    assert domains.crisis_terms("Bãi biển nổi tiếng") == []
    assert domains.crisis_terms("") == []
