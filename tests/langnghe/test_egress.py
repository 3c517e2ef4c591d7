"""The egress guard: address classes, the allow-list, and the guarded httpx client against real
HTTP servers on loopback. DNS answers are scripted by patching `socket.getaddrinfo`, the resolver
function the guard calls (tests.egress.script_dns)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from langnghe import egress
from langnghe.egress import AllowList, EgressRefused
from tests.egress import allow, script_dns


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        self.server.hits.append(self.path)
        location = self.server.redirect
        self.send_response(302 if location else 200)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def servers():
    """Two HTTP servers on 127.0.0.1; `redirect` makes one answer 302 to that URL."""
    started = []
    for _ in range(2):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.hits, server.redirect = [], None
        server.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
    yield started
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "::1", "10.0.0.5", "172.16.3.4", "192.168.1.1",
    "169.254.169.254", "fe80::1", "fc00::1", "224.0.0.1", "ff02::1", "0.0.0.0", "::",
    "100.64.0.1", "240.0.0.1", "192.0.2.10", "::ffff:127.0.0.1", "::ffff:169.254.169.254"])
def test_egress_refusal_names_every_non_public_address(address):
    assert egress.refusal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_egress_refusal_passes_public_addresses(address):
    assert egress.refusal(address) is None


def test_egress_allow_list_entries_networks_addresses_hosts_and_ports():
    rules = AllowList.parse("10.20.0.0/16, 192.168.1.5 127.0.0.1:8765 [::1]:9000 "
                            "chat.tinh.gov.vn relay.local:2525")
    ip = egress._ip
    assert rules.allows_address(ip("10.20.3.4"), 1) and not rules.allows_address(ip("10.21.0.1"), 1)
    assert rules.allows_address(ip("192.168.1.5"), 443)
    assert rules.allows_address(ip("127.0.0.1"), 8765)
    assert not rules.allows_address(ip("127.0.0.1"), 8766)
    assert rules.allows_address(ip("::1"), 9000) and not rules.allows_address(ip("::1"), 80)
    assert rules.allows_host("chat.tinh.gov.vn", 80)
    assert rules.allows_host("relay.local", 2525) and not rules.allows_host("relay.local", 25)
    assert not rules.allows_host("other.vn", 80)


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "127.0.0.1:99999", "not a host!", "a:b:c:d:e:z"])
def test_egress_allow_list_rejects_malformed_entries_with_the_variable_named(entry):
    with pytest.raises(ValueError, match=egress.ALLOW_ENV):
        AllowList.parse(entry)


def test_egress_check_refuses_a_name_with_one_private_address_among_public_ones(monkeypatch):
    script_dns(monkeypatch, {"mixed.example.vn": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(EgressRefused, match="10.0.0.7"):
        egress.check("mixed.example.vn", 443, AllowList())


def test_egress_check_judges_what_a_numeric_name_resolves_to():
    for host in ("2130706433", "0x7f.1", "127.1"):  # all spell 127.0.0.1 to the resolver
        with pytest.raises(EgressRefused, match="loopback"):
            egress.check(host, 80, AllowList())


def test_egress_client_refuses_loopback_until_allow_listed(servers, monkeypatch):
    target, _ = servers
    url = f"http://127.0.0.1:{target.port}/x"
    monkeypatch.delenv(egress.ALLOW_ENV, raising=False)
    with egress.client() as c, pytest.raises(EgressRefused, match="loopback"):
        c.get(url)
    allow(monkeypatch, f"127.0.0.1:{target.port + 1}")  # another port: still refused
    with egress.client() as c, pytest.raises(EgressRefused):
        c.get(url)
    assert target.hits == []
    allow(monkeypatch, f"127.0.0.1:{target.port}")
    with egress.client() as c:
        assert c.get(url).status_code == 200
    assert target.hits == ["/x"]


def test_egress_client_checks_every_redirect_hop(servers, monkeypatch):
    page, internal = servers
    page.redirect = f"http://localhost:{internal.port}/secret"  # a loopback name
    allow(monkeypatch, f"127.0.0.1:{page.port}")
    with egress.client(follow_redirects=True) as c, pytest.raises(EgressRefused, match="localhost"):
        c.get(f"http://127.0.0.1:{page.port}/page")
    assert page.hits == ["/page"] and internal.hits == []


def test_egress_client_connects_to_the_address_it_checked(servers, monkeypatch):
    target, _ = servers
    answers = iter([["127.0.0.1"]])  # the first lookup; any later one would get 10.9.9.9

    script_dns(monkeypatch, {"rebind.example.vn": lambda: next(answers, ["10.9.9.9"])})
    allow(monkeypatch, f"127.0.0.1:{target.port}")
    with egress.client(timeout=2) as c:
        assert c.get(f"http://rebind.example.vn:{target.port}/y").status_code == 200
    assert target.hits == ["/y"]


def test_egress_client_reports_an_unresolvable_name_as_a_connect_error(monkeypatch):
    script_dns(monkeypatch, {"nowhere.example.vn": []})
    with egress.client() as c, pytest.raises(httpx.ConnectError, match="DNS"):
        c.get("https://nowhere.example.vn/")


def test_egress_check_url_refuses_other_schemes():
    for url in ("file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/"):
        with pytest.raises(EgressRefused, match="http://"):
            egress.check_url(url, AllowList())


def test_egress_check_url_refuses_a_port_out_of_range():
    for url in ("http://example.com:99999/h", "https://example.com:port/"):
        with pytest.raises(EgressRefused, match="Cổng không hợp lệ"):
            egress.check_url(url, AllowList())
