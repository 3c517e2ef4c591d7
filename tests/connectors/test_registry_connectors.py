"""The registry's `connector:` blocks: validated on load, errors name file, entry and field."""

import pytest

from langnghe.sources import DEFAULT_SOURCES, ConfigError, load_registry

GOOD = """
sources:
  - id: voz
    name: VOZ
    type: forum
    homepage: https://voz.vn
    connector: {kind: xenforo, forums: ["https://voz.vn/f/chuyen-tro-linh-tinh.17/"]}
  - id: fb
    name: Facebook
    type: social
    homepage: https://www.facebook.com
    connector:
      kind: facebook
      pages: [{page_id: vtv24news, token_env: FB_TOKEN_VTV24}]
"""


def write(tmp_path, text):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_registry_connector_blocks_load_with_their_settings(tmp_path):
    registry = load_registry(write(tmp_path, GOOD))
    assert registry.get("voz").connector.kind == "xenforo"
    assert registry.get("fb").connector.pages[0].token_env == "FB_TOKEN_VTV24"
    assert registry.capture_retention_days == 90


def test_registry_default_file_stays_valid():
    assert load_registry(DEFAULT_SOURCES).sources


@pytest.mark.parametrize(("change", "expected"), [
    (("token_env: FB_TOKEN_VTV24", "token_env: EAAB-secret"),
     ["entry #2 (id: fb)", "connector.facebook.pages.0.token_env", "environment variable"]),
    (("kind: xenforo", "kind: myspace"), ["entry #1 (id: voz)", "connector", "xenforo"]),
    (("connector: {kind: xenforo, forums: [\"https://voz.vn/f/chuyen-tro-linh-tinh.17/\"]}",
      "feeds: []"), ["entry #1 (id: voz)", "needs a 'connector:' block"]),
    (("forums: [\"https://voz.vn/f/chuyen-tro-linh-tinh.17/\"]", "forums: []"),
     ["entry #1 (id: voz)", "at least one URL"]),
])
def test_registry_connector_mistakes_name_file_entry_and_field(tmp_path, change, expected):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    message = str(caught.value)
    assert str(path) in message
    for part in expected:
        assert part in message, message
