"""Test helpers for the egress guard (langnghe.egress): local servers allow-list themselves
explicitly, and DNS answers are scripted by patching `socket.getaddrinfo`, the resolver function
the guard calls (nothing here can reach a real DNS server)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

from langnghe.egress import ALLOW_ENV


def allow(monkeypatch, *entries: str) -> None:
    """Add entries (e.g. "127.0.0.1:8765") to LANGNGHE_EGRESS_ALLOW for this test."""
    current = os.environ.get(ALLOW_ENV, "")
    monkeypatch.setenv(ALLOW_ENV, " ".join(filter(None, (current, *entries))))


def script_dns(monkeypatch, answers: dict[str, Callable[[], list[str]] | list[str]]) -> None:
    """Patch `socket.getaddrinfo` so each named host resolves to the scripted addresses (a list,
    or a function called at each lookup); other names resolve as before."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in answers:
            return real(host, port, *args, **kwargs)
        found = answers[name]
        addresses = found() if callable(found) else found
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, int(port or 0), 0, 0) if ":" in a else (a, int(port or 0)))
                for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
