"""The world the end-to-end DAG runs see: real outlets replayed on 127.0.0.1, a scripted burst,
a deployment home with its configuration, and a webhook receiver standing in for the leaders.

Real pages: the Vietnamese articles of ../shared/data/web (manifest), one RSS feed per outlet.
Burst: the fictional fire-at-the-market articles of runner/demo/corpus.yaml (released articles),
published in the 50 minutes before the run's `now` by three demo outlets, one of them local
press — which the crisis rule of `alerts.yaml` below watches.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from crawlers.replay import ReplayServer
from runner.demo import feed_url, load_corpus, render_article, render_feed
from tests.paths import REPO, WEB
from tests.runner.conftest import manifest_articles, rss

BURST_SPACING = timedelta(minutes=8)  # six articles inside the rule's 120-minute window
RULE_ID = "chay-cho-bao-dia-phuong"


def run_time(minute: int = 55) -> datetime:
    """The scenario's `now`: the last hh:55 (UTC) before the clock. The burst's 50 minutes then
    sit in one hourly bucket whatever the hour of the run; at hh:31 they split 3 + 3 across two
    of the detector's hour-aligned buckets and a topic matching part of them stays under
    `min_count` (it did, once, in CI)."""
    clock = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    at = clock.replace(minute=minute)
    return at if at <= clock else at - timedelta(hours=1)


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records every POSTed JSON body."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.paths: list[str] = []  # the path each body was POSTed to, in the same order
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                receiver.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class World:
    now: datetime
    home: Path
    env: dict[str, str]
    real_urls: list[str]
    burst_titles: list[str]
    receiver: Receiver
    server: ReplayServer
    config: Path
    web_sources: list[dict] = field(default_factory=list)  # form data for the web app's admin

    def stop(self) -> None:
        self.server.stop()
        self.receiver.stop()


def _real_routes() -> tuple[dict, list[str], list[str]]:
    """Routes for the real pages plus one feed per outlet; source YAML lines; article URLs."""
    routes, by_origin = {}, {}
    for art in manifest_articles():
        parts = urlsplit(art["url"])
        by_origin.setdefault(f"{parts.scheme}://{parts.netloc}", []).append(art["url"])
        routes[art["url"]] = WEB / art["path"]
    lines = []
    for n, (origin, urls) in enumerate(sorted(by_origin.items())):
        feed = f"{origin}/rss/langnghe-test.rss"
        routes[feed] = rss(urls)
        lines += [f"  - id: outlet{n}", f"    name: Outlet {n}", f"    homepage: {origin}",
                  "    type: national", "    poll_minutes: 1", "    feeds:", f"      - url: {feed}"]
    return routes, lines, sorted(u for urls in by_origin.values() for u in urls)


def _burst_routes(now: datetime, web_sources: tuple[str, ...] = ()
                  ) -> tuple[dict, list[str], list[str], list[dict]]:
    """Routes, source YAML lines, burst titles, and the form data of the outlets named in
    `web_sources` (left out of the file: an admin adds them in the web app)."""
    outlets, articles = load_corpus()
    burst = [a for a in articles if a.hours > 0]
    for i, article in enumerate(burst):
        article.published = now - BURST_SPACING * (len(burst) - i)
    routes, lines, forms = {}, [], []
    for outlet in outlets:
        mine = [a for a in burst if a.outlet["id"] == outlet["id"]]
        routes.update({a.url: render_article(a) for a in mine})
        routes[feed_url(outlet)] = render_feed(outlet, mine)
        routes[f"{outlet['homepage']}/robots.txt"] = b"User-agent: *\nAllow: /\n"
        if outlet["id"] in web_sources:
            forms.append({"id": outlet["id"], "name": outlet["name"], "type": outlet["type"],
                          "homepage": outlet["homepage"], "poll_minutes": 1,
                          "feeds": [feed_url(outlet)]})
            continue
        lines += [f"  - id: {outlet['id']}", f"    name: \"{outlet['name']}\"",
                  f"    homepage: {outlet['homepage']}", f"    type: {outlet['type']}",
                  "    poll_minutes: 1", "    feeds:", f"      - url: {feed_url(outlet)}"]
    return routes, lines, [a.title for a in burst], forms


def _alerts_config(folder: Path, webhook: str, detection: str = "",
                   smtp_port: int | None = None) -> Path:
    """Rules and alerts files: the leaders' group gets the webhook, and with `smtp_port` also an
    email address, sent through a plain SMTP server on 127.0.0.1 at that port."""
    email = (f"  email: {{host: 127.0.0.1, port: {smtp_port}, security: none, "
             "sender: canhbao@tinh.gov.vn}\n") if smtp_port else ""
    address = "        email: vanphong@tinh.gov.vn\n" if smtp_port else ""
    (folder / "rules.yaml").write_text(
        f"rules:\n  - id: {RULE_ID}\n    name: Báo địa phương đưa tin cháy\n"
        "    type: state_outlet_crisis\n    query: '\"Thanh Hóa\"'\n    lexicon: [cháy]\n"
        "    outlet_types: [local]\n    window_minutes: 120\n    severity: critical\n",
        encoding="utf-8")
    path = folder / "alerts.yaml"
    path.write_text(
        f"rules_file: rules.yaml\n{detection}channels:\n  webhook: {{}}\n{email}"
        "groups:\n  - name: lanh-dao\n    min_severity: info\n    recipients:\n"
        f"      - name: van-phong\n        webhook: {webhook}\n{address}", encoding="utf-8")
    return path


def _offline_watch(folder: Path) -> Path:
    """The shipped watch file with keyword discovery off: this world replays no Google News
    (tests/dags/test_discovery.py does)."""
    raw = yaml.safe_load((REPO / "config" / "watch.yaml").read_text(encoding="utf-8"))
    raw["discovery"] = {"enabled": False}
    path = folder / "watch.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def build_world(tmp: Path, now: datetime, *, web_sources: tuple[str, ...] = (),
                detection: str = "", smtp_port: int | None = None) -> World:
    """The world; the burst outlets named in `web_sources` are not in the sources file (their
    form data is `World.web_sources`), `detection` is a YAML `detection:` block for alerts,
    `smtp_port` adds an email recipient served by an SMTP server on 127.0.0.1 at that port."""
    real, real_lines, real_urls = _real_routes()
    burst, burst_lines, titles, forms = _burst_routes(now, web_sources)
    config = tmp / "config"
    config.mkdir()
    (config / "sources.yaml").write_text("\n".join(["sources:", *real_lines, *burst_lines]) + "\n",
                                         encoding="utf-8")
    receiver = Receiver()
    server = ReplayServer({**real, **burst}).start()
    (config / "hostmap.json").write_text(json.dumps(server.host_map), encoding="utf-8")
    alerts = _alerts_config(config, receiver.url, detection, smtp_port)
    home = tmp / "home"
    watch = _offline_watch(config)
    env = {"LANGNGHE_HOME": str(home), "LANGNGHE_SOURCES": str(config / "sources.yaml"),
           "LANGNGHE_WATCH": str(watch),
           "LANGNGHE_HOST_MAP": str(config / "hostmap.json"), "LANGNGHE_ALERTS": str(alerts),
           "LANGNGHE_COLLECT_GROUPS": "3",
           # the leaders' webhook receiver is on this machine: the egress guard must be told
           "LANGNGHE_EGRESS_ALLOW": f"127.0.0.1:{receiver.server.server_address[1]}"}
    return World(now=now, home=home, env=env, real_urls=real_urls, burst_titles=titles,
                 receiver=receiver, server=server, config=config, web_sources=forms)
