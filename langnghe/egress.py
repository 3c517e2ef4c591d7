"""The egress guard: which network addresses the engine may connect to (SSRF defence).

Every outgoing fetch resolves its host here, checks every address the name resolves to, and
connects only to an address that passed: the crawler's requests and each of their redirect hops
(`crawlers.middlewares.EgressGuardMiddleware`), and the HTTP calls of the alert channels and of
`langnghe sources check` (`client()`, an httpx client whose transport connects to the checked
address itself, so a name that answers differently a moment later — DNS rebinding, or a webhook
saved while it pointed elsewhere — cannot move the connection).

Refused: loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 — cloud metadata — and
fe80::/10), multicast, reserved, unspecified and every other address that is not global
(100.64/10, documentation ranges, ...), whether written as a literal or reached through a name.
An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as its IPv4 address. A name with
several addresses is refused when any of them is: the client, not the guard, would pick one.

Exceptions are named explicitly in `LANGNGHE_EGRESS_ALLOW` (the environment variable; the
crawler also reads the Scrapy setting of the same name), entries separated by commas or spaces:

    10.20.0.0/16            a network: every address in it, any port
    192.168.1.5             one address, any port
    127.0.0.1:8765          one address on one port (a local test server, the demo)
    [::1]:8765              the same in IPv6
    chat.tinh.gov.vn        a host name, whatever it resolves to, any port
    chat.tinh.gov.vn:8443   a host name on one port
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx

ALLOW_ENV = "LANGNGHE_EGRESS_ALLOW"
DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*"
                   r"[a-z0-9_])?)*$")
_BRACKETED = re.compile(r"^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$")
# what each refused kind of address is, for a message an administrator can act on
_KINDS = (("is_loopback", "máy này (loopback)"),
          ("is_unspecified", "không xác định (0.0.0.0, ::)"),
          ("is_link_local", "link-local (169.254.0.0/16, fe80::/10: có cả metadata đám mây)"),
          ("is_multicast", "multicast"),
          ("is_private", "mạng riêng"),
          ("is_reserved", "dành riêng"))

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class EgressRefused(Exception):
    """A connection the guard refused; the message names the host, the address and why."""

    def __init__(self, message: str, host: str = "", address: str = ""):
        super().__init__(message)
        self.host, self.address = host, address


@dataclass(frozen=True)
class Rule:
    """One allow-list entry: a network or a host name, optionally on one port."""

    network: IPNetwork | None = None
    host: str | None = None
    port: int | None = None

    def allows(self, host: str, address: IPAddress | None, port: int) -> bool:
        if self.port is not None and port != self.port:
            return False
        if self.host is not None:
            return host == self.host
        return (address is not None and self.network is not None
                and address.version == self.network.version and address in self.network)


def _port(text: str, entry: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise ValueError(f"{ALLOW_ENV}: cổng ngoài khoảng 1–65535 trong {entry!r}")
    return port


def parse_rule(entry: str) -> Rule:
    """One entry of the allow-list; ValueError says what was expected."""
    text = entry.strip().lower().rstrip(".")
    try:
        if "/" in text:
            return Rule(network=ipaddress.ip_network(text, strict=False))
        bracketed = _BRACKETED.match(text)
        if bracketed:
            port = _port(bracketed[2], entry) if bracketed[2] else None
            return Rule(network=ipaddress.ip_network(bracketed[1]), port=port)
        try:
            return Rule(network=ipaddress.ip_network(text))
        except ValueError:
            pass
        name, sep, port = text.rpartition(":")
        if sep and port.isdigit() and ":" not in name:
            inner = parse_rule(name)
            return Rule(inner.network, inner.host, _port(port, entry))
        if _HOST.match(text):
            return Rule(host=text)
    except ValueError as exc:
        if str(exc).startswith(ALLOW_ENV):
            raise
    raise ValueError(f"{ALLOW_ENV}: {entry!r} không phải địa chỉ IP, mạng (10.0.0.0/8), tên máy, "
                     "hay một trong số đó kèm :cổng")


@dataclass(frozen=True)
class AllowList:
    rules: tuple[Rule, ...] = ()

    @classmethod
    def parse(cls, entries: str | Iterable[str]) -> AllowList:
        """Entries as a list, or one string separated by commas or spaces."""
        if isinstance(entries, str):
            entries = re.split(r"[\s,]+", entries)
        return cls(tuple(parse_rule(e) for e in entries if e.strip()))

    @classmethod
    def from_env(cls, extra: Iterable[str] = ()) -> AllowList:
        """The environment's allow-list, plus `extra` entries (e.g. a Scrapy setting)."""
        return cls.parse([*extra, *re.split(r"[\s,]+", os.environ.get(ALLOW_ENV, ""))])

    def allows_host(self, host: str, port: int) -> bool:
        return any(r.host is not None and r.allows(host, None, port) for r in self.rules)

    def allows_address(self, address: IPAddress, port: int) -> bool:
        return any(r.network is not None and r.allows("", address, port) for r in self.rules)


def _ip(address: str) -> IPAddress:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) aside
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def refusal(address: str) -> str | None:
    """Why `address` is not a public destination (in Vietnamese), or None when it is one."""
    ip = _ip(address)
    for attribute, kind in _KINDS:
        if getattr(ip, attribute):
            return kind
    return None if ip.is_global else "không công khai"


def resolve(host: str, port: int) -> list[str]:
    """Every address of `host` in the resolver's order (an IP literal is its own address).

    The one place the guard resolves names: tests patch `socket.getaddrinfo` to script DNS.
    Raises socket.gaierror when the name does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check(host: str, port: int, allow: AllowList | None = None) -> list[str]:
    """The addresses to connect to for host:port, every one permitted; EgressRefused if not.

    `allow` defaults to the environment's allow-list, read at each call. A name that does not
    resolve raises socket.gaierror, which callers report as the DNS failure it is."""
    allow = AllowList.from_env() if allow is None else allow
    name = host.strip("[]").rstrip(".").lower()
    addresses = resolve(name, port)
    if allow.allows_host(name, port):
        return addresses
    for address in addresses:
        kind = refusal(address)
        if kind and not allow.allows_address(_ip(address), port):
            shown = name if name == address else f"{name} → {address}"
            raise EgressRefused(f"Kết nối bị chặn: {shown} (cổng {port}) là địa chỉ {kind}; "
                                f"chỉ được phép khi {ALLOW_ENV} nêu tên nó", name, address)
    return addresses


def check_url(url: str, allow: AllowList | None = None) -> list[str]:
    """`check` for an http(s) URL; any other scheme is refused."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise EgressRefused(f"Chỉ kết nối tới địa chỉ http:// hoặc https:// có tên máy: {url!r}")
    try:
        port = parts.port  # ValueError for a port out of range or not a number
    except ValueError:
        raise EgressRefused(f"Cổng không hợp lệ trong địa chỉ {url!r}") from None
    return check(parts.hostname, port or DEFAULT_PORTS[parts.scheme], allow)


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's TCP connector, opening connections only to addresses `check` passed."""

    def __init__(self, allow: AllowList | None):
        self.allow = allow
        self.tcp = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable | None = None) -> httpcore.NetworkStream:
        try:
            addresses = check(host, port, self.allow)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"DNS: {host}: {exc}") from exc
        failure: Exception | None = None
        for address in addresses:  # as socket.create_connection: the first that answers
            try:
                return self.tcp.connect_tcp(address, port, timeout, local_address,
                                            socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"{host}: no address")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's HTTP transport whose connections go through the guard. TLS still verifies the
    certificate against the host name (httpcore sends it as SNI), not against the address."""

    def __init__(self, allow: AllowList | None = None):
        context = httpx.create_ssl_context()
        super().__init__(verify=context)
        # the same pool httpx builds, with the guarded connector instead of the plain one
        self._pool = httpcore.ConnectionPool(ssl_context=context,
                                             network_backend=_GuardedBackend(allow))


def client(allow: AllowList | None = None, **kwargs) -> httpx.Client:
    """An httpx.Client whose every connection, redirects included, passes the guard.

    Proxies from the environment are not used: through a proxy the name would be resolved
    where the guard cannot check it."""
    return httpx.Client(transport=GuardedTransport(allow), trust_env=False, **kwargs)
