"""The optional transformers backend: a Hugging Face sequence-classification model for a task.

A deployment that has a fine-tuned model (e.g. PhoBERT fine-tuned on UIT-VSFC) names its local
directory in the environment, and the enrich stage uses it instead of the shipped linear model,
with the same interface (`Label` per text) and in batches:

    LANGNGHE_SENTIMENT_MODEL=/models/phobert-vsfc     # labels negative / neutral / positive
    LANGNGHE_TOXICITY_MODEL=/models/phobert-vihsd     # labels clean / offensive / hate
    LANGNGHE_TRANSFORMERS_BATCH=16                    # texts per forward pass (default 16)

The directory is what `save_pretrained` writes (config.json, weights, tokenizer files); nothing
is downloaded (`local_files_only`). The model's `id2label` must name the task's classes (case
and the usual short forms — NEG/NEU/POS, CLEAN/OFFENSIVE/HATE — are accepted); a model whose
labels do not fit is refused with the classes it has and those expected.

torch and transformers are not part of the default install (`requirements.lock`): importing
torch costs seconds and hundreds of MB in every worker. They come from
`requirements-transformers.lock`; without them, configuring a model fails at start with a
message that says so. Explanations (top words) are only given by the linear models.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache

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


class TransformerClassifier:
    """One task's model: tokenizer + sequence-classification head, on CPU, in batches."""

    def __init__(self, task: str, location: str, batch: int = DEFAULT_BATCH,
                 max_tokens: int = MAX_TOKENS):
        if task not in LABELS:
            raise BackendError(f"no transformers backend for {task!r}; "
                               f"expected one of {', '.join(LABELS)}")
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise BackendError(
                f"{ENV[task]} names a transformers model, but {exc.name or 'torch'} is not "
                "installed: pip install -r requirements-transformers.lock") from exc
        if not os.path.isdir(location):
            raise BackendError(f"{ENV[task]}={location}: no such model directory "
                               "(expected the output of save_pretrained; nothing is downloaded)")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(location, local_files_only=True)
            self.model = AutoModelForSequenceClassification.from_pretrained(
                location, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise BackendError(f"{ENV[task]}={location}: cannot load the model: {exc}") from exc
        self.model.eval()
        self.labels = _label_map(task, self.model.config.id2label, location)
        self.torch, self.batch, self.max_tokens = torch, batch, max_tokens

    def predict_many(self, texts: Sequence[str]) -> list[Label]:
        """The most probable class of each text with its softmax probability."""
        results: list[Label] = []
        for start in range(0, len(texts), self.batch):
            chunk = [text or " " for text in texts[start:start + self.batch]]
            encoded = self.tokenizer(chunk, padding=True, truncation=True,
                                     max_length=self.max_tokens, return_tensors="pt")
            with self.torch.inference_mode():
                proba = self.model(**encoded).logits.softmax(dim=-1)
            best = proba.argmax(dim=-1)
            for row, index in zip(proba.tolist(), best.tolist(), strict=True):
                results.append(Label(label=self.labels[index], score=round(row[index], 4)))
        return results


@cache
def backend(task: str) -> TransformerClassifier | None:
    """The configured model of `task`, loaded once per process; None when none is configured."""
    location = configured(task)
    return TransformerClassifier(task, location, batch_size()) if location else None
