"""`langnghe es`: `--url` before or after the action. docker-compose.yml's langnghe-init and
docs/deploy.md's upgrade steps write `langnghe es setup --url …`; before, only
`langnghe es --url … setup` parsed, and the init service exited 2 on every deploy."""

from __future__ import annotations

import uuid

import pytest

from runner.es_cli import es_main
from store.elastic import client_from_env
from tests.elastic.node import es_url

pytestmark = pytest.mark.elasticsearch


@pytest.mark.parametrize("after", [True, False], ids=["url-after-action", "url-before-action"])
def test_es_setup_takes_the_url_before_or_after_the_action(after):
    prefix = f"lntest-cli-{uuid.uuid4().hex[:8]}"
    url = f"elasticsearch+{es_url()}?prefix={prefix}"
    argv = ["setup", "--url", url] if after else ["--url", url, "setup"]
    client = client_from_env(es_url())
    try:
        assert es_main(argv) == 0
        assert client.indices.exists_index_template(name=f"{prefix}-v1")
        assert client.indices.exists_alias(name=f"{prefix}-alerts")
    finally:
        client.indices.delete(index=f"{prefix}*", ignore_unavailable=True)
        client.indices.delete_index_template(name=f"{prefix}*")
        client.close()
