"""People, organisations and places by rules and gazetteers (nlp/entities.py)."""

import json

import pytest

from langnghe.document import NlpSection
from nlp import entities
from tests.paths import DATA


def _kinds(text: str) -> set[tuple[str, str]]:
    return {(e.type, e.text) for e in entities.extract(text)}


def test_entities_real_sentence_person_titles_and_orgs():
    # VNTC dev, XH_NLD_ (3896).txt
    text = ("Bà Phạm Phương Thảo, Phó Bí thư Thành ủy, Chủ tịch HĐND TP; ông Nguyễn Văn Đua, "
            "Phó Chủ tịch UBND TP,...")
    found = _kinds(text)
    assert ("PER", "Phạm Phương Thảo") in found
    assert ("PER", "Nguyễn Văn Đua") in found
    assert any(kind == "ORG" and name.startswith("UBND") for kind, name in found)


def test_entities_org_includes_its_place_and_the_place_is_resolved():
    text = "Trách nhiệm thuộc về UBND tỉnh Thanh Hóa và Bộ Y tế."
    found = entities.extract(text)
    assert ("ORG", "UBND tỉnh Thanh Hóa") in {(e.type, e.text) for e in found}
    assert ("ORG", "Bộ Y tế") in {(e.type, e.text) for e in found}
    loc = next(e for e in found if e.type == "LOC")
    assert loc.text == "tỉnh Thanh Hóa" and loc.unit == "38"


def test_entities_two_orgs_joined_by_va_stay_two():
    found = _kinds("Bộ Y tế và Sở Giáo dục và Đào tạo phối hợp kiểm tra.")
    assert {("ORG", "Bộ Y tế"), ("ORG", "Sở Giáo dục và Đào tạo")} <= found


def test_entities_school_named_after_a_person_is_an_org_not_a_person():
    found = _kinds("Học sinh Trường THPT Lê Lợi được khen thưởng.")
    assert ("ORG", "Trường THPT Lê Lợi") in found
    assert not any(kind == "PER" for kind, _ in found)


def test_entities_street_named_after_a_person_is_not_a_person():
    assert not any(e.type == "PER" for e in entities.extract("Cấm xe trên đường Lê Duẩn."))


def test_entities_kinship_title_with_given_name_is_a_person():
    assert ("PER", "Tuấn") in _kinds("Theo lời anh Tuấn, nước lên rất nhanh.")


def test_entities_known_acronyms_are_orgs():
    found = _kinds("EVN và BIDV ký kết hợp tác.")
    assert {("ORG", "EVN"), ("ORG", "BIDV")} <= found


def test_entities_offsets_point_into_full_text():
    section = NlpSection(title="Lũ ở tỉnh Nghệ An", lead="",
                         text="Ông Trần Văn Nam, Chủ tịch UBND huyện Kỳ Sơn, cho biết.")
    full = entities.full_text(section)
    found = entities.extract_section(section)
    assert found and all(full[e.start:e.end] == e.text for e in found)
    assert any(e.start > len(section.title) for e in found)


@pytest.mark.parametrize("text", ["", "   ", "😀🔥", "ok ok ok"])
def test_entities_empty_or_nameless_input_gives_nothing(text):
    assert entities.extract(text) == []


def test_entities_real_articles_never_crash_and_offsets_hold():
    rows = [json.loads(line) for line in
            (DATA / "vntc-10topics" / "dev.jsonl").read_text("utf-8").splitlines()[:60]]
    for row in rows:
        for e in entities.extract(row["text"]):
            assert row["text"][e.start:e.end] == e.text and e.type in {"PER", "ORG", "LOC"}
