"""The baseline gate of the evaluation scripts (evaluation/gate.py), on a baseline of its own."""

import json

import pytest

from evaluation import gate


@pytest.fixture
def baseline(tmp_path, monkeypatch):
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"nlp": {"data_sha256": "abc", "floors": {"f1": 0.9}}}))
    monkeypatch.setattr(gate, "BASELINE", path)
    return path


def test_gate_passes_at_or_above_the_floor(baseline):
    assert gate.problems("nlp", {"f1": 0.9}, "abc") == []


def test_gate_names_a_metric_below_its_floor_and_changed_data(baseline):
    found = gate.problems("nlp", {"f1": 0.85}, "xyz")
    assert any("evaluation data changed" in p for p in found)
    assert any(p.startswith("f1 = 0.85, expected >= floor 0.9") for p in found)
    assert gate.problems("nlp", {}, "abc") == ["f1 = None, expected >= floor 0.9"]
    assert "no floors pinned under 'alerts'" in gate.problems("alerts", {}, "abc")[0]


def test_gate_pin_refuses_to_lower_a_floor_unless_asked(baseline):
    with pytest.raises(SystemExit, match="refusing to lower the floor of f1"):
        gate.pin("nlp", {"f1": 0.8}, ["f1"], 0.01, allow_lower=False)
    assert gate.pin("nlp", {"f1": 0.8}, ["f1"], 0.01, allow_lower=True) == {"f1": 0.79}
    assert gate.pin("nlp", {"f1": 0.95}, ["f1"], 0.01, allow_lower=False) == {"f1": 0.94}
