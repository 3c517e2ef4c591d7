import pytest

from langnghe.vietnamese import canonical_tones, clean_text, fold, has_diacritics, match_key, nfc


@pytest.mark.parametrize("old, new", [
    ("Thanh Hoá", "Thanh Hóa"), ("hoà bình", "hòa bình"), ("khoẻ mạnh", "khỏe mạnh"),
    ("thuỷ lợi", "thủy lợi"), ("HOÀ", "HÒA"), ("Khánh Hoà", "Khánh Hòa"),
])
def test_canonical_tones_moves_tone_to_modern_place(old, new):
    assert canonical_tones(old) == new


@pytest.mark.parametrize("word", ["quý", "quà", "Hoàng", "khuyến", "người", "thủy", "gìn"])
def test_canonical_tones_keeps_words_already_canonical(word):
    assert canonical_tones(word) == word


def test_canonical_tones_outputs_nfc_from_decomposed_input():
    decomposed = "Thanh Hoa\u0301"  # NFD: a + combining acute
    assert canonical_tones(decomposed) == "Thanh Hóa"
    assert canonical_tones(decomposed) == nfc(canonical_tones(decomposed))


@pytest.mark.parametrize("text, folded", [
    ("Thanh Hóa", "thanh hoa"), ("Đà Nẵng", "da nang"), ("đường", "duong"),
    ("Quảng Trị", "quang tri"), ("ƯU TIÊN", "uu tien"),
])
def test_fold_removes_diacritics_and_d_stroke(text, folded):
    assert fold(text) == folded


def test_fold_keeps_length_so_offsets_map_back():
    text = "Người dân Thanh Hóa đón bão số 3"
    assert len(fold(text)) == len(text)


def test_match_key_treats_both_tone_placements_alike():
    assert match_key("Thanh Hoá") == match_key("thanh hóa")


def test_has_diacritics_distinguishes_folded_text():
    assert has_diacritics("Hà Nội") and not has_diacritics("Ha Noi")


def test_clean_text_drops_controls_and_collapses_space_but_keeps_paragraphs():
    raw = "  Mưa\u00a0lớn \x07ở  Thanh Hoá\r\n\r\n\r\nNgười dân\tsơ tán  "
    assert clean_text(raw) == "Mưa lớn ở Thanh Hóa\n\nNgười dân sơ tán"
