"""The cached index forms (`store.es_query.index_forms`) equal the plain functions' output."""

from __future__ import annotations

import random

import pytest

from store.es_query import exact_form, folded_form, index_forms
from tests.store.conftest import real_sentences


def test_index_forms_equal_plain_forms_on_real_news():
    texts = real_sentences(400)
    texts += [" ".join(texts[i : i + 5]) for i in range(0, 400, 5)]
    for text in texts:
        assert index_forms(text) == (exact_form(text), folded_form(text)), text


@pytest.mark.parametrize("text", [
    "Thanh Hoá, thanh hoá; THANH HÓA", "hoà_bình hoà-bình", "a\u0301b x \u0323y",
    "Ａ１ ＩＳＴＡＮＢＵＬ",
    "İstanbul straße ΣΟΦΟΣ σοφος", "tab\tnew\nline\u00a0nbsp\u2003em", "", "   ", "ĐƯỜNG đường",
    "e\u0301 decomposed Hoa\u0300", "emoji 😀 ở giữa", "x_y_z __ _a", "số 1.000,5 và 20%"])
def test_index_forms_equal_plain_forms_on_edge_cases(text):
    assert index_forms(text) == (exact_form(text), folded_form(text))


def test_index_forms_equal_plain_forms_on_random_unicode():
    rng = random.Random(20261204)
    alphabet = [chr(c) for c in range(0x20, 0x2100)] + [chr(c) for c in range(0x300, 0x370)]
    alphabet += [" ", "_", "\n", "Σ", "İ", "ß", "đ", "Đ"] * 20
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert index_forms(text) == (exact_form(text), folded_form(text)), repr(text)
