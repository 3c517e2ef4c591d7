"""Word segmentation (nlp/segment.py) on real UD-VTB sentences and awkward input."""

from __future__ import annotations

import json

import pytest

from nlp import segment
from nlp.models.segmenter import boundary_f1, strip_diacritics
from tests.paths import DATA

VTB_DEV = DATA / "ud-vietnamese-vtb" / "dev.ws.jsonl"


@pytest.fixture(scope="module")
def dev_rows() -> list[dict]:
    lines = VTB_DEV.read_text("utf-8").splitlines()[:150]  # 150 sentences: ~3,500 words, fast
    return [json.loads(line) for line in lines]


def _letters(text: str) -> str:
    return text.replace(" ", "").replace("_", "").replace("\n", "")


def test_segment_joins_known_multisyllable_words_of_a_real_sentence(dev_rows):
    row = dev_rows[0]  # "Trả lời phỏng vấn , ông Lộc nói : bán đất với giá không được ủy ban …"
    words = segment.tokens(row["text"])
    for word in ("Trả lời", "phỏng vấn", "ủy ban", "phê duyệt", "chấp nhận"):
        assert word in row["words"] and word in words


def test_segment_matches_gold_on_real_sentences(dev_rows):
    predicted = [segment.tokens(r["text"]) for r in dev_rows]
    assert boundary_f1([r["words"] for r in dev_rows], predicted)["f1"] > 0.93


def test_segment_keeps_every_character_of_real_sentences(dev_rows):
    for row in dev_rows:
        assert _letters(segment.segment(row["text"])) == _letters(row["text"])


def test_segment_handles_text_without_diacritics(dev_rows):
    gold = [[strip_diacritics(w) for w in r["words"]] for r in dev_rows]
    predicted = [segment.tokens(strip_diacritics(r["text"])) for r in dev_rows]
    assert boundary_f1(gold, predicted)["f1"] > 0.9
    assert "Thanh_Hoa" in segment.segment("Uy ban nhan dan tinh Thanh Hoa")


def test_segment_output_format_joins_syllables_with_underscore():
    assert segment.segment("Chủ tịch UBND tỉnh Thanh Hóa") == "Chủ_tịch UBND tỉnh Thanh_Hóa"


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_segment_empty_input_gives_no_words(text):
    assert segment.segment(text).strip() == ""
    assert segment.tokens(text) == []


def test_segment_keeps_line_breaks():
    out = segment.segment("mưa lũ ở miền Trung\n\nchủ tịch nước")
    assert out.split("\n") == ["mưa_lũ ở miền Trung", "", "chủ_tịch nước"]


@pytest.mark.parametrize("token", ["😍😍😍", "https://vnexpress.net/mua-lu-4567.html",
                                   "1.000.000", "3,5", "30-4-1975", "covid19", "a@b.vn"])
def test_segment_keeps_emoji_urls_and_numbers_whole(token):
    assert token in segment.tokens(f"Xem {token} nhé")


def test_segment_emoji_only_input():
    assert segment.tokens("😍😍 👍") == ["😍😍", "👍"]


def test_segment_mixed_language_keeps_foreign_words():
    words = segment.tokens("Tôi dùng iPhone 15 Pro Max ở Hà Nội")
    assert {"iPhone", "15", "Hà Nội"} <= set(words)


def test_segment_very_long_input_is_complete(dev_rows):
    text = " ".join(r["text"] for r in dev_rows) * 4  # ~60k syllables on one line
    out = segment.segment(text)
    assert _letters(out) == _letters(text)


def test_segmenter_weights_decide_the_join():
    lexicon: dict[str, int] = {}
    seg = segment.Segmenter({"ab=mưa lũ": 5.0}, -1.0, lexicon)
    assert seg.words("mưa lũ lớn") == ["mưa lũ", "lớn"]
    assert segment.Segmenter({}, -1.0, lexicon).words("mưa lũ lớn") == ["mưa", "lũ", "lớn"]


@pytest.mark.parametrize(("line", "neighbour", "feature"), [
    ("mưa lũ lớn", "lũ lớn", "xr=2.4"),  # the bigram after the gap's bigram
    ("trận mưa lũ", "trận mưa", "xl=4.2"),  # the bigram before it
])
def test_segmenter_neighbouring_lexicon_words_compete_for_a_syllable(line, neighbour, feature):
    # "mưa lũ" is a lexicon word (code 2); a neighbouring lexicon word (code 4) sharing a
    # syllable with it outweighs the join when its pair weight says so.
    weights = {"ab=mưa lũ": 3.0, feature: -5.0}
    alone = segment.Segmenter(weights, -1.0, {"mưa lũ": 2})
    rival = segment.Segmenter(weights, -1.0, {"mưa lũ": 2, neighbour: 4})
    assert "mưa lũ" in alone.words(line)
    assert "mưa lũ" not in rival.words(line)
    assert rival.joins(segment.split_syllables(line)) == [False, False]


def test_segment_max_match_forward_and_backward_disagree_on_overlapping_words():
    # "a b" and "b c" are both words: forward longest-match takes "a b", backward "b c".
    low, _ = segment._padded(["học", "sinh", "học"])
    forward, backward = segment.lexicon_max_match(low, {"học sinh": 1, "sinh học": 1})
    assert forward == [True, False]
    assert backward == [False, True]


def test_segment_max_match_prefers_the_longest_word():
    low, _ = segment._padded(["điện", "thoại", "di", "động", "mới"])
    lexicon = {"điện thoại": 1, "di động": 1, "điện thoại di động": 2}
    assert segment.lexicon_max_match(low, lexicon) == ([True, True, True, False],) * 2


def test_segment_max_match_of_the_vectorised_path_equals_the_string_path(dev_rows):
    seg = segment.default()
    for row in dev_rows[:40] + [{"text": "Ha Noi"}, {"text": "a"}]:
        for text in (row["text"], strip_diacritics(row["text"])):
            tokens = segment.split_syllables(text)
            low, _ = segment._padded(tokens)
            n = len(tokens)
            rows = [part.rows(grams) for part, grams in (
                (seg._bi, [" ".join(low[k:k + 2]) for k in range(n + 2)]),
                (seg._tri, [" ".join(low[k:k + 3]) for k in range(n + 1)]),
                (seg._quad, [" ".join(low[k:k + 4]) for k in range(n)]))]
            fast = segment.max_match(*seg._longest(n, *rows))
            assert fast == segment.lexicon_max_match(low, seg.lexicon), text[:80]
