"""The optional transformers backend, with tiny BERT models this test builds and saves locally.

No hub access: the vocabulary comes from real UIT-VSFC sentences, the weights are random with a
fixed seed (and, where a test needs a known answer, a classifier bias set by hand). torch and
transformers come from requirements-transformers.lock, which `make test` installs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from langnghe.document import Document
from nlp import pipeline, transformers_backend
from nlp.transformers_backend import BackendError, TransformerClassifier
from tests.paths import DATA
from tests.paths import REPO as ROOT

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _sentences(n: int = 400) -> list[dict]:
    with open(DATA / "uit-vsfc" / "train.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for _, line in zip(range(n), handle, strict=False)]


def build_model(path: Path, labels: list[str], bias: list[float] | None = None) -> Path:
    """A one-layer BERT with a word-level tokenizer over real VSFC words, saved to `path`."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    words = Counter(w for row in _sentences() for w in row["text"].lower().split())
    vocab = {token: i for i, token in enumerate(SPECIAL + [w for w, _ in words.most_common(600)])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="[PAD]",
                                        unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]")
    torch.manual_seed(7)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=300,
                        num_labels=len(labels), id2label=dict(enumerate(labels)),
                        label2id={label: i for i, label in enumerate(labels)})
    model = BertForSequenceClassification(config)
    if bias is not None:
        with torch.no_grad():
            model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(autouse=True)
def _fresh_backends(monkeypatch):
    for env in transformers_backend.ENV.values():
        monkeypatch.delenv(env, raising=False)
    transformers_backend.backend.cache_clear()
    yield
    transformers_backend.backend.cache_clear()


def _doc(text: str, kind: str = "comment", n: int = 0) -> Document:
    return Document(id=f"d{n}", url=f"https://example.vn/{n}", canonical_url=f"https://example.vn/{n}",
                    source_id="test", kind=kind, text=text)


def test_backend_batched_predictions_equal_one_text_forward_passes(tmp_path):
    import torch

    path = build_model(tmp_path / "m", ["negative", "neutral", "positive"])
    texts = [row["text"] for row in _sentences(11)]  # 11: batches of 4 leave a short last one
    ours = TransformerClassifier("sentiment", str(path), batch=4).predict_many(texts)
    clf = TransformerClassifier("sentiment", str(path))
    for text, label in zip(texts, ours, strict=True):
        with torch.inference_mode():
            proba = clf.model(**clf.tokenizer([text], return_tensors="pt")).logits.softmax(-1)[0]
        best = int(proba.argmax())
        assert label.label == ["negative", "neutral", "positive"][best]
        assert label.score == pytest.approx(float(proba[best]), abs=1e-3)  # padding is masked


def test_backend_accepts_short_label_names(tmp_path):
    path = build_model(tmp_path / "m", ["NEG", "NEU", "POS"], bias=[0.0, 0.0, 9.0])
    label = TransformerClassifier("sentiment", str(path)).predict_many(["hay"])[0]
    assert label.label == "positive"


def test_backend_refuses_a_model_whose_labels_do_not_fit(tmp_path):
    path = build_model(tmp_path / "m", ["LABEL_0", "LABEL_1", "LABEL_2"])
    with pytest.raises(BackendError, match="do not name the sentiment classes"):
        TransformerClassifier("sentiment", str(path))


def test_backend_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(BackendError, match="no such model directory"):
        TransformerClassifier("toxicity", str(tmp_path / "absent"))
    with pytest.raises(BackendError, match="no transformers backend for 'emotion'"):
        TransformerClassifier("emotion", str(tmp_path))


def test_enrich_uses_the_configured_models(tmp_path, monkeypatch):
    # biased heads give a known answer the shipped linear models would not give
    monkeypatch.setenv("LANGNGHE_SENTIMENT_MODEL",
                       str(build_model(tmp_path / "s", ["negative", "neutral", "positive"],
                                       bias=[0.0, 0.0, 9.0])))
    monkeypatch.setenv("LANGNGHE_TOXICITY_MODEL",
                       str(build_model(tmp_path / "t", ["clean", "offensive", "hate"],
                                       bias=[0.0, 0.0, 9.0])))
    negative = next(r["text"] for r in _sentences() if r["label"] == "negative")
    docs = pipeline.enrich([_doc(negative, n=i) for i in range(5)])
    for doc in docs:
        assert doc.nlp.sentiment.label == "positive" and doc.nlp.sentiment.explanation == []
        assert doc.nlp.toxicity.label == "hate"
        assert doc.nlp.emotion is not None  # tasks without a backend keep the linear model


def test_enrich_records_a_backend_failure_on_the_one_document(tmp_path, monkeypatch):
    monkeypatch.setenv("LANGNGHE_SENTIMENT_MODEL",
                       str(build_model(tmp_path / "s", ["negative", "neutral", "positive"])))
    model = transformers_backend.backend("sentiment")
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


def test_default_path_never_imports_torch():
    code = ("import sys, json\n"
            "from runner.nlp_cli import enrich_main\n"
            "sys.stdin = __import__('io').StringIO(json.dumps({'text': 'ko thích, dở tệ'}))\n"
            "enrich_main([])\n"
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'imported'\n")
    env = {k: v for k, v in os.environ.items() if k not in transformers_backend.ENV.values()}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["sentiment"]["label"] == "negative"
