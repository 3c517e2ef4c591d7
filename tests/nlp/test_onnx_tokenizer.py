"""nlp.onnx_tokenizer: tokenizer.json for PhoBERT-class models, checked against PhoBERT's own
algorithm on real Vietnamese text.

PhoBERT's files are not here (nothing is downloaded), so the test learns a small fastBPE model
of the same format — `bpe.codes` merges and a fairseq `vocab.txt` pruned of rare pieces, as
fairseq prunes — from word-segmented UIT-VSFC sentences, and compares the converted tokenizer's
ids with `phobert_ids`, the algorithm of transformers' PhobertTokenizer (bpe(), _tokenize(),
_convert_token_to_id(), build_inputs_with_special_tokens()) written out here.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pytest

from nlp import onnx_tokenizer
from nlp.onnx_backend import OnnxClassifier
from nlp.segment import segment
from tests.nlp.test_onnx_backend import SENTIMENT, save_model
from tests.paths import DATA

MERGES = 300
MIN_COUNT = 3  # pieces seen fewer times leave the dictionary, as fairseq's threshold does


def _segmented(start: int, stop: int) -> list[str]:
    with open(DATA / "uit-vsfc" / "train.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for _, line in zip(range(stop), handle, strict=False)]
    return [segment(row["text"]) for row in rows[start:]]


def _pairs(word: tuple[str, ...]) -> set[tuple[str, str]]:
    return set(zip(word, word[1:], strict=False))


def learn_codes(words: Counter) -> list[tuple[str, str, int]]:
    """fastBPE's learning: merge the most frequent symbol pair, the word end marked "</w>"."""
    spelled = {tuple(w[:-1]) + (w[-1] + "</w>",): n for w, n in words.items()}
    codes = []
    for _ in range(MERGES):
        counts = Counter()
        for word, n in spelled.items():
            for pair in zip(word, word[1:], strict=False):
                counts[pair] += n
        if not counts:
            break
        (left, right), n = max(counts.items(), key=lambda item: (item[1], item[0]))
        codes.append((left, right, n))
        spelled = {_merge(word, left, right): c for word, c in spelled.items()}
    return codes


def _merge(word: tuple[str, ...], first: str, second: str) -> tuple[str, ...]:
    out, i = [], 0
    while i < len(word):
        if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
            out.append(first + second)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def phobert_bpe(token: str, ranks: dict[tuple[str, str], int]) -> str:
    """PhobertTokenizer.bpe: merge by rank until none applies; pieces joined by "@@ "."""
    word = tuple(token[:-1]) + (token[-1] + "</w>",)
    pairs = _pairs(word)
    if not pairs:
        return token
    while True:
        bigram = min(pairs, key=lambda pair: ranks.get(pair, float("inf")))
        if bigram not in ranks:
            break
        word = _merge(word, *bigram)
        if len(word) == 1:
            break
        pairs = _pairs(word)
    return "@@ ".join(word)[:-4]


def phobert_ids(text: str, encoder: dict[str, int], ranks) -> list[int]:
    pieces = [p for token in re.findall(r"\S+\n?", text)
              for p in phobert_bpe(token, ranks).split(" ")]
    return [0] + [encoder.get(piece, 3) for piece in pieces] + [2]


@pytest.fixture(scope="module")
def fastbpe(tmp_path_factory):
    """vocab.txt + bpe.codes learned from 400 segmented sentences; the encoder PhoBERT builds."""
    folder = tmp_path_factory.mktemp("phobert")
    words = Counter(w for line in _segmented(0, 400) for w in line.split())
    codes = learn_codes(words)
    ranks = {(left, right): i for i, (left, right, _) in enumerate(codes)}
    pieces = Counter()
    for word, n in words.items():
        for piece in phobert_bpe(word, ranks).split(" "):
            pieces[piece] += n
    kept = [(p, n) for p, n in pieces.most_common() if n >= MIN_COUNT]
    (folder / "bpe.codes").write_text("".join(f"{a} {b} {n}\n" for a, b, n in codes),
                                      encoding="utf-8")
    (folder / "vocab.txt").write_text("".join(f"{p} {n}\n" for p, n in kept), encoding="utf-8")
    encoder = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for piece, _ in kept:
        encoder[piece] = len(encoder)
    return folder, encoder, ranks


def test_converted_tokenizer_gives_phobert_ids_on_real_text(fastbpe):
    folder, encoder, ranks = fastbpe
    tokenizer = onnx_tokenizer.build(folder / "vocab.txt", folder / "bpe.codes")
    vocab_size = len(encoder) + 1  # + <mask>, as PhoBERT's config counts it
    texts = _segmented(0, 600)  # 200 sentences the codes never saw: unknown words too
    unknown = pruned = 0
    for text in texts:
        ids = np.array(tokenizer.encode(text).ids)
        pruned += int((ids >= vocab_size).sum())
        ids[ids >= vocab_size] = 3  # what nlp.onnx_backend does with such ids
        expected = phobert_ids(text, encoder, ranks)
        assert ids.tolist() == expected, text
        unknown += expected.count(3)
    assert unknown and pruned  # both the <unk> and the pruned-symbol paths were exercised
    assert tokenizer.token_to_id("<mask>") == len(encoder)


def test_converted_tokenizer_serves_a_phobert_style_onnx_model(fastbpe, tmp_path):
    folder, encoder, _ = fastbpe
    onnx_tokenizer.main([str(folder / "vocab.txt"), str(folder / "bpe.codes"),
                         str(tmp_path / "tokenizer.json")])
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    vocab_size = len(encoder) + 1
    rng = np.random.default_rng(3)
    weights = (rng.normal(0, 1, (vocab_size, 8)).astype(np.float32),  # the model's rows only
               rng.normal(0, 1, (8, 3)).astype(np.float32), np.zeros(3, np.float32))
    path = save_model(tmp_path / "m", tokenizer, SENTIMENT, weights, config={
        "pad_token_id": 1, "vocab_size": vocab_size, "langnghe_word_segmented": True})
    texts = [" ".join(segment(t).split()) for t in _segmented(400, 430)]
    labels = OnnxClassifier("sentiment", str(path)).predict_many(texts)  # pruned ids: no crash
    assert all(label.label in SENTIMENT for label in labels)


def test_converter_names_the_bad_line(tmp_path):
    (tmp_path / "vocab.txt").write_text("giảng_viên 12\nhỏng\n", encoding="utf-8")
    (tmp_path / "bpe.codes").write_text("g i 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"vocab.txt:2: expected '<token> <count>'"):
        onnx_tokenizer.build(tmp_path / "vocab.txt", tmp_path / "bpe.codes")
