"""Optional fine-tuned transformer models for a task, served with ONNX Runtime + `tokenizers`.

A deployment that has a fine-tuned model (e.g. PhoBERT fine-tuned on the team's tone corpus)
exports it to ONNX where it was trained (docs/deploy.md, "Optional transformer models"), names
the directory in the environment, and the enrich stage uses it instead of the shipped linear
model, with the same interface (`Label` per text) and in batches:

    LANGNGHE_SENTIMENT_MODEL=/models/phobert-tone     # labels negative / neutral / positive
    LANGNGHE_TOXICITY_MODEL=/models/phobert-vihsd     # labels clean / offensive / hate
    LANGNGHE_TRANSFORMERS_BATCH=16                    # texts per forward pass (default 16)

A model for `sentiment` serves both document kinds (articles on title + lead, social items on
their text), where the shipped linear models are one per kind.

The directory holds what an ONNX export writes (nothing is downloaded):
- `model.onnx`: inputs `input_ids`, `attention_mask` (and `token_type_ids` if the model has
  them), integer [batch, tokens]; its first output is the logits [batch, classes];
- `tokenizer.json`: the `tokenizers` tokenizer, with the post-processor that adds the model's
  special tokens (PhoBERT's slow fastBPE tokenizer is converted by nlp.onnx_tokenizer);
- `config.json`: `id2label` naming the task's classes (case and the usual short forms —
  NEG/NEU/POS, CLEAN/OFFENSIVE/HATE — are accepted; a model whose labels do not fit is refused
  with the classes it has and those expected), `pad_token_id` (RoBERTa-family models such as
  PhoBERT derive positions from it), `max_position_embeddings`, `vocab_size` (a larger id is
  read as the unknown token), and, for a model pre-trained on word-segmented text as PhoBERT
  is, `"langnghe_word_segmented": true`: the text then goes through nlp.segment first
  ("Thanh_Hóa mưa_lũ", the convention of PhoBERT's RDRSegmenter).

onnxruntime and tokenizers are not part of the default install (`requirements.lock`), and the
default path never imports them; they come from `requirements-onnx.lock` (`make onnx`, about
120 MB, CPU only). Without them, configuring a model fails at start with a message saying so.
Explanations (top words) are only given by the linear models.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from langnghe.document import Label

LABELS = {  # the classes each backend-capable task must produce, as the linear models do
    "sentiment": ("negative", "neutral", "positive"),
    "toxicity": ("clean", "offensive", "hate"),
}
ENV = {task: f"LANGNGHE_{task.upper()}_MODEL" for task in LABELS}
BATCH_ENV = "LANGNGHE_TRANSFORMERS_BATCH"
DEFAULT_BATCH = 16  # texts per forward pass: fills a CPU's vector units without large padding
MAX_TOKENS = 256  # PhoBERT-style models take 256 positions; an article's opening decides
ALIASES = {"neg": "negative", "neu": "neutral", "pos": "positive", "non-toxic": "clean"}
FILES = ("model.onnx", "tokenizer.json", "config.json")
SEGMENTED_KEY = "langnghe_word_segmented"
_INT_TYPES = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}


class BackendError(RuntimeError):
    """The configured model cannot be used; the message says why and what to do."""


def configured(task: str) -> str | None:
    """The model location configured for `task`, or None (the linear model is used)."""
    if task not in ENV:
        return None
    return os.environ.get(ENV[task], "").strip() or None


def batch_size() -> int:
    raw = os.environ.get(BATCH_ENV, "").strip()
    if not raw:
        return DEFAULT_BATCH
    if not raw.isdigit() or not 1 <= int(raw) <= 1024:
        raise BackendError(f"{BATCH_ENV}={raw!r}: expected a whole number from 1 to 1024")
    return int(raw)


def _label_map(task: str, id2label: dict, where: str) -> list[str]:
    """Our class name for each output index of the model, or BackendError."""
    expected = LABELS[task]
    names = []
    for index in range(len(id2label)):
        raw = str(id2label.get(index, id2label.get(str(index), ""))).strip().lower()
        name = raw if raw in expected else ALIASES.get(raw, "")
        if name not in expected:
            raise BackendError(
                f"{where}: the model's labels {sorted(map(str, id2label.values()))} do not name "
                f"the {task} classes {list(expected)} (set id2label in its config.json)")
        names.append(name)
    return names


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


class OnnxClassifier:
    """One task's exported model: tokenizer + ONNX graph, on CPU, in batches."""

    def __init__(self, task: str, location: str, batch: int = DEFAULT_BATCH):
        if task not in LABELS:
            raise BackendError(f"no transformer backend for {task!r}; "
                               f"expected one of {', '.join(LABELS)}")
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise BackendError(
                f"{ENV[task]} names a transformer model, but {exc.name or 'onnxruntime'} is not "
                "installed: pip install -r requirements-onnx.lock (or make onnx)") from exc
        where = f"{ENV[task]}={location}"
        folder = Path(location)
        if not folder.is_dir():
            raise BackendError(f"{where}: no such model directory (expected {', '.join(FILES)};"
                               " nothing is downloaded)")
        if missing := [name for name in FILES if not (folder / name).is_file()]:
            raise BackendError(f"{where}: {', '.join(missing)} missing (docs/deploy.md says how "
                               "to export a model to ONNX)")
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self.session = onnxruntime.InferenceSession(
                str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT and tokenizers raise their own untyped errors
            raise BackendError(f"{where}: cannot load the model: {exc}") from exc
        self.labels = _label_map(task, config.get("id2label") or {}, location)
        self.segmented = bool(config.get(SEGMENTED_KEY))
        self.inputs = self._inputs(where)
        self._set_lengths(config)
        self.batch = batch

    def _inputs(self, where: str) -> dict[str, type]:
        """The graph's inputs and their integer types; BackendError for one we cannot feed."""
        inputs = {}
        for spec in self.session.get_inputs():
            if spec.name not in ("input_ids", "attention_mask", "token_type_ids") \
                    or spec.type not in _INT_TYPES:
                raise BackendError(f"{where}: model.onnx asks for an input {spec.name} "
                                   f"({spec.type}); expected int64 input_ids, attention_mask "
                                   "and optionally token_type_ids")
            inputs[spec.name] = _INT_TYPES[spec.type]
        if "input_ids" not in inputs:
            raise BackendError(f"{where}: model.onnx has no input_ids input")
        return inputs

    def _set_lengths(self, config: dict) -> None:
        """Pad with the model's pad id; cut texts to the positions the model has."""
        pad_id = config.get("pad_token_id")
        if pad_id is None:
            pad_id = next((i for token in ("<pad>", "[PAD]")
                           if (i := self.tokenizer.token_to_id(token)) is not None), 0)
        # RoBERTa-family positions start after the padding index: 2 positions fewer to use
        positions = int(config.get("max_position_embeddings") or MAX_TOKENS + 2) - 2
        self.tokenizer.enable_truncation(max_length=min(MAX_TOKENS, positions))
        self.tokenizer.enable_padding(pad_id=int(pad_id),
                                      pad_token=self.tokenizer.id_to_token(int(pad_id)) or "")
        # ids past the model's embeddings (symbols a converted tokenizer keeps for its merges,
        # nlp.onnx_tokenizer) are unknown words to the model
        unknown = getattr(self.tokenizer.model, "unk_token", None)
        self.unk_id = self.tokenizer.token_to_id(unknown) if unknown else None
        self.vocab_size = config.get("vocab_size")

    def _encode(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        if self.segmented:
            from nlp.segment import segment

            texts = [segment(text) for text in texts]
        encodings = self.tokenizer.encode_batch([text or " " for text in texts])
        columns = {"input_ids": "ids", "attention_mask": "attention_mask",
                   "token_type_ids": "type_ids"}
        arrays = {name: np.array([getattr(e, columns[name]) for e in encodings], dtype=dtype)
                  for name, dtype in self.inputs.items()}
        if self.vocab_size and self.unk_id is not None:
            ids = arrays["input_ids"]
            ids[ids >= self.vocab_size] = self.unk_id
        return arrays

    def predict_many(self, texts: Sequence[str]) -> list[Label]:
        """The most probable class of each text with its softmax probability."""
        results: list[Label] = []
        for start in range(0, len(texts), self.batch):
            logits = self.session.run(None, self._encode(texts[start:start + self.batch]))[0]
            proba = _softmax(np.asarray(logits, dtype=np.float64))
            for row in proba:
                best = int(row.argmax())
                results.append(Label(label=self.labels[best], score=round(float(row[best]), 4)))
        return results


@cache
def backend(task: str) -> OnnxClassifier | None:
    """The configured model of `task`, loaded once per process; None when none is configured."""
    location = configured(task)
    return OnnxClassifier(task, location, batch_size()) if location else None
