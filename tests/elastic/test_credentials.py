"""Credentials from the environment reach Elasticsearch: basic auth, CA certificate, API key.

- Basic auth and the CA certificate run against a real security-enabled node (the suites'
  integ-test-zip with x-pack security on, TLS on HTTP; tests/elastic/secure_node.py).
- The API key runs against a local TLS endpoint that checks it and relays to the suites' node
  (tests/elastic/tls_proxy.py): that node cannot create API keys (no analysis-common module for
  the `.security` index, and Maven Central does not publish one).
"""

from __future__ import annotations

import secrets

import pytest

from store.elastic import ElasticStore, ElasticUnavailable, client_from_env
from tests.elastic.node import es_url
from tests.elastic.secure_node import make_certificates, start_secure_node, stop_secure_node
from tests.elastic.tls_proxy import ApiKeyProxy
from tests.store.conftest import make_doc

pytestmark = pytest.mark.elasticsearch

PREFIX = "lntest-credentials"
ENV = ("LANGNGHE_ES_API_KEY", "LANGNGHE_ES_USERNAME", "LANGNGHE_ES_PASSWORD",
       "LANGNGHE_ES_CA_CERTS")


@pytest.fixture(scope="module")
def secure():
    node = start_secure_node()
    yield node
    stop_secure_node(node)


@pytest.fixture
def env(monkeypatch):
    """Set exactly the credential variables given (the others unset)."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"LANGNGHE_ES_{name.upper()}", value)

    return set_env


def round_trip(url: str) -> list[str]:
    store = ElasticStore(url, prefix=PREFIX, setup=True)
    try:
        store.upsert([make_doc(1, "Kết nối có xác thực tới Elasticsearch")])
        return [hit.doc.title for hit in store.search("xác thực").hits]
    finally:
        store.close()


def test_basic_auth_and_ca_certificate_reach_secured_node(secure, env):
    env(username=secure.user, password=secure.password, ca_certs=str(secure.ca))
    assert round_trip(secure.url) == ["Kết nối có xác thực tới Elasticsearch"]


def test_secured_node_refuses_a_wrong_password_with_a_clear_error(secure, env):
    env(username=secure.user, password="not-the-password", ca_certs=str(secure.ca))
    with pytest.raises(ElasticUnavailable, match="refused the credentials.*LANGNGHE_ES_USERNAME"):
        ElasticStore(secure.url, prefix=PREFIX)


def test_secured_node_refuses_requests_without_credentials(secure, env):
    env(ca_certs=str(secure.ca))
    with pytest.raises(ElasticUnavailable, match=r"refused the credentials \(401\)"):
        ElasticStore(secure.url, prefix=PREFIX)


def test_certificate_of_another_ca_is_not_trusted(secure, env):
    env(username=secure.user, password=secure.password, ca_certs=str(secure.other_ca))
    with pytest.raises(ElasticUnavailable, match="unreachable.*(?i:certificate verify failed)"):
        ElasticStore(client_from_env(secure.url).options(max_retries=0), prefix=PREFIX)


@pytest.fixture
def api_key_endpoint(tmp_path):
    ca, cert, key, _ = make_certificates(tmp_path)
    api_key = secrets.token_urlsafe(24)
    with ApiKeyProxy(es_url(), api_key, cert, key) as proxy:
        yield proxy, api_key, ca
    client = client_from_env(es_url())
    client.options(ignore_status=404).indices.delete(index=f"{PREFIX}-*")
    client.options(ignore_status=404).indices.delete_index_template(name=f"{PREFIX}-v*")
    client.close()


def test_api_key_is_sent_on_every_request(api_key_endpoint, env):
    proxy, api_key, ca = api_key_endpoint
    env(api_key=api_key, ca_certs=str(ca))
    assert round_trip(proxy.url) == ["Kết nối có xác thực tới Elasticsearch"]
    assert len(proxy.seen) > 5 and set(proxy.seen) == {f"ApiKey {api_key}"}


def test_api_key_wins_over_username_and_password(api_key_endpoint, env):
    proxy, api_key, ca = api_key_endpoint
    env(api_key=api_key, username="someone", password="secret", ca_certs=str(ca))
    assert round_trip(proxy.url) == ["Kết nối có xác thực tới Elasticsearch"]
    assert set(proxy.seen) == {f"ApiKey {api_key}"}


def test_wrong_api_key_is_a_clear_error(api_key_endpoint, env):
    proxy, _, ca = api_key_endpoint
    env(api_key="not-the-key", ca_certs=str(ca))
    with pytest.raises(ElasticUnavailable, match="refused the credentials.*LANGNGHE_ES_API_KEY"):
        ElasticStore(proxy.url, prefix=PREFIX)
