"""The optional transformer backend (ONNX Runtime + tokenizers), with tiny models built here.

No torch, no hub: each model is an ONNX graph written with the `onnx` package's helper API —
token embedding, mean pooling over the attention mask, a linear layer — and a `tokenizers`
tokenizer trained on (or listing) real words of UIT-VSFC sentences. Weights are random with a
fixed seed, or planted by hand where a test needs a known answer. onnxruntime and tokenizers
come from requirements-onnx.lock, onnx from requirements-dev.lock (`make test` installs both).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from langnghe.document import Document
from nlp import onnx_backend, pipeline
from nlp.onnx_backend import BackendError, OnnxClassifier
from nlp.segment import segment
from tests.paths import DATA
from tests.paths import REPO as ROOT

SENTIMENT = ["negative", "neutral", "positive"]
HIDDEN = 8


def _sentences(n: int = 400) -> list[dict]:
    with open(DATA / "uit-vsfc" / "train.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for _, line in zip(range(n), handle, strict=False)]


def wordpiece_tokenizer():
    """BERT-style: WordPiece trained on 400 real VSFC sentences, [CLS] text [SEP], pad id 0."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordPieceTrainer(vocab_size=600, special_tokens=[
        "[PAD]", "[UNK]", "[CLS]", "[SEP]"], show_progress=False)
    tokenizer.train_from_iterator([row["text"] for row in _sentences()], trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    return tokenizer


def segmented_tokenizer():
    """PhoBERT-style: a vocabulary of the words nlp.segment makes ("giảng_viên"), <s> text </s>,
    pad id 1."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    special = ["<s>", "<pad>", "</s>", "<unk>"]
    words = sorted({w for row in _sentences() for w in segment(row["text"]).lower().split()})
    vocab = {token: i for i, token in enumerate(special + words)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    return tokenizer


def random_weights(vocab_size: int, classes: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 1, (vocab_size, HIDDEN)).astype(np.float32),
            rng.normal(0, 1, (HIDDEN, classes)).astype(np.float32),
            rng.normal(0, 0.1, classes).astype(np.float32))


def onnx_graph(embedding, weight, bias, token_types: bool = False):
    """logits = mean over unmasked tokens of embedding[input_ids], times weight, plus bias."""
    from onnx import TensorProto, helper, numpy_helper

    ints = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
            for name in ("input_ids", "attention_mask")
            + (("token_type_ids",) if token_types else ())]
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                           ["batch", weight.shape[1]])
    nodes = [
        helper.make_node("Gather", ["embedding", "input_ids"], ["vectors"]),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["vectors", "mask3"], ["kept"]),
        helper.make_node("ReduceSum", ["kept", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask", "axis1"], ["count"], keepdims=1),
        helper.make_node("Div", ["summed", "count"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", "weight"], ["scores"]),
        helper.make_node("Add", ["scores", "bias"], ["logits"]),
    ]
    constants = [numpy_helper.from_array(embedding, "embedding"),
                 numpy_helper.from_array(weight, "weight"),
                 numpy_helper.from_array(bias, "bias"),
                 numpy_helper.from_array(np.array([1], np.int64), "axis1"),
                 numpy_helper.from_array(np.array([2], np.int64), "axis2")]
    graph = helper.make_graph(nodes, "tiny-classifier", ints, [logits], constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 10  # what onnxruntime 1.32 reads
    return model


def save_model(path: Path, tokenizer, labels, weights=None, *, config=None,
               token_types=False) -> Path:
    """A model directory as docs/deploy.md describes it: model.onnx, tokenizer.json, config.json."""
    import onnx

    path.mkdir(parents=True)
    weights = weights or random_weights(tokenizer.get_vocab_size(), len(labels))
    onnx.checker.check_model(model := onnx_graph(*weights, token_types=token_types))
    onnx.save(model, path / "model.onnx")
    tokenizer.save(str(path / "tokenizer.json"))
    config = {"id2label": {str(i): label for i, label in enumerate(labels)},
              "max_position_embeddings": 258, **(config or {})}
    (path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return path


def planted(tokenizer, pushes: dict[str, int], classes: int = 3, default: int = 1):
    """Zero weights except: each word of `pushes` votes for its class; `default` otherwise."""
    embedding = np.zeros((tokenizer.get_vocab_size(), HIDDEN), np.float32)
    for word, label in pushes.items():
        embedding[tokenizer.token_to_id(word), label] = 40.0
    weight = np.zeros((HIDDEN, classes), np.float32)
    weight[:classes, :classes] = np.eye(classes)
    bias = np.zeros(classes, np.float32)
    bias[default] = 1.0
    return embedding, weight, bias


@pytest.fixture(autouse=True)
def _fresh_backends(monkeypatch):
    for env in onnx_backend.ENV.values():
        monkeypatch.delenv(env, raising=False)
    onnx_backend.backend.cache_clear()
    yield
    onnx_backend.backend.cache_clear()


def _doc(text: str, kind: str = "comment", n: int = 0) -> Document:
    return Document(id=f"d{n}", url=f"https://example.vn/{n}", canonical_url=f"https://example.vn/{n}",
                    source_id="test", kind=kind, text=text)


def test_onnx_backend_batches_equal_a_numpy_pass_over_each_text_alone(tmp_path):
    tokenizer = wordpiece_tokenizer()
    weights = random_weights(tokenizer.get_vocab_size(), 3)
    path = save_model(tmp_path / "m", tokenizer, SENTIMENT, weights)
    texts = [row["text"] for row in _sentences(11)]  # 11: batches of 4 leave a short last one
    ours = OnnxClassifier("sentiment", str(path), batch=4).predict_many(texts)
    embedding, weight, bias = weights
    assert len({label.label for label in ours}) > 1  # the weights do tell texts apart
    for text, label in zip(texts, ours, strict=True):
        ids = tokenizer.encode(text).ids  # unpadded: padding must be masked out
        logits = embedding[ids].mean(axis=0) @ weight + bias
        proba = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        assert label.label == SENTIMENT[int(proba.argmax())]
        assert label.score == pytest.approx(float(proba.max()), abs=1e-3)


def test_onnx_backend_feeds_token_type_ids_when_the_graph_has_them(tmp_path):
    path = save_model(tmp_path / "m", wordpiece_tokenizer(), SENTIMENT, token_types=True)
    labels = OnnxClassifier("sentiment", str(path)).predict_many(["giảng viên dạy hay", ""])
    assert [label.label in SENTIMENT for label in labels] == [True, True]


def test_onnx_backend_segments_words_for_a_phobert_style_model(tmp_path):
    tokenizer = segmented_tokenizer()
    assert tokenizer.token_to_id("giảng_viên") is not None
    weights = planted(tokenizer, {"giảng_viên": 2})  # the word, not its syllables, is positive
    config = {"pad_token_id": 1}
    plain = save_model(tmp_path / "plain", tokenizer, SENTIMENT, weights, config=config)
    word = save_model(tmp_path / "word", tokenizer, SENTIMENT, weights,
                      config={**config, onnx_backend.SEGMENTED_KEY: True})
    texts = ["giảng viên rất nhiệt tình", "môn học này khó"]
    assert [x.label for x in OnnxClassifier("sentiment", str(plain)).predict_many(texts)] == [
        "neutral", "neutral"]
    assert [x.label for x in OnnxClassifier("sentiment", str(word)).predict_many(texts)] == [
        "positive", "neutral"]


def test_onnx_backend_truncates_to_the_model_positions(tmp_path):
    tokenizer = segmented_tokenizer()
    weights = planted(tokenizer, {"tệ": 0})
    path = save_model(tmp_path / "m", tokenizer, SENTIMENT, weights,
                      config={"max_position_embeddings": 12})  # 10 tokens, <s> and </s> incl.
    model = OnnxClassifier("sentiment", str(path))
    early, late = "tệ " + "học " * 20, "học " * 20 + "tệ"
    assert [x.label for x in model.predict_many([early, late])] == ["negative", "neutral"]


def test_onnx_backend_accepts_short_label_names(tmp_path):
    tokenizer = wordpiece_tokenizer()
    path = save_model(tmp_path / "m", tokenizer, ["NEG", "NEU", "POS"],
                      planted(tokenizer, {}, default=2))
    assert OnnxClassifier("sentiment", str(path)).predict_many(["hay"])[0].label == "positive"


def test_onnx_backend_refuses_a_model_whose_labels_do_not_fit(tmp_path):
    path = save_model(tmp_path / "m", wordpiece_tokenizer(), ["LABEL_0", "LABEL_1", "LABEL_2"])
    with pytest.raises(BackendError, match="do not name the sentiment classes"):
        OnnxClassifier("sentiment", str(path))


@pytest.mark.parametrize("broken, message", [
    (None, "no such model directory"),
    ("tokenizer.json", "tokenizer.json missing"),
    ("model.onnx", "cannot load the model"),
])
def test_onnx_backend_unusable_directory_is_a_clear_error(tmp_path, broken, message):
    path = tmp_path / "absent"
    if broken:
        path = save_model(tmp_path / "m", wordpiece_tokenizer(), ["clean", "offensive", "hate"])
        if broken == "model.onnx":
            (path / broken).write_bytes(b"not a graph")
        else:
            (path / broken).unlink()
    with pytest.raises(BackendError, match=message) as info:
        OnnxClassifier("toxicity", str(path))
    assert "LANGNGHE_TOXICITY_MODEL" in str(info.value)


def test_onnx_backend_refuses_other_tasks(tmp_path):
    with pytest.raises(BackendError, match="no transformer backend for 'emotion'"):
        OnnxClassifier("emotion", str(tmp_path))


def test_onnx_backend_without_onnxruntime_says_what_to_install(tmp_path):
    code = ("import sys; sys.modules['onnxruntime'] = None\n"
            "from nlp.onnx_backend import OnnxClassifier, BackendError\n"
            "try:\n"
            f"    OnnxClassifier('sentiment', {str(tmp_path)!r})\n"
            "except BackendError as exc:\n"
            "    print(exc)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert "onnxruntime is not installed" in run.stdout
    assert "requirements-onnx.lock" in run.stdout


def test_enrich_uses_the_configured_models_for_both_kinds(tmp_path, monkeypatch):
    # biased heads give a known answer the shipped linear models would not give
    tokenizer = wordpiece_tokenizer()
    monkeypatch.setenv("LANGNGHE_SENTIMENT_MODEL", str(save_model(
        tmp_path / "s", tokenizer, SENTIMENT, planted(tokenizer, {}, default=2))))
    monkeypatch.setenv("LANGNGHE_TOXICITY_MODEL", str(save_model(
        tmp_path / "t", tokenizer, ["clean", "offensive", "hate"],
        planted(tokenizer, {}, default=2))))
    negative = next(r["text"] for r in _sentences() if r["label"] == "negative")
    docs = pipeline.enrich([_doc(negative, n=i) for i in range(4)]
                           + [_doc(negative, kind="article", n=9)])
    for doc in docs:
        assert doc.nlp.sentiment.label == "positive" and doc.nlp.sentiment.explanation == []
    for doc in docs[:4]:
        assert doc.nlp.toxicity.label == "hate"
        assert doc.nlp.emotion is not None  # tasks without a backend keep the linear model


def test_enrich_records_a_backend_failure_on_the_one_document(tmp_path, monkeypatch):
    monkeypatch.setenv("LANGNGHE_SENTIMENT_MODEL",
                       str(save_model(tmp_path / "s", wordpiece_tokenizer(), SENTIMENT)))
    model = onnx_backend.backend("sentiment")
    real = model.predict_many

    def fragile(texts):
        if any("BOOM" in text for text in texts):
            raise RuntimeError("tensor on fire")
        return real(texts)

    monkeypatch.setattr(model, "predict_many", fragile)
    docs = pipeline.enrich([_doc("giảng viên dạy hay", n=1), _doc("BOOM quá tệ", n=2),
                            _doc("môn học chán", n=3)])
    assert [d.nlp.sentiment is not None for d in docs] == [True, False, True]
    assert any(e.startswith("sentiment: RuntimeError: tensor on fire") for e in docs[1].nlp.errors)
    assert docs[1].nlp.toxicity is not None  # the other steps still ran


def test_enrich_cli_stops_on_an_unusable_model(tmp_path):
    env = {**os.environ, "LANGNGHE_SENTIMENT_MODEL": str(tmp_path / "nowhere")}
    run = subprocess.run([sys.executable, "-m", "runner.cli", "enrich"], input='{"text": "hay"}\n',
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert run.returncode == 2
    assert "LANGNGHE_SENTIMENT_MODEL" in run.stderr and "no such model directory" in run.stderr


def test_default_path_never_imports_the_model_runtimes():
    code = ("import sys, json\n"
            "from runner.nlp_cli import enrich_main\n"
            "sys.stdin = __import__('io').StringIO(json.dumps({'text': 'ko thích, dở tệ'}))\n"
            "enrich_main([])\n"
            "loaded = {'onnxruntime', 'tokenizers', 'torch', 'transformers'} & set(sys.modules)\n"
            "assert not loaded, loaded\n")
    env = {k: v for k, v in os.environ.items() if k not in onnx_backend.ENV.values()}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["sentiment"]["label"] in SENTIMENT  # the linear model answered
