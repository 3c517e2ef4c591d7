import pytest

from langnghe.sources import DEFAULT_SOURCES, ConfigError, load_registry

REQUIRED_OUTLETS = {"vnexpress", "tuoitre", "thanhnien", "dantri", "vietnamnet", "nld", "laodong",
                    "vtv", "nhandan", "baochinhphu", "cafef", "znews", "vov", "tienphong", "cand",
                    "baothanhhoa"}


def test_default_registry_loads_and_lists_the_required_outlets():
    registry = load_registry(DEFAULT_SOURCES)
    assert REQUIRED_OUTLETS <= {s.id for s in registry.sources}
    assert all(s.feeds or s.connector for s in registry.sources)
    assert all(s.feeds for s in registry.sources if s.id in REQUIRED_OUTLETS)
    assert {s.type for s in registry.sources} >= {"state", "national", "local", "business"}


def write(tmp_path, text):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_registry_error_names_file_entry_and_field(tmp_path):
    path = write(tmp_path, """
sources:
  - id: ok
    name: OK
    homepage: https://ok.vn
  - id: broken
    name: Broken
    homepage: https://broken.vn
    poll_minutes: 0
    feeds:
      - url: ftp://broken.vn/rss
""")
    with pytest.raises(ConfigError) as err:
        load_registry(path)
    message = str(err.value)
    assert str(path) in message
    assert "entry #2 (id: broken)" in message
    assert "poll_minutes" in message and "feeds.0.url" in message


@pytest.mark.parametrize("text, fragment", [
    ("sources: [", "not valid YAML"),
    ("- a\n- b\n", "expected a mapping"),
    ("sources:\n  - {id: a, name: A, homepage: https://a.vn, colour: red}\n", "colour"),
    ("sources:\n  - {id: a, name: A, homepage: https://a.vn}\n"
     "  - {id: a, name: B, homepage: https://b.vn}\n", "duplicate source id"),
    ("sources:\n  - {id: Bad Id, name: A, homepage: https://a.vn}\n", "field id"),
])
def test_registry_rejects_bad_files(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as err:
        load_registry(write(tmp_path, text))
    assert fragment in str(err.value)


def test_registry_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_registry(tmp_path / "nope.yaml")


def test_every_config_loader_reports_missing_files_and_bad_yaml_alike(tmp_path):
    from alerts.config import AlertConfigError, load_config
    from alerts.rules import RuleError, load_rules
    from nlp.watch import TopicError, load_topics, load_watch

    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [", encoding="utf-8")
    loaders = [(load_registry, ConfigError), (load_config, AlertConfigError),
               (load_rules, RuleError), (load_topics, TopicError), (load_watch, TopicError)]
    for load, error in loaders:
        with pytest.raises(error, match="file not found"):
            load(tmp_path / "missing.yaml")
        with pytest.raises(error, match="not valid YAML"):
            load(bad)
