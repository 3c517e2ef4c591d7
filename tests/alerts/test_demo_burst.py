"""End to end on the demo corpus: its scripted burst (a market fire, six articles from three
outlets) goes through crawl → enrich → index → detection → delivery, and produces exactly one
alert, delivered once by email (loopback SMTP server) and once by webhook (loopback receiver),
with its explanation. The latency from the burst's first item being published to the alert
arriving is measured and printed (the number reported in docs/benchmarks.md)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from alerts.engine import build_channels
from alerts.outbox import Outbox
from langnghe.paths import Home
from runner import stages
from runner.demo import DemoReplay
from store.sqlite import SqliteStore
from tests.alerts.helpers import config


def test_demo_burst_produces_exactly_one_alert_delivered_with_explanation(
        tmp_path, smtp_server, webhook_server):
    home = Home.resolve(tmp_path / "home")
    replay = DemoReplay(home, release_every=10**9).start()
    store = SqliteStore(home.store)
    context = stages.enrich_context(home)
    cfg = config(email_port=smtp_server.port, webhook=webhook_server.url + "/hook",
                 cooldown_minutes=360)
    setup = stages.Alerting(cfg, Outbox(home.root / "alerts.sqlite"), build_channels(cfg),
                            list(context.topics))

    def cycle():
        stages.collect(replay.registry, home, host_map=replay.host_map, due_only=False)
        stages.ingest(home, store, context=context)
        return stages.detect_and_deliver(setup, store, replay.registry, home, datetime.now(UTC))

    try:
        cycle()  # the quiet days before the burst
        assert smtp_server.messages == [] and webhook_server.requests == []
        first_published = None
        while replay.pending:
            article = replay.release_next()
            first_published = first_published or time.monotonic()
            cycle()
            if webhook_server.requests:
                break
        latency = time.monotonic() - first_published
        print(f"burst → alert latency: {latency:.1f} s")
        for _ in range(2):  # later cycles: the same incident is not sent again
            replay.release_next()
            cycle()
        alerts = [a for a in setup.outbox.open_alerts() if a.kind != "source_health"]
        assert len(alerts) == 1
        assert len(webhook_server.requests) == 1 and len(smtp_server.messages) == 1
        payload = webhook_server.requests[0]["json"]
        titles = [d["title"] for d in payload["alert"]["explanation"]["documents"]]
        assert any("cháy" in t.lower() for t in titles)
        assert payload["alert"]["explanation"]["reason"]
        _, email = smtp_server.messages[0]
        assert "cháy" in email.get_body(("plain",)).get_content().lower()
        assert article is not None
    finally:
        replay.stop()
        store.close()
