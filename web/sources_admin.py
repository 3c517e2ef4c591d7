"""Admin changes to the source registry made in the dashboard: add a source, disable one.

Changes are stored in the web database (`source_overrides`), audited, and applied by the
engine on its next cycle with `apply_source_overrides(registry, db_path)`: config/sources.yaml
stays the reviewed base, the dashboard layers additions and disables on top.

A source URL must point at the public internet: loopback, private (RFC 1918, fc00::/7),
link-local (169.254/16 — cloud metadata — and fe80::/10), multicast, reserved and unspecified
addresses are refused, both as literal IPs and as what the host name resolves to, so the
crawler cannot be turned against the machine or its network (SSRF). The address classes are the
egress guard's (langnghe.egress), which checks every fetch again when it connects.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from langnghe import egress
from langnghe.sources import Registry, Source
from web import db

Resolver = Callable[[str], list[str]]
LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa", ".lan")


class SourceInputError(ValueError):
    """A rejected source form; the message says what was expected."""


def resolve(host: str) -> list[str]:
    """Addresses of a host name; empty when it does not resolve (offline, NXDOMAIN)."""
    try:
        return [info[4][0] for info in socket.getaddrinfo(host, None)]
    except (socket.gaierror, UnicodeError):
        return []


def _public(address: str) -> bool:
    return egress.refusal(address) is None


def check_public_url(url: str, resolver: Resolver = resolve) -> str:
    """The URL when it is http(s) on a public host; SourceInputError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceInputError(f"Địa chỉ phải bắt đầu bằng http:// hoặc https:// và có tên "
                               f"miền: {url!r}")
    host = parts.hostname.rstrip(".").lower()
    if host == LOCAL_NAMES[0] or host.endswith(LOCAL_NAMES[1:]):
        raise SourceInputError(f"Không được dùng địa chỉ nội bộ: {host}")
    try:
        literal = [str(ipaddress.ip_address(host))]
    except ValueError:
        literal = []
    for address in literal or resolver(host):
        if not _public(address):
            raise SourceInputError(f"Không được dùng địa chỉ nội bộ/riêng: {host} → {address}")
    return url.strip()


def add_source(db_path: str | Path, spec: dict, by: str, resolver: Resolver = resolve) -> Source:
    """Validate and store a new source: {id, name, type, homepage, feeds: [url, ...]}."""
    for url in [spec.get("homepage", "")] + list(spec.get("feeds", [])):
        check_public_url(url, resolver)
    data = {**spec, "feeds": [{"url": u} for u in spec.get("feeds", [])]}
    try:
        source = Source.model_validate(data)
    except ValidationError as exc:
        raise SourceInputError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                         for e in exc.errors())) from None
    _store(db_path, source.id, "add", source.model_dump(mode="json"), by)
    return source


def set_disabled(db_path: str | Path, source_id: str, disabled: bool, by: str) -> None:
    if disabled:
        _store(db_path, source_id, "disable", {}, by)
        return
    with db.connect(db_path) as con:
        con.execute("DELETE FROM source_overrides WHERE source_id = ? AND action = 'disable'",
                    (source_id,))
        db.audit(con, by, "source.enable", source_id)


def _store(db_path: str | Path, source_id: str, action: str, spec: dict, by: str) -> None:
    with db.connect(db_path) as con:
        con.execute("INSERT OR REPLACE INTO source_overrides VALUES (?, ?, ?, ?, ?)",
                    (source_id, action, json.dumps(spec, ensure_ascii=False), by, db.now_iso()))
        db.audit(con, by, f"source.{action}", source_id)


def source_overrides(db_path: str | Path) -> list[dict]:
    """[{source_id, action: add|disable, spec, updated_by, updated_at}]."""
    if not Path(db_path).exists():
        return []
    with db.connect(db_path) as con:
        rows = con.execute("SELECT * FROM source_overrides ORDER BY updated_at").fetchall()
    return [{**dict(r), "spec": json.loads(r["spec"])} for r in rows]


def apply_source_overrides(registry: Registry, db_path: str | Path) -> Registry:
    """The registry with dashboard additions appended and dashboard disables applied."""
    overrides = source_overrides(db_path)
    disabled = {o["source_id"] for o in overrides if o["action"] == "disable"}
    known = {s.id for s in registry.sources}
    added = [Source.model_validate(o["spec"]) for o in overrides
             if o["action"] == "add" and o["source_id"] not in known]
    sources = [s.model_copy(update={"enabled": False}) if s.id in disabled else s
               for s in list(registry.sources) + added]
    return Registry(sources=tuple(sources))
