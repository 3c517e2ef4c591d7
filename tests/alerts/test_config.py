"""Alerts configuration and crisis rules: the examples load, mistakes are named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.config import AlertConfigError, load_config
from alerts.rules import RuleError, load_rules

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_config_example_loads_with_rules():
    cfg = load_config(REPO / "config" / "alerts.example.yaml")
    assert cfg.groups and cfg.channels.email and cfg.channels.telegram
    assert {g.name for g in cfg.groups} >= set(cfg.digest.groups)
    rules = load_rules(cfg.rules_path())
    assert {r.type for r in rules} == {"negative_volume", "state_outlet_crisis",
                                       "toxic_comment_surge"}


def test_config_recipient_on_unconfigured_channel_is_named(tmp_path):
    path = _write(tmp_path, "alerts.yaml",
                  "groups:\n  - name: lanh-dao\n    recipients:\n"
                  "      - {name: vp, telegram: '123'}\n")
    with pytest.raises(AlertConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message and "'vp'" in message and "channels.telegram" in message


def test_config_bad_severity_names_the_field(tmp_path):
    path = _write(tmp_path, "alerts.yaml",
                  "channels: {webhook: {}}\ngroups:\n  - name: g\n    min_severity: urgent\n"
                  "    recipients: [{name: a, webhook: 'http://x.test/h'}]\n")
    with pytest.raises(AlertConfigError) as err:
        load_config(path)
    assert "groups.0.min_severity" in str(err.value) and "'info'" in str(err.value)


def test_config_missing_secret_is_explained(tmp_path, monkeypatch):
    monkeypatch.delenv("LANGNGHE_SECRET", raising=False)
    cfg = load_config(_write(tmp_path, "alerts.yaml", "public_url: http://x.test\n"))
    with pytest.raises(ValueError, match="LANGNGHE_SECRET"):
        cfg.secret()


@pytest.mark.parametrize("body,expected", [
    ("  - id: a\n    type: negative_volume\n    query: x\n    min_items: 0\n",
     ["rule #1 (id: a)", "field min_items", "greater than or equal to 1"]),
    ("  - id: b\n    type: state_outlet_crisis\n    query: x\n",
     ["rule #1 (id: b)", "field lexicon", "Field required"]),
    ("  - id: c\n    type: spike\n    query: x\n",
     ["rule #1 (id: c)", "negative_volume | state_outlet_crisis"]),
    ("  - id: d\n    type: negative_volume\n    query: '(lũ'\n",
     ["rule #1 (id: d)", "field query", "Truy vấn không hợp lệ"]),
    ("  - id: e\n    type: negative_volume\n    query: x\n    windw_minutes: 5\n",
     ["field windw_minutes", "Extra inputs"]),
    ("  - id: f\n    type: negative_volume\n    query: x\n"
     "  - id: f\n    type: negative_volume\n    query: y\n", ["duplicate rule id", "f"]),
])
def test_rules_errors_name_file_rule_and_field(tmp_path, body, expected):
    path = _write(tmp_path, "rules.yaml", "rules:\n" + body)
    with pytest.raises(RuleError) as err:
        load_rules(path)
    assert str(path) in str(err.value)
    for part in expected:
        assert part in str(err.value)


def test_rules_file_not_a_list(tmp_path):
    with pytest.raises(RuleError, match="'rules:' list"):
        load_rules(_write(tmp_path, "rules.yaml", "rule: []\n"))
