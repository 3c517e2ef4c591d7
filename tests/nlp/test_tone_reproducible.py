"""`make train` from a clean clone reproduces the shipped tone models: each is rebuilt from the
corpus into a scratch folder and must give the shipped artifact's offsets, temperature and
predictions (the training is deterministic: fixed folds, seeds and solver)."""

from __future__ import annotations

import joblib
import pytest

from nlp import classify
from nlp.models import tone, tone_corpus


@pytest.mark.parametrize("kind", tone_corpus.KINDS)
def test_rebuilt_tone_model_equals_the_shipped_one(kind, tmp_path):
    metrics = tone.build(kind, tmp_path)
    shipped = joblib.load(classify.ARTIFACTS / f"tone-{kind}-v1" / "model.joblib")
    rebuilt = joblib.load(tmp_path / f"tone-{kind}-v1" / "model.joblib")
    assert metrics["offsets"] == [round(x, 3) for x in shipped["offsets"]]
    assert rebuilt["temperature"] == pytest.approx(shipped["temperature"], rel=1e-6)
    texts = [tone.tone_input(kind, r["text"]) for r in tone_corpus.load(kind, "heldout")[:300]]
    ours, theirs = rebuilt["pipeline"], shipped["pipeline"]
    assert (ours.predict(texts) == theirs.predict(texts)).all()
    assert ours.decision_function(texts) == pytest.approx(theirs.decision_function(texts),
                                                          abs=1e-6)
