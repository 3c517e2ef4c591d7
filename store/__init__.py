"""Storage and search of enriched documents behind one narrow interface (`base.Store`).

Backends: `sqlite` (embedded default, FTS5) and `elastic` (Elasticsearch, many machines).
`open_store(url)` picks one from configuration.
"""

from __future__ import annotations

from pathlib import Path

from store.base import Store


def open_store(url_or_path: str | Path) -> Store:
    """A store from a URL or a plain path (SQLite).

    As in SQLAlchemy, "sqlite:///var/store.db" is relative, "sqlite:////srv/store.db" absolute.
    Elasticsearch: "elasticsearch+http(s)://host:9200[,host2:9200][?prefix=alias]" (or a plain
    http(s) URL); credentials and CA come from the environment (see store.elastic).
    """
    text = str(url_or_path)
    if text.lower().startswith(("elasticsearch+", "http://", "https://")):
        from store.elastic import open_elastic  # only Elasticsearch deployments load its client

        return open_elastic(text)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):]
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise ValueError(f"store URL scheme {scheme!r} is not supported; expected "
                         "'sqlite:///path', 'elasticsearch+http://host:9200' or a file path")
    if not text.strip():
        raise ValueError("store path is empty; expected 'sqlite:///path' or a file path")
    from store.sqlite import SqliteStore  # imported here so other backends need not load it

    return SqliteStore(text)
