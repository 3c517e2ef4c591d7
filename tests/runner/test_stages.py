"""The ingest stage over a real spool and a real SQLite store, with store failures injected."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from langnghe.document import Document, document_id
from langnghe.paths import Home
from langnghe.spool import Spool
from runner import stages
from runner.effective import Files, effective
from store.sqlite import SqliteStore

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class FailingStore:
    """A thin wrapper: the real store, whose upserts fail while `down` is set."""

    def __init__(self, inner):
        self.inner, self.down = inner, True

    def upsert(self, docs):
        if self.down:
            raise ConnectionError("cluster unreachable")
        return self.inner.upsert(docs)


def docs(n):
    return [Document(id=document_id(f"https://a.vn/{i}"), url=f"https://a.vn/{i}",
                     canonical_url=f"https://a.vn/{i}", source_id="a", title=f"Tin số {i}")
            for i in range(n)]


def test_ingest_keeps_documents_in_the_spool_while_the_store_is_down(tmp_path):
    home = Home.resolve(tmp_path)
    Spool(home.spool).put(docs(5))
    store = FailingStore(SqliteStore(home.store))
    with pytest.raises(ConnectionError):
        stages.ingest(home, store)
    assert Spool(home.spool).pending() == 1 and store.inner.count() == 0
    store.down = False
    assert stages.ingest(home, store).documents == 5
    assert store.inner.count() == 5 and Spool(home.spool).pending() == 0


def test_ingest_twice_the_same_documents_never_duplicates(tmp_path):
    home = Home.resolve(tmp_path)
    store = SqliteStore(home.store)
    for _ in range(2):
        Spool(home.spool).put(docs(3))
        stages.ingest(home, store)
    assert store.count() == 3


def test_alerting_takes_up_recipient_groups_from_the_web_app(tmp_path):
    """The start-up alert setup has the groups an admin added in the web app, and one added
    later is taken up when the effective configuration is applied again (every cycle)."""
    from alerts.config import load_config
    from web import db, recipients

    home = Home.resolve(tmp_path)
    db.setup(home.web_db)
    base = load_config(stages.DEFAULT_ALERTS)
    form = recipients.GroupForm("Trực ban đêm", "webhook", "https://example.com/hook", "info",
                                ("spike",))
    recipients.save_group(home.web_db, form, "admin", base)
    setup = stages.alerting(home, stages.DEFAULT_ALERTS, [])
    assert "Trực ban đêm" in {g.name for g in setup.config.groups}
    assert "webhook" in setup.channels
    assert {g.name for g in setup.base.groups} == {g.name for g in base.groups}
    later = recipients.GroupForm("Lãnh đạo", "webhook", "https://example.com/lead", "critical",
                                 ("spike",))
    recipients.save_group(home.web_db, later, "admin", base)
    setup.apply(effective(Files(alerts=setup.base), home.web_db, NOW))
    assert {"Trực ban đêm", "Lãnh đạo"} <= {g.name for g in setup.config.groups}


def test_prune_captures_keeps_evidence_for_the_registrys_retention(tmp_path):
    """Both deployments prune through this function, with the sources file's
    `capture_retention_days` (the maintenance DAG once used its own 90-day setting)."""
    import os

    from crawlers.run import CAPTURE_DIR
    from langnghe.sources import Registry

    home = Home.resolve(tmp_path)
    captures = home.root / CAPTURE_DIR
    captures.mkdir()
    now = NOW.timestamp()
    for name, days in (("old.warc.gz", 40), ("recent.warc.gz", 20)):
        (captures / name).write_bytes(b"")
        os.utime(captures / name, (now - days * 86400, now - days * 86400))
    registry = Registry(sources=(), capture_retention_days=30)
    assert [p.name for p in stages.prune_captures(home, registry, now)] == ["old.warc.gz"]
    assert stages.prune_captures(home, registry, now + 3600) is None  # once a day
    assert sorted(p.name for p in captures.glob("*.warc.gz")) == ["recent.warc.gz"]
